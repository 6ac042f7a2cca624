"""``provledger audit``: re-verify a store from genesis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ledger.audit import AuditReport
from ledger.errors import DamagedDatabaseError
from ledger.store import Store
from nodes.bootstrap import load_genesis
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, fail, handle_errors
from nodes.consortium.audit import audit_consortium, audit_database
from nodes.consortium.layout import Layout


@handle_errors
def audit(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The store: a SQLite file path, sqlite:///path, or postgresql://user@host/db.",
        ),
    ] = None,
    consortium: Annotated[
        Path | None,
        typer.Option(help="Audit every node of this consortium folder and compare their heads."),
    ] = None,
    genesis: Annotated[
        Path | None,
        typer.Option(
            help="A trusted genesis.json to audit against (default: the genesis in the store)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Re-verify a store from genesis; name the first fault exactly.

    Checks every block, certificate, checkpoint, transaction and Merkle node, and
    re-executes the contracts from genesis: every state root, results root, state
    tree node and stored state, history and result row must be what they give. Exit 0
    when clean, 1 at the first fault (a damaged database file is one). With
    --consortium DIR: every node's store against DIR/genesis.json, and every two nodes
    must hold the same blocks.
    """
    if (db is None) == (consortium is None):
        fail("give exactly one of --db STORE or --consortium DIR")
    if consortium is not None:
        _audit_consortium(consortium, as_json)
        return
    assert db is not None
    trusted = load_genesis(genesis) if genesis else None
    try:
        store = Store.open(db, trusted)
    except DamagedDatabaseError as exc:
        report = AuditReport.of_damage(trusted.chain_id if trusted else "", exc)
    else:
        with store:
            if as_json or not console.is_terminal:
                report = audit_database(store, trusted)
            else:
                with Progress(console=err_console, transient=True) as bar:
                    task = bar.add_task("auditing blocks", total=None)
                    report = audit_database(
                        store,
                        trusted,
                        lambda done, total: bar.update(task, completed=done, total=total),
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


def _audit_consortium(folder: Path, as_json: bool) -> None:
    layout = Layout(folder)
    if as_json or not console.is_terminal:
        result = audit_consortium(layout)
    else:
        with console.status("auditing") as status:
            result = audit_consortium(layout, lambda n: status.update(f"auditing {n}"))
    if as_json:
        emit_json(result.to_dict())
    else:
        for name, report in result.reports.items():
            print_report(report, name)
        for name, error in result.unreadable.items():
            console.print(f"[bold red]UNREADABLE[/] {name}: {error}", highlight=False)
        if result.divergence:
            console.print(f"[bold red]DIVERGENCE[/] {result.divergence}", highlight=False)
        elif not result.unreadable:
            console.print("all nodes agree on every block they share", highlight=False)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
