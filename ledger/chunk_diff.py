"""Where a copy differs from an anchored document, from the anchored chunk leaf hashes
and the copy alone (the anchored document itself is not needed).

The chunks are aligned the way patience diff aligns lines: chunks that occur exactly
once in each sequence anchor the alignment (their longest common subsequence, found in
O(n log n)); equal neighbours extend it; what lies between two aligned chunks is a
change (both sides have chunks), a removal or an addition. Time is O(n log n) in the
number of chunks whatever their content, so a crafted receipt or copy cannot make a
verifier or a node spin.

Promises: an unchanged paragraph between aligned ones is never named, and every
anchored chunk the copy does not reproduce in place is named, as is every chunk of the
copy that the anchor lacks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.chunks import Chunk


@dataclass(frozen=True)
class Difference:
    """One edit: ``changed`` (anchored chunks ``anchored`` became the copy's ``copy``),
    ``removed`` (anchored chunks missing from the copy) or ``added`` (chunks of the copy
    the anchor lacks). Chunk numbers are 1-based; ``after`` is the anchored chunk an
    addition follows (0 for the start)."""

    kind: str
    anchored: tuple[int, ...]
    copy: tuple[int, ...]
    after: int = 0


def _unique_pairs(a: Sequence[bytes], b: Sequence[bytes]) -> list[tuple[int, int]]:
    """Positions ``(i, j)`` of the chunks that occur once in ``a`` and once in ``b``, the
    longest run of them in the same order in both (patience sorting)."""
    in_a, in_b = Counter(a), Counter(b)
    where_b = {leaf: j for j, leaf in enumerate(b) if in_b[leaf] == 1}
    pairs = [(i, where_b[leaf]) for i, leaf in enumerate(a) if in_a[leaf] == 1 and leaf in where_b]
    tails: list[int] = []  # tails[k]: smallest j ending an increasing run of length k+1
    ends: list[int] = []  # the pair index holding that tail
    before: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k], ends[k] = j, n
        before[n] = ends[k - 1] if k else -1
    run, n = [], ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = before[n]
    return run[::-1]


def _aligned(a: Sequence[bytes], b: Sequence[bytes]) -> list[tuple[int, int]]:
    """Aligned positions: the unique anchors, each extended over equal neighbours."""
    out: list[tuple[int, int]] = []
    i = j = 0
    for ui, uj in [*_unique_pairs(a, b), (len(a), len(b))]:
        while i < ui and j < uj and a[i] == b[j]:  # equal chunks after the last anchor
            out.append((i, j))
            i, j = i + 1, j + 1
        tail: list[tuple[int, int]] = []
        x, y = ui - 1, uj - 1
        while x >= i and y >= j and a[x] == b[y]:  # equal chunks before the next anchor
            tail.append((x, y))
            x, y = x - 1, y - 1
        out.extend(reversed(tail))
        if ui < len(a):
            out.append((ui, uj))
        i, j = ui + 1, uj + 1
    return out


def differences(anchored: Sequence[bytes], copy: Sequence[Chunk]) -> list[Difference]:
    """The edits that turn the anchored chunk sequence into the copy's."""
    leaves = [c.leaf for c in copy]
    out: list[Difference] = []
    i = j = 0
    for ai, bj in [*_aligned(anchored, leaves), (len(anchored), len(leaves))]:
        was = tuple(range(i + 1, ai + 1))
        now = tuple(copy[k].number for k in range(j, bj))
        if was and now:
            out.append(Difference("changed", was, now))
        elif was:
            out.append(Difference("removed", was, ()))
        elif now:
            out.append(Difference("added", (), now, after=i))
        i, j = ai + 1, bj + 1
    return out


def shared_count(anchored: Sequence[bytes], copy: Sequence[bytes]) -> int:
    """How many anchored chunks the copy reproduces in order."""
    return len(_aligned(anchored, copy))


def shared_fraction(anchored: Sequence[bytes], copy: Sequence[Chunk]) -> float:
    """The fraction of the anchored chunks that the copy reproduces in order (0..1)."""
    if not anchored:
        return 0.0
    return shared_count(anchored, [c.leaf for c in copy]) / len(anchored)
