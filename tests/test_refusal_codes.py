"""Refusal codes: each family of refusal, applied as a real transaction through the real
registry, is committed in the block's results with its most specific code and its
unchanged reason; an applied transaction lists its writes."""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

import pytest

from contracts.base import CODES
from contracts.registry import BlockEffects, rejected_key
from contracts.traceability import actions
from ledger.canonical import canonical
from ledger.model import SignedTransaction, Transaction
from ledger.results import TxResult
from tests.conftest import make_consortium
from tests.test_contracts import DictView, apply
from tests.test_evidence_contract import FACTS, full_args
from tests.test_membership import call, run
from tests.test_traceability import LOT_A, LOT_B, PALLET, PO, signed_by

# org0 producer+processor, org1 notary+carrier, org2 regulator, org3 retailer,
# org4 producer+processor
C = make_consortium(5)
tx = functools.partial(signed_by, C)


def publish(member: int, digest: str, facts: list[dict[str, Any]]) -> SignedTransaction:
    """``C``'s member ``member`` publishes ``facts`` of document ``digest``."""
    return C.tx(member, action="publish_facts", sha256=digest, facts=facts)


def refused(effects: BlockEffects, signed: SignedTransaction) -> TxResult:
    """The result of ``signed``, which the block refused; its reason is the one the
    block recorded, unchanged."""
    (result,) = [r for r in effects.results if r.tx_id == signed.tx_id]
    assert result.status == "refused"
    assert result.code in CODES
    assert result.reason == effects.rejected[signed.tx_id]
    (written,) = result.writes
    assert (written.contract, written.key) == ("ledger", rejected_key(signed.tx_id))
    return result


def refuse(setup: list[SignedTransaction], bad: SignedTransaction) -> TxResult:
    """Apply ``setup`` (all applied) and then ``bad`` in the next block; its result."""
    view = DictView()
    if setup:
        assert apply(C, view, setup).rejected == {}
    return refused(apply(C, view, [bad], first_index=len(setup), height=2), bad)


# ---- traceability: custody rules and product states -----------------------------------


def test_only_the_custodian_ships_not_custodian() -> None:
    bad = tx(1, "ship", ids=[LOT_A], receiver="org3")
    result = refuse([tx(0, "commission", ids=[LOT_A])], bad)
    assert (result.code, result.reason) == (
        "not_custodian",
        f"org1 cannot ship {LOT_A}: it is held by org0, and only its custodian may ship it",
    )


def test_only_the_owner_transacts_not_owner() -> None:
    setup = [
        tx(0, "commission", ids=[LOT_A]),
        tx(0, "ship", ids=[LOT_A], receiver="org1"),
        tx(1, "receive", ids=[LOT_A]),
    ]
    result = refuse(setup, tx(1, "transact", ids=[LOT_A], new_owner="org3", biz_transactions=[PO]))
    assert (result.code, result.reason) == (
        "not_owner",
        f"org1 cannot transfer ownership of {LOT_A}: it is owned by org0, and only its "
        "owner may sell or transfer it",
    )


def test_only_the_named_receiver_receives_not_receiver() -> None:
    setup = [tx(0, "commission", ids=[LOT_A]), tx(0, "ship", ids=[LOT_A], receiver="org1")]
    result = refuse(setup, tx(3, "receive", ids=[LOT_A]))
    assert (result.code, result.reason) == (
        "not_receiver",
        f"org3 cannot receive {LOT_A}: org0 shipped it to org1, and only org1 may receive it",
    )


def test_a_product_not_shipped_cannot_be_received_wrong_state() -> None:
    result = refuse([tx(0, "commission", ids=[LOT_A])], tx(3, "receive", ids=[LOT_A]))
    assert (result.code, result.reason) == (
        "wrong_state",
        f"{LOT_A} is not being shipped (held by org0); only a product shipped to you can be "
        "received",
    )


def test_only_a_regulator_or_the_producer_recalls_not_producer() -> None:
    result = refuse([tx(0, "commission", ids=[LOT_A])], tx(4, "recall", id=LOT_A))
    assert (result.code, result.reason) == (
        "not_producer",
        f"org4 cannot recall {LOT_A}: only a regulator or its producer (org0) may recall it",
    )


