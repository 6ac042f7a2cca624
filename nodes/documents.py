"""What a depositor anchors for a file: its digest and size, what it is (title, media
type), the Merkle root of its facts (text files), and its content chunks.

Promise: the same bytes under the same file name (facts name their document by its file
name) and the same extractor version give the same anchor args and facts on every
machine, so anyone can recompute and compare them.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.evidence.anchor_args import FACTS_MAX, TITLE_MAX
from ledger.anchor_proof import fact_leaf
from ledger.canonical import sha256
from ledger.chunks import MAX_CHUNKS, Chunk, chunks_of, chunks_root, decode_text
from ledger.merkle import root
from seeds.corpus import documents
from seeds.facts import EXTRACTOR_VERSION, extract_facts


@dataclass(frozen=True)
class Described:
    """A file made ready to anchor: the ``evidence.anchor`` args, its facts (empty for a
    binary file) and its chunks; ``notes`` say what was left out and why."""

    args: dict[str, Any]
    facts: list[dict[str, Any]]
    chunks: list[Chunk]
    notes: tuple[str, ...] = ()


def _seed_titles() -> dict[str, str]:
    return {doc.sha256: doc.title for doc in documents()}


def display_name(path: Path) -> str:
    """``path``'s file name as text: bytes that are not UTF-8 (kept by the OS as lone
    surrogates) become '?', so the name can be signed."""
    return path.name.encode("utf-8", "replace").decode("utf-8")


def title_of(path: Path, data: bytes, text: str | None) -> str:
    """The title to anchor: the seed corpus's title for a seed document, else the first
    non-empty line of a text (control characters dropped, at most ``TITLE_MAX``
    characters), else the file name."""
    known = _seed_titles().get(sha256(data).hex())
    if known:
        return known[:TITLE_MAX]
    for line in (text or "").splitlines():
        clean = "".join(c for c in line if unicodedata.category(c) != "Cc").strip()
        if clean:
            return clean[:TITLE_MAX]
    name = display_name(path)
    return "".join(c for c in name if unicodedata.category(c) != "Cc")[:TITLE_MAX] or "-"


def media_type_of(path: Path, text: str | None) -> str:
    """A media type from the file name; UTF-8 text is labelled with its charset."""
    guessed, _ = mimetypes.guess_type(path.name)
    if text is not None and (guessed is None or guessed.startswith("text/")):
        return f"{guessed or 'text/plain'}; charset=utf-8"
    return guessed or "application/octet-stream"


def describe(path: Path, data: bytes, *, with_facts: bool = True) -> Described:
    """The anchor of ``data``, read from ``path`` (its name gives facts their ``doc``)."""
    text = decode_text(data)
    notes: list[str] = []
    args: dict[str, Any] = {
        "sha256": sha256(data).hex(),
        "size": len(data),
        "title": title_of(path, data, text),
        "media_type": media_type_of(path, text),
    }
    facts: list[dict[str, Any]] = []
    if text is not None and with_facts:
        facts = extract_facts(display_name(path), text)
        if len(facts) > FACTS_MAX:
            notes.append(f"{len(facts)} facts, more than {FACTS_MAX}: facts not anchored")
            facts = []
        else:
            args["extractor"] = EXTRACTOR_VERSION
            args["facts_root"] = root([fact_leaf(f) for f in facts]).hex()
            args["facts_count"] = len(facts)
    chunks = chunks_of(data)
    if len(chunks) <= MAX_CHUNKS:
        args["chunks"] = [c.leaf.hex() for c in chunks]
        args["chunks_root"] = chunks_root([c.leaf for c in chunks]).hex()
    else:
        notes.append(f"{len(chunks)} chunks, more than {MAX_CHUNKS}: chunks not anchored")
    return Described(args, facts, chunks, tuple(notes))
