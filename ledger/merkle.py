"""RFC 9162 Merkle tree hashing, proofs and proof verification, as pure functions.

The names and argument orders here are a public interface: outside verifiers call
them. Hashes are 32-byte ``bytes``; a tree is given as its list of leaf hashes.

- ``leaf_hash(data)`` = SHA-256(0x00 || data); ``node_hash(l, r)`` = SHA-256(0x01 || l || r).
- ``root``, ``inclusion_proof`` and ``consistency_proof`` follow RFC 9162 §2.1.1,
  §2.1.3.1 (PATH) and §2.1.4.1 (PROOF) exactly.
- ``verify_inclusion`` and ``verify_consistency`` follow §2.1.3.2 and §2.1.4.2 and raise
  ``ProofError`` on any failure: they never return False.

Proof *shapes* are computed by ``ledger.tree_ranges`` as leaf ranges, so the same shape
serves both these in-memory functions and the storage-backed log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import ProofError
from ledger.tree_ranges import (
    Range,
    consistency_ranges,
    inclusion_ranges,
    largest_power_of_two_below,
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 Merkle tree hash of the given leaf hashes (empty tree: SHA-256 of nothing)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_hash(leaf_hashes, Range(0, len(leaf_hashes)))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 inclusion proof (PATH) for leaf ``index``, ordered from leaf to root."""
    if not 0 <= index < len(leaf_hashes):
        raise ProofError(f"index {index} is outside a tree of size {len(leaf_hashes)}")
    return [_range_hash(leaf_hashes, r) for r in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 9162 consistency proof (PROOF) from size ``old_size`` to ``len(leaf_hashes)``."""
    if not 0 <= old_size <= len(leaf_hashes):
        raise ProofError(f"old size {old_size} is outside 0..{len(leaf_hashes)}")
    return [_range_hash(leaf_hashes, r) for r in consistency_ranges(old_size, len(leaf_hashes))]


def _range_hash(leaf_hashes: Sequence[bytes], span: Range) -> bytes:
    n = span.end - span.start
    if n == 1:
        return leaf_hashes[span.start]
    k = largest_power_of_two_below(n)
    return node_hash(
        _range_hash(leaf_hashes, Range(span.start, span.start + k)),
        _range_hash(leaf_hashes, Range(span.start + k, span.end)),
    )


def _check_sizes(*sizes: int) -> None:
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int):
            raise ProofError("indexes and sizes must be integers")


def _check_hashes(proof: Sequence[bytes], *hashes: bytes) -> None:
    for h in (*hashes, *proof):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError("every hash must be 32 bytes")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2. Raises ``ProofError`` when the index is out of range, the proof
    is too short or too long, or the computed root differs.
    """
    _check_hashes(proof, leaf_hash, root)
    _check_sizes(index, size)
    if size <= 0:
        raise ProofError("a tree of size 0 has no leaves")
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("inclusion proof leads to a different root")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of ``new_size``/``new_root`` extends ``old_size``/``old_root``.

    RFC 9162 §2.1.4.2. Equal sizes need equal roots and an empty proof; an empty old
    tree is consistent with anything given an empty proof. Raises ``ProofError``.
    """
    _check_hashes(proof, old_root, new_root)
    _check_sizes(old_size, new_size)
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"sizes {old_size} -> {new_size}: a log never shrinks")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("equal sizes with different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # exact power of two: the old root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    if fr != old_root:
        raise ProofError("consistency proof leads to a different old root")
    if sr != new_root:
        raise ProofError("consistency proof leads to a different new root")