def test_a_recalled_product_cannot_be_shipped_wrong_state() -> None:
    setup = [tx(0, "commission", ids=[LOT_A]), tx(2, "recall", id=LOT_A)]
    bad = tx(0, "ship", ids=[LOT_A], receiver="org1")
    result = refuse(setup, bad)
    assert result.code == "wrong_state"
    assert re.fullmatch(
        rf"{re.escape(LOT_A)} is recalled \(recall event \w+\); "
        "a recalled product can no longer be shipped",
        str(result.reason),
    )


def test_recalling_twice_is_wrong_state() -> None:
    setup = [tx(0, "commission", ids=[LOT_A]), tx(2, "recall", id=LOT_A)]
    result = refuse(setup, tx(2, "recall", id=LOT_A))
    assert result.code == "wrong_state"
    assert re.fullmatch(
        rf"{re.escape(LOT_A)} is already recalled \(recall event \w+\)", str(result.reason)
    )


def test_an_unknown_product_is_not_found() -> None:
    result = refuse([], tx(0, "ship", ids=[LOT_A], receiver="org1"))
    assert (result.code, result.reason) == (
        "not_found",
        f"unknown product {LOT_A}: it was never commissioned on this ledger",
    )


def test_commissioning_twice_is_already_exists() -> None:
    result = refuse([tx(0, "commission", ids=[LOT_A])], tx(4, "commission", ids=[LOT_A]))
    assert (result.code, result.reason) == (
        "already_exists",
        f"{LOT_A} already exists (commissioned by org0, now held by org0); a product id is "
        "commissioned only once",
    )


def test_shipping_to_an_organisation_not_in_the_roster_is_unknown_party() -> None:
    result = refuse([tx(0, "commission", ids=[LOT_A])], tx(0, "ship", ids=[LOT_A], receiver="acme"))
    assert (result.code, result.reason) == (
        "unknown_party",
        "traceability.ship.receiver: 'acme' is not an organisation of the consortium "
        "(organisations: org0, org1, org2, org3, org4)",
    )


def test_selling_to_oneself_is_a_conflict() -> None:
    result = refuse(
        [tx(0, "commission", ids=[LOT_A])],
        tx(0, "transact", ids=[LOT_A], new_owner="org0", biz_transactions=[PO]),
    )
    assert (result.code, result.reason) == (
        "conflict",
        f"org0 already owns {LOT_A}; name another organisation",
    )


def test_touching_too_many_packed_products_is_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "MAX_WALK", 2)
    setup = [
        tx(0, "commission", ids=[LOT_A, LOT_B]),
        tx(0, "pack", parent=PALLET, children=[LOT_A, LOT_B]),
    ]
    result = refuse(setup, tx(0, "ship", ids=[PALLET], receiver="org1"))
    assert (result.code, result.reason) == (
        "too_large",
        "ship of these products would touch more than 2 products with their packed contents; "
        "name fewer products per transaction",
    )


# ---- evidence -------------------------------------------------------------------------


def test_a_second_size_for_a_digest_is_a_conflict() -> None:
    first = C.tx(0, sha256="ab" * 32, size=1)
    result = refuse([first], C.tx(1, sha256="ab" * 32, size=2))
    assert (result.code, result.reason) == (
        "conflict",
        f"size 2 differs from the first anchor's 1 for this digest (anchored by transaction "
        f"{first.tx_id}); a digest has one size",
    )


def test_publishing_facts_refusals() -> None:
    args = full_args()
    digest = args["sha256"]
    anchor = C.tx(0, **args)
    cases: list[tuple[SignedTransaction, str, str]] = [
        (
            publish(0, "cd" * 32, FACTS),
            "not_found",
            "document cdcdcdcdcdcdcdcd… is not anchored; anchor it before its facts",
        ),
        (
            publish(1, digest, FACTS),
            "not_permitted",
            f"only 'org0', which anchored {digest[:16]}…, may publish its facts",
        ),
        (publish(0, digest, FACTS[:1]), "conflict", "the anchor committed to 2 facts, not 1"),
    ]
    for bad, code, reason in cases:
        result = refuse([anchor], bad)
        assert (result.code, result.reason) == (code, reason)
    again = publish(0, digest, FACTS)
    result = refuse([anchor, publish(0, digest, FACTS)], again)
    assert (result.code, result.reason) == (
        "already_exists",
        f"the facts of {digest[:16]}… are already published",
    )


