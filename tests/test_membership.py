"""The membership contract: organisations join, change and leave only with a quorum of
the current organisations; the roster drives admission from the next block; the audit
resolves joined members through the roster's history."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import TxContext, default_registry
from contracts.membership import Membership, current_roster, genesis_roster, proposal_key
from contracts.membership.roster import member_lookup
from contracts.registry import BlockEffects
from ledger.keys import SigningKey
from ledger.model import SignedTransaction, Transaction
from tests.conftest import Consortium, make_consortium
from tests.test_contracts import TIME, DictView

NEW = SigningKey.generate()


def call(key: SigningKey, c: Consortium, action: str, **args: Any) -> SignedTransaction:
    return Transaction.new(key, c.chain_id, "membership", action, dict(args)).sign(key)


def run(
    c: Consortium, view: DictView, txs: list[SignedTransaction], height: int = 1
) -> BlockEffects:
    """Apply one block, resolving senders against the roster before it (as nodes do)."""
    members = current_roster(view, c.genesis).members()
    items = []
    for i, tx in enumerate(txs):
        org = members[tx.tx.sender][0] if tx.tx.sender in members else None
        ctx = TxContext(
            tx.tx_id,
            i,
            height,
            TIME,
            tx.tx.sender,
            org.name if org else "",
            org.roles if org else (),
        )
        items.append((tx, ctx))
    effects = default_registry(c.genesis).apply_block(view, items)
    view.commit(effects)
    return effects


def join(c: Consortium, view: DictView, name: str = "greenfarm", roles=("producer",)) -> str:
    tx = call(
        c.members[0], c, "propose", organisation=name, roles=list(roles), keys=[NEW.public.hex()]
    )
    assert run(c, view, [tx]).rejected == {}
    return tx.tx_id


def test_genesis_roster_until_a_change() -> None:
    c = make_consortium(3)
    roster = current_roster(DictView(), c.genesis)
    assert roster.version == 0
    assert [o.name for o in roster.organisations] == ["org0", "org1", "org2"]
    assert roster.quorum() == 2


def test_join_needs_a_majority_of_organisations() -> None:
    c = make_consortium(3)
    view = DictView()
    pid = join(c, view)
    proposal = view.get("membership", proposal_key(pid))
    assert (proposal["status"], proposal["approvals"], proposal["needed"]) == ("open", ["org0"], 2)
    assert current_roster(view, c.genesis).organisation("greenfarm") is None
    effects = run(c, view, [call(c.members[2], c, "approve", proposal=pid)], height=2)
    assert effects.rejected == {}
    roster = current_roster(view, c.genesis)
    joined = roster.organisation("greenfarm")
    assert joined is not None and joined.roles == ("producer",) and joined.keys == (NEW.public,)
    assert roster.version == 1
    assert view.get("membership", proposal_key(pid))["status"] == "applied"
    # the new member can now call contracts, from the next block on
    anchor = Transaction.new(
        NEW, c.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    )
    assert run(c, view, [anchor.sign(NEW)], height=3).rejected == {}


def test_a_stranger_is_refused_before_joining() -> None:
    c = make_consortium(3)
    view = DictView()
    tx = call(NEW, c, "propose", organisation="x", roles=["retailer"], keys=[NEW.public.hex()])
    why = run(c, view, [tx]).rejected[tx.tx_id]
    assert "may not call membership.propose" in why


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"organisation": "Bad Name", "roles": ["retailer"], "keys": []}, "must be 1-63"),
        ({"organisation": "x", "roles": ["king"], "keys": ["aa"]}, "unknown role 'king'"),
        ({"organisation": "x", "roles": ["retailer"], "keys": []}, "or neither to remove"),
        ({"organisation": "x", "roles": [], "keys": [NEW.public.hex()]}, "or neither to remove"),
        ({"organisation": "x", "roles": ["retailer"], "keys": ["00" * 32]}, "refused"),
        ({"organisation": "x", "roles": ["retailer", "retailer"], "keys": ["ab"]}, "twice"),
        ({"organisation": "x", "roles": ["retailer"]}, "missing argument(s) keys"),
    ],
)
def test_bad_proposals_are_refused_at_admission(args: dict[str, Any], expected: str) -> None:
    c = make_consortium(3)
    with pytest.raises(Exception, match=expected.replace("(", r"\(").replace(")", r"\)")):
        default_registry(c.genesis).admit("membership", "propose", args, ["producer"])


def test_approvals_are_counted_once_per_organisation() -> None:
    c = make_consortium(4)  # quorum 3
    view = DictView()
    pid = join(c, view)
    again = call(c.members[0], c, "approve", proposal=pid)
    assert "already approved" in run(c, view, [again], 2).rejected[again.tx_id]
    run(c, view, [call(c.members[1], c, "approve", proposal=pid)], 3)
    assert view.get("membership", proposal_key(pid))["status"] == "open"
    run(c, view, [call(c.members[3], c, "approve", proposal=pid)], 4)
    assert view.get("membership", proposal_key(pid))["status"] == "applied"
    late = call(c.members[2], c, "approve", proposal=pid)
    assert "already applied" in run(c, view, [late], 5).rejected[late.tx_id]


def test_a_proposal_against_an_older_roster_cannot_be_approved() -> None:
    c = make_consortium(3)
    view = DictView()
    first, second = join(c, view, "alpha"), None
    tx = call(
        c.members[1],
        c,
        "propose",
        organisation="beta",
        roles=["carrier"],
        keys=[SigningKey.generate().public.hex()],
    )
    run(c, view, [tx], 2)
    second = tx.tx_id
    run(c, view, [call(c.members[2], c, "approve", proposal=first)], 3)  # alpha joins
    stale = call(c.members[2], c, "approve", proposal=second)
    assert "propose the change again" in run(c, view, [stale], 4).rejected[stale.tx_id]


def test_keys_cannot_be_shared_and_the_last_organisation_stays() -> None:
    c = make_consortium(3)
    view = DictView()
    taken = call(
        c.members[0],
        c,
        "propose",
        organisation="x",
        roles=["retailer"],
        keys=[c.members[1].public.hex()],
    )
    assert "already belongs to organisation 'org1'" in run(c, view, [taken]).rejected[taken.tx_id]
    node = call(
        c.members[0],
        c,
        "propose",
        organisation="x",
        roles=["retailer"],
        keys=[c.nodes[0].public.hex()],
    )
    assert "validator's node key" in run(c, view, [node]).rejected[node.tx_id]
    ghost = call(c.members[0], c, "propose", organisation="ghost", roles=[], keys=[])
    assert "nothing to remove" in run(c, view, [ghost]).rejected[ghost.tx_id]
    solo = make_consortium(1)
    last = call(solo.members[0], solo, "propose", organisation="org0", roles=[], keys=[])
    assert "last organisation" in run(solo, DictView(), [last]).rejected[last.tx_id]


def test_removal_and_role_change_take_effect_from_the_next_block() -> None:
    c = make_consortium(3)
    view = DictView()
    change = call(
        c.members[0],
        c,
        "propose",
        organisation="org1",
        roles=["regulator"],
        keys=[c.members[1].public.hex()],
    )
    run(c, view, [change])
    approve = call(c.members[2], c, "approve", proposal=change.tx_id)
    # org1 anchors in the same block as the approval: still a notary there
    anchor = c.tx(1, sha256="cd" * 32, size=1)
    assert run(c, view, [approve, anchor], 2).rejected == {}
    assert current_roster(view, c.genesis).organisation("org1").roles == ("regulator",)
    remove = call(c.members[0], c, "propose", organisation="org2", roles=[], keys=[])
    run(c, view, [remove], 3)
    run(c, view, [call(c.members[1], c, "approve", proposal=remove.tx_id)], 4)
    gone = c.tx(2, sha256="ef" * 32, size=1)
    assert "may not call evidence.anchor" in run(c, view, [gone], 5).rejected[gone.tx_id]


def test_member_lookup_follows_the_roster_history() -> None:
    c = make_consortium(3)
    view = DictView()
    pid = join(c, view)
    run(c, view, [call(c.members[1], c, "approve", proposal=pid)], height=7)
    history = [(7, 0, view.get("membership", "roster"))]
    lookup = member_lookup(history, c.genesis)
    assert lookup(7, NEW.key_id) is None  # the block that made the change: not yet
    assert lookup(8, NEW.key_id)[0].name == "greenfarm"  # type: ignore[index]
    assert lookup(1, c.members[0].key_id)[0].name == "org0"  # type: ignore[index]
    bare = member_lookup([], c.genesis)
    assert bare(99, NEW.key_id) is None
    assert bare(1, c.members[2].key_id) == genesis_roster(c.genesis).members()[c.members[2].key_id]


def test_membership_needs_genesis() -> None:
    c = make_consortium(2)
    assert Membership(c.genesis).actions.keys() == {"propose", "approve"}


def test_a_retired_key_never_returns() -> None:
    c = make_consortium(3)
    view = DictView()
    old = c.members[1].public.hex()
    fresh = SigningKey.generate().public.hex()
    rotate = call(c.members[0], c, "propose", organisation="org1", roles=["notary"], keys=[fresh])
    run(c, view, [rotate])
    run(c, view, [call(c.members[2], c, "approve", proposal=rotate.tx_id)], 2)
    assert current_roster(view, c.genesis).retired == (old,)
    reuse = call(c.members[0], c, "propose", organisation="newco", roles=["retailer"], keys=[old])
    assert "was retired by an earlier change" in run(c, view, [reuse], 3).rejected[reuse.tx_id]
