"""``provledger demo``: the guided demo."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from nodes.cli.output import EXIT_FAILED, console, handle_errors
from nodes.core_demo import run_core_demo


@handle_errors
def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to keep the demo's files in (default: a temporary folder, "
            "removed afterwards).",
        ),
    ] = None,
) -> None:
    """Run the demo: anchor the seed documents, verify, refuse a forgery, audit."""
    if out is None:
        with tempfile.TemporaryDirectory(prefix="provledger-demo-") as tmp:
            ok = run_core_demo(Path(tmp), console)
        console.print(
            "The demo's files were in a temporary folder, now removed; "
            "run `provledger demo --out DIR` to keep them."
        )
    else:
        out.mkdir(parents=True, exist_ok=True)
        ok = run_core_demo(out, console)
        console.print(
            f"Kept in {out}: trust.json, genesis.json, keys/, receipts/*.json, "
            "ledger.sqlite (try `provledger verify-receipt` and `provledger audit`)."
        )
    if not ok:
        raise typer.Exit(EXIT_FAILED)
