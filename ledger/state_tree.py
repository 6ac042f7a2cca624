"""The authenticated map of contract state: a 256-bit sparse Merkle tree with collapsed
subtrees (the Jellyfish idea, binary), as pure functions over content-addressed nodes.

Every ``(contract, key) -> value`` is one leaf at the path given by the bits of
``state_key(contract, key)`` (most significant bit first). The hash of a subtree is
defined recursively, and the functions here never compute it any other way:

- no leaf: ``EMPTY`` (32 zero bytes);
- exactly one leaf: that leaf's hash, ``SHA-256(0x02 || key_hash || value_hash)``,
  wherever the subtree sits (a lone leaf is never pushed down to depth 256);
- two or more: ``SHA-256(0x03 || left || right)`` of its two halves.

The tags 0x02/0x03 differ from RFC 9162's 0x00/0x01, so no state node can be taken for
a log node. Nodes are stored under their own hash, so a write never changes a stored
node: every root ever computed stays provable for as long as its nodes are kept.

Promises:
- ``update`` touches O(writes x depth) nodes and returns the new root and only the new
  nodes; ``prove`` reads O(depth) nodes, depth being about log2 of the leaf count.
- ``verify_membership`` and ``verify_non_membership`` need nothing but the root, the key
  and the proof; they raise ``StateProofError`` naming the failed step and never return
  False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string

from ledger.canonical import canonical
from ledger.errors import StateProofError

_sha256 = hashlib.sha256

HASH_SIZE = 32
KEY_BITS = 8 * HASH_SIZE
EMPTY = bytes(HASH_SIZE)
LEAF_TAG = b"\x02"
NODE_TAG = b"\x03"


@dataclass(frozen=True, slots=True)
class Leaf:
    """A stored leaf: the hashed key and the hash of its value."""

    key_hash: bytes
    value_hash: bytes


@dataclass(frozen=True, slots=True)
class Internal:
    """A stored interior node: the hashes of its two halves."""

    left: bytes
    right: bytes


Node = Leaf | Internal
NodeReader = Callable[[bytes], Node]
"""Returns the stored node with this hash (raises if the store has none)."""


@dataclass(frozen=True)
class StateProof:
    """The path from a root toward ``key_hash``: the sibling hashes met on the way down
    (root first), and the leaf the path ends at, or None where it ends at an empty
    subtree. A leaf with another key proves that ``key_hash`` is absent."""

    siblings: tuple[bytes, ...]
    leaf: Leaf | None


def state_key(contract: str, key: str) -> bytes:
    """The path of ``(contract, key)``: SHA-256 of the RFC 8785 bytes of ``[contract, key]``."""
    if type(contract) is str and type(key) is str:
        # Two strings: RFC 8785 is the JSON string escaping ``canonical``'s fast path
        # uses too (json.dumps with ensure_ascii=False); a lone surrogate has no UTF-8
        # form and goes the long way, which names it.
        try:
            text = f"[{_json_string(contract)},{_json_string(key)}]".encode()
        except UnicodeEncodeError:
            text = canonical([contract, key])
        return hashlib.sha256(text).digest()
    return hashlib.sha256(canonical([contract, key])).digest()


def value_hash(value: object) -> bytes:
    """SHA-256 of the RFC 8785 bytes of a state value."""
    return hashlib.sha256(canonical(value)).digest()


def leaf_hash(leaf: Leaf) -> bytes:
    """SHA-256(0x02 || key_hash || value_hash)."""
    return hashlib.sha256(LEAF_TAG + leaf.key_hash + leaf.value_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x03 || left || right)."""
    return hashlib.sha256(NODE_TAG + left + right).digest()


def bit(key_hash: bytes, depth: int) -> int:
    """Bit ``depth`` of the path (0 is the most significant bit of the first byte)."""
    return (key_hash[depth >> 3] >> (7 - (depth & 7))) & 1


def root_of(leaves: Mapping[bytes, bytes]) -> bytes:
    """The root of a whole map ``{key_hash: value_hash}``, computed from scratch."""
    return build(leaves)[0]


