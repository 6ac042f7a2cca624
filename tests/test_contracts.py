"""Contracts: registry admission, the evidence contract, and applying blocks."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts import (
    Evidence,
    NotPermitted,
    Registry,
    Rejection,
    TxContext,
    default_registry,
    lookup_digest,
    lookup_redeposit,
    rejected_key,
)
from contracts.evidence import ANCHOR_ROLES
from contracts.registry import BlockEffects
from ledger.canonical import canonical
from ledger.model import SignedTransaction, Transaction
from ledger.store import StateWrite
from tests.conftest import Consortium, make_consortium

TIME = "2026-03-01T12:00:00.000000Z"
GENESIS = make_consortium().genesis


class DictView:
    """A dict-backed StateView; ``commit`` stores a block's writes."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], Any] = {}

    def get(self, contract: str, key: str) -> Any | None:
        return copy.deepcopy(self.data.get((contract, key)))

    def commit(self, effects: BlockEffects) -> None:
        for w in effects.writes:
            self.data[(w.contract, w.key)] = w.value


def digest() -> str:
    return os.urandom(32).hex()


def context(c: Consortium, tx: SignedTransaction, log_index: int, height: int = 1) -> TxContext:
    member = c.genesis.member(tx.tx.sender)
    assert member is not None
    return TxContext.of(tx, member[0], log_index=log_index, height=height, time=TIME)


def apply(
    c: Consortium,
    view: DictView,
    txs: Sequence[SignedTransaction],
    first_index: int = 0,
    height: int = 1,
    registry: Registry | None = None,
) -> BlockEffects:
    items = [(tx, context(c, tx, first_index + i, height)) for i, tx in enumerate(txs)]
    effects = (registry or default_registry(c.genesis)).apply_block(view, items)
    view.commit(effects)
    return effects


def reason(call: Any, *args: Any) -> str:
    with pytest.raises(Rejection) as info:
        call(*args)
    return info.value.reason


# ---- admission ---------------------------------------------------------------


def test_default_registry_ships_evidence_and_membership() -> None:
    registry = default_registry(GENESIS)
    assert {"evidence", "membership"} <= set(registry.names())
    assert registry.roles_allowed("evidence", "anchor") == ANCHOR_ROLES
    expected = {"producer", "processor", "carrier", "retailer", "regulator", "notary"}
    assert expected == ANCHOR_ROLES


def test_unknown_contract_lists_known_ones() -> None:
    why = reason(default_registry(GENESIS).admit, "payroll", "pay", {}, ["producer"])
    assert "unknown contract 'payroll'" in why
    assert "known: evidence, membership" in why


def test_unknown_action_lists_known_ones() -> None:
    why = reason(default_registry(GENESIS).admit, "evidence", "burn", {}, ["producer"])
    assert "unknown action 'burn'" in why
    assert "known: anchor" in why
    assert reason(default_registry(GENESIS).roles_allowed, "evidence", "burn") == why


@pytest.mark.parametrize("roles", [["auditor"], [], ["auditor", "guest"]])
def test_role_not_allowed(roles: list[str]) -> None:
    args = {"sha256": digest(), "size": 1}
    with pytest.raises(NotPermitted) as info:
        default_registry(GENESIS).admit("evidence", "anchor", args, roles)
    why = info.value.reason
    assert f"role(s) {', '.join(roles) or 'none'} may not call evidence.anchor" in why
    assert "(allowed: carrier, notary, processor, producer, regulator, retailer)" in why


def test_any_allowed_role_suffices() -> None:
    default_registry(GENESIS).admit(
        "evidence", "anchor", {"sha256": digest(), "size": 1}, ["x", "notary"]
    )


