"""``Store.state_prefix``: keys under a prefix, in code-point order, paged, exact (no
LIKE wildcards, no case folding), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from ledger.sealing import seal
from ledger.store import StateWrite, Store
from tests.conftest import Consortium

KEYS = [
    "depositor/acme/01",
    "depositor/acme/02",
    "depositor/acme/ff",
    "depositor/acme-co/01",
    "depositor/acmE/01",
    "depositor/ac%e/01",
    "depositor/ac_e/01",
    "depositor/acme\u00e9/01",
    "doc/01",
]


def test_prefix_pages_exactly(db_url: str, consortium: Consortium) -> None:
    store = Store.create(db_url, consortium.genesis)
    writes = [StateWrite("evidence", k, {"k": k}, 0) for k in KEYS]
    writes.append(StateWrite("other", "depositor/acme/00", {"k": "x"}, 0))
    seal(store, [consortium.tx(0)], consortium.validator_keys, writes=writes)
    got = store.state_prefix("evidence", "depositor/acme/")
    assert [k for k, _ in got] == ["depositor/acme/01", "depositor/acme/02", "depositor/acme/ff"]
    assert got[0][1] == {"k": "depositor/acme/01"}
    page = store.state_prefix("evidence", "depositor/acme/", limit=2)
    rest = store.state_prefix("evidence", "depositor/acme/", after=page[-1][0])
    assert [k for k, _ in page + rest] == [k for k, _ in got]
    assert [k for k, _ in store.state_prefix("evidence", "depositor/ac%")] == ["depositor/ac%e/01"]
    assert [k for k, _ in store.state_prefix("evidence", "depositor/ac_")] == ["depositor/ac_e/01"]
    everything = [k for k, _ in store.state_prefix("evidence", "depositor/", limit=100)]
    assert everything == sorted(k for k in KEYS if k.startswith("depositor/"))
    assert store.state_prefix("evidence", "nothing/") == []
    assert store.state_prefix("evidence", "depositor/", limit=0) == []
    store.close()
