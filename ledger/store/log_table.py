"""The Merkle log's perfect-subtree hashes in the ``merkle_nodes`` table.

``StoredLog`` binds the pure logic of ``ledger.merkle_log`` to a database connection:
one batched read of O(log n) rows per root or proof, one batched insert per append.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection

from ledger.merkle_log import (
    INDEX_BITS,
    Frontier,
    NodeReader,
    consistency_proof_at,
    inclusion_proof_at,
    node_key,
    root_at,
)
from ledger.store.schema import merkle_nodes
from ledger.tree_ranges import NodeId


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def node_reader(conn: Connection) -> NodeReader:
    """A reader that fetches the named nodes in one query.

    Proofs are served on this path, so it hands plain SQL to the driver: building an
    SQLAlchemy ``IN`` expression per proof costs more than the query itself.
    """
    mark = _mark(conn)

    def read(nodes: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        if not nodes:
            return {}
        wanted = {node_key(n): n for n in nodes}
        marks = ", ".join([mark] * len(wanted))
        rows = conn.exec_driver_sql(
            f"SELECT id, hash FROM {merkle_nodes.name} WHERE id IN ({marks})", tuple(wanted)
        )
        return {wanted[key]: bytes(h) for key, h in rows}

    return read


def write_nodes(conn: Connection, nodes: Iterable[tuple[NodeId, bytes]]) -> None:
    """Insert completed nodes (inside the caller's transaction).

    This is the hot path of appending, so it hands plain tuples to the driver's
    ``executemany`` in the driver's own parameter style, skipping per-row processing.
    """
    rows = [(n.level << INDEX_BITS | n.position, h) for n, h in nodes]  # node_key, inlined
    if rows:
        mark = _mark(conn)
        conn.exec_driver_sql(
            f"INSERT INTO {merkle_nodes.name} (id, hash) VALUES ({mark}, {mark})", rows
        )


class StoredLog:
    """Roots and proofs of the stored log at any size up to the current one."""

    def __init__(self, conn: Connection) -> None:
        self._read = node_reader(conn)
        self._conn = conn

    def frontier(self, size: int) -> Frontier:
        """The right border at ``size``, for appending."""
        return Frontier.load(size, self._read)

    def append(self, frontier: Frontier, leaf_hashes: Iterable[bytes]) -> bytes:
        """Append leaves after ``frontier`` (updated in place); return the new root."""
        write_nodes(self._conn, frontier.append(leaf_hashes))
        return frontier.root()

    def root(self, size: int) -> bytes:
        """Root of the first ``size`` leaves."""
        return root_at(size, self._read)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` at ``size``."""
        return inclusion_proof_at(index, size, self._read)

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``size``."""
        return consistency_proof_at(old_size, size, self._read)

    def nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """The stored hashes of ``ids`` that exist."""
        return self._read(ids)
