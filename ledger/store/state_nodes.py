"""The state tree on disk: ``ledger.state_tree`` nodes in the ``state_nodes`` table,
addressed by a sequence number, so that a block's new nodes are appended, never inserted
at random places of an index.

A node is one row ``(id, body)``: ids grow with every node stored (0 stands for the
empty subtree), and each block's ``state_root_id`` (in ``blocks``) is the id of its root.
The body is the node's hash input and, for an interior node, where its halves are::

    leaf:     0x02 || key_hash || value_hash                          (65 bytes)
    interior: 0x03 || left || right || left_id (8) || right_id (8)    (81 bytes)

so the node's hash is SHA-256 of the first 65 bytes. This is the Jellyfish Merkle tree's
storage idea (nodes keyed in write order, children found by key rather than by hash):
hash-keyed rows land at random places of the primary-key index, and at 10^6 keys a block
of 1,000 writes dirtied about ten thousand pages. Rows are never rewritten or deleted, so
every state root a header named stays provable from its root id.

Promises:
- ``NodeSource`` returns a node only if its stored bytes hash to the hash its parent (or
  the header) names; a missing or altered row raises ``CorruptionError``.
- ``updated_root`` applies a block's writes with O(writes x depth) node reads, through a
  bounded cache and, when the last update missed it often, fetched one tree level per
  query; it returns a ``TreeUpdate`` with the new root and only the nodes that are new.
- ``store_update`` appends those nodes, inside the caller's transaction, and returns the
  id of the new root.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ledger.errors import CorruptionError
from ledger.state_tree import (
    EMPTY,
    LEAF_TAG,
    NODE_TAG,
    Internal,
    Leaf,
    Node,
    state_key,
    update,
)
from ledger.state_write import StateWrite

CACHE_NODES = 200_000
"""Verified nodes kept in memory (about 250 bytes each): the upper levels of the tree
are read by every block and every proof."""
_BATCH = 500
PREFETCH_ABOVE = 0.15
"""Prefetch the paths of a block's writes by level when more than this share of the
last update's node lookups missed the cache (a tree larger than the cache, or a cold
start); otherwise the few missing nodes are read one by one as the update meets them."""
_TABLE = "state_nodes"


Stored = tuple[bytes, Node, int, int]
"""A node as stored: its hash, the node, and the ids of its halves (0: empty or leaf).
A plain tuple: thousands are made per block."""


def encode_node(node: Node, left_id: int = 0, right_id: int = 0) -> bytes:
    """The stored body of ``node`` (an interior node with the ids of its halves)."""
    if isinstance(node, Leaf):
        return LEAF_TAG + node.key_hash + node.value_hash
    return (
        NODE_TAG + node.left + node.right + left_id.to_bytes(8, "big") + right_id.to_bytes(8, "big")
    )


def decode_node(node_id: int, expected: bytes | None, body: object) -> Stored:
    """The node stored as ``body`` under ``node_id``; ``CorruptionError`` unless it is
    well formed and hashes to ``expected`` (when given)."""
    where = f"state node {node_id}"
    if not isinstance(body, bytes | memoryview):
        raise CorruptionError(f"{where} is not bytes")
    raw = bytes(body)
    tag, a, b = raw[:1], raw[1:33], raw[33:65]
    stored: Stored
    if tag == LEAF_TAG and len(raw) == 65:
        stored = (hashlib.sha256(raw).digest(), Leaf(a, b), 0, 0)
    elif tag == NODE_TAG and len(raw) == 81:
        left_id, right_id = int.from_bytes(raw[65:73], "big"), int.from_bytes(raw[73:], "big")
        stored = (hashlib.sha256(raw[:65]).digest(), Internal(a, b), left_id, right_id)
    else:
        raise CorruptionError(f"{where} is not a leaf or interior node")
    if expected is not None and stored[0] != expected:
        raise CorruptionError(
            f"{where} does not hash to {expected.hex()[:16]}…, the hash its parent names"
        )
    return stored


class NodeCache:
    """A bounded least-recently-used map of verified nodes by id, shared by a store's reads
    (the consensus thread's and the API's: each step is one operation on the map, and a
    node evicted between two of them is simply read again).

    Entries are kept as plain tuples of bytes and integers, which the garbage collector
    stops tracking: hundreds of thousands of node objects would make every full
    collection scan them all (about 80 ms each at 200,000 nodes)."""

    def __init__(self, capacity: int = CACHE_NODES) -> None:
        self._nodes: OrderedDict[int, tuple[bytes, bool, bytes, bytes, int, int]] = OrderedDict()
        self.capacity = capacity
        self.lookups = self.misses = 0
        self.miss_ratio = 1.0
        """Of the last tree update's lookups, the share that missed (1.0 before any)."""

    def get(self, node_id: int) -> Stored | None:
        """The node of ``node_id`` if cached."""
        self.lookups += 1
        found = self._nodes.get(node_id)
        if found is None:
            self.misses += 1
            return None
        with suppress(KeyError):  # evicted meanwhile by another thread: still valid
            self._nodes.move_to_end(node_id)
        h, leaf, a, b, left_id, right_id = found
        return (h, Leaf(a, b) if leaf else Internal(a, b), left_id, right_id)

    def put(self, node_id: int, stored: Stored) -> None:
        """Remember ``stored`` (rows are never rewritten: never stale)."""
        h, node, left_id, right_id = stored
        if isinstance(node, Leaf):
            entry = (h, True, node.key_hash, node.value_hash, left_id, right_id)
        else:
            entry = (h, False, node.left, node.right, left_id, right_id)
        self._nodes[node_id] = entry
        if len(self._nodes) > self.capacity:
            with suppress(KeyError):  # emptied meanwhile by other threads
                self._nodes.popitem(last=False)


