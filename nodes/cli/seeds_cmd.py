"""``provledger seeds``: the seed corpus manifest, and the facts extracted from text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nodes.cli.output import EXIT_FAILED, console, emit_json, fail, handle_errors
from seeds.corpus import documents
from seeds.facts import EXTRACTOR_VERSION, KINDS, extract_facts
from seeds.manifest import CorpusMismatch, check_corpus, load_manifest

app = typer.Typer(
    help="The seed corpus: its manifest (checked byte for byte) and the facts "
    "extracted from it or from any UTF-8 text.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
_TEXT_WIDTH = 120


@app.command("list")
@handle_errors
def list_documents(
    as_json: JsonOpt = False,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus",
            help="Check this folder against the manifest instead of the packaged corpus.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Show the seed manifest and check the corpus against it: exit 1, naming the file,
    if a file is missing, extra, or not byte-for-byte what the manifest records."""
    entries = load_manifest()
    problem: str | None = None
    try:
        check_corpus(corpus)
    except CorpusMismatch as exc:
        problem = str(exc)
    if as_json:
        emit_json(
            {
                "documents": [entry.as_dict() for entry in entries],
                "corpus_matches": problem is None,
                "problem": problem,
            }
        )
    else:
        table = Table(title="seed corpus manifest")
        for column in ("file", "bytes", "sha256", "title", "source"):
            table.add_column(column, overflow="fold")
        for entry in entries:
            table.add_row(
                entry.file, str(entry.bytes), entry.sha256[:16], entry.title, entry.source
            )
        console.print(table)
        if problem is None:
            console.print("[green]corpus matches the manifest[/]", highlight=False)
    if problem is not None:
        fail(problem, EXIT_FAILED)


@app.command("facts")
@handle_errors
def facts(
    as_json: JsonOpt = False,
    doc: Annotated[
        str | None,
        typer.Option(
            "--doc", help="Only this seed document: its file name or a unique prefix (000)."
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"Only facts of this kind: {', '.join(KINDS)}."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Extract from this UTF-8 text file instead of the seed corpus.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Extract facts (counts, money, dates, organisations, claims...) deterministically
    from the seed documents, or from any UTF-8 text file with --file."""
    if kind is not None and kind not in KINDS:
        fail(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if file is not None and doc is not None:
        fail("give --doc or --file, not both")
    found: list[dict[str, Any]] = []
    for name, text in _texts(doc, file):
        found.extend(f for f in extract_facts(name, text) if kind is None or f["kind"] == kind)
    if as_json:
        emit_json({"extractor": EXTRACTOR_VERSION, "facts": found})
        return
    table = Table(title=f"facts ({EXTRACTOR_VERSION})")
    for column in ("doc", "kind", "value", "unit", "text"):
        table.add_column(column, overflow="fold")
    for fact in found:
        table.add_row(
            fact["doc"],
            fact["kind"],
            "" if fact["value"] is None else str(fact["value"]),
            fact["unit"] or "",
            _short(fact["text"]),
        )
    console.print(table)
    console.print(f"{len(found)} fact{'' if len(found) == 1 else 's'}", highlight=False)


def _texts(doc: str | None, file: Path | None) -> list[tuple[str, str]]:
    """(name, text) of what to extract from; exits 2 on an unknown document or a file
    that is not UTF-8."""
    if file is not None:
        data = file.read_bytes()
        try:
            return [(file.name, data.decode("utf-8"))]
        except UnicodeDecodeError as exc:
            fail(f"{file}: not UTF-8 text (invalid byte at offset {exc.start})")
    docs = documents()
    if doc is not None:
        docs = [d for d in docs if d.name == doc] or [d for d in docs if d.name.startswith(doc)]
        if len(docs) != 1:
            known = ", ".join(d.name for d in documents())
            fail(f"no single seed document matches {doc!r}; known: {known}")
    return [(d.name, d.data.decode("utf-8")) for d in docs]


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _TEXT_WIDTH else flat[: _TEXT_WIDTH - 1] + "…"
