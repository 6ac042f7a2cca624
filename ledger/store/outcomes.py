"""What a store remembers of the blocks it was shown executed: each block's state tree
update and results root, found again by the identity of the writes and results, and the
cache of state tree nodes its reads share.

Promise: ``state_after`` and ``results_root`` return what ``updated_root`` and
``ledger.results.results_root`` return for the same arguments; a block's effects are
computed once on a node, then judged and stored, so the second and third asks are free.
The last few are kept, and the objects asked about are kept alive with them (so an
identity never stands for another object).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from ledger.errors import NotFoundError
from ledger.results import TxResult, results_root
from ledger.state_write import StateWrite
from ledger.store import schema as t
from ledger.store.state_nodes import NodeCache, NodeSource, TreeUpdate, updated_root

KEEP = 4


class Outcomes:
    """The state-tree cache and the last few tree updates and results roots."""

    def __init__(self) -> None:
        self.nodes = NodeCache()
        self._updates: list[tuple[bytes, Sequence[StateWrite], TreeUpdate]] = []
        self._roots: list[tuple[Sequence[TxResult], str]] = []

    def state_after(
        self, conn: Connection, parent: bytes, height: int, writes: Sequence[StateWrite]
    ) -> TreeUpdate:
        """The state tree after ``writes`` on top of ``parent``, the root of block
        ``height`` (0: before the first block)."""
        for known_parent, known_writes, found in self._updates:
            if known_parent == parent and known_writes is writes:
                return found
        found = updated_root(NodeSource(conn, self.nodes), parent, root_id(conn, height), writes)
        self._updates = [(parent, writes, found), *self._updates[: KEEP - 1]]
        return found

    def results_root(self, results: Sequence[TxResult]) -> str:
        """The hex root over ``results``."""
        for known, found in self._roots:
            if known is results:
                return found
        found = results_root(results)
        self._roots = [(results, found), *self._roots[: KEEP - 1]]
        return found


def root_id(conn: Connection, height: int) -> int:
    """The id of the state tree root of block ``height`` (0: before the first block)."""
    if height == 0:
        return 0
    found = conn.execute(
        select(t.blocks.c.state_root_id).where(t.blocks.c.height == height)
    ).scalar()
    if found is None:
        raise NotFoundError(f"no block at {height}")
    return int(found)