# ---- membership -----------------------------------------------------------------------


def test_an_organisation_removed_earlier_in_the_block_is_not_member() -> None:
    c = make_consortium(3)
    view = DictView()
    remove = call(c.members[0], c, "propose", organisation="org2", roles=[], keys=[])
    assert run(c, view, [remove]).rejected == {}
    approve = call(c.members[1], c, "approve", proposal=remove.tx_id)
    late = call(c.members[2], c, "propose", organisation="org1", roles=[], keys=[])
    effects = run(c, view, [approve, late], height=2)
    result = refused(effects, late)
    assert (result.code, result.reason) == (
        "not_member",
        "'org2' is no longer a member organisation",
    )


def test_membership_refusals() -> None:
    c = make_consortium(3)
    view = DictView()
    missing = call(c.members[0], c, "approve", proposal="ef" * 32)
    result = refused(run(c, view, [missing]), missing)
    assert (result.code, result.reason) == ("not_found", "no membership proposal efefefefefefefef…")
    ghost = call(c.members[0], c, "propose", organisation="ghost", roles=[], keys=[])
    result = refused(run(c, view, [ghost], 2), ghost)
    assert (result.code, result.reason) == (
        "unknown_party",
        "'ghost' is not a member organisation; nothing to remove",
    )
    taken = call(
        c.members[0],
        c,
        "propose",
        organisation="x",
        roles=["retailer"],
        keys=[c.members[1].public.hex()],
    )
    result = refused(run(c, view, [taken], 3), taken)
    assert result.code == "already_exists"
    assert (
        result.reason
        == f"key {c.members[1].public.hex()[:16]}… already belongs to organisation 'org1'"
    )
    proposal = call(
        c.members[0],
        c,
        "propose",
        organisation="org1",
        roles=["retailer"],
        keys=[c.members[1].public.hex()],
    )
    assert run(c, view, [proposal], 4).rejected == {}
    twice = call(c.members[0], c, "approve", proposal=proposal.tx_id)
    result = refused(run(c, view, [twice], 5), twice)
    assert (result.code, result.reason) == (
        "already_exists",
        "'org0' already approved this proposal",
    )


# ---- admission: the registry's codes ---------------------------------------------------


def _signed(contract: str, action: str, args: dict[str, Any], member: int = 0) -> SignedTransaction:
    key = C.members[member]
    return Transaction.new(key, C.chain_id, contract, action, args).sign(key)


@pytest.mark.parametrize(
    ("bad", "code", "reason"),
    [
        (
            _signed("traceability", "ship", {"ids": [LOT_A]}),
            "invalid_args",
            "traceability.ship: missing argument(s) receiver",
        ),
        (
            tx(2, "commission", ids=[LOT_A]),
            "not_permitted",
            "role(s) regulator may not call traceability.commission (allowed: processor, producer)",
        ),
        (
            _signed("payroll", "pay", {}),
            "unknown_call",
            "unknown contract 'payroll' (known: evidence, membership, traceability)",
        ),
        (
            _signed("traceability", "burn", {}),
            "unknown_call",
            "unknown action 'burn' of contract 'traceability' (known: commission, inspect, "
            "pack, recall, receive, ship, transact, transform, unpack)",
        ),
    ],
)
def test_admission_refusals(bad: SignedTransaction, code: str, reason: str) -> None:
    result = refuse([], bad)
    assert (result.code, result.reason) == (code, reason)


# ---- applied ----------------------------------------------------------------------------


def test_an_applied_transaction_lists_its_writes_and_no_code() -> None:
    view = DictView()
    good = [tx(0, "commission", ids=[LOT_A]), tx(0, "ship", ids=[LOT_A], receiver="org1")]
    effects = apply(C, view, good)
    assert effects.rejected == {}
    assert [r.tx_id for r in effects.results] == [t.tx_id for t in good]
    for i, result in enumerate(effects.results):
        assert (result.status, result.code, result.reason) == ("applied", None, None)
        mine = [w for w in effects.writes if w.log_index == i]
        assert mine
        assert [(w.contract, w.key, w.value_hash) for w in result.writes] == [
            (w.contract, w.key, hashlib.sha256(canonical(w.value)).hexdigest()) for w in mine
        ]
        assert "code" not in result.to_dict()
