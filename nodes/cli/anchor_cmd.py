"""``provledger anchor FILE... --consortium DIR``: anchor documents and their facts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from contracts.registry import default_registry
from ledger.keys import SigningKey
from ledger.model.transaction import SignedTransaction, Transaction
from nodes.bootstrap import load_genesis
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, handle_errors
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium.layout import Layout
from nodes.documents import Described, describe
from nodes.member import member_key


def anchor_files(
    client: ConsortiumClient,
    organisation: str,
    key: SigningKey,
    chain_id: str,
    files: list[tuple[Path, Described]],
    timeout: float,
) -> list[dict[str, Any]]:
    """Anchor each described file as ``organisation``, wait for the anchors, then publish
    the facts of each document whose first anchor is this organisation's and whose facts
    are not yet published; one result row per file.

    A document no one has anchored yet has its facts sent right behind its anchor, so
    both usually commit in one block; if that publication is refused (another anchor of
    the same digest came first, or it was ordered before the anchor), the facts are
    published after the anchor commits, as for any other document that owes them."""
    anchors = []
    early: dict[str, SignedTransaction] = {}  # anchor tx id -> its facts, sent with it
    for _, d in files:
        tx = Transaction.new(key, chain_id, "evidence", "anchor", d.args).sign(key)
        new = d.facts and not is_anchored(client, d.args["sha256"])
        client.submit(tx)
        anchors.append(tx)
        if new:
            publish = _publish_tx(key, chain_id, d)
            try:
                client.submit(publish)
            except ApiProblem:
                continue  # published after the anchor commits, below
            early[tx.tx_id] = publish
    rows = []
    for (path, d), tx in zip(files, anchors, strict=True):
        row = _row(path, d, tx, client.wait_committed(tx, timeout))
        if row["applied"]:
            if tx.tx_id in early:
                client.wait_committed(early[tx.tx_id], timeout)
            first = client.request("GET", f"/v1/evidence/{row['sha256']}")["anchor"]
            row["first"] = first["tx_id"] == tx.tx_id
            row["facts_published"] = first["facts_published"]
            # ours to publish: the first anchor is this organisation's, with these facts
            row["publish"] = (
                first["depositor"] == organisation
                and first["facts_root"] == d.args.get("facts_root")
                and not first["facts_published"]
            )
        rows.append(row)
    publishing: list[tuple[dict[str, Any], SignedTransaction]] = []
    for row, (_, d) in zip(rows, files, strict=True):
        if row.get("publish") and d.facts:
            publishing.append((row, _publish_tx(key, chain_id, d)))
    submitted = []
    for row, tx in publishing:
        try:
            client.submit(tx)
        except ApiProblem as exc:
            row["reason"] = f"facts not published: {exc}"
            continue
        submitted.append((row, tx))
    for row, tx in submitted:
        st = client.wait_committed(tx, timeout)
        outcome = st.get("outcome", {})
        row["facts_published"] = st["status"] == "committed" and outcome.get("applied", False)
        if not row["facts_published"]:
            row["reason"] = f"facts not published: {outcome.get('reason') or st.get('reason')}"
    return rows


def is_anchored(client: ConsortiumClient, digest: str) -> bool:
    """Whether the ledger already holds an anchor of ``digest``."""
    try:
        client.request("GET", f"/v1/evidence/{digest}")
    except ApiProblem as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _publish_tx(key: SigningKey, chain_id: str, d: Described) -> SignedTransaction:
    args = {"sha256": d.args["sha256"], "facts": d.facts}
    return Transaction.new(key, chain_id, "evidence", "publish_facts", args).sign(key)


def _row(path: Path, d: Described, tx: SignedTransaction, st: dict[str, Any]) -> dict[str, Any]:
    outcome = st.get("outcome", {})
    return {
        "file": str(path),
        "sha256": d.args["sha256"],
        "tx_id": tx.tx_id,
        "status": st["status"],
        "height": st.get("height"),
        "applied": outcome.get("applied", False),
        "first": False,
        "facts": d.args.get("facts_count", 0),
        "chunks": len(d.args.get("chunks", [])),
        "facts_published": False,
        "reason": outcome.get("reason") or st.get("reason"),
        "notes": list(d.notes),
    }


@handle_errors
def anchor(
    files: Annotated[list[Path], typer.Argument(help="Files to anchor.")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    org: Annotated[
        str | None,
        typer.Option("--as", help="Organisation to deposit as (default: the first allowed)."),
    ] = None,
    facts: Annotated[
        bool, typer.Option(help="Extract, anchor and publish the facts of text files.")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each commit.")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Anchor each FILE: SHA-256, size, title, media type, paragraph hashes and, for text,
    the Merkle root of its extracted facts; then publish those facts.

    Waits until committed. Exit 0 only when every anchor (and its facts) is applied.
    """
    layout = Layout(consortium)
    genesis = load_genesis(layout.genesis)
    allowed = default_registry(genesis).roles_allowed("evidence", "anchor")
    org, key = member_key(layout, genesis, org, allowed)
    described = [(path, describe(path, path.read_bytes(), with_facts=facts)) for path in files]
    with ConsortiumClient.of(layout) as client:
        rows = anchor_files(client, org, key, genesis.chain_id, described, timeout)
    ok = all(
        r["applied"] and (r["facts_published"] or not r["first"] or not r["facts"]) for r in rows
    )
    if as_json:
        emit_json({"organisation": org, "anchors": rows, "ok": ok})
    else:
        _print(org, rows)
    if not ok:
        raise typer.Exit(EXIT_FAILED)


def _print(org: str, rows: list[dict[str, Any]]) -> None:
    table = Table(
        "file", "sha256", "height", "facts", "paragraphs", "status", title=f"anchored as {org}"
    )
    for r in rows:
        if not r["applied"] or (r.get("publish") and not r["facts_published"]):
            state = f"[red]{r['reason']}[/]"
        elif not r["first"]:
            state = "[yellow]re-deposit (already anchored)[/]"
        else:
            state = "[green]committed[/]"
        table.add_row(
            r["file"],
            r["sha256"][:16] + "…",
            str(r["height"]),
            str(r["facts"]),
            str(r["chunks"]),
            state,
        )
    console.print(table)
    for r in rows:
        for note in r["notes"]:
            err_console.print(f"[yellow]note:[/] {r['file']}: {note}", highlight=False)
