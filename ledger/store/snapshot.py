"""A consistent, raw read view of a store, for the audit.

Rows come back as stored, undecoded and unconverted (a corrupted row may hold any type),
so that the audit, not the reader, judges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text

from ledger.merkle_log import node_key
from ledger.store import schema as t
from ledger.tree_ranges import NodeId

CHAIN_TABLES = {
    "blocks": t.blocks,
    "certificates": t.certificates,
    "checkpoints": t.checkpoints,
    "transactions": t.transactions,
    "merkle_nodes": t.merkle_nodes,
}


class Snapshot:
    """Raw reads on one connection inside one read transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def meta(self) -> dict[str, Any]:
        """The ``meta`` table as a dict."""
        return dict(self.conn.execute(select(t.meta.c.key, t.meta.c.value)).all())

    def _rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        # Plain SQL: no result processing, so a corrupted value comes back as it is.
        return [dict(r) for r in self.conn.execute(text(sql), params).mappings()]

    def blocks(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` block rows with height > ``after``, by height, each with its
        certificate and checkpoint text (None where missing)."""
        return self._rows(
            "SELECT b.height, b.block_hash, b.header, b.time, b.tx_count, b.log_size, "
            "c.body AS certificate, k.note AS checkpoint FROM blocks b "
            "LEFT JOIN certificates c ON c.height = b.height "
            "LEFT JOIN checkpoints k ON k.height = b.height "
            "WHERE b.height > :after ORDER BY b.height LIMIT :limit",
            after=after,
            limit=limit,
        )

    def transactions(self, first_index: int, end_index: int) -> list[dict[str, Any]]:
        """Transaction rows with ``first_index <= log_index < end_index``, in order."""
        return self._rows(
            "SELECT log_index, tx_id, height, body, contract, action, sender "
            "FROM transactions WHERE log_index >= :first AND log_index < :end "
            "ORDER BY log_index",
            first=first_index,
            end=end_index,
        )

    def nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, Any]:
        """Stored Merkle node values by id, as stored (missing ids are absent)."""
        wanted = {node_key(n): n for n in ids}
        if not wanted:
            return {}
        rows = self.conn.execute(
            text("SELECT id, hash FROM merkle_nodes WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(wanted)},
        )
        return {wanted[key]: value for key, value in rows if key in wanted}

    def count_rows(self) -> dict[str, int]:
        """Row counts of every table that the audit accounts for."""
        return {
            name: self.conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in CHAIN_TABLES.items()
        }
