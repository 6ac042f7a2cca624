"""``provledger evidence ...`` (queries of anchored documents) and ``provledger
verify-fact`` (prove one fact offline)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from contracts.traceability.parties import unknown_party
from ledger.anchor_proof import verify_fact
from ledger.canonical import sha256
from ledger.errors import ReceiptError, ValidationError
from ledger.jsonfile import read_json
from ledger.trust import Trust
from nodes.bootstrap import write_json
from nodes.cli.ids import is_prefix, resolve_id
from nodes.cli.output import (
    EXIT_FAILED,
    EXIT_UNUSABLE,
    console,
    emit_json,
    fail,
    handle_errors,
)
from nodes.cli.reads import get_or_exit
from nodes.cli.verdict import NOT_VERIFIED, VERIFIED, print_verdict
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout

app = typer.Typer(
    help="Query anchored documents: by digest, by depositor, their facts and fact proofs.",
    no_args_is_help=True,
)
_DIGEST = re.compile(r"[0-9a-f]{64}")
Consortium = Annotated[Path, typer.Option(help="The consortium folder.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def digest_of(document: str, client: ConsortiumClient | None = None) -> str:
    """A document named by its hex SHA-256, by a file path or (given a ``client``) by a
    unique prefix of 8 or more hex digits of an anchored SHA-256: its hex SHA-256."""
    if _DIGEST.fullmatch(document):
        return document
    path = Path(document)
    if path.is_file():
        return sha256(path.read_bytes()).hex()
    if client is not None and is_prefix(document):
        return resolve_id(client, document, "document")
    raise ValidationError(
        f"{document}: neither a SHA-256 (64 hex characters, or a unique prefix of 8 or more) "
        "nor a file"
    )


def _client(consortium: Path) -> ConsortiumClient:
    return ConsortiumClient.of(Layout(consortium))


def _known_organisation(client: ConsortiumClient, organisation: str) -> None:
    """Exit 2, naming the organisations of the roster, unless ``organisation`` is one."""
    known = sorted(o["name"] for o in client.request("GET", "/v1/members")["organisations"])
    if organisation not in known:
        fail(unknown_party(organisation, known), EXIT_UNUSABLE)


@app.command("show")
@handle_errors
def show(
    document: Annotated[
        str, typer.Argument(help="A file, or its SHA-256 (or a unique prefix of 8+ hex digits).")
    ],
    consortium: Consortium,
    as_json: AsJson = False,
) -> None:
    """The anchor of a document: depositor, time, height, facts and re-deposits."""
    with _client(consortium) as client:
        record = get_or_exit(client, f"/v1/evidence/{digest_of(document, client)}")["anchor"]
    if as_json:
        emit_json(record)
        return
    table = Table(title=f"anchor of {record['sha256'][:16]}…", show_header=False)
    for name in (
        "title",
        "depositor",
        "time",
        "height",
        "tx_id",
        "size",
        "media_type",
        "extractor",
        "facts_count",
        "facts_published",
        "redeposits",
    ):
        table.add_row(name, str(record.get(name)))
    table.add_row("paragraphs", str(record.get("chunks_count")))
    console.print(table)


@app.command("by")
@handle_errors
def by_depositor(
    organisation: Annotated[str, typer.Argument(help="The depositing organisation.")],
    consortium: Consortium,
    limit: Annotated[int, typer.Option(help="At most this many documents.", min=1)] = 100,
    as_json: AsJson = False,
) -> None:
    """The documents an organisation anchored (first anchors and re-deposits). Exit 2
    when it anchored none and is not an organisation of the roster (a typo, most often)."""
    with _client(consortium) as client:
        found = get_or_exit(
            client, f"/v1/evidence/by-depositor/{organisation}", limit=min(limit, 1000)
        )
        if not found["documents"]:
            _known_organisation(client, organisation)
    if as_json:
        emit_json(found)
        return
    table = Table(
        "sha256", "title", "height", "time", title=f"documents anchored by {organisation}"
    )
    for d in found["documents"]:
        table.add_row(d["sha256"][:16] + "…", str(d["title"]), str(d["height"]), d["time"])
    console.print(table)


@app.command("facts")
@handle_errors
def facts(
    document: Annotated[
        str, typer.Argument(help="A file, or its SHA-256 (or a unique prefix of 8+ hex digits).")
    ],
    consortium: Consortium,
    as_json: AsJson = False,
) -> None:
    """The published facts of an anchored document, with their indexes."""
    with _client(consortium) as client:
        found = get_or_exit(client, f"/v1/evidence/{digest_of(document, client)}/facts")
    if as_json:
        emit_json(found)
        return
    table = Table(
        *("#", "kind", "value", "unit", "text", "organisations"),
        title=f"{found['facts_count']} facts of {found['sha256'][:16]}… ({found['extractor']})",
    )
    for i, f in enumerate(found["facts"]):
        text = f["text"] if len(f["text"]) <= 60 else f["text"][:59] + "…"
        table.add_row(
            str(i), f["kind"], str(f["value"]), f["unit"] or "", text, ", ".join(f["organisations"])
        )
    console.print(table)


@app.command("fact-proof")
@handle_errors
def fact_proof(
    document: Annotated[
        str, typer.Argument(help="A file, or its SHA-256 (or a unique prefix of 8+ hex digits).")
    ],
    index: Annotated[int, typer.Argument(help="The fact's index (see `evidence facts`).", min=0)],
    consortium: Consortium,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the fact proof.")],
) -> None:
    """Write a proof that fact INDEX belongs to the anchored document: the fact, its
    Merkle proof and the anchor's receipt. `provledger verify-fact` checks it offline."""
    layout = Layout(consortium)
    with _client(consortium) as client:
        proof = get_or_exit(
            client, f"/v1/evidence/{digest_of(document, client)}/facts/{index}/proof"
        )
    verified = verify_fact(proof, Trust.load(layout.trust))
    write_json(out, proof)
    console.print(
        f"wrote {out}: fact {index} of {verified.count} ({verified.fact['kind']}: "
        f"{verified.fact['text']!r})",
        highlight=False,
    )


