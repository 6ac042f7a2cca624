"""What each ``traceability`` action does to products, and the EPCIS event it records.

Promise: each ``ACTIONS[name](changes, args, ctx)`` checks the custody rules against
the products it reads through ``changes`` (raising ``Rejection`` before changing
anything the call would write), updates the product records it touches, and returns the
EPCIS body of its event. Args have passed ``check_action_args``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.base import Rejection, TxContext
from contracts.traceability import rules
from contracts.traceability.events import (
    ADD,
    DELETE,
    OBSERVE,
    TRANSACTION,
    aggregation_event,
    biz_transactions,
    destination,
    object_event,
    source,
    transformation_event,
    where,
)
from contracts.traceability.ids import is_logistic_unit, org_uri
from contracts.traceability.state import (
    ACTIVE,
    CONSUMED,
    IN_TRANSIT,
    RECALLED,
    THIS_EVENT,
    Changes,
    new_product,
)
from contracts.traceability.walk import MAX_WALK, TooFar, descendants, downstream_links, walk

Action = Callable[[Changes, dict[str, Any], TxContext], dict[str, Any]]

# CBV 2.0 business steps and dispositions of each action.
COMMISSIONING, PACKING, UNPACKING = "commissioning", "packing", "unpacking"
SHIPPING, RECEIVING, INSPECTING = "shipping", "receiving", "inspecting"
# A transformation makes new quantities of batches (class-level ids) from inputs.
TRANSFORMING = "creating_class_instance"
# A change of ownership: CBV "accepting" is the step where objects change possession
# and/or ownership.
TRANSACTING = "accepting"
# A recall takes products out of the supply chain pending their return or destruction:
# CBV "holding" (segregating objects for further review), disposition "recalled".
RECALLING = "holding"


def _new(ch: Changes, product_id: str) -> None:
    """Refuse an id that already exists."""
    found = ch.find(product_id)
    if found is not None:
        raise Rejection(
            f"{product_id} already exists (commissioned by {found['producer']}, now held by "
            f"{found['custodian']}); a product id is commissioned only once",
            "already_exists",
        )


def _with_contents(ch: Changes, ids: list[str], verb: str) -> list[dict[str, Any]]:
    """The records of ``ids`` and of everything packed inside them, loose ids only."""
    out: list[dict[str, Any]] = []
    for product_id in ids:
        record = ch.get(product_id)
        rules.loose(record, verb)
        out.append(record)
    for product_id in ids:
        try:
            out.extend(descendants(product_id, ch.find, MAX_WALK - len(out)))
        except TooFar:
            raise Rejection(
                f"{verb} of these products would touch more than {MAX_WALK} products with "
                "their packed contents; name fewer products per transaction",
                "too_large",
            ) from None
    return out


def commission(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Create the products ``ids``, made, owned and held by the sender's organisation."""
    for product_id in args["ids"]:
        _new(ch, product_id)
    for product_id in args["ids"]:
        ch.create(new_product(product_id, ctx.organisation))
    return object_event(
        ctx.time,
        ADD,
        args["ids"],
        biz_step=COMMISSIONING,
        disposition=ACTIVE,
        quantities=args.get("quantities"),
        **where(args),
    )


