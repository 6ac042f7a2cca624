"""The contract state tables: ``state`` (the last value of each key) and ``history``
(every write), as functions on a connection the ``Store`` holds.

Promises:
- ``write_state`` records every write of a block in ``history`` and keeps the last one
  per key in ``state``, in a few batched statements (not three per write); it refuses
  (``StoreError``) a write whose log index lies outside the block.
- The readers return values decoded from their canonical JSON; ``read_prefix`` pages in
  code-point order of the key on every backend (so a page ends where the next begins).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.errors import StoreError
from ledger.model.block import BlockHeader
from ledger.state_write import StateWrite
from ledger.store import schema as t
from ledger.store.bulk import insert_rows

_LAST_CHAR = "\U0010ffff"  # sorts after every other character (the range bound of a prefix)
_BATCH = 500
_COLUMNS = ("contract", "key", "value", "height", "log_index")


def write_state(conn: Connection, header: BlockHeader, writes: Sequence[StateWrite]) -> None:
    """Record ``writes`` of the block of ``header`` (inside the caller's transaction)."""
    if not writes:
        return
    rows: list[tuple[str, str, str, int, int]] = []
    last: dict[tuple[str, str], tuple[str, str, str, int, int]] = {}
    for w in writes:
        if not header.first_index <= w.log_index < header.log_size:
            raise StoreError(
                f"state write at log index {w.log_index} is outside block {header.height}"
            )
        row = (w.contract, w.key, w.text(), header.height, w.log_index)
        rows.append(row)
        last[(w.contract, w.key)] = row
    by_contract: dict[str, list[str]] = {}
    for contract, key in last:
        by_contract.setdefault(contract, []).append(key)
    for contract, keys in by_contract.items():
        for start in range(0, len(keys), _BATCH):
            conn.execute(
                t.state.delete().where(
                    t.state.c.contract == contract,
                    t.state.c.key.in_(keys[start : start + _BATCH]),
                )
            )
    insert_rows(conn, t.state, _COLUMNS, list(last.values()))
    insert_rows(conn, t.history, _COLUMNS, rows)


def read_value(conn: Connection, contract: str, key: str) -> Any | None:
    """The current value under ``(contract, key)``, or None."""
    value = conn.execute(
        select(t.state.c.value).where(t.state.c.contract == contract, t.state.c.key == key)
    ).scalar()
    return None if value is None else json.loads(value)


def read_many(conn: Connection, contract: str, keys: Sequence[str]) -> dict[str, Any]:
    """The current values of those of ``keys`` under ``contract`` that have one (one
    query per 500 keys)."""
    found: dict[str, Any] = {}
    for start in range(0, len(keys), _BATCH):
        rows = conn.execute(
            select(t.state.c.key, t.state.c.value).where(
                t.state.c.contract == contract,
                t.state.c.key.in_(list(keys[start : start + _BATCH])),
            )
        )
        found.update((r.key, json.loads(r.value)) for r in rows)
    return found


def read_prefix(
    conn: Connection, contract: str, prefix: str, limit: int, after: str | None
) -> list[tuple[str, Any]]:
    """At most ``limit`` ``(key, value)`` pairs of ``contract`` whose key starts with
    ``prefix`` and sorts after ``after`` (if given)."""
    key = t.state.c.key
    ordered = key.collate("C") if conn.dialect.name == "postgresql" else key
    query = select(key, t.state.c.value).where(
        t.state.c.contract == contract,
        ordered >= prefix,
        ordered < prefix + _LAST_CHAR,
        func.substr(key, 1, len(prefix)) == prefix,
    )
    if after is not None:
        query = query.where(ordered > after)
    rows = conn.execute(query.order_by(ordered).limit(max(0, limit)))
    return [(r.key, json.loads(r.value)) for r in rows]


def read_history(conn: Connection, contract: str, key: str) -> list[tuple[int, int, Any]]:
    """Every write to ``(contract, key)`` as ``(height, log_index, value)``, oldest first."""
    rows = conn.execute(
        select(t.history.c.height, t.history.c.log_index, t.history.c.value)
        .where(t.history.c.contract == contract, t.history.c.key == key)
        .order_by(t.history.c.log_index)
    )
    return [(r.height, r.log_index, json.loads(r.value)) for r in rows]
