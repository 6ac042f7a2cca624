"""``provledger trace``: follow product batches through the supply chain.

Acting commands (``commission``, ``pack``, ``unpack``, ``ship``, ``receive``,
``transform``, ``transact``, ``inspect``, ``recall``) sign one ``traceability``
transaction with an organisation's member key, submit it, wait until it is committed
and print the outcome. Exit 0 when applied; 1 when the ledger refuses it (a custody
rule, or a role that may not call the action), with the reason; 2 when the command
itself is wrong (malformed ids or options, unreadable folder).

Reading commands (``history``, ``upstream``, ``downstream``, ``impact``) ask any live
node of the consortium. Exit 1 for an unknown product. ``export`` writes a product's
lineage as EPCIS 2.0 JSON-LD and W3C PROV-JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from contracts.base import Rejection
from contracts.traceability import CONTRACT, ROLES
from contracts.traceability.args import check_action_args
from ledger.errors import ValidationError
from ledger.model.transaction import Transaction
from ledger.trust import Trust
from nodes.bootstrap import load_genesis
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, fail, handle_errors
from nodes.cli.reads import get_or_exit
from nodes.cli.state_cmd import show_proven
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium.layout import Layout
from nodes.member import member_key

app = typer.Typer(
    help="Traceability: commission, pack, ship, receive, transform, sell, inspect and "
    "recall product batches (GS1 EPCIS 2.0 events), and read their histories and graphs.",
    no_args_is_help=True,
)

Consortium = Annotated[Path, typer.Option(help="The consortium folder.")]
As = Annotated[
    str | None,
    typer.Option("--as", help="Organisation to act as (default: the first whose roles allow it)."),
]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the commit.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ReadPoint = Annotated[
    str | None, typer.Option(help="Where the event was observed: an SGLN URI (readPoint).")
]
BizLocation = Annotated[
    str | None,
    typer.Option(help="Where the products are afterwards: an SGLN URI (bizLocation)."),
]
Ids = Annotated[
    list[str],
    typer.Argument(metavar="ID...", help="Product ids: EPC URIs or GS1 Digital Link URIs."),
]


# ---- acting --------------------------------------------------------------------------


def _where(read_point: str | None, biz_location: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if read_point is not None:
        out["read_point"] = read_point
    if biz_location is not None:
        out["biz_location"] = biz_location
    return out


def parse_quantity(text: str) -> dict[str, Any]:
    """``ID=QUANTITY[:UOM]`` as a quantity element, e.g. ``urn:epc:class:lgtin:...=1200:KGM``."""
    product_id, sep, amount = text.rpartition("=")
    number, _, uom = amount.partition(":")
    if not sep or not product_id or not (number.isascii() and number.isdigit()):
        raise ValidationError(
            f"--quantity {text!r}: expected ID=QUANTITY or ID=QUANTITY:UOM, e.g. ...=1200:KGM"
        )
    out: dict[str, Any] = {"epcClass": product_id, "quantity": int(number)}
    if uom:
        out["uom"] = uom
    return out


def parse_biz_transaction(text: str) -> dict[str, str]:
    """``TYPE=ID`` as a business transaction, e.g. ``po=urn:epcglobal:cbv:bt:...``."""
    kind, sep, ident = text.partition("=")
    if not sep or not kind or not ident:
        raise ValidationError(f"--bt {text!r}: expected TYPE=ID, e.g. po=urn:epcglobal:cbv:bt:…")
    return {"type": kind, "id": ident}


def submit(
    consortium: Path,
    org: str | None,
    action: str,
    args: dict[str, Any],
    timeout: float,
    as_json: bool,
) -> None:
    """Sign ``action`` with ``args`` as ``org``, submit it, wait, print the outcome; exit 1
    if the ledger refuses it (see the module docstring)."""
    layout = Layout(consortium)
    genesis = load_genesis(layout.genesis)
    org, key = member_key(layout, genesis, org, ROLES[action])
    try:
        check_action_args(CONTRACT, action, args)
    except Rejection as exc:
        fail(exc.reason)
    tx = Transaction.new(key, genesis.chain_id, CONTRACT, action, args).sign(key)
    with ConsortiumClient.of(layout) as client:
        try:
            client.submit(tx)
        except ApiProblem as exc:
            if exc.status not in (403, 422):
                raise
            _refused(action, org, tx.tx_id, str(exc.problem.get("detail", exc)), as_json)
        status = client.wait_committed(tx, timeout)
    outcome = status.get("outcome", {})
    row = {
        "action": action,
        "organisation": org,
        "tx_id": tx.tx_id,
        "status": status["status"],
        "height": status.get("height"),
        "applied": status["status"] == "committed" and bool(outcome.get("applied")),
        "reason": outcome.get("reason") or status.get("reason"),
        "args": args,
    }
    if not row["applied"]:
        _refused(action, org, tx.tx_id, row["reason"] or status["status"], as_json, row)
    if as_json:
        emit_json(row)
        return
    table = Table("height", "tx id", "outcome", title=f"{action} as {org}")
    table.add_row(str(row["height"]), tx.tx_id, "[green]committed[/]")
    console.print(table)


def _refused(
    action: str,
    org: str,
    tx_id: str | None,
    reason: str,
    as_json: bool,
    row: dict[str, Any] | None = None,
) -> None:
    if as_json:
        emit_json(
            row
            or {
                "action": action,
                "organisation": org,
                "tx_id": tx_id,
                "applied": False,
                "reason": reason,
            }
        )
    err_console.print(
        f"[bold red]refused:[/] {action} as {org}: {reason}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(EXIT_FAILED)


@app.command("commission")
@handle_errors
def commission(
    ids: Ids,
    consortium: Consortium,
    quantity: Annotated[
        list[str] | None,
        typer.Option(help="ID=QUANTITY[:UOM] of a class-level id (repeatable), e.g. =1200:KGM."),
    ] = None,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Create products (batches or items), made, owned and held by your organisation."""
    args: dict[str, Any] = {"ids": ids, **_where(read_point, biz_location)}
    if quantity:
        args["quantities"] = [parse_quantity(q) for q in quantity]
    submit(consortium, org, "commission", args, timeout, as_json)


