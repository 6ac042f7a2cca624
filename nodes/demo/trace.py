"""Chapter: traceability. Two flows drawn from the seed articles run through the
``traceability`` contract, each followed by the ledger's own account of it, and the
custody rules refusing what they must:

- crude oil imported through Quanzhou port, refined by Sinochem into gasoline and
  diesel, the gasoline sold to and shipped to a Singapore importer;
- apples from a farm processed into juice and purée, carried to a retailer, then
  recalled by the regulator: the recall reaches every batch made from them.

Each flow is exported as EPCIS 2.0 JSON-LD and W3C PROV-JSON into DIR/exports.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from rich.table import Table

from ledger.history_proof import verify_history
from nodes.demo.context import Demo, Step
from nodes.exports.files import export_files

T = "traceability"
CRUDE = "urn:epc:class:lgtin:6901234.000001.CRUDE-2020-0715"
GASOLINE = "urn:epc:class:lgtin:6901234.000002.GAS92-2020-11"
DIESEL = "urn:epc:class:lgtin:6901234.000003.DSL-2020-11"
APPLES = "urn:epc:class:lgtin:6923456.000001.APL-2026-10"
JUICE = "urn:epc:class:lgtin:6923456.000002.JUICE-0031"
PUREE = "urn:epc:class:lgtin:6923456.000003.PUREE-0007"
PORT = "urn:epc:id:sgln:6901234.00001.0"  # Quanzhou port
REFINERY = "urn:epc:id:sgln:6901234.00002.0"  # Sinochem Quanzhou refinery
SINGAPORE = "urn:epc:id:sgln:8880000.00001.0"  # the importer's terminal in Singapore
FARM = "urn:epc:id:sgln:6923456.00001.0"
STORE = "urn:epc:id:sgln:6923456.00009.0"


def _q(epc_class: str, quantity: int, uom: str) -> dict[str, Any]:
    return {"epcClass": epc_class, "quantity": quantity, "uom": uom}


def _ship(
    org: str, ids: list[str], to: str, label: str, applied: bool = True, **where: str
) -> Step:
    return Step(org, T, "ship", {"ids": ids, "receiver": to, **where}, label, applied)


def _receive(org: str, ids: list[str], at: str, label: str) -> Step:
    return Step(org, T, "receive", {"ids": ids, "read_point": at}, label)


def oil_flow() -> list[Step]:
    """Crude oil import to refinery to gasoline exported from Quanzhou to Singapore."""
    return [
        Step(
            "sinochem",
            T,
            "commission",
            {"ids": [CRUDE], "quantities": [_q(CRUDE, 100_000, "TNE")], "read_point": PORT},
            "crude oil cargo imported",
        ),
        Step(
            "sasac",
            T,
            "inspect",
            {"ids": [CRUDE], "result": "conformant", "read_point": PORT},
            "regulator inspects the crude",
        ),
        _ship(
            "sinochem", [CRUDE], "quanzhou-port", "handed to the port", destination_location=PORT
        ),
        _receive("quanzhou-port", [CRUDE], PORT, "port receives the crude"),
        _ship(
            "quanzhou-port",
            [CRUDE],
            "sinochem",
            "piped to the refinery",
            source_location=PORT,
            destination_location=REFINERY,
        ),
        _receive("sinochem", [CRUDE], REFINERY, "refinery receives the crude"),
        Step(
            "sinochem",
            T,
            "transform",
            {
                "inputs": [CRUDE],
                "outputs": [GASOLINE, DIESEL],
                "input_quantities": [_q(CRUDE, 100_000, "TNE")],
                "output_quantities": [_q(GASOLINE, 38_000, "TNE"), _q(DIESEL, 41_000, "TNE")],
                "read_point": REFINERY,
            },
            "refined into gasoline and diesel",
        ),
        Step(
            "sasac",
            T,
            "inspect",
            {"ids": [GASOLINE], "result": "conformant", "read_point": REFINERY},
            "regulator inspects the gasoline",
        ),
        Step(
            "sinochem",
            T,
            "transact",
            {
                "ids": [GASOLINE],
                "new_owner": "sg-energy",
                "biz_transactions": [
                    {"type": "po", "id": "urn:epcglobal:cbv:bt:8880000000001:PO-2020-118"},
                    {"type": "inv", "id": "urn:epcglobal:cbv:bt:6901234000004:INV-7731"},
                ],
            },
            "gasoline sold to sg-energy",
        ),
        _ship(
            "sinochem",
            [GASOLINE],
            "quanzhou-port",
            "gasoline to the port for export",
            source_location=REFINERY,
            destination_location=PORT,
        ),
        _receive("quanzhou-port", [GASOLINE], PORT, "port loads the tanker"),
        _ship(
            "quanzhou-port",
            [GASOLINE],
            "sg-energy",
            "exported from Quanzhou to Singapore",
            source_location=PORT,
            destination_location=SINGAPORE,
        ),
        _receive("sg-energy", [GASOLINE], SINGAPORE, "received in Singapore"),
        Step(
            "quanzhou-port",
            T,
            "ship",
            {"ids": [GASOLINE], "receiver": "sinochem"},
            "port ships gasoline it no longer holds",
            applied=False,
        ),
        Step(
            "sinochem",
            T,
            "ship",
            {"ids": [CRUDE], "receiver": "sg-energy"},
            "refined crude shipped again",
            applied=False,
        ),
    ]


def food_flow() -> list[Step]:
    """Farm to processor to carrier to retailer; then the regulator's recall."""
    return [
        Step(
            "greenfarm",
            T,
            "commission",
            {"ids": [APPLES], "quantities": [_q(APPLES, 20_000, "KGM")], "read_point": FARM},
            "apples harvested",
        ),
        Step(
            "greenfarm",
            T,
            "transact",
            {
                "ids": [APPLES],
                "new_owner": "minfood",
                "biz_transactions": [
                    {"type": "po", "id": "urn:epcglobal:cbv:bt:6923456000002:PO-0412"}
                ],
            },
            "apples sold to the processor",
        ),
        _ship("greenfarm", [APPLES], "minfood", "apples to the processor", source_location=FARM),
        _receive(
            "minfood", [APPLES], "urn:epc:id:sgln:6923456.00002.0", "processor receives the apples"
        ),
        Step(
            "minfood",
            T,
            "transform",
            {
                "inputs": [APPLES],
                "outputs": [JUICE, PUREE],
                "output_quantities": [_q(JUICE, 12_000, "LTR"), _q(PUREE, 4_000, "KGM")],
            },
            "pressed into juice and purée",
        ),
        Step(
            "minfood",
            T,
            "transact",
            {
                "ids": [JUICE],
                "new_owner": "freshmart",
                "biz_transactions": [
                    {"type": "po", "id": "urn:epcglobal:cbv:bt:6923456000009:PO-5521"}
                ],
            },
            "juice sold to freshmart",
        ),
        _ship("minfood", [JUICE], "quanzhou-port", "juice to the carrier"),
        _receive("quanzhou-port", [JUICE], PORT, "carrier picks up the juice"),
        _ship(
            "quanzhou-port",
            [JUICE],
            "freshmart",
            "carrier delivers to the store",
            destination_location=STORE,
        ),
        _receive("freshmart", [JUICE], STORE, "freshmart receives the juice"),
        _ship(
            "minfood",
            [PUREE],
            "freshmart",
            "purée shipped to freshmart",
            destination_location=STORE,
        ),
        Step(
            "freshmart",
            T,
            "receive",
            {"ids": [APPLES]},
            "freshmart receives apples never shipped to it",
            applied=False,
        ),
        Step("sasac", T, "recall", {"id": APPLES}, "regulator recalls the apple lot"),
        _ship("freshmart", [JUICE], "quanzhou-port", "recalled juice shipped on", applied=False),
        Step("freshmart", T, "recall", {"id": JUICE}, "a retailer tries to recall", applied=False),
    ]


