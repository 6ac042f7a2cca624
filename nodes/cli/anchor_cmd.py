"""``provledger anchor FILE... --consortium DIR``: anchor documents' SHA-256 digests."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from contracts.registry import default_registry
from ledger.canonical import sha256
from ledger.model.transaction import Transaction
from nodes.bootstrap import load_genesis
from nodes.cli.output import EXIT_FAILED, console, emit_json, handle_errors
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout
from nodes.member import member_key


def anchor_args(path: Path, data: bytes) -> dict[str, Any]:
    """The ``evidence.anchor`` arguments for file ``path`` with content ``data``."""
    args: dict[str, Any] = {"sha256": sha256(data).hex(), "size": len(data), "title": path.name}
    media, _ = mimetypes.guess_type(path.name)
    if media:
        args["media_type"] = media
    return args


@handle_errors
def anchor(
    files: Annotated[list[Path], typer.Argument(help="Files to anchor.")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    org: Annotated[
        str | None,
        typer.Option("--as", help="Organisation to deposit as (default: the first allowed)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each commit.")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Anchor each FILE's SHA-256 and size; wait until committed; print height and tx id.

    Exit 0 only when every anchor is committed and applied.
    """
    layout = Layout(consortium)
    genesis = load_genesis(layout.genesis)
    allowed = default_registry().roles_allowed("evidence", "anchor")
    org, key = member_key(layout, genesis, org, allowed)
    txs = []
    for path in files:
        data = path.read_bytes()
        tx = Transaction.new(key, genesis.chain_id, "evidence", "anchor", anchor_args(path, data))
        txs.append((path, tx.sign(key)))
    rows = []
    with ConsortiumClient([c.url for c in layout.configs()]) as client:
        for _, tx in txs:
            client.submit(tx)
        for path, tx in txs:
            st = client.wait_committed(tx, timeout)
            rows.append(
                {
                    "file": str(path),
                    "sha256": tx.tx.args["sha256"],
                    "tx_id": tx.tx_id,
                    "status": st["status"],
                    "height": st.get("height"),
                    "applied": st.get("outcome", {}).get("applied", False),
                    "reason": st.get("outcome", {}).get("reason") or st.get("reason"),
                }
            )
    ok = all(r["status"] == "committed" and r["applied"] for r in rows)
    if as_json:
        emit_json({"organisation": org, "anchors": rows, "ok": ok})
    else:
        table = Table(title=f"anchored as {org}")
        for col in ("file", "sha256", "height", "tx id", "status"):
            table.add_column(col)
        for r in rows:
            state = "[green]committed[/]" if r["applied"] else f"[red]{r['reason']}[/]"
            table.add_row(r["file"], r["sha256"][:16] + "…", str(r["height"]), r["tx_id"], state)
        console.print(table)
    if not ok:
        raise typer.Exit(EXIT_FAILED)
