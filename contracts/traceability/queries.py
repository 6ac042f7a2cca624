"""Reading the ``traceability`` state: products, their verified histories, and their
derivation graph. Pure functions over a ``StateView``.

Promises:
- ``history`` returns a product's events oldest first, and only after checking that
  each stored event hashes to its id and that each names (in ``previous``) the one
  before it, back to the product's first event; otherwise ``BrokenHistory`` says which
  event of which product fails and how.
- Graph walks (``upstream``, ``downstream``, ``recall_impact``, ``lineage``) visit each
  product once, breadth-first, and raise ``GraphTooLarge`` beyond ``MAX_WALK`` products.
- An unknown product raises ``UnknownProduct`` (a ``NotFoundError``).
"""

from __future__ import annotations

from typing import Any

from contracts.base import StateView
from contracts.traceability.state import CONTRACT, event_hash, event_key, product_key
from contracts.traceability.walk import (
    MAX_WALK,
    TooFar,
    downstream_links,
    upstream_links,
    walk,
)
from ledger.errors import LedgerError, NotFoundError


class UnknownProduct(NotFoundError):
    """No product with this id was ever commissioned."""


class BrokenHistory(LedgerError):
    """A product's stored events do not form the hash chain they must."""


class GraphTooLarge(LedgerError):
    """A walk of the product graph reached more than ``MAX_WALK`` products."""


def product(view: StateView, product_id: str) -> dict[str, Any]:
    """The record of product ``product_id``."""
    record = view.get(CONTRACT, product_key(product_id))
    if record is None:
        raise UnknownProduct(f"no product {product_id} on this ledger")
    return record


def history(view: StateView, product_id: str) -> list[dict[str, Any]]:
    """The events of ``product_id``, oldest first, each checked (see the promises)."""
    record = product(view, product_id)
    expected: int = record["events"]
    events: list[dict[str, Any]] = []
    current: str | None = record["last_event"]
    while current is not None:
        where = f"event {current} of {product_id}"
        if len(events) >= expected:
            raise BrokenHistory(f"{where}: the chain is longer than the {expected} events")
        event = view.get(CONTRACT, event_key(current))
        if event is None:
            raise BrokenHistory(f"{where} is missing from the state")
        if event.get("event_id") != current or event_hash(event) != current:
            raise BrokenHistory(f"{where} does not hash to its id: the stored event was altered")
        previous = event.get("previous")
        if not isinstance(previous, dict) or product_id not in previous:
            raise BrokenHistory(f"{where} does not link to the product's previous event")
        events.append(event)
        current = previous[product_id]
    if len(events) != expected:
        raise BrokenHistory(
            f"{product_id} records {expected} events but its chain holds {len(events)}"
        )
    events.reverse()
    return events


def _walk(view: StateView, product_id: str, links: Any) -> list[dict[str, Any]]:
    product(view, product_id)
    try:
        return walk(product_id, lambda i: view.get(CONTRACT, product_key(i)), links)
    except TooFar as exc:
        raise GraphTooLarge(
            f"the graph of {product_id} reaches more than {exc.limit} products"
        ) from exc


def upstream(view: StateView, product_id: str) -> list[dict[str, Any]]:
    """Every product ``product_id`` was made from, transitively (nearest first)."""
    return _walk(view, product_id, upstream_links)


def downstream(view: StateView, product_id: str) -> list[dict[str, Any]]:
    """Every product made from ``product_id`` or packed in it, transitively (nearest
    first): what a recall of it reaches."""
    return _walk(view, product_id, downstream_links)


def recall_impact(view: StateView, product_id: str) -> list[dict[str, Any]]:
    """``product_id`` and its downstream products, each with its status, custodian,
    owner and the recall event that reached it (if any)."""
    fields = ("id", "status", "custodian", "owner", "recalled_by")
    reached = [product(view, product_id), *downstream(view, product_id)]
    return [{f: r[f] for f in fields} for r in reached]


def lineage(view: StateView, product_id: str) -> dict[str, Any]:
    """What an exporter needs about ``product_id``: the records of it, its upstream and
    its downstream products (``products``), and the verified events of all of them in
    log order (``events``)."""
    records = [product(view, product_id)]
    seen = {product_id}
    for record in [*upstream(view, product_id), *downstream(view, product_id)]:
        if record["id"] not in seen:
            seen.add(record["id"])
            records.append(record)
    if len(records) > MAX_WALK:
        raise GraphTooLarge(f"the lineage of {product_id} holds more than {MAX_WALK} products")
    events: dict[str, dict[str, Any]] = {}
    for record in records:
        for event in history(view, record["id"]):
            events.setdefault(event["event_id"], event)
    ordered = sorted(events.values(), key=lambda e: e["log_index"])
    return {"product": product_id, "products": records, "events": ordered}
