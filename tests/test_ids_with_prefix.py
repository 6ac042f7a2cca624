"""``Store.ids_with_prefix``: transaction ids and block hashes under a hex prefix, read
as one range of the binary index, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ledger.sealing import seal
from ledger.store import Store
from tests.conftest import Consortium


def _expected(ids: list[str], prefix: str, limit: int = 100) -> list[str]:
    return sorted(i for i in ids if i.startswith(prefix))[:limit]


def test_prefix_finds_exactly_the_ids_that_start_with_it(
    db_url: str, consortium: Consortium
) -> None:
    store = Store.create(db_url, consortium.genesis)
    txs = [consortium.tx(0) for _ in range(20)]
    seal(store, txs[:10], consortium.validator_keys)
    seal(store, txs[10:], consortium.validator_keys)
    tx_ids = [tx.tx_id for tx in txs]
    # 20 ids over 16 first digits: at least one digit is shared (a real ambiguity)
    shared = next(d for d in "0123456789abcdef" if len(_expected(tx_ids, d)) >= 2)
    for digit in "0123456789abcdef":
        assert store.ids_with_prefix("tx", digit, 100) == _expected(tx_ids, digit)
    assert len(store.ids_with_prefix("tx", shared, 100)) >= 2
    assert store.ids_with_prefix("tx", shared, 1) == _expected(tx_ids, shared, 1)
    one = tx_ids[7]
    for n in (3, 8, 9, 63, 64):  # odd lengths bound the half byte too
        assert store.ids_with_prefix("tx", one[:n]) == _expected(tx_ids, one[:n])
        assert one in store.ids_with_prefix("tx", one[:n], 100)
    hashes = [store.header(h).block_hash for h in (1, 2)]
    assert store.ids_with_prefix("block", hashes[1][:8]) == [hashes[1]]
    assert store.ids_with_prefix("block", hashes[0]) == [hashes[0]]
    assert one not in store.ids_with_prefix("block", one[:8])  # kinds do not mix
    absent = next(p for p in (f"{n:08x}" for n in range(1000)) if not _expected(tx_ids + hashes, p))
    assert store.ids_with_prefix("tx", absent) == []
    assert store.ids_with_prefix("tx", shared, 0) == []
    store.close()


@pytest.mark.parametrize("prefix", ["", "ABCDEF01", "abcdefg1", "0" * 65, "ab cd"])
def test_malformed_prefix_or_kind_is_refused(store: Store, prefix: str) -> None:
    with pytest.raises(ValueError, match="lowercase hex"):
        store.ids_with_prefix("tx", prefix)
    with pytest.raises(ValueError, match="kind"):
        store.ids_with_prefix("document", "abcdef01")