GOOD = "ab" * 32


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"sha256": GOOD, "size": 1, "file": "a.txt"}, "unexpected argument 'file'"),
        ({"size": 1}, "missing argument(s) sha256"),
        ({"sha256": GOOD}, "missing argument(s) size"),
        ({"sha256": GOOD.upper(), "size": 1}, "64 lowercase hex"),
        ({"sha256": GOOD[:-1], "size": 1}, "64 lowercase hex"),
        ({"sha256": GOOD[:-2] + "zz", "size": 1}, "64 lowercase hex"),
        ({"sha256": GOOD + "00", "size": 1}, "64 lowercase hex"),
        ({"sha256": 12, "size": 1}, "evidence.anchor.sha256: expected a string"),
        ({"sha256": GOOD, "size": -1}, "evidence.anchor.size: -1 is outside 0..2^53-1"),
        ({"sha256": GOOD, "size": 2**53}, "outside 0..2^53-1"),
        ({"sha256": GOOD, "size": 1.5}, "evidence.anchor.size: expected a whole number, got 1.5"),
        ({"sha256": GOOD, "size": 1.0}, "expected a whole number"),
        ({"sha256": GOOD, "size": True}, "expected a whole number"),
        ({"sha256": GOOD, "size": "10"}, "expected a whole number"),
        ({"sha256": GOOD, "size": 1, "title": ""}, "title: must be 1 to 512 characters, got 0"),
        ({"sha256": GOOD, "size": 1, "title": "x" * 513}, "must be 1 to 512 characters"),
        ({"sha256": GOOD, "size": 1, "title": "a\nb"}, "control character U+000A at position 1"),
        ({"sha256": GOOD, "size": 1, "title": "a\x85"}, "control character U+0085"),
        ({"sha256": GOOD, "size": 1, "title": None}, "title: expected a string, got null"),
        ({"sha256": GOOD, "size": 1, "media_type": "pdf"}, "not a media type"),
        ({"sha256": GOOD, "size": 1, "media_type": "text/"}, "not a media type"),
        ({"sha256": GOOD, "size": 1, "media_type": "a b/c"}, "not a media type"),
        ({"sha256": GOOD, "size": 1, "media_type": "a/" + "b" * 126}, "longer than 127"),
        ({"sha256": GOOD, "size": 1, "media_type": 3}, "media_type: expected a string"),
    ],
)
def test_bad_args(args: dict[str, Any], expected: str) -> None:
    why = reason(default_registry(GENESIS).admit, "evidence", "anchor", args, ["producer"])
    assert expected in why
    assert why.startswith("evidence.anchor")


def test_args_not_an_object() -> None:
    why = reason(Evidence().check_args, "anchor", ["sha256"])
    assert "args must be a JSON object" in why


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"title": "Lot 42 — certificate of origin", "media_type": "application/pdf"},
        {"title": "x" * 512, "media_type": "text/plain; charset=utf-8"},
        {"media_type": 'multipart/form-data; boundary="a b"'},
        {"media_type": "application/vnd.api+json"},
    ],
)
def test_good_args(extra: dict[str, Any]) -> None:
    for size in (0, 1, 2**53 - 1):
        args = {"sha256": GOOD, "size": size, **extra}
        default_registry(GENESIS).admit("evidence", "anchor", args, ["regulator"])


def test_good_args_still_need_a_role() -> None:
    with pytest.raises(NotPermitted):
        default_registry(GENESIS).admit("evidence", "anchor", {"sha256": GOOD, "size": 0}, [])


# ---- the evidence contract over blocks ----------------------------------------


def test_anchor_then_lookup() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    tx = c.tx(1, sha256=d, size=1234, title="Bill of lading", media_type="application/pdf")
    effects = apply(c, view, [tx], first_index=7, height=3)
    assert effects.rejected == {}
    record = lookup_digest(view, d)
    assert record == {
        "sha256": d,
        "size": 1234,
        "title": "Bill of lading",
        "media_type": "application/pdf",
        "extractor": None,
        "facts_root": None,
        "facts_count": None,
        "chunks_root": None,
        "chunks_count": 0,
        "depositor": "org1",
        "sender": c.members[1].key_id,
        "tx_id": tx.tx_id,
        "log_index": 7,
        "height": 3,
        "time": TIME,
        "redeposits": 0,
        "facts_published": False,
    }
    assert effects.writes[0] == StateWrite("evidence", f"doc/{d}", record, 7)
    assert [w.key.split("/")[0] for w in effects.writes] == ["doc", "depositor", "title"]
    assert lookup_digest(view, digest()) is None


def test_optional_args_absent_are_null() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    apply(c, view, [c.tx(0, sha256=d, size=5)])
    record = lookup_digest(view, d)
    assert record is not None
    assert record["title"] is None
    assert record["media_type"] is None


