"""``provledger audit``: re-verify a store from genesis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ledger.audit import AuditReport, audit_store
from ledger.store import Store
from nodes.bootstrap import load_genesis
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, handle_errors


@handle_errors
def audit(
    db: Annotated[
        str,
        typer.Option(
            "--db",
            help="The store: a SQLite file path, sqlite:///path, or postgresql://user@host/db.",
        ),
    ],
    genesis: Annotated[
        Path | None,
        typer.Option(
            help="A trusted genesis.json to audit against (default: the genesis in the store)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Re-verify a store from genesis; name the first fault exactly.

    Checks every block, certificate, checkpoint, transaction and Merkle node.
    Exit 0 when clean, 1 at the first fault.
    """
    trusted = load_genesis(genesis) if genesis else None
    with Store.open(db, trusted) as store:
        if as_json or not console.is_terminal:
            report = audit_store(store, trusted)
        else:
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task("auditing blocks", total=store.height())
                report = audit_store(
                    store, trusted, lambda done, total: bar.update(task, completed=done)
                )
    source = str(genesis) if genesis else "the store's own genesis"
    if as_json:
        emit_json({**report.to_dict(), "trusted_genesis": source})
    else:
        print_report(report, db)
        console.print(f"  trusted root: {source}", highlight=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def print_report(report: AuditReport, label: str) -> None:
    """Print a report for a person."""
    if report.ok:
        console.print(
            f"[green]clean[/] {label}: {report.blocks} blocks, {report.transactions} "
            f"transactions, {report.merkle_nodes} Merkle nodes verified; head "
            f"{report.head_height} {report.head_hash or '-'}",
            highlight=False,
        )
        return
    f = report.finding
    assert f is not None
    console.print(
        f"[bold red]FAULT[/] {label} at {f.where()}: {f.check}: {f.message}", highlight=False
    )
    if f.expected or f.actual:
        console.print(f"  expected {f.expected}\n  found    {f.actual}", highlight=False)
    console.print(
        f"  verified before the fault: {report.blocks} blocks, {report.transactions} transactions",
        highlight=False,
    )
