"""The mempool: admission refusals with their statuses, the FIFO pool, block checks."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts import default_registry
from ledger.canonical import format_time, now_time
from ledger.keys import SigningKey
from ledger.model import Genesis, Organisation, SignedTransaction, Transaction, Validator
from ledger.sealing import seal
from ledger.store import Store
from nodes.mempool import CREATED_AT_WINDOW, Mempool, Refused
from nodes.refusals import RefusalKind
from nodes.server.problems import REFUSAL_STATUS
from tests.conftest import Consortium, make_consortium


def nothing_committed(tx_ids: Sequence[bytes]) -> set[bytes]:
    return set()


def pool_for(c: Consortium, capacity: int = 50_000, committed: Any = nothing_committed) -> Mempool:
    return Mempool(c.genesis, default_registry(c.genesis), committed, capacity=capacity)


def anchor(c: Consortium, member: int = 0, **extra: Any) -> SignedTransaction:
    return c.tx(member, sha256=os.urandom(32).hex(), size=100, **extra)


def refused(pool: Mempool, item: Any) -> Refused:
    with pytest.raises(Refused) as info:
        pool.admit(item)
    return info.value


def tampered_signature(tx: SignedTransaction) -> dict[str, Any]:
    d = tx.to_dict()
    sig = bytearray(tx.signature)
    sig[0] ^= 1
    d["signature"] = sig.hex()
    return d


@pytest.fixture
def c() -> Consortium:
    return make_consortium()


# ---- admission ---------------------------------------------------------------


def test_admits_a_valid_transaction_as_dict_or_object(c: Consortium) -> None:
    pool = pool_for(c)
    a, b = anchor(c, 0), anchor(c, 1)
    assert pool.admit(a.to_dict()) == a.tx_id
    assert pool.admit(b) == b.tx_id
    assert len(pool) == 2
    assert a.tx_id_bytes in pool
    assert pool.get(a.tx_id_bytes) == a
    assert pool.get(os.urandom(32)) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: "not an object",
        lambda d: {"tx": d["tx"]},
        lambda d: {**d, "extra": 1},
        lambda d: {**d, "signature": "zz"},
        lambda d: {**d, "tx": {**d["tx"], "chain_id": "abc"}},
        lambda d: {**d, "tx": {**d["tx"], "args": {"size": 1.5}}},
        lambda d: {**d, "tx": {**d["tx"], "created_at": "yesterday"}},
    ],
)
def test_malformed_is_400(c: Consortium, mangle: Any) -> None:
    r = refused(pool_for(c), mangle(anchor(c).to_dict()))
    assert (REFUSAL_STATUS[r.kind], r.title) == (400, "malformed transaction")
    assert "send a signed transaction" in r.detail


def test_wrong_chain_is_422(c: Consortium) -> None:
    other = make_consortium()
    key = c.members[0]
    tx = Transaction.new(
        key, other.chain_id, "evidence", "anchor", {"sha256": "00" * 32, "size": 1}
    )
    r = refused(pool_for(c), tx.sign(key).to_dict())
    assert (REFUSAL_STATUS[r.kind], r.title) == (422, "wrong chain")
    assert f"transaction is for chain {other.chain_id[:16]}" in r.detail
    assert f"this node serves {c.chain_id[:16]}" in r.detail


def test_non_member_is_403(c: Consortium) -> None:
    stranger = SigningKey.generate()
    args = {"sha256": "00" * 32, "size": 1}
    tx = Transaction.new(stranger, c.chain_id, "evidence", "anchor", args).sign(stranger)
    r = refused(pool_for(c), tx.to_dict())
    assert (REFUSAL_STATUS[r.kind], r.title) == (403, "not a member")
    assert stranger.key_id[:16] in r.detail


def test_tampered_signature_is_403(c: Consortium) -> None:
    pool = pool_for(c)
    tx = anchor(c)
    r = refused(pool, tampered_signature(tx))
    assert (REFUSAL_STATUS[r.kind], r.title) == (403, "bad signature")
    assert "sign the transaction again" in r.detail
    assert len(pool) == 0


def test_tampered_content_is_403(c: Consortium) -> None:
    d = anchor(c).to_dict()
    d["tx"]["args"]["size"] = 101
    r = refused(pool_for(c), d)
    assert (REFUSAL_STATUS[r.kind], r.title) == (403, "bad signature")


def test_signature_by_another_member_is_403(c: Consortium) -> None:
    tx = anchor(c, 0)
    forged = SignedTransaction(tx.tx, c.members[1].sign(tx.tx.signing_message()))
    assert REFUSAL_STATUS[refused(pool_for(c), forged.to_dict()).kind] == 403


def test_replay_of_a_committed_transaction_is_409(c: Consortium, tmp_path: Any) -> None:
    with Store.create(str(tmp_path / "node.sqlite"), c.genesis) as store:
        tx = anchor(c)
        seal(store, [tx], c.validator_keys)
        pool = pool_for(c, committed=store.committed_among)
        r = refused(pool, tx.to_dict())
        assert (REFUSAL_STATUS[r.kind], r.title) == (409, "already committed")
        assert "cannot be replayed" in r.detail
        fresh = anchor(c)
        assert pool.admit(fresh) == fresh.tx_id
        why = pool.check_block([fresh, tx])
        assert why is not None
        assert why.startswith(f"transaction 1 ({tx.tx_id[:16]}")
        assert "already committed" in why
        assert pool.check_block_transaction(tx) is not None
        assert pool.check_block([fresh]) is None


def test_duplicate_in_pool_is_409(c: Consortium) -> None:
    pool = pool_for(c)
    tx = anchor(c)
    pool.admit(tx.to_dict())
    r = refused(pool, tx.to_dict())
    assert (REFUSAL_STATUS[r.kind], r.title) == (409, "already pending")
    assert len(pool) == 1


def test_duplicate_within_a_batch_is_409(c: Consortium) -> None:
    pool = pool_for(c)
    tx, other = anchor(c), anchor(c, 1)
    results = pool.admit_many([tx.to_dict(), other, tx])
    assert results[:2] == [tx.tx_id, other.tx_id]
    assert isinstance(results[2], Refused)
    assert (REFUSAL_STATUS[results[2].kind], results[2].title) == (409, "duplicate in batch")
    assert "item 0 of this batch" in results[2].detail
    assert len(pool) == 2


def test_full_pool_is_503(c: Consortium) -> None:
    pool = pool_for(c, capacity=2)
    txs = [anchor(c) for _ in range(3)]
    results = pool.admit_many(txs)
    assert results[:2] == [txs[0].tx_id, txs[1].tx_id]
    full = results[2]
    assert isinstance(full, Refused)
    assert (REFUSAL_STATUS[full.kind], full.detail) == (
        503,
        "mempool full (2 transactions); retry later",
    )
    pool.remove([txs[0].tx_id_bytes])
    assert pool.admit(txs[2]) == txs[2].tx_id


def _auditor_chain() -> tuple[Genesis, SigningKey]:
    member, node = SigningKey.generate(), SigningKey.generate()
    genesis = Genesis(
        "audit-chain",
        now_time(),
        (Organisation("inspectorate", ("auditor",), (member.public,)),),
        (Validator("inspectorate-node", "inspectorate", node.public),),
    )
    return genesis, member


def test_role_not_allowed_is_403() -> None:
    genesis, member = _auditor_chain()
    pool = Mempool(genesis, default_registry(genesis), nothing_committed)
    args = {"sha256": "11" * 32, "size": 1}
    tx = Transaction.new(member, genesis.chain_id, "evidence", "anchor", args).sign(member)
    r = refused(pool, tx.to_dict())
    assert (REFUSAL_STATUS[r.kind], r.title) == (403, "not permitted")
    assert "role(s) auditor may not call evidence.anchor" in r.detail
    assert "'inspectorate'" in r.detail
    why = pool.check_block([tx])
    assert why is not None
    assert "not permitted" in why


@pytest.mark.parametrize(
    ("contract", "action", "args", "expected"),
    [
        ("payroll", "pay", {}, "unknown contract 'payroll'"),
        ("evidence", "burn", {}, "unknown action 'burn'"),
        ("evidence", "anchor", {"sha256": "00" * 32, "size": -1}, "outside 0..2^53-1"),
        ("evidence", "anchor", {"sha256": "00" * 32, "size": 1, "x": 1}, "unexpected argument"),
    ],
)
def test_contract_action_and_args_are_422(
    c: Consortium, contract: str, action: str, args: dict[str, Any], expected: str
) -> None:
    key = c.members[0]
    tx = Transaction.new(key, c.chain_id, contract, action, args).sign(key)
    r = refused(pool_for(c), tx)
    assert (REFUSAL_STATUS[r.kind], r.title) == (422, "rejected")
    assert expected in r.detail


def test_checks_run_in_order(c: Consortium) -> None:
    """A transaction with several faults is refused for the first in the documented order."""
    other = make_consortium()
    stranger = SigningKey.generate()
    bad_args = {"sha256": "no", "size": 1}
    wrong_chain_stranger = Transaction.new(stranger, other.chain_id, "evidence", "anchor", bad_args)
    assert refused(pool_for(c), wrong_chain_stranger.sign(stranger)).title == "wrong chain"
    stranger_tx = Transaction.new(stranger, c.chain_id, "evidence", "anchor", bad_args)
    assert refused(pool_for(c), stranger_tx.sign(stranger)).title == "not a member"
    member = c.members[0]
    bad = Transaction.new(member, c.chain_id, "evidence", "anchor", bad_args).sign(member)
    r = refused(pool_for(c), tampered_signature(bad))
    assert r.title == "rejected"  # args are judged before the (expensive) signature


def test_one_committed_query_per_batch(c: Consortium) -> None:
    calls: list[int] = []

    def committed(tx_ids: Sequence[bytes]) -> set[bytes]:
        calls.append(len(tx_ids))
        return set()

    pool = pool_for(c, committed=committed)
    results = pool.admit_many([anchor(c, i % 3) for i in range(20)] + ["junk"])
    assert sum(isinstance(r, str) for r in results) == 20
    assert calls == [20]
    pool.check_block(pool.take(20))
    assert calls == [20, 20]


# ---- the pool ----------------------------------------------------------------


def test_take_is_fifo_and_remove_forgets(c: Consortium) -> None:
    pool = pool_for(c)
    txs = [anchor(c, i % 3) for i in range(5)]
    for tx in txs:
        pool.admit(tx.to_dict())
    assert pool.take(3) == txs[:3]
    assert pool.take(3) == txs[:3]  # take leaves them pooled
    assert pool.take(0) == []
    assert len(pool) == 5
    pool.remove([txs[0].tx_id_bytes, txs[2].tx_id_bytes, os.urandom(32)])
    assert pool.take(10) == [txs[1], txs[3], txs[4]]
    assert txs[0].tx_id_bytes not in pool
    assert len(pool) == 3


def test_removed_transactions_cannot_come_back(c: Consortium) -> None:
    """An admission that asked the store before the block committed must not re-add it."""
    pool = pool_for(c)  # the store never reports anything committed
    tx = anchor(c)
    pool.admit(tx)
    pool.remove([tx.tx_id_bytes])
    r = refused(pool, tx.to_dict())
    assert (REFUSAL_STATUS[r.kind], r.title) == (409, "already committed")
    assert len(pool) == 0


def test_verified(c: Consortium) -> None:
    pool = pool_for(c)
    tx = anchor(c)
    assert not pool.verified(tx)
    pool.admit(tx.to_dict())
    assert pool.verified(tx)
    assert pool.verified(SignedTransaction.from_dict(copy.deepcopy(tx.to_dict())))
    assert not pool.verified(SignedTransaction.from_dict(tampered_signature(tx)))
    assert not pool.verified(anchor(c))


# ---- proposed blocks ---------------------------------------------------------


def test_check_block_accepts_pooled_and_new_valid_transactions(c: Consortium) -> None:
    pool = pool_for(c)
    pooled = [anchor(c, i % 3) for i in range(3)]
    pool.admit_many(pooled)
    block = [*pooled, anchor(c, 2)]
    assert pool.check_block(block) is None
    assert pool.check_block([]) is None
    assert pool.check_block_transaction(block[-1]) is None
    assert len(pool) == 3  # checking adds nothing


def test_check_block_refuses_a_tampered_transaction(c: Consortium) -> None:
    pool = pool_for(c)
    good = anchor(c)
    pool.admit(good)
    bad = SignedTransaction.from_dict(tampered_signature(anchor(c)))
    why = pool.check_block([good, bad])
    assert why is not None
    assert why.startswith(f"transaction 1 ({bad.tx_id[:16]}")
    assert "bad signature" in why
    single = pool.check_block_transaction(bad)
    assert single is not None
    assert "bad signature" in single


def test_check_block_refuses_a_duplicate(c: Consortium) -> None:
    pool = pool_for(c)
    a, b = anchor(c), anchor(c, 1)
    why = pool.check_block([a, b, a])
    assert why is not None
    assert why.startswith(f"transaction 2 ({a.tx_id[:16]}")
    assert "repeats transaction 0" in why


def test_check_block_refuses_wrong_chain_and_strangers(c: Consortium) -> None:
    pool = pool_for(c)
    stranger = SigningKey.generate()
    tx = Transaction.new(
        stranger, c.chain_id, "evidence", "anchor", {"sha256": "00" * 32, "size": 1}
    )
    why = pool.check_block([tx.sign(stranger)])
    assert why is not None
    assert "not a member" in why
    other = make_consortium()
    why = pool.check_block([anchor(other)])
    assert why is not None
    assert "wrong chain" in why


def test_check_block_verifies_each_signature_at_most_once(
    c: Consortium, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = pool_for(c)
    pooled, fresh = anchor(c), anchor(c, 1)
    pool.admit(pooled)
    verified: list[str] = []
    real = SignedTransaction.verify_signature

    def counting(self: SignedTransaction, public: bytes) -> None:
        verified.append(self.tx_id)
        real(self, public)

    monkeypatch.setattr(SignedTransaction, "verify_signature", counting)
    assert pool.check_block([pooled, fresh]) is None
    assert verified == [fresh.tx_id]  # the pooled one was verified at admission
    assert pool.check_block([pooled, fresh]) is None  # e.g. the same block in a later round
    assert verified == [fresh.tx_id]


# ---- threads -----------------------------------------------------------------


def test_concurrent_admission(c: Consortium) -> None:
    pool = pool_for(c)
    distinct = [anchor(c, i % 3) for i in range(40)]
    same = anchor(c)
    outcomes: list[str | Refused] = []
    lock = threading.Lock()

    def worker(part: list[SignedTransaction]) -> None:
        got = pool.admit_many([*part, same])
        with lock:
            outcomes.extend(got)

    threads = [threading.Thread(target=worker, args=(distinct[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pool) == 41
    admitted_same = [o for o in outcomes if o == same.tx_id]
    assert len(admitted_same) == 1
    refusals = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refusals) == 7
    assert {r.title for r in refusals} == {"already pending"}


def test_a_roster_change_admits_new_senders_and_drops_what_it_no_longer_allows() -> None:
    from contracts.membership import genesis_roster
    from contracts.membership.roster import Roster

    c = make_consortium(3)
    pool = pool_for(c)
    kept, gone, demoted = anchor(c, 0), anchor(c, 1), anchor(c, 2)
    for tx in (kept, gone, demoted):
        pool.admit(tx)
    newcomer = SigningKey.generate()
    orgs = {o.name: o for o in genesis_roster(c.genesis).organisations}
    roster = Roster(
        1,
        (
            orgs["org0"],
            Organisation("org2", ("retailer", "notary"), orgs["org2"].keys),
            Organisation("org9", ("carrier",), (newcomer.public,)),
        ),
    )
    assert pool.set_members(roster.members()) == 1  # org1 left; org2 keeps an anchor role
    assert kept.tx_id_bytes in pool and demoted.tx_id_bytes in pool
    assert gone.tx_id_bytes not in pool
    assert refused(pool, anchor(c, 1)).title == "not a member"
    joined = Transaction.new(
        newcomer, c.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    )
    assert pool.admit(joined.sign(newcomer)) == joined.sign(newcomer).tx_id
    no_role = Roster(2, (orgs["org0"], Organisation("org2", ("king",), orgs["org2"].keys)))
    assert pool.set_members(no_role.members()) == 2  # org2's anchor and the newcomer's
    assert len(pool) == 1


# ---- the created_at window ---------------------------------------------------


def dated(c: Consortium, created_at: str, member: int = 0, **args: Any) -> SignedTransaction:
    key = c.members[member]
    args = args or {"sha256": os.urandom(32).hex(), "size": 1}
    return Transaction.new(key, c.chain_id, "evidence", "anchor", args, created_at=created_at).sign(
        key
    )


NOON = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def clocked(c: Consortium, window: timedelta = CREATED_AT_WINDOW, **kw: Any) -> Mempool:
    return Mempool(
        c.genesis,
        default_registry(c.genesis),
        kw.get("committed", nothing_committed),
        created_at_window=window,
        clock=lambda: NOON,
    )


@pytest.mark.parametrize(
    ("created_at", "shown"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("2026-06-01T11:49:59.999999Z", "2026-06-01T11:49:59.999999Z"),  # just past 10 min
        ("2026-06-01T12:10:00.000001Z", "2026-06-01T12:10:00.000001Z"),
    ],
)
def test_created_at_outside_the_window_is_422(c: Consortium, created_at: str, shown: str) -> None:
    pool = clocked(c)
    tx = dated(c, created_at)
    r = refused(pool, tx.to_dict())
    assert r.kind is RefusalKind.OUT_OF_TIME
    assert (REFUSAL_STATUS[r.kind], r.title) == (422, "stale or future transaction")
    for fragment in (shown, "2026-06-01T12:00:00.000000Z", "600 seconds", "sign"):
        assert fragment in r.detail, (fragment, r.detail)
    assert len(pool) == 0


@pytest.mark.parametrize(
    "created_at", ["2026-06-01T11:50:00Z", "2026-06-01T12:00:00Z", "2026-06-01T12:10:00Z"]
)
def test_created_at_within_the_window_is_admitted(c: Consortium, created_at: str) -> None:
    tx = dated(c, created_at)
    assert clocked(c).admit(tx.to_dict()) == tx.tx_id


def test_created_at_window_of_one_second(c: Consortium) -> None:
    second = timedelta(seconds=1)
    inside = [dated(c, t) for t in ("2026-06-01T11:59:59Z", "2026-06-01T12:00:01Z")]
    outside = [dated(c, t) for t in ("2026-06-01T11:59:58.999999Z", "2026-06-01T12:00:01.5Z")]
    results = clocked(c, second).admit_many([*inside, *outside])
    assert results[:2] == [tx.tx_id for tx in inside]
    assert [r.title for r in results[2:] if isinstance(r, Refused)] == [
        "stale or future transaction"
    ] * 2
    assert "within 1 seconds" in results[2].detail  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        clocked(c, timedelta(0))


def test_created_at_window_is_for_admission_only(c: Consortium, tmp_path: Any) -> None:
    """A proposed block's transactions are not judged by this node's clock, and a
    committed transaction sent again still hears that it is committed."""
    old = dated(c, "2001-01-01T00:00:00Z")
    pool = clocked(c)
    assert refused(pool, old).title == "stale or future transaction"
    assert pool.check_block([old]) is None
    assert pool.check_block_transaction(old) is None
    with Store.create(str(tmp_path / "node.sqlite"), c.genesis) as store:
        seal(store, [old], c.validator_keys)
        r = refused(clocked(c, committed=store.committed_among), old)
        assert r.title == "already committed"


def test_default_window_is_ten_minutes_of_the_wall_clock(c: Consortium) -> None:
    pool = pool_for(c)
    assert pool.created_at_window == timedelta(minutes=10)
    now = datetime.now(UTC)
    fresh = dated(c, format_time(now))
    assert pool.admit(fresh) == fresh.tx_id
    stale = dated(c, format_time(now - timedelta(minutes=11)))
    assert refused(pool, stale).kind is RefusalKind.OUT_OF_TIME