@dataclass
class TreeUpdate:
    """A block's change of the state tree: the new root, the nodes it made (by hash), and
    the ids of the stored nodes they point to."""

    root: bytes
    nodes: dict[bytes, Node] = field(default_factory=dict)
    ids: dict[bytes, int] = field(default_factory=dict)


class NodeSource:
    """Reads state nodes on one connection, through ``cache``; remembers the hash and id of
    every node it read (and of their halves), so that an update can point to them."""

    def __init__(self, conn: Connection, cache: NodeCache) -> None:
        self._conn, self.cache = conn, cache
        self.nodes: dict[bytes, Node] = {}
        self.ids: dict[bytes, int] = {EMPTY: 0}

    def read(self, h: bytes) -> Node:
        """The node of hash ``h``, which must be the root or a half of a node read before
        (its id is known from there): prefetched, cached, or read now."""
        found = self.nodes.get(h)
        if found is not None:
            return found
        node_id = self.ids.get(h)
        if node_id is None:
            raise CorruptionError(f"state node {h.hex()[:16]}… is not on the paths read")
        stored = self.cache.get(node_id)
        if stored is None or stored[0] != h:
            stored = self.read_ids({node_id: h})[node_id]
        _, node, left_id, right_id = stored
        self.nodes[h] = node
        if isinstance(node, Internal):
            self.ids[node.left], self.ids[node.right] = left_id, right_id
        return node

    def read_ids(self, wanted: dict[int, bytes | None]) -> dict[int, Stored]:
        """The nodes of ids ``wanted`` (each with the hash it must have, if known): cached
        or read, one query per 500."""
        out: dict[int, Stored] = {}
        missing: list[int] = []
        for node_id, expected in wanted.items():
            cached = self.cache.get(node_id)
            if cached is None:
                missing.append(node_id)
            elif expected is not None and cached[0] != expected:
                raise CorruptionError(f"state node {node_id} is not the node its parent names")
            else:
                out[node_id] = cached
        if missing:
            # Straight to the driver's cursor: SQLAlchemy's per-row result processing
            # costs more than SQLite's lookups by primary key.
            mark = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
            cursor = self._conn.connection.cursor()
            try:
                for start in range(0, len(missing), _BATCH):
                    page = missing[start : start + _BATCH]
                    marks = ", ".join([mark] * len(page))
                    cursor.execute(f"SELECT id, body FROM {_TABLE} WHERE id IN ({marks})", page)
                    for node_id, body in cursor.fetchall():
                        stored = decode_node(node_id, wanted[node_id], body)
                        self.cache.put(node_id, stored)
                        out[node_id] = stored
            finally:
                cursor.close()
        for node_id in wanted:
            if node_id not in out:
                raise CorruptionError(f"state node {node_id} is missing from the store")
        return out

    def prefetch(self, root: bytes, root_id: int, key_hashes: Iterable[bytes]) -> None:
        """Read every node on the paths from ``root`` (stored as ``root_id``) to
        ``key_hashes``, one level per query; ``read`` then serves them."""
        keys = sorted(set(key_hashes))
        self.ids[root] = root_id
        level: dict[int, tuple[bytes, int, list[bytes]]] = {}
        if root != EMPTY and keys:
            level[root_id] = (root, 0, keys)
        while level:
            found = self.read_ids({i: h for i, (h, _, _) in level.items()})
            below: dict[int, tuple[bytes, int, list[bytes]]] = {}
            for node_id, (h, depth, routed) in level.items():
                _, node, left_id, right_id = found[node_id]
                self.nodes[h] = node
                if not isinstance(node, Internal):
                    continue
                self.ids[node.left], self.ids[node.right] = left_id, right_id
                cut = _first_one(routed, depth)
                for child, child_id, part in (
                    (node.left, left_id, routed[:cut]),
                    (node.right, right_id, routed[cut:]),
                ):
                    if child != EMPTY and part:
                        below[child_id] = (child, depth + 1, part)
            level = below


