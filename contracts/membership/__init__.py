"""The ``membership`` contract: organisations join, change or leave only when a quorum
of the current organisations approves.

Actions (any member role may call them):

- ``propose`` {organisation, roles, keys, reason?}: a change of one organisation. With
  roles and keys it admits a new organisation or replaces an existing one's roles and
  keys; with neither it removes the organisation. The proposer's organisation approves
  it at once.
- ``approve`` {proposal}: the sender's organisation approves proposal ``proposal`` (the
  id of the transaction that proposed it), once.

When a proposal's approvals reach the quorum of the current roster (a majority of its
organisations, ``Roster.quorum``), the change is applied: the new roster is stored with
``version`` + 1 and the proposal becomes ``applied``. A proposal made against an older
roster version can no longer be approved (propose again): approvals never mix rosters.
A change may not give an organisation a key another organisation or a validator holds,
or a key an earlier change retired, nor remove the last organisation.

State, under contract ``membership``: ``roster`` (see ``roster``) and
``proposal/<tx_id>``: the change, ``proposed_by``, ``approvals`` (organisation names in
order), ``needed``, ``base_version``, ``status`` (``open`` or ``applied``), and where and
when it was proposed and applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import Rejection, StateView, TxContext, check_action, unknown_action
from contracts.membership.args import KNOWN_ROLES, check_approve_args, check_propose_args
from contracts.membership.roster import (
    CONTRACT,
    ROSTER_KEY,
    Roster,
    current_roster,
    genesis_roster,
)
from ledger.model.genesis import Genesis, Organisation

PROPOSE = "propose"
APPROVE = "approve"

__all__ = ["CONTRACT", "Membership", "Roster", "current_roster", "genesis_roster", "proposal_key"]


def proposal_key(tx_id: str) -> str:
    """The state key of the proposal made by transaction ``tx_id``."""
    return f"proposal/{tx_id}"


class Membership:
    """The ``membership`` contract of the chain that ``genesis`` starts."""

    name = CONTRACT
    actions: Mapping[str, frozenset[str]] = MappingProxyType(
        {PROPOSE: KNOWN_ROLES, APPROVE: KNOWN_ROLES}
    )

    def __init__(self, genesis: Genesis) -> None:
        self._genesis = genesis
        self._validator_keys = {v.public_key.hex() for v in genesis.validators}

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        """Validate the args of a call; raise ``Rejection`` naming the fault."""
        check_action(
            CONTRACT, {PROPOSE: check_propose_args, APPROVE: check_approve_args}, action, args
        )

    def reads(self, action: str, args: dict[str, Any]) -> list[str]:
        """The keys ``apply`` may read for this call."""
        extra = [proposal_key(args["proposal"])] if action == APPROVE else []
        return [ROSTER_KEY, *extra]

    def apply(
        self, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        """Record a proposal or an approval; apply the change once it has a quorum."""
        roster = current_roster(view, self._genesis)
        if roster.organisation(ctx.organisation) is None:
            raise Rejection(
                f"{ctx.organisation!r} is no longer a member organisation", "not_member"
            )
        if action == PROPOSE:
            self._check_change(roster, args)
            proposal = {
                "id": ctx.tx_id,
                "organisation": args["organisation"],
                "roles": args["roles"],
                "keys": args["keys"],
                "reason": args.get("reason"),
                "proposed_by": ctx.organisation,
                "approvals": [ctx.organisation],
                "needed": roster.quorum(),
                "base_version": roster.version,
                "status": "open",
                "height": ctx.height,
                "time": ctx.time,
            }
            return self._settle(roster, proposal, ctx)
        if action == APPROVE:
            pending = view.get(CONTRACT, proposal_key(args["proposal"]))
            if pending is None:
                raise Rejection(f"no membership proposal {args['proposal'][:16]}…", "not_found")
            if pending["status"] != "open":
                raise Rejection(
                    f"proposal {pending['id'][:16]}… is already {pending['status']}", "conflict"
                )
            if pending["base_version"] != roster.version:
                raise Rejection(
                    f"proposal {pending['id'][:16]}… was made against roster version "
                    f"{pending['base_version']}, which another change replaced "
                    f"(now {roster.version}); propose the change again",
                    "conflict",
                )
            if ctx.organisation in pending["approvals"]:
                raise Rejection(
                    f"{ctx.organisation!r} already approved this proposal", "already_exists"
                )
            self._check_change(roster, pending)
            approved = {**pending, "approvals": [*pending["approvals"], ctx.organisation]}
            return self._settle(roster, approved, ctx)
        raise unknown_action(CONTRACT, action)

    def _check_change(self, roster: Roster, change: Mapping[str, Any]) -> None:
        name = change["organisation"]
        existing = roster.organisation(name)
        if not change["keys"]:
            if existing is None:
                raise Rejection(
                    f"{name!r} is not a member organisation; nothing to remove", "unknown_party"
                )
            if len(roster.organisations) == 1:
                raise Rejection(
                    f"{name!r} is the last organisation; it cannot be removed", "conflict"
                )
            return
        held = {k.hex(): o.name for o in roster.organisations if o.name != name for k in o.keys}
        for key in change["keys"]:
            if key in self._validator_keys:
                raise Rejection(
                    f"key {key[:16]}… is a validator's node key; one key, one job", "conflict"
                )
            if key in held:
                raise Rejection(
                    f"key {key[:16]}… already belongs to organisation {held[key]!r}",
                    "already_exists",
                )
            if key in roster.retired:
                raise Rejection(
                    f"key {key[:16]}… was retired by an earlier change; use a new key",
                    "conflict",
                )

    def _settle(
        self, roster: Roster, proposal: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        if len(proposal["approvals"]) < proposal["needed"]:
            return [(proposal_key(proposal["id"]), proposal)]
        applied = {**proposal, "status": "applied", "applied_height": ctx.height}
        changed = _changed(roster, proposal)
        return [(proposal_key(proposal["id"]), applied), (ROSTER_KEY, changed.to_dict())]


def _changed(roster: Roster, change: Mapping[str, Any]) -> Roster:
    """``roster`` with ``change`` applied, one version later."""
    others = [o for o in roster.organisations if o.name != change["organisation"]]
    before = roster.organisation(change["organisation"])
    dropped = [k.hex() for k in (before.keys if before else ()) if k.hex() not in change["keys"]]
    if change["keys"]:
        keys = tuple(bytes.fromhex(k) for k in change["keys"])
        others.append(Organisation(change["organisation"], tuple(change["roles"]), keys))
    retired = tuple(sorted({*roster.retired, *dropped}))
    return Roster(roster.version + 1, tuple(sorted(others, key=lambda o: o.name)), retired)
