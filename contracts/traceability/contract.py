"""The ``traceability`` contract: product batches as GS1 EPCIS 2.0 events with custody
rules and a derivation graph that recalls walk.

Actions and the roles that may call them (``ROLES``); the custody rules that refine
them are in ``rules``, the arguments in ``args``, the effects in ``actions``:

- ``commission`` (producer, processor): create products; an existing id is refused.
- ``pack`` / ``unpack`` (supply-chain roles): aggregate children into a parent (a new
  parent id is created as a logistic unit) or take them out; custodian only.
- ``ship`` (supply-chain roles): the custodian sends products (with their packed
  contents) to a named organisation; consumed, recalled or in-transit ones are refused.
- ``receive`` (supply-chain roles): only the organisation named by the pending shipment;
  custody moves to it.
- ``transform`` (processor, producer): the custodian of every input consumes them into
  new outputs; recalled or consumed inputs are refused.
- ``transact`` (supply-chain roles): the owner transfers ownership to a named
  organisation, with business transaction references.
- ``inspect`` (regulator and supply-chain roles): a regulator, or the custodian, records
  a conformant or non-conformant inspection.
- ``recall`` (regulator, producer, processor): a regulator, or the organisation that
  made the product, recalls it and every product derived from it or packed in it.

Each applied call writes one event and the products it touched (see ``state``).

A party an event names (the receiver of a shipment, the new owner of a sale) must be an
organisation of the roster as the contract's state view shows it when the call is
applied (``parties``): genesis's organisations, or the last membership change stored
(including one made earlier in the same block). Otherwise the call is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import StateView, TxContext, unknown_action
from contracts.membership.roster import CONTRACT as MEMBERSHIP
from contracts.membership.roster import ROSTER_KEY, current_roster
from contracts.traceability.actions import ACTIONS
from contracts.traceability.args import check_action_args
from contracts.traceability.parties import PARTY_ARGS, check_party
from contracts.traceability.state import CONTRACT, Changes, product_key
from ledger.model.genesis import Genesis

SUPPLY_CHAIN = frozenset({"producer", "processor", "carrier", "retailer"})
ROLES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "commission": frozenset({"producer", "processor"}),
        "pack": SUPPLY_CHAIN,
        "unpack": SUPPLY_CHAIN,
        "ship": SUPPLY_CHAIN,
        "receive": SUPPLY_CHAIN,
        "transform": frozenset({"processor", "producer"}),
        "transact": SUPPLY_CHAIN,
        "inspect": SUPPLY_CHAIN | {"regulator"},
        "recall": frozenset({"regulator", "producer", "processor"}),
    }
)


class Traceability:
    """The ``traceability`` contract of the chain ``genesis`` starts (see the module
    docstring); genesis gives the roster before any membership change."""

    name = CONTRACT
    actions: Mapping[str, frozenset[str]] = ROLES

    def __init__(self, genesis: Genesis) -> None:
        self._genesis = genesis

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        """Validate the args of ``action``; raise ``Rejection`` naming the fault."""
        check_action_args(CONTRACT, action, args)

    def reads(self, action: str, args: dict[str, Any]) -> list[str | tuple[str, str]]:
        """The keys ``apply`` reads first for this call (lets a node batch its reads):
        product keys of this contract, and ``(contract, key)`` of the roster for a call
        that names a party; packed contents and derived products are read as they are
        reached. Called before the args are checked: whatever is not a string id is
        skipped."""
        if action not in ACTIONS or not isinstance(args, dict):
            return []
        named: list[Any] = [args.get("id"), args.get("parent")]
        for field in ("ids", "children", "inputs", "outputs"):
            value = args.get(field)
            if isinstance(value, list):
                named.extend(value)
        keys: list[str | tuple[str, str]] = [product_key(i) for i in named if isinstance(i, str)]
        if isinstance(args.get(PARTY_ARGS.get(action, "")), str):
            keys.append((MEMBERSHIP, ROSTER_KEY))
        return keys

    def apply(
        self, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        """The event of this call and the products it touched; ``Rejection`` if a
        custody rule refuses it."""
        act = ACTIONS.get(action)
        if act is None:
            raise unknown_action(CONTRACT, action)
        party = PARTY_ARGS.get(action)
        if party is not None:
            roster = current_roster(view, self._genesis)
            check_party(roster, f"{CONTRACT}.{action}.{party}", args[party])
        changes = Changes(view)
        epcis = act(changes, args, ctx)
        event = {
            "step": action,
            "epcis": epcis,
            "organisation": ctx.organisation,
            "sender": ctx.sender,
            "tx_id": ctx.tx_id,
            "height": ctx.height,
            "log_index": ctx.log_index,
        }
        return changes.writes(event)
