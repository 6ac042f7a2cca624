"""EPCIS 2.0 JSON-LD documents of the ledger's traceability events.

Promises of ``epcis_document(records, creation_date=...)``:

- it is an ``EPCISDocument`` (``@context``: GS1's EPCIS 2.0 context and the
  ``provledger`` prefix; ``schemaVersion`` "2.0"; ``creationDate``; ``epcisBody.eventList``)
  with one event per record, in ledger order (height, then log index);
- each event is the record's EPCIS body unchanged (party ids such as
  ``urn:provledger:org:<name>`` included) plus the ledger's provenance as ``provledger:``
  extension members (``EXTENSIONS``) plus ``eventID``, the CBV 2.0 event hash ID of the
  event as exported: anyone holding the document recomputes every ``eventID`` from the
  event it names (the hash covers the provenance members, which belong to the event);
- inside each element of ``bizTransactionList``, ``sourceList`` and ``destinationList``,
  ``type`` comes first, then the element's id (``bizTransaction``, ``source`` or
  ``destination``), as in the pre-hash string, then any other member by name. GS1's
  ``epcis-event-hash-generator`` (1.9.3) takes that order from the written member order,
  so it reproduces every ``eventID`` of the document as written (ledger records come
  back from storage with their members sorted, ``type`` last);
- a record without an EPCIS body, or a ``creation_date`` that is not an ISO 8601
  date-time with offset, raises ``ValueError``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from nodes.exports.cbv_values import canonical_timestamp
from nodes.exports.event_hash import event_hash_id

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
PROVLEDGER_NS = "https://provledger.example/ns/"
NAMESPACES = {"provledger": PROVLEDGER_NS}
# extension member of an exported event <- field of the ledger's event record
EXTENSIONS = {
    "provledger:eventId": "event_id",
    "provledger:step": "step",
    "provledger:organisation": "organisation",
    "provledger:txId": "tx_id",
    "provledger:height": "height",
    "provledger:logIndex": "log_index",
}
# list of an EPCIS event whose elements are written type first <- the elements' id member
TYPED_LISTS = {
    "bizTransactionList": "bizTransaction",
    "sourceList": "source",
    "destinationList": "destination",
}


def ledger_order(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``records`` sorted by (height, log index), the order the ledger applied them."""
    return sorted(records, key=lambda r: (r["height"], r["log_index"]))


def type_first(element: Any, id_member: str) -> Any:
    """``element`` with ``type``, then ``id_member``, then its other members by name;
    anything but an object unchanged."""
    if not isinstance(element, Mapping):
        return element
    lead = [name for name in ("type", id_member) if name in element]
    rest = sorted(name for name in element if name not in lead)
    return {name: element[name] for name in [*lead, *rest]}


def export_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """The EPCIS event of one ledger event record, with provenance and ``eventID``."""
    body = record.get("epcis")
    if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
        raise ValueError(f"event record {record.get('event_id')!r} has no EPCIS body")
    event = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("eventID", "recordTime")}
    for name, id_member in TYPED_LISTS.items():
        if isinstance(event.get(name), list):
            event[name] = [type_first(element, id_member) for element in event[name]]
    event.update({member: record[field] for member, field in EXTENSIONS.items()})
    event_id = event_hash_id(event, NAMESPACES)
    return {"type": event.pop("type"), "eventID": event_id, **event}


def epcis_document(records: list[dict[str, Any]], *, creation_date: str) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document of ``records`` (see the module's promises)."""
    canonical_timestamp(creation_date)
    return {
        "@context": [EPCIS_CONTEXT, dict(NAMESPACES)],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date,
        "epcisBody": {"eventList": [export_event(r) for r in ledger_order(records)]},
    }
