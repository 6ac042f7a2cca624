"""``provledger verify-receipt``: check a receipt offline against trust.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import ReceiptError
from ledger.jsonfile import read_json
from ledger.receipt import VerifiedReceipt, verify_receipt
from ledger.trust import Trust
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, handle_errors


@handle_errors
def verify_receipt_cmd(
    receipt: Annotated[Path, typer.Argument(help="A receipt JSON file.")],
    trust: Annotated[Path, typer.Option(help="The consortium's trust.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Verify a receipt offline against trust.json.

    Needs nothing but the consortium's public keys: no server, no database.
    Exit 0 verified, 1 not verified.
    """
    anchor = Trust.load(trust)
    data = read_json(receipt, "receipt file")
    try:
        result = verify_receipt(data, anchor)
    except ReceiptError as exc:
        if as_json:
            emit_json({"verified": False, "reason": str(exc)})
        else:
            err_console.print(f"[bold red]NOT VERIFIED[/] {receipt}: {exc}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from exc
    if as_json:
        emit_json({"verified": True, **summary(result)})
    else:
        print_verified(result, str(receipt))


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
    }


def print_verified(v: VerifiedReceipt, label: str) -> None:
    """Print a verified receipt for a person."""
    console.print(
        f"[bold green]VERIFIED[/] {label}\n"
        f"  {v.entry.tx.contract}.{v.entry.tx.action} by [bold]{v.organisation}[/]\n"
        f"  committed at height {v.height} (log index {v.index}), consensus time {v.time}\n"
        f"  block {v.block_hash}\n"
        f"  certified by {', '.join(v.certificate_signers)}; checkpoint cosigned by "
        f"{', '.join(v.checkpoint_signers)}",
        highlight=False,
    )
