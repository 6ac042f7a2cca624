"""Hash-linked event records: the rule that makes an event's id, shared by the
traceability contract that writes events and by offline verifiers of a product's history.

An event record is a JSON object; its id is the hex SHA-256 of the RFC 8785 bytes of
the record without its ``event_id`` field. A record names, in ``previous``, the prior
event of every product it touches (null for a product it creates), so each product's
events form a hash chain from its latest event back to its first.
"""

from __future__ import annotations

from typing import Any

from ledger.canonical import canonical, sha256


def event_hash(record: dict[str, Any]) -> str:
    """The event id of ``record``: hex SHA-256 of its canonical JSON without ``event_id``."""
    body = {k: v for k, v in record.items() if k != "event_id"}
    return sha256(canonical(body)).hex()