@app.command("pack")
@handle_errors
def pack(
    parent: Annotated[str, typer.Argument(help="The parent (pallet, case): an instance id.")],
    children: Annotated[list[str], typer.Argument(help="The products to pack into it.")],
    consortium: Consortium,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Pack CHILDREN into PARENT (created as a logistic unit if new); custodian only."""
    args = {"parent": parent, "children": children, **_where(read_point, biz_location)}
    submit(consortium, org, "pack", args, timeout, as_json)


@app.command("unpack")
@handle_errors
def unpack(
    parent: Annotated[str, typer.Argument(help="The parent to unpack.")],
    consortium: Consortium,
    children: Annotated[
        list[str] | None, typer.Argument(help="The products to take out (default: all).")
    ] = None,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Take CHILDREN (default: all) out of PARENT; custodian only."""
    args: dict[str, Any] = {"parent": parent, **_where(read_point, biz_location)}
    if children:
        args["children"] = children
    submit(consortium, org, "unpack", args, timeout, as_json)


@app.command("ship")
@handle_errors
def ship(
    ids: Ids,
    consortium: Consortium,
    to: Annotated[str, typer.Option("--to", help="The organisation that will receive them.")],
    from_location: Annotated[
        str | None, typer.Option(help="SGLN URI the products leave from.")
    ] = None,
    to_location: Annotated[str | None, typer.Option(help="SGLN URI they are sent to.")] = None,
    bt: Annotated[
        list[str] | None,
        typer.Option(help="Business transaction TYPE=ID (repeatable), e.g. bol=urn:…"),
    ] = None,
    read_point: ReadPoint = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Ship products you hold (with anything packed in them) to another organisation."""
    args: dict[str, Any] = {"ids": ids, "receiver": to, **_where(read_point, None)}
    if from_location is not None:
        args["source_location"] = from_location
    if to_location is not None:
        args["destination_location"] = to_location
    if bt:
        args["biz_transactions"] = [parse_biz_transaction(b) for b in bt]
    submit(consortium, org, "ship", args, timeout, as_json)


@app.command("receive")
@handle_errors
def receive(
    ids: Ids,
    consortium: Consortium,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Receive products shipped to your organisation; custody moves to it."""
    args = {"ids": ids, **_where(read_point, biz_location)}
    submit(consortium, org, "receive", args, timeout, as_json)


@app.command("transform")
@handle_errors
def transform(
    consortium: Consortium,
    inputs: Annotated[list[str], typer.Option("--input", help="A product consumed (repeatable).")],
    outputs: Annotated[list[str], typer.Option("--output", help="A product made (repeatable).")],
    input_quantity: Annotated[
        list[str] | None, typer.Option(help="ID=QUANTITY[:UOM] of an input (repeatable).")
    ] = None,
    output_quantity: Annotated[
        list[str] | None, typer.Option(help="ID=QUANTITY[:UOM] of an output (repeatable).")
    ] = None,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Consume inputs you hold to make new outputs; both record the other."""
    args: dict[str, Any] = {"inputs": inputs, "outputs": outputs}
    args.update(_where(read_point, biz_location))
    if input_quantity:
        args["input_quantities"] = [parse_quantity(q) for q in input_quantity]
    if output_quantity:
        args["output_quantities"] = [parse_quantity(q) for q in output_quantity]
    submit(consortium, org, "transform", args, timeout, as_json)


@app.command("transact")
@handle_errors
def transact(
    ids: Ids,
    consortium: Consortium,
    to: Annotated[str, typer.Option("--to", help="The new owner organisation.")],
    bt: Annotated[
        list[str], typer.Option(help="Business transaction TYPE=ID (repeatable), e.g. po=urn:…")
    ],
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Sell or transfer products you own to another organisation (ownership only)."""
    args = {"ids": ids, "new_owner": to, "biz_transactions": [parse_biz_transaction(b) for b in bt]}
    submit(consortium, org, "transact", args, timeout, as_json)


@app.command("inspect")
@handle_errors
def inspect(
    ids: Ids,
    consortium: Consortium,
    result: Annotated[
        str, typer.Option(help="conformant or non_conformant (non-conformant also accepted).")
    ],
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Record an inspection (a regulator, or the custodian)."""
    args = {"ids": ids, "result": result.replace("-", "_"), **_where(read_point, biz_location)}
    submit(consortium, org, "inspect", args, timeout, as_json)


@app.command("recall")
@handle_errors
def recall(
    product_id: Annotated[str, typer.Argument(metavar="ID", help="The product to recall.")],
    consortium: Consortium,
    read_point: ReadPoint = None,
    biz_location: BizLocation = None,
    org: As = None,
    timeout: Timeout = 60.0,
    as_json: Json = False,
) -> None:
    """Recall a product and all made from it or packed in it (a regulator, or its maker)."""
    args = {"id": product_id, **_where(read_point, biz_location)}
    submit(consortium, org, "recall", args, timeout, as_json)


# ---- reading -------------------------------------------------------------------------

ProductId = Annotated[str, typer.Argument(metavar="ID", help="The product id.")]


def fetch(
    consortium: Path, product_id: str, view: str | None = None, *, proof: bool = False
) -> dict[str, Any]:
    """The ``/v1/trace/products/{id}[/{view}]`` answer of any live node (with the
    product's proven history when ``proof``); exit 1 if the product is unknown."""
    path = f"/v1/trace/products/{quote(product_id, safe='')}" + (f"/{view}" if view else "")
    params = {"proof": "true"} if proof else {}
    with ConsortiumClient.of(Layout(consortium)) as client:
        found: dict[str, Any] = get_or_exit(client, path, **params)
    return found


def _products_table(title: str, records: list[dict[str, Any]], last: str = "producer") -> Table:
    table = Table("id", "status", "custodian", "owner", last.replace("_", " "), title=title)
    for r in records:
        table.add_row(r["id"], r["status"], r["custodian"], r["owner"], str(r.get(last) or "-"))
    return table


@app.command("history")
@handle_errors
def history_cmd(
    product_id: ProductId,
    consortium: Consortium,
    receipts: Annotated[
        Path | None,
        typer.Option(help="Save each event's receipt as DIR/<tx_id>.json (verify offline)."),
    ] = None,
    proof: Annotated[
        Path | None,
        typer.Option(
            help="Check here, and write to this file, the proof that the record is current "
            "and no event is missing (verify offline with `provledger verify-state`)."
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """The product and its events oldest first (hash-checked by the node)."""
    found = fetch(consortium, product_id, proof=proof is not None)
    if proof is not None:
        show_proven(found["proof"], Trust.load(Layout(consortium).trust), proof)
    if receipts is not None:
        receipts.mkdir(parents=True, exist_ok=True)
        with ConsortiumClient.of(Layout(consortium)) as client:
            for event in found["history"]:
                receipt = client.request("GET", f"/v1/receipts/{event['tx_id']}")
                path = receipts / f"{event['tx_id']}.json"
                path.write_text(json.dumps(receipt, indent=2, ensure_ascii=False) + "\n")
                event["receipt_file"] = str(path)
    if as_json:
        emit_json(found)
        return
    if receipts is not None:
        console.print(
            f"wrote {len(found['history'])} receipt(s) to {receipts}",
            highlight=False,
            soft_wrap=True,
        )
    p = found["product"]
    console.print(
        f"[bold]{p['id']}[/] {p['status']} · held by {p['custodian']} · owned by "
        f"{p['owner']} · made by {p['producer']}",
        highlight=False,
    )
    table = Table(
        "#",
        "step",
        "by",
        "height",
        "bizStep",
        "disposition",
        "tx id",
        title=f"{len(found['history'])} events",
    )
    for i, e in enumerate(found["history"], 1):
        epcis = e["epcis"]
        table.add_row(
            str(i),
            e["step"],
            e["organisation"],
            str(e["height"]),
            epcis.get("bizStep", "-"),
            epcis.get("disposition", "-"),
            e["tx_id"],
        )
    console.print(table)


def _show_products(consortium: Path, product_id: str, view: str, as_json: bool) -> None:
    """Print the products of ``view`` (upstream, downstream, recall-impact) of a product."""
    found = fetch(consortium, product_id, view)
    if as_json:
        emit_json(found)
    elif view == "recall-impact":
        title = f"recall impact of {product_id}: {found['recalled']} of {found['total']} recalled"
        console.print(_products_table(title, found["impact"], "recalled_by"))
    else:
        console.print(_products_table(f"{view} of {product_id}", found[view]))


@app.command("upstream")
@handle_errors
def upstream_cmd(product_id: ProductId, consortium: Consortium, as_json: Json = False) -> None:
    """Every product ID was made from, transitively (nearest first)."""
    _show_products(consortium, product_id, "upstream", as_json)


@app.command("downstream")
@handle_errors
def downstream_cmd(product_id: ProductId, consortium: Consortium, as_json: Json = False) -> None:
    """Every product made from ID or packed in it, transitively (nearest first)."""
    _show_products(consortium, product_id, "downstream", as_json)


@app.command("impact")
@handle_errors
def impact_cmd(product_id: ProductId, consortium: Consortium, as_json: Json = False) -> None:
    """What a recall of ID reaches: it and its downstream products, with statuses."""
    _show_products(consortium, product_id, "recall-impact", as_json)


# ---- export --------------------------------------------------------------------------
# ``trace export``: EPCIS / PROV documents from ``/v1/trace/products/{id}/lineage``.

ExportFormat = Annotated[
    str, typer.Option("--format", help="epcis (EPCIS 2.0 JSON-LD), prov (W3C PROV-JSON) or both.")
]


@app.command("export")
@handle_errors
def export_cmd(
    product_id: ProductId,
    consortium: Consortium,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the documents to.")],
    fmt: ExportFormat = "both",
    as_json: Json = False,
) -> None:
    """Write the lineage of ID (it, its upstream and downstream, all their events) as
    OUT/<name>.epcis.jsonld (EPCIS 2.0, every eventID a CBV 2.0 event hash) and/or
    OUT/<name>.prov.json (W3C PROV-JSON); <name> is ID with '_' for characters other
    than letters, digits, '.', '_' and '-'."""
    from nodes.exports.files import FORMATS, export_files

    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    lineage = fetch(consortium, product_id, "lineage")
    written = export_files(lineage, out, fmt)
    if as_json:
        emit_json({"product": product_id, "files": [str(p) for p in written]})
        return
    for path in written:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)