@handle_errors
def verify_fact_cmd(
    proof: Annotated[Path, typer.Argument(help="A fact proof JSON file (`evidence fact-proof`).")],
    trust: Annotated[Path, typer.Option(help="The consortium's trust.json.")] = Path("trust.json"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Prove offline that one fact belongs to an anchored document, without the document:
    the fact's Merkle proof leads to the facts root that the anchor's receipt proves.

    The first line is the verdict: VERIFIED, or NOT VERIFIED when the fact's proof or
    the receipt inside it fails a check. Exit 0 verified, 1 not verified.
    """
    data: Any = read_json(proof, "fact proof file")
    try:
        v = verify_fact(data, Trust.load(trust))
    except ReceiptError as exc:
        if as_json:
            emit_json({"verdict": NOT_VERIFIED, "verified": False, "reason": str(exc)})
        else:
            print_verdict(NOT_VERIFIED, str(proof), str(exc))
        raise typer.Exit(EXIT_FAILED) from exc
    r = v.receipt
    if as_json:
        emit_json(
            {
                "verdict": VERIFIED,
                "verified": True,
                "fact": v.fact,
                "index": v.index,
                "count": v.count,
                "document": v.document,
                "organisation": r.organisation,
                "height": r.height,
                "time": r.time,
                "certificate_signers": list(r.certificate_signers),
            }
        )
        return
    console.print(
        f"[bold green]{VERIFIED}[/] fact {v.index} of {v.count}: {v.fact.get('kind')} "
        f"{v.fact.get('value')!r} {v.fact.get('unit') or ''}\n"
        f"  “{v.fact.get('text')}”\n"
        f"  of document {v.document} ({r.entry.tx.args.get('title')})\n"
        f"  among the facts [bold]{r.organisation}[/] committed to in its anchor at height "
        f"{r.height}, consensus time {r.time}; certified by {', '.join(r.certificate_signers)}",
        highlight=False,
    )
