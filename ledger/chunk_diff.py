"""Where a copy differs from an anchored document, from the anchored chunk leaf hashes
and the copy alone (the anchored document itself is not needed).

Promise: ``differences`` lists every anchored chunk the copy does not reproduce in place
and every chunk of the copy that the anchor lacks, as a minimal edit of the chunk
sequence (Python's ``difflib`` matching over leaf hashes, no junk heuristic), so an
unchanged paragraph is never named and a changed one always is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

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


def differences(anchored: Sequence[bytes], copy: Sequence[Chunk]) -> list[Difference]:
    """The edits that turn the anchored chunk sequence into the copy's."""
    matcher = SequenceMatcher(a=list(anchored), b=[c.leaf for c in copy], autojunk=False)
    out: list[Difference] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        was = tuple(range(a0 + 1, a1 + 1))
        now = tuple(copy[i].number for i in range(b0, b1))
        if op == "replace":
            out.append(Difference("changed", was, now))
        elif op == "delete":
            out.append(Difference("removed", was, ()))
        elif op == "insert":
            out.append(Difference("added", (), now, after=a0))
    return out


def shared_fraction(anchored: Sequence[bytes], copy: Sequence[Chunk]) -> float:
    """The fraction of the anchored chunks that the copy reproduces in order (0..1)."""
    if not anchored:
        return 0.0
    matcher = SequenceMatcher(a=list(anchored), b=[c.leaf for c in copy], autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return kept / len(anchored)
