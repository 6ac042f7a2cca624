"""The EPCIS 2.0 body of each event, in JSON-LD field names, without ``eventID`` and
``recordTime`` (the ledger's record of the event carries its id and commit place).

Promises: ``eventTime`` is the block's consensus time with offset ``+00:00``; instance
ids go in EPC lists and class-level ids (batches) in quantity lists, with the quantity
and unit the caller gave, if any; a field appears only when it applies, except that an
ObjectEvent or TransactionEvent always has ``epcList`` and an AggregationEvent always
``parentID`` and ``childEPCs`` (EPCIS 1.x required them; they may be empty). Business
steps and dispositions are CBV 2.0 short names; parties of source and destination lists
are ``urn:provledger:org:<name>``.
"""

from __future__ import annotations

from typing import Any

from contracts.traceability.ids import is_class_level

OBJECT, AGGREGATION = "ObjectEvent", "AggregationEvent"
TRANSFORMATION, TRANSACTION = "TransformationEvent", "TransactionEvent"
ADD, OBSERVE, DELETE = "ADD", "OBSERVE", "DELETE"


def split(
    ids: list[str], quantities: list[dict[str, Any]] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """``ids`` as (instance ids, quantity elements of the class-level ids)."""
    given = {q["epcClass"]: q for q in quantities or ()}
    instances = [i for i in ids if not is_class_level(i)]
    classes = [dict(given.get(i) or {"epcClass": i}) for i in ids if is_class_level(i)]
    return instances, classes


def where(args: dict[str, Any]) -> dict[str, Any]:
    """``readPoint`` and ``bizLocation`` from the call's optional location args."""
    out: dict[str, Any] = {}
    if "read_point" in args:
        out["readPoint"] = {"id": args["read_point"]}
    if "biz_location" in args:
        out["bizLocation"] = {"id": args["biz_location"]}
    return out


def biz_transactions(args: dict[str, Any]) -> dict[str, Any]:
    """``bizTransactionList`` from the call's ``biz_transactions``, if any."""
    items = args.get("biz_transactions")
    if not items:
        return {}
    return {"bizTransactionList": [{"type": b["type"], "bizTransaction": b["id"]} for b in items]}


def source(kind: str, value: str) -> dict[str, str]:
    """A ``sourceList`` entry: CBV source type ``kind`` (``owning_party``,
    ``possessing_party`` or ``location``) and its id."""
    return {"type": kind, "source": value}


def destination(kind: str, value: str) -> dict[str, str]:
    """A ``destinationList`` entry: CBV destination type ``kind`` and its id."""
    return {"type": kind, "destination": value}


def _base(event_type: str, time: str) -> dict[str, Any]:
    return {"type": event_type, "eventTime": time, "eventTimeZoneOffset": "+00:00"}


def object_event(
    time: str,
    action: str,
    ids: list[str],
    *,
    biz_step: str,
    disposition: str | None = None,
    quantities: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An ObjectEvent (or, with ``event_type`` in ``fields``, a TransactionEvent) on
    ``ids``; ``fields`` are further EPCIS fields, added when not empty."""
    event_type = fields.pop("event_type", OBJECT)
    instances, classes = split(ids, quantities)
    out = {**_base(event_type, time), "action": action, "epcList": instances}
    if classes:
        out["quantityList"] = classes
    out["bizStep"] = biz_step
    if disposition is not None:
        out["disposition"] = disposition
    out.update({k: v for k, v in fields.items() if v})
    return out


def aggregation_event(
    time: str,
    action: str,
    parent: str,
    children: list[str],
    *,
    biz_step: str,
    args: dict[str, Any],
) -> dict[str, Any]:
    """An AggregationEvent of ``children`` into (ADD) or out of (DELETE) ``parent``."""
    instances, classes = split(children)
    out = {**_base(AGGREGATION, time), "action": action, "parentID": parent}
    out["childEPCs"] = instances
    if classes:
        out["childQuantityList"] = classes
    out["bizStep"] = biz_step
    out.update(where(args))
    return out


def transformation_event(
    time: str, args: dict[str, Any], *, biz_step: str, disposition: str
) -> dict[str, Any]:
    """A TransformationEvent consuming ``args["inputs"]`` and making ``args["outputs"]``."""
    out = _base(TRANSFORMATION, time)
    for side in ("input", "output"):
        instances, classes = split(args[f"{side}s"], args.get(f"{side}_quantities"))
        if instances:
            out[f"{side}EPCList"] = instances
        if classes:
            out[f"{side}QuantityList"] = classes
    out["bizStep"] = biz_step
    out["disposition"] = disposition
    out.update(where(args))
    return out