def test_redeposit_points_to_the_first_and_bumps_the_count() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    first = c.tx(0, sha256=d, size=10, title="original")
    apply(c, view, [first], first_index=0, height=1)
    again = c.tx(1, sha256=d, size=10, title="copy", media_type="text/plain")
    effects = apply(c, view, [again], first_index=1, height=2)
    assert effects.rejected == {}

    record = lookup_digest(view, d)
    assert record is not None
    assert (record["tx_id"], record["depositor"], record["title"]) == (
        first.tx_id,
        "org0",
        "original",
    )
    assert record["redeposits"] == 1
    assert lookup_redeposit(view, again.tx_id) == {
        "sha256": d,
        "first_tx_id": first.tx_id,
        "depositor": "org1",
        "sender": c.members[1].key_id,
        "tx_id": again.tx_id,
        "log_index": 1,
        "height": 2,
        "time": TIME,
        "title": "copy",
        "media_type": "text/plain",
        "extractor": None,
        "facts_root": None,
        "facts_count": None,
        "chunks_root": None,
    }
    assert {w.key for w in effects.writes} == {
        f"doc/{d}",
        f"redeposit/{again.tx_id}",
        f"depositor/org1/{d}",
    }
    assert all(w.contract == "evidence" and w.log_index == 1 for w in effects.writes)

    third = c.tx(2, sha256=d, size=10)
    apply(c, view, [third], first_index=2, height=3)
    record = lookup_digest(view, d)
    assert record is not None
    assert record["redeposits"] == 2
    assert record["tx_id"] == first.tx_id
    assert lookup_redeposit(view, third.tx_id)["first_tx_id"] == first.tx_id  # type: ignore[index]


def test_redeposit_with_another_size_is_rejected_and_recorded() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    apply(c, view, [c.tx(0, sha256=d, size=10)])
    before = lookup_digest(view, d)
    bad = c.tx(1, sha256=d, size=11)
    effects = apply(c, view, [bad], first_index=1, height=2)

    why = effects.rejected[bad.tx_id]
    assert "size 11 differs from the first anchor's 10 for this digest" in why
    assert effects.writes == (StateWrite("ledger", f"rejected/{bad.tx_id}", {"reason": why}, 1),)
    assert rejected_key(bad.tx_id) == f"rejected/{bad.tx_id}"
    assert view.get("ledger", f"rejected/{bad.tx_id}") == {"reason": why}
    assert lookup_digest(view, d) == before
    assert lookup_redeposit(view, bad.tx_id) is None


def test_two_anchors_of_one_digest_in_one_block_first_wins() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    first, second = c.tx(2, sha256=d, size=3), c.tx(0, sha256=d, size=3)
    effects = apply(c, view, [first, second], first_index=4)
    assert effects.rejected == {}
    assert [(w.key, w.log_index) for w in effects.writes] == [
        (f"doc/{d}", 4),
        (f"depositor/org2/{d}", 4),
        (f"redeposit/{second.tx_id}", 5),
        (f"doc/{d}", 5),
        (f"depositor/org0/{d}", 5),
    ]
    record = lookup_digest(view, d)
    assert record is not None
    assert (record["tx_id"], record["depositor"], record["redeposits"]) == (first.tx_id, "org2", 1)


def test_a_later_tx_in_the_block_sees_earlier_writes() -> None:
    c = make_consortium()
    view = DictView()
    d = digest()
    first, other_size = c.tx(0, sha256=d, size=3), c.tx(1, sha256=d, size=4)
    effects = apply(c, view, [first, other_size])
    assert list(effects.rejected) == [other_size.tx_id]
    assert "differs from the first anchor's 3" in effects.rejected[other_size.tx_id]


def test_rejected_tx_changes_nothing_and_the_block_goes_on() -> None:
    c = make_consortium()
    view = DictView()
    key = c.members[0]
    unknown = Transaction.new(key, c.chain_id, "payroll", "pay", {"to": "x"}).sign(key)
    bad_args = c.tx(0, sha256=digest(), size=1, colour="red")
    good_digest = digest()
    good = c.tx(1, sha256=good_digest, size=1)
    effects = apply(c, view, [unknown, bad_args, good])
    assert list(effects.rejected) == [unknown.tx_id, bad_args.tx_id]
    assert "unknown contract 'payroll'" in effects.rejected[unknown.tx_id]
    assert "unexpected argument 'colour'" in effects.rejected[bad_args.tx_id]
    assert [(w.contract, w.log_index) for w in effects.writes] == [
        ("ledger", 0),
        ("ledger", 1),
        ("evidence", 2),
        ("evidence", 2),
    ]
    assert lookup_digest(view, good_digest) is not None


def test_apply_block_checks_roles_too() -> None:
    c = make_consortium()
    tx = c.tx(0, sha256=digest(), size=1)
    ctx = TxContext(tx.tx_id, 0, 1, TIME, tx.tx.sender, "outsiders", ("auditor",))
    effects = default_registry(GENESIS).apply_block(DictView(), [(tx, ctx)])
    assert "role(s) auditor may not call evidence.anchor" in effects.rejected[tx.tx_id]
    assert [w.contract for w in effects.writes] == ["ledger"]


def test_context_must_match_its_transaction() -> None:
    c = make_consortium()
    a, b = c.tx(0, sha256=digest(), size=1), c.tx(0, sha256=digest(), size=1)
    with pytest.raises(ValueError, match="context of transaction"):
        default_registry(GENESIS).apply_block(DictView(), [(a, context(c, b, 0))])


