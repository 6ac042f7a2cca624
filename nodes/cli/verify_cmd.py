"""``provledger verify FILE --consortium DIR``: prove a file was anchored, offline-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.canonical import sha256
from ledger.errors import ReceiptError
from ledger.receipt import verify_receipt
from ledger.trust import Trust
from nodes.cli.output import EXIT_FAILED, emit_json, err_console, handle_errors
from nodes.cli.receipt_cmd import print_verified, summary
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium.layout import Layout


@handle_errors
def verify(
    file: Annotated[Path, typer.Argument(help="The file to check.")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Fetch the receipt of FILE's SHA-256 and verify it locally against DIR/trust.json.

    Exit 0 verified; 1 not anchored or not verified.
    """
    layout = Layout(consortium)
    trust = Trust.load(layout.trust)
    data = file.read_bytes()
    digest = sha256(data).hex()
    with ConsortiumClient([c.url for c in layout.configs()]) as client:
        try:
            found = client.request("GET", f"/v1/evidence/{digest}")
        except ApiProblem as exc:
            if exc.status != 404:
                raise
            _not_verified(as_json, file, f"no anchor of SHA-256 {digest} on the ledger", digest)
    try:
        result = verify_receipt(found["receipt"], trust)
        args = result.entry.tx.args
        if (result.entry.tx.contract, result.entry.tx.action) != ("evidence", "anchor"):
            raise ReceiptError("the receipt is not of an evidence anchor")
        if args.get("sha256") != digest or args.get("size") != len(data):
            raise ReceiptError("the receipt anchors another digest or size than this file's")
    except (ReceiptError, KeyError, TypeError) as exc:
        _not_verified(as_json, file, f"receipt does not verify: {exc}", digest)
    if as_json:
        emit_json({"verified": True, "file": str(file), "sha256": digest, **summary(result)})
    else:
        print_verified(result, f"{file} (SHA-256 {digest})")


def _not_verified(as_json: bool, file: Path, why: str, digest: str) -> None:
    if as_json:
        emit_json({"verified": False, "file": str(file), "sha256": digest, "reason": why})
    else:
        err_console.print(f"[bold red]NOT VERIFIED[/] {file}: {why}", highlight=False)
    raise typer.Exit(EXIT_FAILED)
