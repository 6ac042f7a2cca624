"""``provledger receipt`` and ``provledger verify-receipt``: fetch a document's receipt,
and check a receipt offline against trust.json (with the file, if given)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ledger.anchor_proof import verify_anchor
from ledger.canonical import sha256
from ledger.errors import ReceiptError
from ledger.jsonfile import read_json
from ledger.receipt import VerifiedReceipt, verify_receipt
from ledger.trust import Trust
from nodes.bootstrap import write_json
from nodes.cli.diff_view import describe_differences, print_differences
from nodes.cli.output import EXIT_FAILED, console, emit_json, handle_errors
from nodes.cli.verdict import NOT_ANCHORED, NOT_VERIFIED, VERIFIED, outcome, print_verdict
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium.layout import Layout


def file_and_trust(file: Path, layout: Layout, trust: Path | None) -> tuple[bytes, str, Trust]:
    """The bytes of ``file``, their hex SHA-256, and the trust anchor to check them
    against: ``trust`` if given, else the consortium folder's trust.json."""
    anchor = Trust.load(trust or layout.trust)
    data = file.read_bytes()
    return data, sha256(data).hex(), anchor


def fetch_anchor(client: ConsortiumClient, digest: str) -> dict[str, Any] | None:
    """The node's answer for an anchored digest (anchor record and receipt), or None."""
    try:
        return client.request("GET", f"/v1/evidence/{digest}")
    except ApiProblem as exc:
        if exc.status == 404:
            return None
        raise


@handle_errors
def receipt_cmd(
    file: Annotated[Path, typer.Argument(help="The anchored file.")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the receipt.")],
    trust: Annotated[
        Path | None, typer.Option(help="trust.json to check against (default: DIR/trust.json).")
    ] = None,
) -> None:
    """Fetch the receipt of FILE's anchor, check it locally, and write it to OUT.

    The receipt alone proves, offline, who anchored these bytes, when, under which
    validators' signatures, and what the anchor did (its committed result: the first
    anchor of this digest, or a re-deposit). Writes only OUT, and only when the receipt
    verifies; says so, with the outcome on the next line.
    Exit 0 written; 1 NOT ANCHORED (no anchor of these bytes) or NOT VERIFIED (the
    receipt failed a check).
    """
    layout = Layout(consortium)
    data, digest, anchor = file_and_trust(file, layout, trust)
    with ConsortiumClient.of(layout) as client:
        found = fetch_anchor(client, digest)
    if found is None:
        print_verdict(NOT_ANCHORED, str(file), f"no anchor of SHA-256 {digest} on the ledger")
        raise typer.Exit(EXIT_FAILED)
    try:
        check = verify_anchor(found["receipt"], anchor, data)
        if not check.matches:
            raise ReceiptError("the receipt anchors another digest or size than this file's")
    except ReceiptError as exc:
        print_verdict(NOT_VERIFIED, str(file), f"receipt does not verify: {exc}")
        raise typer.Exit(EXIT_FAILED) from exc
    write_json(out, found["receipt"])
    console.print(
        f"wrote {out}: {file} anchored by {check.receipt.organisation} at height "
        f"{check.receipt.height} ({check.receipt.time})",
        highlight=False,
    )
    console.print(f"  {escape(outcome_of(check.receipt))}", highlight=False)


@handle_errors
def verify_receipt_cmd(
    receipt: Annotated[Path, typer.Argument(help="A receipt JSON file.")],
    file: Annotated[
        Path | None, typer.Argument(help="The document, to check it is what was anchored.")
    ] = None,
    trust: Annotated[Path, typer.Option(help="The consortium's trust.json.")] = Path("trust.json"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Verify a receipt offline against trust.json, and that FILE (if given) is exactly
    the document it anchors; for a changed copy, name the paragraphs that differ.

    A verified receipt also proves the transaction's outcome, printed under the
    verdict: applied (with its writes) or refused (with the code and reason).

    Needs nothing but the consortium's public keys: no server, no database. The first
    line is the verdict: VERIFIED; NOT VERIFIED (the receipt failed a check); or NOT
    ANCHORED (the receipt verifies but anchors other bytes than FILE's). Exit 0 verified;
    1 not verified or not anchored.
    """
    anchor = Trust.load(trust)
    data = read_json(receipt, "receipt file")
    content = file.read_bytes() if file is not None else None
    try:
        if content is None:
            result = verify_receipt(data, anchor)
        else:
            check = verify_anchor(data, anchor, content)
            result = check.receipt
    except ReceiptError as exc:
        if as_json:
            emit_json({"verdict": NOT_VERIFIED, "verified": False, "reason": str(exc)})
        else:
            print_verdict(NOT_VERIFIED, str(receipt), str(exc))
        raise typer.Exit(EXIT_FAILED) from exc
    if content is not None and file is not None and not check.matches:
        why = "not the document this receipt anchors (SHA-256 or size differ)"
        if as_json:
            found = describe_differences(content, check.differences)
            emit_json(
                {
                    "verdict": NOT_ANCHORED,
                    "verified": False,
                    "reason": why,
                    "differences": found,
                    **summary(result),
                }
            )
        else:
            print_verdict(NOT_ANCHORED, str(file), why)
            console.print(
                f"The receipt {receipt} verifies: it anchors {result.entry.tx.args.get('title')!r}"
                f" (SHA-256 {str(result.entry.tx.args.get('sha256'))[:16]}…), deposited by "
                f"{result.organisation} at height {result.height} ({result.time}).",
                highlight=False,
            )
            print_differences(content, check.differences, str(file))
        raise typer.Exit(EXIT_FAILED)
    if as_json:
        emit_json({"verdict": VERIFIED, "verified": True, **summary(result)})
    else:
        label = f"{receipt}" + (f" for {file}" if file is not None else "")
        print_verified(result, label)


def summary(v: VerifiedReceipt) -> dict[str, object]:
    """What a verified receipt proves, JSON-safe."""
    return {
        "tx_id": v.tx_id,
        "log_index": v.index,
        "height": v.height,
        "block_hash": v.block_hash,
        "time": v.time,
        "organisation": v.organisation,
        "contract": v.entry.tx.contract,
        "action": v.entry.tx.action,
        "args": v.entry.tx.args,
        "certificate_signers": list(v.certificate_signers),
        "checkpoint_signers": list(v.checkpoint_signers),
        "result": v.result.to_dict(),
        "outcome": outcome_of(v),
    }


def outcome_of(v: VerifiedReceipt) -> str:
    """The outcome line of a verified receipt (``nodes.cli.verdict.outcome``)."""
    return outcome(v.entry.tx, v.tx_id, v.result)


def print_verified(v: VerifiedReceipt, label: str) -> None:
    """Print a verified receipt for a person."""
    console.print(
        f"[bold green]{VERIFIED}[/] {label}\n"
        f"  {v.entry.tx.contract}.{v.entry.tx.action} by [bold]{v.organisation}[/]\n"
        f"  {escape(outcome_of(v))}\n"
        f"  committed at height {v.height} (log index {v.index}), consensus time {v.time}\n"
        f"  block {v.block_hash}\n"
        f"  certified by {', '.join(v.certificate_signers)}; checkpoint cosigned by "
        f"{', '.join(v.checkpoint_signers)}",
        highlight=False,
    )