def pack(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Pack ``children`` into ``parent`` (a logistic unit, created if new)."""
    org, parent_id = ctx.organisation, args["parent"]
    parent = ch.find(parent_id)
    if parent is None:
        if not is_logistic_unit(parent_id):
            raise Rejection(
                f"{parent_id} does not exist; packing creates only a new logistic unit "
                "(an SSCC: 'urn:epc:id:sscc:...' or 'https://id.gs1.org/00/...'); "
                "commission other products first",
                "not_found",
            )
        parent = ch.create(new_product(parent_id, org))
    else:
        rules.custodian(parent, org, "pack")
        rules.usable(parent, "pack")
        parent = ch.touch(parent_id)
    outer = _outer(ch, parent)
    for child_id in args["children"]:
        child = ch.get(child_id)
        rules.custodian(child, org, "pack")
        rules.usable(child, "pack")
        if child["parent"] is not None:
            raise Rejection(
                f"{child_id} is already packed in {child['parent']}; unpack it from there first",
                "wrong_state",
            )
        if child_id in outer:
            raise Rejection(
                f"{child_id} holds {parent_id}; it cannot be packed inside it", "conflict"
            )
    for child_id in args["children"]:
        ch.touch(child_id)["parent"] = parent_id
        parent["children"].append(child_id)
    return aggregation_event(
        ctx.time, ADD, parent_id, args["children"], biz_step=PACKING, args=args
    )


def _outer(ch: Changes, record: dict[str, Any]) -> list[str]:
    """The products ``record`` is packed in, innermost first."""
    out: list[str] = []
    while record["parent"] is not None and len(out) < MAX_WALK:
        out.append(record["parent"])
        record = ch.get(record["parent"])
    return out


def unpack(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Take ``children`` (default: all) out of ``parent``."""
    parent_id = args["parent"]
    parent = ch.get(parent_id)
    rules.custodian(parent, ctx.organisation, "unpack")
    rules.not_in_transit(parent, "unpack")
    if not parent["children"]:
        raise Rejection(
            f"{parent_id} holds no packed products; there is nothing to unpack", "wrong_state"
        )
    children = args.get("children") or list(parent["children"])
    for child_id in children:
        if child_id not in parent["children"]:
            raise Rejection(
                f"{child_id} is not packed in {parent_id}; it cannot be unpacked", "conflict"
            )
    ch.touch(parent_id)
    for child_id in children:
        ch.touch(child_id)["parent"] = None
    parent["children"] = [c for c in parent["children"] if c not in children]
    return aggregation_event(ctx.time, DELETE, parent_id, children, biz_step=UNPACKING, args=args)


def ship(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Send ``ids`` (with their packed contents) to the ``receiver`` organisation."""
    org, to = ctx.organisation, args["receiver"]
    if to == org:
        raise Rejection(
            f"{org} cannot ship to itself; name the organisation that will receive", "conflict"
        )
    records = _with_contents(ch, args["ids"], "ship")
    for record in records:
        rules.custodian(record, org, "ship")
        rules.usable(record, "ship")
    for record in records:
        ch.touch(record["id"])
        record["status"], record["receiver"] = IN_TRANSIT, to
    sources = [source("possessing_party", org_uri(org))]
    destinations = [destination("possessing_party", org_uri(to))]
    if "source_location" in args:
        sources.append(source("location", args["source_location"]))
    if "destination_location" in args:
        destinations.append(destination("location", args["destination_location"]))
    return object_event(
        ctx.time,
        OBSERVE,
        [r["id"] for r in records],
        biz_step=SHIPPING,
        disposition=IN_TRANSIT,
        **where(args),
        **biz_transactions(args),
        sourceList=sources,
        destinationList=destinations,
    )


def receive(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Take custody of ``ids`` (with their contents) shipped to the sender's organisation.
    A product recalled on the way stays recalled."""
    records = _with_contents(ch, args["ids"], "receive")
    for record in records:
        rules.receiver(record, ctx.organisation)
    for record in records:
        ch.touch(record["id"])
        record["custodian"], record["receiver"] = ctx.organisation, None
        if record["status"] == IN_TRANSIT:
            record["status"] = ACTIVE
    return object_event(
        ctx.time,
        OBSERVE,
        [r["id"] for r in records],
        biz_step=RECEIVING,
        disposition="in_progress",
        **where(args),
    )


def transform(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Consume ``inputs`` to make ``outputs``; each side records the other."""
    org, inputs, outputs = ctx.organisation, args["inputs"], args["outputs"]
    owners: list[str] = []
    for input_id in inputs:
        record = ch.get(input_id)
        rules.custodian(record, org, "transform")
        rules.usable(record, "transform")
        rules.loose(record, "transform")
        rules.empty(record, "transform")
        if record["owner"] not in owners:
            owners.append(record["owner"])
    for output_id in outputs:
        _new(ch, output_id)
    owner = owners[0] if len(owners) == 1 else org
    for input_id in inputs:
        record = ch.touch(input_id)
        record["status"] = CONSUMED
        record["outputs"].extend(outputs)
    for output_id in outputs:
        ch.create(new_product(output_id, org, owner=owner, inputs=list(inputs)))
    return transformation_event(ctx.time, args, biz_step=TRANSFORMING, disposition=ACTIVE)


def transact(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Transfer ownership of ``ids`` (with their contents) to ``new_owner``."""
    org, to = ctx.organisation, args["new_owner"]
    records = _with_contents(ch, args["ids"], "transact")
    for record in records:
        rules.owner(record, org)
        rules.usable(record, "transact", in_transit_ok=True)
    if to == org:
        raise Rejection(
            f"{org} already owns {args['ids'][0]}; name another organisation", "conflict"
        )
    for record in records:
        ch.touch(record["id"])["owner"] = to
    return object_event(
        ctx.time,
        ADD,
        [r["id"] for r in records],
        biz_step=TRANSACTING,
        event_type=TRANSACTION,
        **biz_transactions(args),
        sourceList=[source("owning_party", org_uri(org))],
        destinationList=[destination("owning_party", org_uri(to))],
    )


def inspect(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Record an inspection of ``ids`` with ``result`` (conformant or not)."""
    for product_id in args["ids"]:
        record = ch.get(product_id)
        rules.inspector(record, ctx.organisation, ctx.roles)
        rules.not_consumed(record, "inspect")
    for product_id in args["ids"]:
        ch.touch(product_id)
    return object_event(
        ctx.time,
        OBSERVE,
        args["ids"],
        biz_step=INSPECTING,
        disposition=args["result"],
        **where(args),
    )


def recall(ch: Changes, args: dict[str, Any], ctx: TxContext) -> dict[str, Any]:
    """Recall product ``id`` and every product derived from or packed in it."""
    root = ch.get(args["id"])
    rules.recaller(root, ctx.organisation, ctx.roles)
    if root["status"] == RECALLED:
        raise Rejection(
            f"{root['id']} is already recalled (recall event {root['recalled_by']})",
            "wrong_state",
        )
    try:
        reached = walk(
            root["id"],
            ch.find,
            downstream_links,
            limit=MAX_WALK,
            enter=lambda r: r["status"] != RECALLED,  # already recalled with all it reaches
        )
    except TooFar as exc:
        raise Rejection(
            f"recall of {root['id']} would reach more than {exc.limit} derived products, the "
            "limit of one transaction; recall its furthest downstream batches first, then "
            "this one",
            "too_large",
        ) from exc
    for record in [root, *reached]:
        ch.touch(record["id"])
        record["status"], record["recalled_by"] = RECALLED, THIS_EVENT
    return object_event(
        ctx.time,
        OBSERVE,
        [root["id"], *(r["id"] for r in reached)],
        biz_step=RECALLING,
        disposition=RECALLED,
        **where(args),
    )


ACTIONS: dict[str, Action] = {
    "commission": commission,
    "pack": pack,
    "unpack": unpack,
    "ship": ship,
    "receive": receive,
    "transform": transform,
    "transact": transact,
    "inspect": inspect,
    "recall": recall,
}
