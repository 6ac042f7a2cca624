"""W3C PROV-JSON documents of a product's lineage.

Promises of ``prov_document(lineage)`` (``lineage`` as ``GET /v1/trace/products/{id}/lineage``
answers: ``product``, ``products`` — a list of product records or a mapping id -> record —
and ``events``, the ledger's event records):

- each product of the lineage is a ``prov:Entity`` named by its id (EPC URIs under the
  ``epc`` prefix ``urn:epc:``, GS1 Digital Link URIs under ``gs1``) with its status, owner
  and custodian, ``wasAttributedTo`` the organisation that produced it;
- each event is a ``prov:Activity`` ``provledger:event-<ledger event id>`` typed by its
  EPCIS event type (``epcis:ObjectEvent`` …) with ``prov:startTime`` = ``eventTime`` and
  its business step, disposition, action, step, transaction id, height, log index and
  the ``eventID`` of its EPCIS export; it ``wasAssociatedWith`` the organisation
  (``prov:Agent`` of type ``prov:Organization``) that recorded it;
- of the lineage's products an event touches, those it created (no previous event)
  ``wasGeneratedBy`` it and the others were ``used`` by it; each output of a
  TransformationEvent ``wasDerivedFrom`` each of its inputs, through that event;
- the result is the document's PROV-JSON (``prov`` package serializer) as a dict; the
  same lineage, whatever the order of its events or products, gives the same JSON text.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from prov.model import PROV, ProvActivity, ProvAgent, ProvDocument, ProvEntity

from nodes.exports.epcis import PROVLEDGER_NS, export_event, ledger_order

EPC_PREFIX = "urn:epc:"
DIGITAL_LINK_PREFIX = "https://id.gs1.org/"
EPCIS_NS = "https://ref.gs1.org/epcis/"
ORG_URI_PREFIX = "urn:provledger:org:"

_ACTIVITY_ATTRIBUTES = {  # attribute <- member of the EPCIS body
    "bizStep": "bizStep",
    "disposition": "disposition",
    "action": "action",
}
_RECORD_ATTRIBUTES = {  # attribute <- field of the ledger's event record
    "step": "step",
    "txId": "tx_id",
    "height": "height",
    "logIndex": "log_index",
}


class _Builder:
    """One PROV document under construction, with its namespaces."""

    def __init__(self) -> None:
        self.doc = ProvDocument()
        self.epc = self.doc.add_namespace("epc", EPC_PREFIX)
        self.gs1 = self.doc.add_namespace("gs1", DIGITAL_LINK_PREFIX)
        self.ledger = self.doc.add_namespace("provledger", PROVLEDGER_NS)
        self.epcis = self.doc.add_namespace("epcis", EPCIS_NS)
        self.agents: dict[str, ProvAgent] = {}

    def product_name(self, product_id: str) -> Any:
        if product_id.startswith(EPC_PREFIX):
            return self.epc[product_id[len(EPC_PREFIX) :]]
        if product_id.startswith(DIGITAL_LINK_PREFIX):
            return self.gs1[product_id[len(DIGITAL_LINK_PREFIX) :]]
        raise ValueError(f"{product_id!r} is neither an EPC URI nor a GS1 Digital Link URI")

    def entity(self, record: Mapping[str, Any]) -> ProvEntity:
        attributes = {PROV["type"]: self.ledger["Product"]}
        for field in ("status", "owner", "custodian"):
            if record.get(field) is not None:
                attributes[self.ledger[field]] = record[field]
        return self.doc.entity(self.product_name(record["id"]), attributes)

    def agent(self, organisation: str) -> ProvAgent:
        if organisation not in self.agents:
            self.agents[organisation] = self.doc.agent(
                self.ledger[f"org-{organisation}"],
                {
                    PROV["type"]: PROV["Organization"],
                    self.ledger["partyId"]: ORG_URI_PREFIX + organisation,
                },
            )
        return self.agents[organisation]

    def activity(self, record: Mapping[str, Any], time: datetime) -> ProvActivity:
        body = record["epcis"]
        attributes: dict[Any, Any] = {PROV["type"]: self.epcis[body["type"]]}
        for name, member in _ACTIVITY_ATTRIBUTES.items():
            if body.get(member) is not None:
                attributes[self.ledger[name]] = body[member]
        for name, field in _RECORD_ATTRIBUTES.items():
            attributes[self.ledger[name]] = record[field]
        attributes[self.ledger["epcisEventID"]] = export_event(record)["eventID"]
        return self.doc.activity(self.ledger[f"event-{record['event_id']}"], time, None, attributes)


def _products(products: Any) -> dict[str, Mapping[str, Any]]:
    records = products.values() if isinstance(products, Mapping) else products
    return {r["id"]: r for r in sorted(records, key=lambda r: r["id"])}


def _add_event(b: _Builder, record: Mapping[str, Any], entities: dict[str, ProvEntity]) -> None:
    time = datetime.fromisoformat(record["epcis"]["eventTime"])
    activity = b.activity(record, time)
    b.doc.wasAssociatedWith(activity, b.agent(record["organisation"]))
    touched = sorted(p for p in record["previous"] if p in entities)
    made = [p for p in touched if record["previous"][p] is None]
    used = [p for p in touched if record["previous"][p] is not None]
    for product_id in made:
        b.doc.wasGeneratedBy(entities[product_id], activity, time)
    for product_id in used:
        b.doc.used(activity, entities[product_id], time)
    if record["epcis"]["type"] == "TransformationEvent":
        for output in made:
            for source in used:
                b.doc.wasDerivedFrom(entities[output], entities[source], activity)


def prov_document(lineage: Mapping[str, Any]) -> dict[str, Any]:
    """The PROV-JSON document of ``lineage`` (see the module's promises)."""
    b = _Builder()
    products = _products(lineage["products"])
    entities = {product_id: b.entity(record) for product_id, record in products.items()}
    for record in ledger_order(lineage["events"]):
        _add_event(b, record, entities)
    for product_id, record in products.items():
        if record.get("producer") is not None:
            b.doc.wasAttributedTo(entities[product_id], b.agent(record["producer"]))
    text = io.StringIO()
    b.doc.serialize(text, format="json")
    return json.loads(text.getvalue())
