"""The state tree on disk: ``ledger.state_tree`` nodes in the ``state_nodes`` table.

A node is stored under its own hash as 65 bytes: the tag of its hash (0x02 leaf, 0x03
interior node) and its two 32-byte parts (key hash and value hash, or left and right).
Nodes are content-addressed and never rewritten or deleted, so every state root a block
header ever named stays provable.

Promises:
- ``NodeSource.read`` returns a node only if its stored bytes hash to the hash asked
  for; a missing or altered row raises ``CorruptionError``.
- ``updated_root`` applies a block's writes with O(writes x depth) node reads, fetched
  one tree level per query (``prefetch``) and kept in a bounded cache of verified
  nodes; it returns the new root and only the nodes that are new.
- ``store_nodes`` inserts nodes that are not stored yet, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection

from ledger.canonical import canonical
from ledger.errors import CorruptionError
from ledger.state_tree import (
    EMPTY,
    LEAF_TAG,
    NODE_TAG,
    Internal,
    Leaf,
    Node,
    leaf_hash,
    node_hash,
    state_key,
    update,
)
from ledger.state_write import StateWrite
from ledger.store import schema as t

CACHE_NODES = 200_000
"""Verified nodes kept in memory (about 200 bytes each): the upper levels of the tree
are read by every block and every proof."""
_BATCH = 500
_TABLE = t.state_nodes.name


def encode_node(node: Node) -> bytes:
    """The 65 stored bytes of ``node``."""
    if isinstance(node, Leaf):
        return LEAF_TAG + node.key_hash + node.value_hash
    return NODE_TAG + node.left + node.right


def decode_node(h: bytes, body: object) -> Node:
    """The node stored as ``body`` under ``h``; ``CorruptionError`` unless it hashes to ``h``."""
    if not isinstance(body, bytes | memoryview) or len(body) != 65:
        raise CorruptionError(f"state node {h.hex()[:16]}… is not 65 bytes")
    raw = bytes(body)
    tag, a, b = raw[:1], raw[1:33], raw[33:]
    node: Node
    if tag == LEAF_TAG:
        node = Leaf(a, b)
        found = leaf_hash(node)
    elif tag == NODE_TAG:
        node = Internal(a, b)
        found = node_hash(a, b)
    else:
        raise CorruptionError(f"state node {h.hex()[:16]}… has an unknown tag")
    if found != h:
        raise CorruptionError(f"state node {h.hex()[:16]}… does not hash to its key")
    return node


class NodeCache:
    """A bounded least-recently-used map of verified nodes, shared by a store's reads."""

    def __init__(self, capacity: int = CACHE_NODES) -> None:
        self._nodes: OrderedDict[bytes, Node] = OrderedDict()
        self._capacity = capacity

    def get(self, h: bytes) -> Node | None:
        """The node of ``h`` if cached."""
        node = self._nodes.get(h)
        if node is not None:
            self._nodes.move_to_end(h)
        return node

    def put_all(self, nodes: Mapping[bytes, Node]) -> None:
        """Remember ``nodes`` (content-addressed: never stale)."""
        self._nodes.update(nodes)
        while len(self._nodes) > self._capacity:
            self._nodes.popitem(last=False)


class NodeSource:
    """Reads state nodes on one connection, through ``cache``."""

    def __init__(self, conn: Connection, cache: NodeCache) -> None:
        self._conn, self._cache = conn, cache

    def read(self, h: bytes) -> Node:
        """The node of hash ``h``; ``CorruptionError`` if it is missing or altered."""
        node = self._cache.get(h)
        if node is not None:
            return node
        found = self.read_many([h])
        if h not in found:
            raise CorruptionError(f"state node {h.hex()[:16]}… is missing from the store")
        return found[h]

    def read_many(self, hashes: Sequence[bytes]) -> dict[bytes, Node]:
        """The stored nodes among ``hashes`` (cached or read, one query per 500)."""
        out: dict[bytes, Node] = {}
        wanted: list[bytes] = []
        cached = self._cache.get
        for h in hashes:
            node = cached(h)
            if node is None:
                wanted.append(h)
            else:
                out[h] = node
        read: dict[bytes, Node] = {}
        mark = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
        for start in range(0, len(wanted), _BATCH):
            page = wanted[start : start + _BATCH]
            # Straight to the driver: SQLAlchemy's processing of each parameter of a
            # 500-hash IN list costs more than SQLite's lookups.
            marks = ", ".join([mark] * len(page))
            rows = self._conn.exec_driver_sql(
                f"SELECT hash, body FROM {_TABLE} WHERE hash IN ({marks})", tuple(page)
            )
            for raw, body in rows:
                h = bytes(raw)
                read[h] = decode_node(h, body)
        self._cache.put_all(read)
        out.update(read)
        return out

    def prefetch(self, root: bytes, key_hashes: Iterable[bytes]) -> None:
        """Fetch every stored node on the paths from ``root`` to ``key_hashes``, one
        level per query, so that an update or proof along them reads no more rows."""
        level: dict[bytes, tuple[int, list[bytes]]] = {}
        keys = sorted(set(key_hashes))
        if root != EMPTY and keys:
            level[root] = (0, keys)
        while level:
            found = self.read_many(list(level))
            below: dict[bytes, tuple[int, list[bytes]]] = {}
            for h, (depth, routed) in level.items():
                node = found.get(h)
                if not isinstance(node, Internal):
                    continue
                cut = _first_one(routed, depth)
                for child, part in ((node.left, routed[:cut]), (node.right, routed[cut:])):
                    if child != EMPTY and part:
                        below[child] = (depth + 1, part)
            level = below


def changed_leaves(writes: Sequence[StateWrite]) -> dict[bytes, bytes]:
    """``{key_hash: value_hash}`` of the last write to each key among ``writes``."""
    out: dict[bytes, bytes] = {}
    for w in writes:
        text = w.encoded.encode("utf-8") if w.encoded is not None else canonical(w.value)
        out[state_key(w.contract, w.key)] = hashlib.sha256(text).digest()
    return out


def updated_root(
    source: NodeSource, root: bytes, writes: Sequence[StateWrite]
) -> tuple[bytes, dict[bytes, Node]]:
    """The root after ``writes`` and the new nodes it needs."""
    leaves = changed_leaves(writes)
    if not leaves:
        return root, {}
    source.prefetch(root, leaves)
    return update(source.read, root, dict(leaves))


def store_nodes(conn: Connection, nodes: Mapping[bytes, Node]) -> None:
    """Insert those of ``nodes`` not stored yet (inside the caller's transaction)."""
    if not nodes:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # One statement: a node already stored is the same node (content-addressed), so the
    # insert skips it rather than reading every hash first (SQLite >= 3.24, PostgreSQL).
    # In hash order, the inserts walk the primary-key index forward.
    conn.exec_driver_sql(
        f"INSERT INTO {_TABLE} (hash, body) VALUES ({mark}, {mark}) ON CONFLICT (hash) DO NOTHING",
        [(h, encode_node(nodes[h])) for h in sorted(nodes)],
    )


def _first_one(keys: Sequence[bytes], depth: int) -> int:
    """Index of the first of ``keys`` whose bit ``depth`` is 1: they are sorted and share
    their first ``depth`` bits, so their bits ``depth`` are 0s then 1s."""
    lo, hi = 0, len(keys)
    byte, mask = depth >> 3, 0x80 >> (depth & 7)
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid][byte] & mask:
            hi = mid
        else:
            lo = mid + 1
    return lo
