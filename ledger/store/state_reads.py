"""Reading proven state and results from the store: values with their state proofs
against a block's ``state_root``, and a transaction's result with its proof against the
block's ``results_root``.

Promises:
- ``proven_entry`` returns the value ``(contract, key)`` had after block ``height`` (from
  ``history``) with its proof from that block's state root, read on the caller's
  connection; the value is served only if it hashes to the proof's leaf, and a key the
  tree holds must have a value (``CorruptionError`` otherwise).
- ``block_results`` returns a block's results in log order, each decoded and checked to
  name its transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ledger.canonical import canonical
from ledger.errors import CorruptionError, LedgerError
from ledger.results import TxResult
from ledger.state_tree import StateProof, prove, state_key, value_hash
from ledger.store import schema as t
from ledger.store.state_nodes import NodeSource


@dataclass(frozen=True)
class ProvenEntry:
    """One key of contract state at a block: its value (None: absent) and the proof."""

    contract: str
    key: str
    value: Any | None
    proof: StateProof


def value_at(conn: Connection, contract: str, key: str, height: int) -> Any | None:
    """The value of ``(contract, key)`` after block ``height`` (None if never written)."""
    h = t.history.c
    text = conn.execute(
        select(h.value)
        .where(h.contract == contract, h.key == key, h.height <= height)
        .order_by(h.log_index.desc())
        .limit(1)
    ).scalar()
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CorruptionError(f"state history of {contract}/{key} is unreadable") from exc


def proven_entry(
    conn: Connection, source: NodeSource, root: bytes, height: int, contract: str, key: str
) -> ProvenEntry:
    """``(contract, key)`` after block ``height``, whose state root is ``root``."""
    path = state_key(contract, key)
    proof = prove(source.read, root, path)
    value = value_at(conn, contract, key, height)
    present = proof.leaf is not None and proof.leaf.key_hash == path
    where = f"state {contract}/{key} at height {height}"
    if present and value is None:
        raise CorruptionError(f"{where}: the state tree holds the key, the history has no value")
    if not present and value is not None:
        raise CorruptionError(f"{where}: the history has a value the state tree does not hold")
    if present and proof.leaf is not None and value_hash(value) != proof.leaf.value_hash:
        raise CorruptionError(f"{where}: the stored value does not hash to the tree's leaf")
    return ProvenEntry(contract, key, value, proof)


def block_results(conn: Connection, first_index: int, tx_ids: list[str]) -> list[TxResult]:
    """The results of the block whose transactions ``tx_ids`` start at ``first_index``."""
    r = t.results.c
    rows = conn.execute(
        select(r.log_index, r.body)
        .where(r.log_index >= first_index, r.log_index < first_index + len(tx_ids))
        .order_by(r.log_index)
    ).all()
    if len(rows) != len(tx_ids):
        raise CorruptionError(
            f"results of log indexes {first_index}..: {len(rows)} stored, {len(tx_ids)} expected"
        )
    out = []
    for row, tx_id in zip(rows, tx_ids, strict=True):
        try:
            result = TxResult.from_dict(json.loads(row.body))
        except (ValueError, LedgerError) as exc:
            raise CorruptionError(f"result at log index {row.log_index} is unreadable") from exc
        if result.tx_id != tx_id or canonical(result.to_dict()).decode() != row.body:
            raise CorruptionError(f"result at log index {row.log_index} is not its transaction's")
        out.append(result)
    return out
