"""``provledger blocks`` and ``provledger tx``: the chain from the terminal, as any node
of the consortium serves it (a read, not a verification: `verify-receipt` and `audit`
check)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ledger.keys import key_id
from nodes.cli.ids import resolve_id
from nodes.cli.output import console, emit_json, handle_errors
from nodes.cli.reads import get_or_exit
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout

Consortium = Annotated[Path, typer.Option(help="The consortium folder.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
MAX_LAST = 100


def short(hex_id: str | None, digits: int = 10) -> str:
    """The first ``digits`` of an id, then an ellipsis (``-`` for none)."""
    return "-" if hex_id is None else hex_id[:digits] + "…"


def validator_names(client: ConsortiumClient) -> dict[str, str]:
    """Validator key id -> validator name, from the node's trust file."""
    return {v["key_id"]: v["name"] for v in client.request("GET", "/v1/trust")["validators"]}


def organisation_of_key(client: ConsortiumClient) -> dict[str, str]:
    """Member key id -> organisation, as of the head."""
    roster = client.request("GET", "/v1/members")
    return {key_id(bytes.fromhex(k)): o["name"] for o in roster["organisations"] for k in o["keys"]}


def block_summary(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """What `blocks` shows of one served block (block, certificate, checkpoint)."""
    header = item["block"]["header"]
    signers = [s["validator"] for s in item["certificate"]["signatures"]]
    return {
        "height": header["height"],
        "time": header["time"],
        "proposer": header["proposer"],
        "proposer_name": names.get(header["proposer"]),
        "tx_count": header["tx_count"],
        "block_hash": item["certificate"]["block_hash"],
        "signers": [names.get(s, s) for s in signers],
    }


@handle_errors
def blocks(
    consortium: Consortium,
    height: Annotated[
        int | None, typer.Argument(help="One block's height (default: the latest).", min=1)
    ] = None,
    last: Annotated[
        int, typer.Option("--last", help="How many of the latest blocks.", min=1, max=MAX_LAST)
    ] = 10,
    as_json: AsJson = False,
) -> None:
    """The latest blocks, or the block at HEIGHT: time, proposer, transactions, hash and
    signers.

    Reads what a node serves; `audit` and `verify-receipt` are the checks."""
    with ConsortiumClient.of(Layout(consortium)) as client:
        if height is None:
            top = client.request("GET", "/v1/head")["height"]
            heights = list(range(top, max(0, top - last), -1))
        else:
            heights = [height]
        names = validator_names(client)
        found = [block_summary(get_or_exit(client, f"/v1/blocks/{h}"), names) for h in heights]
    if as_json:
        emit_json(found)
        return
    table = Table("height")
    table.add_column("UTC time", no_wrap=True)
    for name in ("proposer", "txs", "hash", "signers"):
        table.add_column(name, no_wrap=name == "hash")
    for b in found:
        table.add_row(
            str(b["height"]),
            b["time"][5:19].replace("T", " "),  # month-day and time: --json has the year
            b["proposer_name"] or short(b["proposer"]),
            str(b["tx_count"]),
            short(b["block_hash"]),
            ", ".join(b["signers"]),
        )
    console.print(table if found else "no blocks yet")


@handle_errors
def tx_cmd(
    tx_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="The transaction id, or a unique prefix of 8 or more hex digits."
        ),
    ],
    consortium: Consortium,
    as_json: AsJson = False,
) -> None:
    """A transaction: its call (contract, action, sender organisation), where it stands
    (height, log index) and its outcome.

    Exit 1 if no node knows it; exit 2 if the prefix is ambiguous."""
    with ConsortiumClient.of(Layout(consortium)) as client:
        full = resolve_id(client, tx_id, "tx")
        found = get_or_exit(client, f"/v1/transactions/{full}")
        if found["status"] == "committed":
            call = client.request("GET", f"/v1/receipts/{full}")["entry"]["tx"]
            found |= {
                "contract": call["contract"],
                "action": call["action"],
                "sender": call["sender"],
                "organisation": organisation_of_key(client).get(call["sender"]),
                "created_at": call["created_at"],
                "args": call["args"],
            }
    if as_json:
        emit_json(found)
        return
    table = Table(title=f"transaction {short(full, 16)}", show_header=False)
    table.add_row("tx_id", full)
    table.add_row("status", found["status"])
    for name in ("height", "log_index"):
        if found.get(name) is not None:
            table.add_row(name, str(found[name]))
    if "outcome" in found:
        outcome = found["outcome"]
        table.add_row("outcome", "applied" if outcome.get("applied") else outcome.get("reason"))
    if found.get("reason"):
        table.add_row("reason", found["reason"])
    if "contract" in found:
        table.add_row("call", f"{found['contract']}.{found['action']}")
        table.add_row("sender", found["organisation"] or short(found["sender"]))
        table.add_row("created_at", found["created_at"])
        args = json.dumps(found["args"], ensure_ascii=False)
        table.add_row("args", args if len(args) <= 200 else args[:199] + "…")
    console.print(table)
