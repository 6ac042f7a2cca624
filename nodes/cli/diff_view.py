"""Showing a person where a copy differs from an anchored document, paragraph by
paragraph, and the same as JSON."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from ledger.chunk_diff import Difference
from ledger.chunks import Chunk, chunks_of, decode_text
from nodes.cli.output import console

SNIPPET = 90


def _snippet(data: bytes, chunk: Chunk) -> str:
    text = decode_text(data)
    if text is None:
        return f"bytes {chunk.start}..{chunk.end}"
    body = " ".join(text[chunk.start : chunk.end].split())
    return body if len(body) <= SNIPPET else body[: SNIPPET - 1] + "…"


def _where(chunk: Chunk) -> str:
    if chunk.kind == "block":
        return f"block {chunk.number}"
    return f"paragraph {chunk.number} (line {chunk.line})"


def describe_differences(data: bytes, found: tuple[Difference, ...]) -> list[dict[str, Any]]:
    """Each difference as JSON-safe rows naming anchored chunk numbers, the copy's
    chunks (number, first line, a snippet of the copy's text)."""
    chunks = {c.number: c for c in chunks_of(data)}
    out = []
    for d in found:
        copy = [chunks[n] for n in d.copy]
        out.append(
            {
                "kind": d.kind,
                "anchored": list(d.anchored),
                "after": d.after if d.kind == "added" else None,
                "copy": [
                    {"number": c.number, "line": c.line, "text": _snippet(data, c)} for c in copy
                ],
            }
        )
    return out


def print_differences(data: bytes, found: tuple[Difference, ...], label: str) -> None:
    """A table of the paragraphs where ``data`` differs from the anchored document; one
    line saying so when the anchor holds no paragraph hashes to compare with."""
    if not found:
        console.print(
            "The anchor holds no paragraph hashes, so the paragraphs that differ cannot be named.",
            highlight=False,
        )
        return
    table = Table(
        "change",
        "anchored",
        "in this copy",
        "copy's text",
        title=f"where {label} differs from the anchored document",
    )
    chunks = {c.number: c for c in chunks_of(data)}
    for d in found:
        anchored = ", ".join(f"¶{n}" for n in d.anchored) or f"(after ¶{d.after})"
        copy = [chunks[n] for n in d.copy]
        table.add_row(
            d.kind,
            anchored,
            ", ".join(_where(c) for c in copy) or "-",
            "\n".join(_snippet(data, c) for c in copy) or "-",
        )
    console.print(table)