def build(leaves: Mapping[bytes, bytes]) -> tuple[bytes, dict[bytes, Node]]:
    """The root of a whole map ``{key_hash: value_hash}`` and every node of its tree,
    computed from scratch in O(leaves) hashes (for loading a map in bulk)."""
    nodes: dict[bytes, Node] = {}
    return _build(sorted(leaves.items()), 0, nodes), nodes


def update(
    read: NodeReader, root: bytes, writes: Mapping[bytes, bytes | None]
) -> tuple[bytes, dict[bytes, Node]]:
    """Apply ``writes`` (``{key_hash: value_hash}``, None deletes) to the tree of ``root``:
    the new root and the nodes it needs that ``read`` may not hold yet."""
    new: dict[bytes, Node] = {}
    return _update(read, root, 0, sorted(writes.items()), new), new


def prove(read: NodeReader, root: bytes, key_hash: bytes) -> StateProof:
    """The proof of ``key_hash`` (present or absent) in the tree of ``root``."""
    siblings: list[bytes] = []
    current, depth = root, 0
    while current != EMPTY:
        node = read(current)
        if isinstance(node, Leaf):
            return StateProof(tuple(siblings), node)
        if bit(key_hash, depth):
            siblings.append(node.left)
            current = node.right
        else:
            siblings.append(node.right)
            current = node.left
        depth += 1
    return StateProof(tuple(siblings), None)


def verify_membership(
    root: bytes, key_hash: bytes, expected_value_hash: bytes, proof: StateProof
) -> None:
    """That ``key_hash`` maps to ``expected_value_hash`` in the tree of ``root``."""
    leaf = proof.leaf
    if leaf is None:
        raise StateProofError("the proof ends at an empty subtree: the key is absent")
    if leaf.key_hash != key_hash:
        raise StateProofError("the proof ends at another key's leaf: the key is absent")
    if leaf.value_hash != expected_value_hash:
        raise StateProofError("the proven value hash differs from the expected value's")
    _check_root(root, key_hash, proof)


def verify_non_membership(root: bytes, key_hash: bytes, proof: StateProof) -> None:
    """That no leaf has ``key_hash`` in the tree of ``root``."""
    leaf = proof.leaf
    if leaf is not None:
        if leaf.key_hash == key_hash:
            raise StateProofError("the proof shows the key present, not absent")
        if _common_prefix(leaf.key_hash, key_hash) < len(proof.siblings):
            raise StateProofError("the proof's leaf is not on the key's path")
    _check_root(root, key_hash, proof)


# ---- internals ------------------------------------------------------------------


def _check_root(root: bytes, key_hash: bytes, proof: StateProof) -> None:
    if len(key_hash) != HASH_SIZE or len(root) != HASH_SIZE:
        raise StateProofError("keys and roots are 32-byte hashes")
    if len(proof.siblings) > KEY_BITS:
        raise StateProofError(f"the proof is deeper than {KEY_BITS} levels")
    if any(len(s) != HASH_SIZE for s in proof.siblings):
        raise StateProofError("every sibling is a 32-byte hash")
    current = EMPTY if proof.leaf is None else leaf_hash(proof.leaf)
    for depth in range(len(proof.siblings) - 1, -1, -1):
        sibling = proof.siblings[depth]
        if bit(key_hash, depth):
            current = node_hash(sibling, current)
        else:
            current = node_hash(current, sibling)
    if current != root:
        raise StateProofError("the proof does not lead to the root")


def _common_prefix(a: bytes, b: bytes) -> int:
    for depth in range(KEY_BITS):
        if bit(a, depth) != bit(b, depth):
            return depth
    return KEY_BITS


def _split(items: Sequence[tuple[bytes, bytes | None]], lo: int, hi: int, depth: int) -> int:
    """Index in ``lo..hi`` of the first item whose bit ``depth`` is 1: the items are sorted
    by key and share their first ``depth`` bits, so their bits ``depth`` are 0s then 1s."""
    byte, mask = depth >> 3, 0x80 >> (depth & 7)
    while lo < hi:
        mid = (lo + hi) >> 1
        if items[mid][0][byte] & mask:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _build(leaves: list[tuple[bytes, bytes]], depth: int, new: dict[bytes, Node]) -> bytes:
    return _build_range(leaves, 0, len(leaves), depth, new) if leaves else EMPTY


