"""``provledger demo``: the guided demo."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from nodes.cli.output import EXIT_FAILED, console, handle_errors
from nodes.core_demo import run_core_demo
from nodes.demo import run_consortium_demo


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
    core: Annotated[
        bool,
        typer.Option("--core", help="Show the verifiable core in one process instead (no nodes)."),
    ] = False,
) -> None:
    """Run a local three-node consortium and tell its story: anchor the five seed
    documents with their facts, verify one offline, find the paragraph a tampered copy
    changed, prove a fact without its document, admit organisations by vote, run the
    oil and food traceability flows (with a recall, proven offline) and export them, kill
    a node and keep going, audit every node, stop them all.

    Writes into DIR: trust.json, receipts/*.json, proofs/, tampered/, exports/*.epcis.jsonld
    and exports/*.prov.json. Exit 0 when every check came out as expected.
    """
    run_demo = run_core_demo if core else run_consortium_demo
    if out is None:
        with tempfile.TemporaryDirectory(prefix="provledger-demo-") as tmp:
            ok = run_demo(Path(tmp), console)
        console.print(
            "The demo's files were in a temporary folder, now removed; "
            "run `provledger demo --out DIR` to keep them."
        )
    else:
        out.mkdir(parents=True, exist_ok=True)
        ok = run_demo(out, console)
        kept = (
            "ledger.sqlite"
            if core
            else "proofs/, tampered/, exports/*.epcis.jsonld, exports/*.prov.json, "
            "nodes/*/ledger.sqlite, logs/"
        )
        console.print(
            f"Kept in {out}: trust.json, genesis.json, keys/, receipts/*.json, {kept} "
            "(try `provledger verify-receipt` and `provledger audit`)."
        )
    if not ok:
        raise typer.Exit(EXIT_FAILED)
