"""Custody rules: who may act on a product, and in which states it may be acted on.

Promise: each rule returns nothing when the call may go on and otherwise raises
``Rejection`` with a sentence naming the product, who holds (or owns) it, and who may
act or what must happen first. ``verb`` is the action as a verb ("ship", "pack"...).
"""

from __future__ import annotations

from typing import Any

from contracts.base import Rejection
from contracts.traceability.state import CONSUMED, IN_TRANSIT, RECALLED

REGULATOR = "regulator"
_PAST = {
    "pack": "packed",
    "unpack": "unpacked",
    "ship": "shipped",
    "receive": "received",
    "transform": "transformed",
    "transact": "sold or transferred",
    "inspect": "inspected",
    "recall": "recalled",
}


def _past(verb: str) -> str:
    return _PAST.get(verb, verb + "ed")


def not_consumed(record: dict[str, Any], verb: str) -> None:
    """A consumed product (an input of a transformation) no longer exists as such."""
    if record["status"] == CONSUMED:
        made = ", ".join(record["outputs"][:3]) + (" …" if len(record["outputs"]) > 3 else "")
        raise Rejection(
            f"{record['id']} was consumed by a transformation (into {made}); "
            f"a consumed product can never be {_past(verb)} again",
            "wrong_state",
        )


def not_recalled(record: dict[str, Any], verb: str) -> None:
    """A recalled product stays where it is until it is dealt with off the ledger."""
    if record["status"] == RECALLED:
        raise Rejection(
            f"{record['id']} is recalled (recall event {record['recalled_by']}); "
            f"a recalled product can no longer be {_past(verb)}",
            "wrong_state",
        )


def not_in_transit(record: dict[str, Any], verb: str) -> None:
    """A product on its way must be received before anything else is done with it."""
    if record["status"] == IN_TRANSIT:
        raise Rejection(
            f"{record['id']} is in transit from {record['custodian']} to "
            f"{record['receiver']}; {record['receiver']} must receive it before it can be "
            f"{_past(verb)}",
            "wrong_state",
        )


def usable(record: dict[str, Any], verb: str, *, in_transit_ok: bool = False) -> None:
    """Not consumed, not recalled and (unless ``in_transit_ok``) not in transit."""
    not_consumed(record, verb)
    not_recalled(record, verb)
    if not in_transit_ok:
        not_in_transit(record, verb)


def custodian(record: dict[str, Any], organisation: str, verb: str) -> None:
    """Only the organisation holding the product may ``verb`` it."""
    if record["custodian"] != organisation:
        raise Rejection(
            f"{organisation} cannot {verb} {record['id']}: it is held by "
            f"{record['custodian']}, and only its custodian may {verb} it",
            "not_custodian",
        )


def owner(record: dict[str, Any], organisation: str) -> None:
    """Only the owner of a product may transfer its ownership."""
    if record["owner"] != organisation:
        raise Rejection(
            f"{organisation} cannot transfer ownership of {record['id']}: it is owned by "
            f"{record['owner']}, and only its owner may sell or transfer it",
            "not_owner",
        )


def receiver(record: dict[str, Any], organisation: str) -> None:
    """Only the organisation a pending shipment names may receive it."""
    if record["receiver"] is None:
        raise Rejection(
            f"{record['id']} is not being shipped (held by {record['custodian']}); "
            "only a product shipped to you can be received",
            "wrong_state",
        )
    if record["receiver"] != organisation:
        raise Rejection(
            f"{organisation} cannot receive {record['id']}: {record['custodian']} shipped "
            f"it to {record['receiver']}, and only {record['receiver']} may receive it",
            "not_receiver",
        )


def loose(record: dict[str, Any], verb: str) -> None:
    """A product packed in another moves with it: act on the outer one, or unpack."""
    if record["parent"] is not None:
        raise Rejection(
            f"{record['id']} is packed in {record['parent']}: {verb} {record['parent']} "
            f"instead, or unpack {record['id']} from it first",
            "wrong_state",
        )


def empty(record: dict[str, Any], verb: str) -> None:
    """A product holding packed products cannot be ``verb``-ed as one batch."""
    if record["children"]:
        raise Rejection(
            f"{record['id']} holds packed products ({record['children'][0]}"
            f"{', …' if len(record['children']) > 1 else ''}); unpack them before it can "
            f"be {_past(verb)}",
            "wrong_state",
        )


def recaller(record: dict[str, Any], organisation: str, roles: tuple[str, ...]) -> None:
    """Only a regulator or the product's producer may recall it."""
    if REGULATOR not in roles and record["producer"] != organisation:
        raise Rejection(
            f"{organisation} cannot recall {record['id']}: only a regulator or its producer "
            f"({record['producer']}) may recall it",
            "not_producer",
        )


def inspector(record: dict[str, Any], organisation: str, roles: tuple[str, ...]) -> None:
    """A regulator may inspect any product; anyone else only what it holds."""
    if REGULATOR not in roles and record["custodian"] != organisation:
        raise Rejection(
            f"{organisation} cannot inspect {record['id']}: it is held by "
            f"{record['custodian']}; only its custodian or a regulator may inspect it",
            "not_custodian",
        )
