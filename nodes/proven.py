"""Proven views: state proofs and complete histories assembled from a node's store, in
the formats ``ledger.state_proof`` and ``ledger.history_proof`` verify offline.

Promises:
- Every document is proven against one certified block (the head when it was read, or
  the ``height`` asked for): its entries are read in one consistent view at that block.
- A product's history carries the events from its record's ``last_event`` back to its
  first; a document's history carries its first anchor, every re-deposit of it up to
  that block and its published facts. A verifier checks the rest (counts and links).
- Nothing is verified here (the store serves only checked rows); a client verifies.
"""

from __future__ import annotations

from typing import Any

from contracts.evidence import CONTRACT as EVIDENCE
from contracts.evidence import doc_key, redeposit_key
from contracts.traceability.state import CONTRACT as TRACEABILITY
from contracts.traceability.state import event_key, product_key
from ledger.history_proof import (
    build_history,
    document_keys,
    document_subject,
    product_subject,
    walk_events,
)
from ledger.state_proof import build_state_proof
from ledger.store.store import Store


def state_proof(store: Store, contract: str, key: str, height: int | None = None) -> dict[str, Any]:
    """The value of ``(contract, key)`` (or its absence) proven at block ``height``
    (default: the head)."""
    header, certificate, note, entries = store.prove_state([(contract, key)], height)
    return build_state_proof(header, certificate, note, entries)


def product_history(store: Store, product_id: str, height: int | None = None) -> dict[str, Any]:
    """Product ``product_id``'s record proven current at block ``height`` (default: the
    head), with its hash-linked events back to its first."""
    key = product_key(product_id)
    header, certificate, note, entries = store.prove_state([(TRACEABILITY, key)], height)
    record = entries[0].value
    events = []
    if isinstance(record, dict):
        events = walk_events(
            product_id, record, lambda event_id: store.state(TRACEABILITY, event_key(event_id))
        )
    return build_history(header, certificate, note, entries, product_subject(product_id), events)


def document_history(store: Store, sha256: str, height: int | None = None) -> dict[str, Any]:
    """Document ``sha256``'s first anchor (or its absence), every re-deposit and its
    published facts, proven at block ``height`` (default: the head)."""
    header, _, _, (first,) = store.prove_state([(EVIDENCE, doc_key(sha256))], height)
    record = first.value if isinstance(first.value, dict) else None
    redeposits = _redeposits(store, sha256, record, header.height)
    keys = document_keys(sha256, record, redeposits)
    header, certificate, note, entries = store.prove_state(keys, header.height)
    return build_history(header, certificate, note, entries, document_subject(sha256))


def _redeposits(store: Store, sha256: str, record: dict[str, Any] | None, height: int) -> list[str]:
    """The ids of the transactions that re-deposited ``sha256`` up to ``height``: every
    later write of its record is a re-deposit or the publication of its facts, and only
    a re-deposit writes ``redeposit/<its tx id>``."""
    if record is None:
        return []
    later = [
        index
        for at, index, _ in store.history(EVIDENCE, doc_key(sha256))
        if at <= height and index != record["log_index"]
    ]
    out = []
    for tx_id in store.tx_ids_at_indexes(later):
        found = store.state(EVIDENCE, redeposit_key(tx_id))
        if isinstance(found, dict) and found.get("sha256") == sha256:
            out.append(tx_id)
    return out