def changed_leaves(writes: Sequence[StateWrite]) -> dict[bytes, bytes]:
    """``{key_hash: value_hash}`` of the last write to each key among ``writes``."""
    out: dict[bytes, bytes] = {}
    for w in writes:
        out[state_key(w.contract, w.key)] = w.value_digest()
    return out


def updated_root(
    source: NodeSource, root: bytes, root_id: int, writes: Sequence[StateWrite]
) -> TreeUpdate:
    """The tree after ``writes`` on top of ``root`` (stored as ``root_id``)."""
    leaves = changed_leaves(writes)
    if not leaves:
        return TreeUpdate(root, {}, {root: root_id})
    source.ids[root] = root_id
    cache = source.cache
    lookups, misses = cache.lookups, cache.misses
    if cache.miss_ratio > PREFETCH_ABOVE:
        source.prefetch(root, root_id, leaves)
    new_root, nodes = update(source.read, root, leaves)
    if cache.lookups > lookups:
        cache.miss_ratio = (cache.misses - misses) / (cache.lookups - lookups)
    return TreeUpdate(new_root, nodes, source.ids)


def store_update(conn: Connection, change: TreeUpdate, cache: NodeCache | None = None) -> int:
    """Append the new nodes of ``change`` after the last stored id (inside the caller's
    transaction); the id of its root (0: the empty tree)."""
    known = change.ids
    fresh = [h for h in change.nodes if h not in known]
    if not fresh:
        return 0 if change.root == EMPTY else known[change.root]
    last = conn.exec_driver_sql(f"SELECT max(id) FROM {_TABLE}").scalar()
    start = int(last or 0) + 1
    ids = {h: start + i for i, h in enumerate(fresh)}
    ids[EMPTY] = 0

    def id_of(h: bytes) -> int:
        found = ids.get(h)
        return known[h] if found is None else found

    rows = []
    put = cache.put if cache is not None else None
    for h in fresh:
        node = change.nodes[h]
        left_id, right_id = (
            (0, 0) if isinstance(node, Leaf) else (id_of(node.left), id_of(node.right))
        )
        rows.append((ids[h], encode_node(node, left_id, right_id)))
        if put is not None:
            put(ids[h], (h, node, left_id, right_id))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {_TABLE} (id, body) VALUES ({mark}, {mark})", rows)
    return id_of(change.root)


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