def test_same_block_same_writes() -> None:
    c = make_consortium()
    d, e = digest(), digest()
    block = [
        c.tx(0, sha256=d, size=9, title="t"),
        c.tx(1, sha256=d, size=9),
        c.tx(2, sha256=d, size=8),
        c.tx(1, sha256=e, size=0, media_type="image/png"),
        c.tx(2, sha256=e, size=0, nope=1),
    ]
    runs = [apply(c, DictView(), block, first_index=10, height=2) for _ in range(2)]
    assert runs[0] == runs[1]
    as_bytes = [
        canonical([[w.contract, w.key, w.value, w.log_index] for w in r.writes]) for r in runs
    ]
    assert as_bytes[0] == as_bytes[1]
    assert len(runs[0].rejected) == 2


# ---- the registry's guard rails ------------------------------------------------


class _Buggy:
    name = "buggy"
    actions = {"go": frozenset({"producer"})}  # noqa: RUF012

    def __init__(self, writes: list[tuple[str, Any]] | None = None) -> None:
        self.writes = writes

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        return None

    def apply(self, view: Any, action: str, args: dict[str, Any], ctx: TxContext) -> list:
        if self.writes is None:
            raise KeyError("a bug")
        return self.writes


def _buggy_tx(c: Consortium) -> SignedTransaction:
    key = c.members[0]
    return Transaction.new(key, c.chain_id, "buggy", "go", {}).sign(key)


def test_a_contract_bug_propagates() -> None:
    c = make_consortium()
    tx = _buggy_tx(c)
    with pytest.raises(KeyError):
        apply(c, DictView(), [tx], registry=Registry([_Buggy()]))


def test_a_value_that_is_not_json_safe_is_a_bug() -> None:
    c = make_consortium()
    tx = _buggy_tx(c)
    with pytest.raises(ValueError, match="float"):
        apply(c, DictView(), [tx], registry=Registry([_Buggy([("k", {"x": 0.5})])]))


def test_a_null_value_is_a_bug() -> None:
    """A state proof tells an absent key by a null value, so no key may hold null."""
    c = make_consortium()
    with pytest.raises(TypeError, match="wrote null under 'k'"):
        apply(c, DictView(), [_buggy_tx(c)], registry=Registry([_Buggy([("k", None)])]))


def test_stored_values_cannot_be_changed_through_the_contract_objects() -> None:
    c = make_consortium()
    value = {"n": [1]}
    registry = Registry([_Buggy([("k", value)])])
    effects = apply(c, DictView(), [_buggy_tx(c)], registry=registry)
    value["n"].append(2)
    assert effects.writes[0].value == {"n": [1]}


def test_registry_refuses_reserved_and_duplicate_names() -> None:
    class Ledger(_Buggy):
        name = "ledger"

    with pytest.raises(ValueError, match="reserved"):
        Registry([Ledger()])
    with pytest.raises(ValueError, match="two contracts"):
        Registry([Evidence(), Evidence()])


def test_contracts_import_no_nodes_module() -> None:
    code = (
        "import sys, contracts, contracts.registry, contracts.evidence\n"
        "bad = sorted(m for m in sys.modules if m == 'nodes' or m.startswith('nodes.'))\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize(
    ("contract", "action", "args", "expected"),
    [
        ("evidence", "anchor", {"chunks": "ab"}, "chunks: expected a list of chunk leaf hashes"),
        ("evidence", "anchor", {"chunks": [GOOD] * 4097}, "chunks: at most 4096 chunks, got 4097"),
        ("evidence", "anchor", {"chunks": [GOOD, "x"]}, "chunks[1]: expected a SHA-256 digest"),
        ("evidence", "publish_facts", {"facts": {}}, "facts: expected a list of facts"),
        ("evidence", "publish_facts", {"facts": [{}] * 5001}, "5000 facts per call, got 5001"),
        ("evidence", "retract", {}, "unknown action 'retract' of contract 'evidence'"),
        ("membership", "veto", {}, "unknown action 'veto' of contract 'membership'"),
        ("membership", "approve", {"proposal": 7}, "membership.approve.proposal: "),
    ],
)
def test_each_contract_checks_the_args_of_its_own_actions(
    contract: str, action: str, args: dict[str, Any], expected: str
) -> None:
    from contracts.membership import Membership

    check = Evidence().check_args if contract == "evidence" else Membership(GENESIS).check_args
    given = {"sha256": GOOD, **args} if contract == "evidence" else args
    if action == "anchor":
        given["size"] = 1
    with pytest.raises(Rejection) as info:
        check(action, given)
    assert expected in info.value.reason
