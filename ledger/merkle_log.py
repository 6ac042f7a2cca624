"""An append-only RFC 9162 log over stored perfect-subtree hashes.

The log keeps every perfect subtree hash ``(level, index)`` it completes (about two
per leaf). Then the root at any size, and any inclusion or consistency proof, is a
right fold of O(log n) stored nodes: the functions here name the nodes they need and
the caller fetches them (one batched read), in the manner of transparency-dev/merkle.
No function rehashes the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.errors import ProofError, StoreError
from ledger.merkle import EMPTY_ROOT, node_hash
from ledger.tree_ranges import NodeId, Range, consistency_ranges, inclusion_ranges, range_nodes

INDEX_BITS = 48
NodeReader = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]


def node_key(node: NodeId) -> int:
    """A single integer key for a node: ``level << 48 | index``."""
    return node.level << INDEX_BITS | node.position


def node_of_key(key: int) -> NodeId:
    """Inverse of ``node_key``."""
    return NodeId(key >> INDEX_BITS, key & ((1 << INDEX_BITS) - 1))


def border(size: int) -> list[NodeId]:
    """The perfect subtrees, left to right, that make up a tree of ``size`` leaves."""
    return range_nodes(Range(0, size))


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of subtree hashes into the hash of their union."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _hashes_of(ranges: Iterable[Range], read: NodeReader) -> list[bytes]:
    ranges = list(ranges)
    wanted = [n for r in ranges for n in range_nodes(r)]
    got = read(wanted)
    missing = [n for n in wanted if n not in got]
    if missing:
        raise StoreError(
            f"merkle node level {missing[0].level} index {missing[0].position} is missing"
        )
    return [fold([got[n] for n in range_nodes(r)]) for r in ranges]


def root_at(size: int, read: NodeReader) -> bytes:
    """Root of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return _hashes_of([Range(0, size)], read)[0]


def inclusion_proof_at(index: int, size: int, read: NodeReader) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    return _hashes_of(inclusion_ranges(index, size), read)


def consistency_proof_at(old_size: int, size: int, read: NodeReader) -> list[bytes]:
    """RFC 9162 consistency proof from ``old_size`` to ``size``."""
    if not 0 <= old_size <= size:
        raise ProofError(f"old size {old_size} is outside 0..{size}")
    return _hashes_of(consistency_ranges(old_size, size), read)


@dataclass
class Frontier:
    """The right border of the tree (compact range): enough to append and to know the root."""

    size: int
    nodes: list[tuple[NodeId, bytes]]

    @classmethod
    def load(cls, size: int, read: NodeReader) -> Frontier:
        """The frontier of the stored tree of ``size`` leaves."""
        ids = border(size)
        got = read(ids)
        if any(n not in got for n in ids):
            raise StoreError(f"the border of the merkle tree at size {size} is incomplete")
        return cls(size, [(n, got[n]) for n in ids])

    def root(self) -> bytes:
        """Root of the tree so far."""
        return fold([h for _, h in self.nodes]) if self.nodes else EMPTY_ROOT

    def append(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """Append leaves; return every node completed (leaves included), to be stored."""
        # The hot loop of every append: plain tuples and a local SHA-256, no calls.
        sha256 = hashlib.sha256
        stack = [(n.level, n.position, h) for n, h in self.nodes]
        out: list[tuple[NodeId, bytes]] = []
        size = self.size
        for leaf in leaf_hashes:
            level, index, h = 0, size, leaf
            size += 1
            out.append((NodeId(0, index), h))
            while stack and stack[-1][0] == level:
                _, left_index, left = stack.pop()
                level, index = level + 1, left_index >> 1
                h = sha256(b"\x01" + left + h).digest()
                out.append((NodeId(level, index), h))
            stack.append((level, index, h))
        self.size = size
        self.nodes = [(NodeId(lv, ix), h) for lv, ix, h in stack]
        return out
