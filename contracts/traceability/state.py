"""State of the ``traceability`` contract: keys, records, and one call's changes.

Under contract ``traceability``:

- ``product/<id>``: ``{"id", "producer", "owner", "custodian", "status", "receiver",
  "parent", "children", "inputs", "outputs", "recalled_by", "last_event", "events"}``;
  ``status`` is one of ``STATUSES``; ``last_event`` is the id of the latest event that
  touched the product and ``events`` how many did.
- ``event/<event_id>``: ``{"event_id", "step", "epcis", "organisation", "sender",
  "tx_id", "height", "log_index", "previous"}``; ``event_id`` is the hex SHA-256 of the
  canonical JSON of the record without ``event_id``; ``previous`` maps every product the
  event touches to that product's prior ``last_event`` (null for a product it creates),
  so each product's events form a hash chain anyone can recompute.

Promise of ``Changes``: a call reads each product once, and its writes come out in a
deterministic order (the event first, then products in the order first touched).
"""

from __future__ import annotations

import copy
from typing import Any

from contracts.base import Rejection, StateView
from ledger.event_chain import event_hash as event_hash

CONTRACT = "traceability"
ACTIVE, IN_TRANSIT, CONSUMED, RECALLED = "active", "in_transit", "consumed", "recalled"
STATUSES = (ACTIVE, IN_TRANSIT, CONSUMED, RECALLED)
THIS_EVENT = "\x00this-event"  # a field set to this holds the sealed event's id when written


def product_key(product_id: str) -> str:
    """The state key of product ``product_id``."""
    return f"product/{product_id}"


def event_key(event_id: str) -> str:
    """The state key of event ``event_id``."""
    return f"event/{event_id}"


def new_product(product_id: str, organisation: str, **fields: Any) -> dict[str, Any]:
    """The record of a product made now by ``organisation`` (producer, owner and
    custodian), active, with no links yet; ``fields`` override."""
    record: dict[str, Any] = {
        "id": product_id,
        "producer": organisation,
        "owner": organisation,
        "custodian": organisation,
        "status": ACTIVE,
        "receiver": None,
        "parent": None,
        "children": [],
        "inputs": [],
        "outputs": [],
        "recalled_by": None,
        "last_event": None,
        "events": 0,
    }
    record.update(fields)
    return record


class Changes:
    """The products one call reads, creates and changes, and its event's writes."""

    def __init__(self, view: StateView) -> None:
        self._view = view
        self._read: dict[str, dict[str, Any] | None] = {}
        self._touched: dict[str, str | None] = {}  # id -> its last_event before this call

    def find(self, product_id: str) -> dict[str, Any] | None:
        """Product ``product_id`` as this call sees it (the same object on every call),
        or None if it does not exist."""
        if product_id not in self._read:
            stored = self._view.get(CONTRACT, product_key(product_id))
            # A private copy: a view may hand out the object it caches.
            self._read[product_id] = copy.deepcopy(stored)
        return self._read[product_id]

    def get(self, product_id: str) -> dict[str, Any]:
        """Product ``product_id``; ``Rejection`` if it was never commissioned."""
        record = self.find(product_id)
        if record is None:
            raise Rejection(
                f"unknown product {product_id}: it was never commissioned on this ledger",
                "not_found",
            )
        return record

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        """Add a new product record (its id must not exist) and mark it touched."""
        product_id = record["id"]
        if self.find(product_id) is not None:
            raise ValueError(f"product {product_id} exists")  # the rules check this first
        self._read[product_id] = record
        self._touched[product_id] = None
        return record

    def touch(self, product_id: str) -> dict[str, Any]:
        """Product ``product_id``, marked as touched by this call's event."""
        record = self.get(product_id)
        self._touched.setdefault(product_id, record["last_event"])
        return record

    @property
    def touched(self) -> list[str]:
        """The touched products, in the order first touched."""
        return list(self._touched)

    def writes(self, event: dict[str, Any]) -> list[tuple[str, Any]]:
        """Seal ``event`` (set ``previous`` and ``event_id``), link every touched product
        to it, and return the writes: the event, then the products. A product field
        holding ``THIS_EVENT`` is set to the event's id."""
        event["previous"] = dict(self._touched)
        event_id = event_hash(event)
        event["event_id"] = event_id
        out: list[tuple[str, Any]] = [(event_key(event_id), event)]
        for product_id in self._touched:
            record = self._read[product_id]
            assert record is not None
            record["last_event"] = event_id
            record["events"] += 1
            for field, value in record.items():
                if value == THIS_EVENT:
                    record[field] = event_id
            out.append((product_key(product_id), record))
        return out
