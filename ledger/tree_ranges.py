"""Which subtrees an RFC 9162 root or proof is made of, as leaf ranges and node ids.

A proof element is the Merkle tree hash of a contiguous range of leaves. Every range
that RFC 9162's recursion produces starts at a multiple of a power of two at least as
large as the range, so its hash is a right fold of *perfect* subtrees, given by the
binary digits of its length. A perfect subtree over leaves ``[i * 2^l, (i+1) * 2^l)``
is node ``(level=l, index=i)``: the storage-backed log keeps exactly those, so a root
or proof at any size needs O(log n) stored nodes and no rehashing.
"""

from __future__ import annotations

from typing import NamedTuple


class Range(NamedTuple):
    """Leaves ``[start, end)``."""

    start: int
    end: int


class NodeId(NamedTuple):
    """A perfect subtree: leaves ``[position << level, (position + 1) << level)``.

    (``position`` is RFC 9162's node index; a tuple cannot name a field ``index``.)"""

    level: int
    position: int


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` >= 2): RFC 9162's split."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Ranges whose hashes form the RFC 9162 PATH of leaf ``index``, leaf to root."""
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            out.append(Range(lo + k, hi))
            hi = lo + k
        else:
            out.append(Range(lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_ranges(old_size: int, size: int) -> list[Range]:
    """Ranges whose hashes form the RFC 9162 PROOF from ``old_size`` to ``size``."""
    if old_size in (0, size):
        return []
    out: list[Range] = []
    m, lo, hi, whole = old_size, 0, size, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                out.append(Range(lo, hi))
            break
        k = largest_power_of_two_below(n)
        if m <= k:
            out.append(Range(lo + k, hi))
            hi = lo + k
        else:
            out.append(Range(lo, lo + k))
            m, lo, whole = m - k, lo + k, False
    out.reverse()
    return out


def range_nodes(span: Range) -> list[NodeId]:
    """The perfect subtrees, left to right, whose right fold is the hash of ``span``."""
    nodes: list[NodeId] = []
    at, n = span.start, span.end - span.start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            nodes.append(NodeId(level, at >> level))
            at += 1 << level
    return nodes