def _build_range(
    leaves: list[tuple[bytes, bytes]], lo: int, hi: int, depth: int, new: dict[bytes, Node]
) -> bytes:
    """The subtree of ``leaves[lo:hi]`` (not empty) at ``depth``."""
    if hi - lo == 1:
        key, value = leaves[lo]
        h = _sha256(LEAF_TAG + key + value).digest()
        new[h] = Leaf(key, value)
        return h
    cut = _split(leaves, lo, hi, depth)
    if cut in (lo, hi):  # every path goes the same way: one half is empty
        below = _build_range(leaves, lo, hi, depth + 1, new)
        left, right = (EMPTY, below) if cut == lo else (below, EMPTY)
    else:
        left = _build_range(leaves, lo, cut, depth + 1, new)
        right = _build_range(leaves, cut, hi, depth + 1, new)
    h = _sha256(NODE_TAG + left + right).digest()
    new[h] = Internal(left, right)
    return h


def _internal(left: bytes, right: bytes, new: dict[bytes, Node]) -> bytes:
    h = node_hash(left, right)
    new[h] = Internal(left, right)
    return h


def _update(
    read: NodeReader,
    current: bytes,
    depth: int,
    writes: list[tuple[bytes, bytes | None]],
    new: dict[bytes, Node],
) -> bytes:
    if not writes:
        return current
    if len(writes) == 1:
        return _update_one(read, current, depth, writes[0], new)
    node = None if current == EMPTY else _node(read, current, new)
    if not isinstance(node, Internal):
        # An empty subtree or a lone leaf: rebuild it from the leaf and the writes.
        merged: dict[bytes, bytes | None] = {}
        if node is not None:
            merged[node.key_hash] = node.value_hash
        merged.update(writes)
        kept = sorted((k, v) for k, v in merged.items() if v is not None)
        return _build(kept, depth, new)
    cut = _split(writes, 0, len(writes), depth)
    left = _update(read, node.left, depth + 1, writes[:cut], new)
    right = _update(read, node.right, depth + 1, writes[cut:], new)
    return _join(read, left, right, new)


def _update_one(
    read: NodeReader,
    current: bytes,
    depth: int,
    write: tuple[bytes, bytes | None],
    new: dict[bytes, Node],
) -> bytes:
    """``_update`` with a single write, as a loop: down the path to an empty subtree or
    a leaf, rebuild that, then join back up (most writes of a block are alone in their
    subtree below the top levels)."""
    key = write[0]
    path: list[tuple[Internal, int]] = []
    leaf: Leaf | None = None
    while current != EMPTY:
        node = _node(read, current, new)
        if isinstance(node, Leaf):
            leaf = node
            break
        side = (key[(depth + len(path)) >> 3] >> (7 - ((depth + len(path)) & 7))) & 1
        path.append((node, side))
        current = node.right if side else node.left
    merged: dict[bytes, bytes | None] = {}
    if leaf is not None:
        merged[leaf.key_hash] = leaf.value_hash
    merged[key] = write[1]
    kept = sorted((k, v) for k, v in merged.items() if v is not None)
    sub = _build(kept, depth + len(path), new)
    for above, side in reversed(path):
        sub = _join(read, above.left, sub, new) if side else _join(read, sub, above.right, new)
    return sub


def _join(read: NodeReader, left: bytes, right: bytes, new: dict[bytes, Node]) -> bytes:
    """The subtree of two halves, collapsed where one is empty and the other a lone leaf."""
    if left == EMPTY and right == EMPTY:
        return EMPTY
    if left == EMPTY and isinstance(_node(read, right, new), Leaf):
        return right
    if right == EMPTY and isinstance(_node(read, left, new), Leaf):
        return left
    return _internal(left, right, new)


def _node(read: NodeReader, h: bytes, new: dict[bytes, Node]) -> Node:
    found = new.get(h)
    return found if found is not None else read(h)


def leaves_of(read: NodeReader, root: bytes) -> Iterable[Leaf]:
    """Every leaf of the tree of ``root``, in path order (for audits and tests)."""
    stack = [root]
    while stack:
        h = stack.pop()
        if h == EMPTY:
            continue
        node = read(h)
        if isinstance(node, Leaf):
            yield node
        else:
            stack.extend((node.right, node.left))
