"""Traceability answers: a product with its verified history, or one view of its graph.
Product records and events are the traceability contract's (``contracts.traceability``);
each event carries the ``tx_id`` whose receipt proves it."""

from __future__ import annotations

from pydantic import Field

from nodes.server.models.base import Answer, Record
from nodes.server.models.fields import Count, TxId
from nodes.server.models.state import StateProof


class ProductRecord(Record):
    """A product as the contract stores it: its id, status, custodian and owner."""

    id: str
    status: str


class Event(Record):
    """A verified EPCIS event of a product's history."""

    event_id: str
    step: str
    tx_id: TxId
    log_index: Count


class ProductHistory(Answer):
    """The product record and its events, oldest first (hash-checked and linked)."""

    product: ProductRecord
    history: list[Event]
    proof: StateProof | None = Field(
        None, description="The record proven current and its events (with `?proof=true`)"
    )


class Upstream(Answer):
    """Every product it was made from, transitively (nearest first)."""

    product: str
    upstream: list[ProductRecord]


class Downstream(Answer):
    """Every product made from it or packed in it, transitively (nearest first)."""

    product: str
    downstream: list[ProductRecord]


class Reached(Answer):
    """A product a recall of the asked one reaches, with its status."""

    id: str
    status: str
    custodian: str | None
    owner: str | None
    recalled_by: str | None


class RecallImpact(Answer):
    """The product and its downstream with their statuses; how many are recalled."""

    product: str
    impact: list[Reached]
    recalled: Count
    total: Count


class Lineage(Answer):
    """What an exporter needs: the records of the product, its upstream and downstream,
    and all their events in log order."""

    product: str
    products: list[ProductRecord]
    events: list[Event] = Field(description="in log order")


TraceAnswer = ProductHistory | Upstream | Downstream | RecallImpact | Lineage
"""The answer of ``/v1/trace/products/{id}[/view]``, by view."""