def run_flow(demo: Demo, title: str, steps: list[Step]) -> None:
    """Run a flow as one ordered batch and print what the ledger did with each step."""
    rows = demo.run(steps)
    table = Table("#", "step", "organisation", "action", "height", "outcome", title=title)
    for i, r in enumerate(rows, start=1):
        step = r["step"]
        if r["applied"]:
            outcome = "[green]applied[/]"
        else:
            mark = (
                "[yellow]refused, as the rules require[/]"
                if not step.applied
                else "[red]refused[/]"
            )
            outcome = f"{mark}: {r['reason']}"
        table.add_row(
            str(i),
            step.label,
            step.org,
            step.action,
            str(r["status"].get("height") or "-"),
            outcome,
        )
    demo.console.print(table)


def show_history(demo: Demo, product_id: str) -> None:
    """A product's hash-linked history, as a node serves and verifies it."""
    answer = demo.product(product_id)
    table = Table(
        "event",
        "EPCIS",
        "bizStep",
        "by",
        "height",
        "previous",
        title=f"history of {product_id} (each event names the one before it)",
    )
    for e in answer["history"]:
        prev = e["previous"].get(product_id)
        table.add_row(
            e["event_id"][:12] + "…",
            e["epcis"]["type"],
            e["epcis"].get("bizStep", "-"),
            e["organisation"],
            str(e["height"]),
            (prev or "-")[:12] + ("…" if prev else ""),
        )
    demo.console.print(table)


def show_recall(demo: Demo, product_id: str) -> None:
    """Which batches a recall of ``product_id`` reached."""
    impact = demo.product(product_id, "recall-impact")
    reached = impact["impact"]
    table = Table(
        "product", "status", "custodian", "recalled by", title=f"recall impact of {product_id}"
    )
    for p in reached:
        table.add_row(p["id"], p["status"], p["custodian"], (p.get("recalled_by") or "-")[:12])
    demo.console.print(table)
    recalled = {p["id"] for p in reached if p.get("recalled_by")}
    demo.expect(
        {JUICE, PUREE} <= recalled, f"the recall did not reach juice and purée: {sorted(recalled)}"
    )


def prove_recall(demo: Demo, product_id: str) -> None:
    """Fetch the proof that ``product_id`` is recalled now, with its complete history,
    write it out, and verify it offline against trust.json alone."""
    found = demo.get(f"/v1/trace/products/{quote(product_id, safe='')}?proof=true")
    doc = found["proof"]
    path = demo.out / "proofs" / "recalled-juice.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    proven = verify_history(doc, demo.trust())
    record = proven.record or {}
    demo.expect(record.get("status") == "recalled", f"{product_id} is not proven recalled")
    demo.console.print(
        f"[bold green]PROVEN offline[/] with {path.relative_to(demo.out)} and trust.json only: "
        f"{product_id} is {record.get('status')}, held by {record.get('custodian')}, "
        f"{len(proven.events)} events and none left out, as of height {proven.state.height}",
        highlight=False,
    )


def export(demo: Demo, product_id: str) -> list[str]:
    """Write the lineage of ``product_id`` as EPCIS 2.0 JSON-LD and PROV-JSON."""
    written = export_files(demo.product(product_id, "lineage"), demo.out / "exports", "both")
    return [str(p.relative_to(demo.out)) for p in written]
