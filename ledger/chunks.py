"""Content chunks of a document: what tamper localisation compares.

A UTF-8 text is cut into paragraphs: maximal runs of lines that hold something other
than white space, so blank lines separate paragraphs. A paragraph's bytes are the UTF-8
of ``text[start:end]``, from its first line's first character to its last line's end,
without the final line break. Any other file (not valid UTF-8) is cut into blocks of
``BLOCK_SIZE`` bytes.

Each chunk is a leaf of an RFC 9162 Merkle tree: ``leaf_hash(chunk bytes)``; an anchor
carries the leaf hashes and their root. Promises: the same bytes give the same chunks on
every machine; a change inside one paragraph changes that paragraph's leaf only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.merkle import leaf_hash, root

BLOCK_SIZE = 64 * 1024
MAX_CHUNKS = 4096  # an anchor carries at most this many leaf hashes
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class Chunk:
    """One chunk: its 1-based number, where it lies (character offsets of a text, or byte
    offsets of a binary file), its kind (``paragraph`` or ``block``) and its leaf hash."""

    number: int
    start: int
    end: int
    kind: str
    leaf: bytes
    line: int = 0  # first line of a paragraph (1-based); 0 for a block


def decode_text(data: bytes) -> str | None:
    """``data`` as text if it is valid UTF-8 (a leading byte order mark is kept as a
    character), else None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def paragraphs(text: str) -> list[tuple[int, int, int]]:
    """The paragraphs of ``text`` as ``(start, end, first line)``, in order."""
    out: list[tuple[int, int, int]] = []
    start = end = first = -1
    for number, match in enumerate(_LINE.finditer(text), start=1):
        line = match.group()
        if not line:
            break
        content = line.rstrip("\r\n")
        if content.strip():
            if start < 0:
                start, first = match.start(), number
            end = match.start() + len(content)
        elif start >= 0:
            out.append((start, end, first))
            start = -1
    if start >= 0:
        out.append((start, end, first))
    return out


def chunks_of(data: bytes) -> list[Chunk]:
    """The chunks of a document's bytes: paragraphs of UTF-8 text, else blocks."""
    text = decode_text(data)
    if text is None:
        spans = [(at, min(at + BLOCK_SIZE, len(data))) for at in range(0, len(data), BLOCK_SIZE)]
        return [
            Chunk(i + 1, start, end, "block", leaf_hash(data[start:end]))
            for i, (start, end) in enumerate(spans)
        ]
    return [
        Chunk(i + 1, start, end, "paragraph", leaf_hash(text[start:end].encode()), line)
        for i, (start, end, line) in enumerate(paragraphs(text))
    ]


def chunks_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle root of chunk leaf hashes (RFC 9162; SHA-256 of nothing for none)."""
    return root(leaves)
