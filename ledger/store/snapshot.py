"""A consistent, raw read view of a store, for the audit and the start-up check.

Rows come back as stored, undecoded and unconverted (a corrupted row may hold any type),
so that the audit, not the reader, judges them. A read that fails because the database
file is damaged raises ``DamagedDatabaseError`` naming the table that cannot be read
(of the tables a read joins, the one a scan of its own cannot read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, func, select, text

from ledger.errors import DamagedDatabaseError
from ledger.merkle_log import node_key
from ledger.store import schema as t
from ledger.store.engine import damaged_error
from ledger.tree_ranges import NodeId

CHAIN_TABLES = {
    "blocks": t.blocks,
    "certificates": t.certificates,
    "checkpoints": t.checkpoints,
    "transactions": t.transactions,
    "merkle_nodes": t.merkle_nodes,
}
_T = TypeVar("_T")


class Snapshot:
    """Raw reads on one connection inside one read transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def meta(self) -> dict[str, Any]:
        """The ``meta`` table as a dict."""
        return self._reading(
            ("meta",), lambda: dict(self.conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
        )

    def last_height(self) -> int | None:
        """The greatest block height stored, or None without blocks."""
        height = self._reading(
            ("blocks",), lambda: self.conn.execute(select(func.max(t.blocks.c.height))).scalar()
        )
        return None if height is None else int(height)

    def _rows(self, tables: tuple[str, ...], sql: str, **params: Any) -> list[dict[str, Any]]:
        # Plain SQL: no result processing, so a corrupted value comes back as it is.
        return self._reading(
            tables, lambda: [dict(r) for r in self.conn.execute(text(sql), params).mappings()]
        )

    def blocks(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` block rows with height > ``after``, by height, each with its
        certificate and checkpoint text (None where missing)."""
        return self._rows(
            ("blocks", "certificates", "checkpoints"),
            "SELECT b.height, b.block_hash, b.header, b.time, b.tx_count, b.log_size, "
            "b.state_root, "
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
            ("transactions",),
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
        query = text("SELECT id, hash FROM merkle_nodes WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        rows = self._reading(
            ("merkle_nodes",), lambda: self.conn.execute(query, {"ids": list(wanted)}).all()
        )
        return {wanted[key]: value for key, value in rows if key in wanted}

    def results(self, first_index: int, end_index: int) -> list[dict[str, Any]]:
        """Result rows with ``first_index <= log_index < end_index``, in order."""
        return self._rows(
            ("results",),
            "SELECT log_index, body FROM results "
            "WHERE log_index >= :first AND log_index < :end ORDER BY log_index",
            first=first_index,
            end=end_index,
        )

    def results_outside(self, size: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` result rows whose log index is not in ``0 .. size - 1``."""
        return self._rows(
            ("results",),
            "SELECT log_index, body FROM results WHERE log_index < 0 OR log_index >= :size "
            "ORDER BY log_index LIMIT :limit",
            size=size,
            limit=limit,
        )

    def state_rows(self, after: tuple[Any, Any] | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` ``state`` rows ordered by ``(contract, key)``, after ``after``
        (a page's last ``(contract, key)``; None: from the first)."""
        where = "" if after is None else 'WHERE (contract, "key") > (:c, :k) '
        c, k = after or (None, None)
        return self._rows(
            ("state",),
            'SELECT contract, "key", value, height, log_index FROM state '
            + where
            + 'ORDER BY contract, "key" LIMIT :limit',
            c=c,
            k=k,
            limit=limit,
        )

    def history_rows(self, after: tuple[Any, Any, Any] | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` ``history`` rows ordered by ``(contract, key, log_index)``,
        after ``after`` (a page's last such triple; None: from the first)."""
        where = "" if after is None else 'WHERE (contract, "key", log_index) > (:c, :k, :i) '
        c, k, i = after or (None, None, None)
        return self._rows(
            ("history",),
            'SELECT contract, "key", log_index, height, value FROM history '
            + where
            + 'ORDER BY contract, "key", log_index LIMIT :limit',
            c=c,
            k=k,
            i=i,
            limit=limit,
        )

    def state_nodes(self, ids: Sequence[int]) -> dict[int, Any]:
        """The stored bodies of those of ``ids`` in ``state_nodes``, as stored."""
        if not ids:
            return {}
        query = text("SELECT id, body FROM state_nodes WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        out: dict[int, Any] = {}
        for start in range(0, len(ids), 500):
            page = list(ids[start : start + 500])
            rows = self._reading(("state_nodes",), partial(self._all, query, {"ids": page}))
            out.update((int(i), body) for i, body in rows if isinstance(i, int))
        return out

    def state_root_id(self, height: int) -> Any:
        """The stored ``state_root_id`` of block ``height``, as stored (None if no row)."""
        query = text("SELECT state_root_id FROM blocks WHERE height = :height")
        rows = self._reading(("blocks",), partial(self._all, query, {"height": height}))
        return rows[0][0] if rows else None

    def _all(self, query: Any, params: dict[str, Any]) -> list[Any]:
        return list(self.conn.execute(query, params).all())

    def count(self, table: str) -> int:
        """The number of rows in ``table`` (one of the store's tables)."""
        return self._reading((table,), partial(self._count, t.metadata.tables[table]))

    def count_rows(self) -> dict[str, int]:
        """Row counts of every table that the audit accounts for."""
        return {
            name: self._reading((name,), partial(self._count, table))
            for name, table in CHAIN_TABLES.items()
        }

    def _count(self, table: Table) -> int:
        return self.conn.execute(select(func.count()).select_from(table)).scalar_one()

    def _reading(self, tables: tuple[str, ...], read: Callable[[], _T]) -> _T:
        """``read()``; if the file is damaged, ``DamagedDatabaseError`` naming which of
        ``tables`` cannot be read."""
        try:
            return read()
        except DamagedDatabaseError as exc:
            damaged = [name for name in tables if not self._scans(name)] if len(tables) > 1 else []
            named = ", ".join(damaged or tables)
            raise damaged_error(exc.__cause__ or exc, named) from exc

    def _scans(self, table: str) -> bool:
        """Whether every row of ``table`` can be read (only on the path of an error)."""
        try:
            for _ in self.conn.exec_driver_sql(f"SELECT * FROM {table}"):
                pass
        except DamagedDatabaseError:
            return False
        return True
