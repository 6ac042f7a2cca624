"""``provledger verify FILE --consortium DIR``: was this exact file anchored? If not,
which anchored document does it resemble, and which paragraphs differ?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ledger.anchor_proof import AnchorCheck, verify_anchor
from ledger.errors import ReceiptError
from nodes.cli.diff_view import describe_differences, print_differences
from nodes.cli.output import EXIT_FAILED, console, emit_json, handle_errors
from nodes.cli.receipt_cmd import fetch_anchor, file_and_trust, print_verified, summary
from nodes.cli.verdict import NOT_ANCHORED, NOT_VERIFIED, VERIFIED, Verdict, print_verdict
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout
from nodes.documents import describe


def resembling(client: ConsortiumClient, file: Path, data: bytes) -> dict[str, Any] | None:
    """The anchored document a changed copy most resembles: the one sharing most of its
    paragraphs, if it shares at least half of the anchored ones or has the same title."""
    args = describe(file, data, with_facts=False).args
    query = {"title": args["title"], "chunks": args.get("chunks", [])}
    for candidate in client.request("POST", "/v1/evidence/similar", json=query)["candidates"]:
        most = 2 * candidate["shared_chunks"] >= max(1, candidate["anchored_chunks"])
        if candidate["same_title"] or most:
            return candidate
    return None


@handle_errors
def verify(
    file: Annotated[Path, typer.Argument(help="The file to check.")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    trust: Annotated[
        Path | None, typer.Option(help="trust.json to verify against (default: DIR/trust.json).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Verify FILE: who deposited it, when (consensus time), at which height, which
    validators signed, and what the anchor did (its committed result: the first anchor
    of this digest, or a re-deposit), checked locally against trust.json.

    The first line is the verdict: VERIFIED; NOT ANCHORED (no anchor of these bytes:
    it names the anchored document FILE resembles, by title or most of the same
    paragraphs, and the paragraphs that differ); or NOT VERIFIED (the anchor's receipt
    failed a check). Exit 0 verified; 1 not anchored or not verified.
    """
    layout = Layout(consortium)
    data, digest, anchor = file_and_trust(file, layout, trust)
    with ConsortiumClient.of(layout) as client:
        found = fetch_anchor(client, digest)
        near = None if found else resembling(client, file, data)
        near_receipt = fetch_anchor(client, near["sha256"]) if near else None
    if found is not None:
        try:
            check = verify_anchor(found["receipt"], anchor, data)
            if not check.matches:
                raise ReceiptError("the receipt anchors another digest or size than this file's")
        except ReceiptError as exc:
            _refuse(as_json, file, digest, NOT_VERIFIED, f"receipt does not verify: {exc}")
        _verified(as_json, file, digest, check, found["anchor"])
        return
    why = f"no anchor of SHA-256 {digest} on the ledger"
    if near_receipt is None:
        _refuse(as_json, file, digest, NOT_ANCHORED, why)
    try:
        check = verify_anchor(near_receipt["receipt"], anchor, data)
    except ReceiptError as exc:
        why = f"{why}; the receipt of a similar anchored document does not verify: {exc}"
        _refuse(as_json, file, digest, NOT_ANCHORED, why)
    _differs(as_json, file, digest, data, check, why)


def _verified(
    as_json: bool, file: Path, digest: str, check: AnchorCheck, record: dict[str, Any]
) -> None:
    extra = {
        "title": record.get("title"),
        "facts": record.get("facts_count"),
        "facts_published": record.get("facts_published"),
        "redeposits": record.get("redeposits"),
    }
    if as_json:
        emit_json(
            {
                "verdict": VERIFIED,
                "verified": True,
                "file": str(file),
                "sha256": digest,
                **extra,
                **summary(check.receipt),
            }
        )
        return
    print_verified(check.receipt, f"{file} (SHA-256 {digest})")
    console.print(
        f"  title: {extra['title']}\n  facts anchored: {extra['facts'] or 0}"
        f" ({'published' if extra['facts_published'] else 'not published'});"
        f" re-deposits: {extra['redeposits']}",
        highlight=False,
    )


def _differs(
    as_json: bool, file: Path, digest: str, data: bytes, check: AnchorCheck, why: str
) -> NoReturn:
    original = check.args
    if as_json:
        emit_json(
            {
                "verdict": NOT_ANCHORED,
                "verified": False,
                "file": str(file),
                "sha256": digest,
                "reason": why,
                "resembles": {
                    "sha256": original["sha256"],
                    "title": original.get("title"),
                    **summary(check.receipt),
                },
                "differences": describe_differences(data, check.differences),
            }
        )
        raise typer.Exit(EXIT_FAILED)
    print_verdict(NOT_ANCHORED, str(file), why)
    console.print(
        f"It resembles the anchored document [bold]{original.get('title')}[/] "
        f"(SHA-256 {original['sha256'][:16]}…), deposited by {check.receipt.organisation} at "
        f"height {check.receipt.height} ({check.receipt.time}); its receipt verifies.",
        highlight=False,
    )
    print_differences(data, check.differences, str(file))
    raise typer.Exit(EXIT_FAILED)


def _refuse(as_json: bool, file: Path, digest: str, verdict: Verdict, why: str) -> NoReturn:
    if as_json:
        emit_json(
            {
                "verdict": verdict,
                "verified": False,
                "file": str(file),
                "sha256": digest,
                "reason": why,
            }
        )
    else:
        print_verdict(verdict, str(file), why)
    raise typer.Exit(EXIT_FAILED)
