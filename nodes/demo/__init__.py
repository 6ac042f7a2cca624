"""The demo of a running consortium: what ``make demo`` shows, chapter by chapter.

It creates a local three-node consortium in a folder and starts its three processes;
anchors the five seed documents with their facts, writes their receipts, verifies one
offline, traces a tampered copy to the paragraph that differs and proves one fact
without its document; admits new organisations by membership votes; runs the oil and
food traceability flows (with a recall) and exports them; kills a node and keeps
committing, restarts it; audits every store; stops every node.

Promises: no node process outlives it, whatever happens; it returns True only when
every check came out as expected; DIR ends up holding trust.json, receipts/*.json (one
per anchored document), proofs/, tampered/ and exports/*.epcis.jsonld, *.prov.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nodes.bootstrap import load_genesis
from nodes.client import ConsortiumClient
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.consortium.ports import free_base_port
from nodes.demo import cluster, evidence, membership, trace
from nodes.demo.context import Demo


def run_consortium_demo(out: Path, console: Console) -> bool:
    """Run the demo into ``out``; True when every check came out as expected."""
    layout = Layout(out)
    started = time.monotonic()
    try:
        ok = _run(layout, console)
    finally:
        if (out / "nodes").is_dir():
            cluster.stop_all(layout)
    console.print(f"all nodes stopped; the demo took {time.monotonic() - started:.1f} s")
    return ok


def _run(layout: Layout, console: Console) -> bool:
    console.rule("[bold]provledger: a three-node consortium for provenance")
    init_consortium(
        layout.root, 3, base_port=free_base_port(3), chain_name="provledger-demo", force=True
    )
    genesis = load_genesis(layout.genesis)
    orgs = ", ".join(f"{o.name} ({'/'.join(o.roles)})" for o in genesis.organisations)
    console.print(
        f"chain id {genesis.chain_id}; organisations {orgs}; trust anchor {layout.trust}",
        highlight=False,
    )
    with ConsortiumClient.of(layout) as client:
        demo = Demo(layout, genesis, client, console)
        docs: list = []
        chapters: list[tuple[str, Callable[[], object]]] = [
            ("start three node processes", lambda: cluster.start_all(demo)),
            (
                "anchor the seed documents and their facts",
                lambda: docs.extend(evidence.anchor_seeds(demo)),
            ),
            ("verify a document offline", lambda: evidence.verify_one(demo, docs[0])),
            ("find where a tampered copy differs", lambda: evidence.tamper(demo, docs[0])),
            ("prove one fact without its document", lambda: evidence.prove_fact(demo, docs[3])),
            ("admit new organisations by vote", lambda: membership.admit_members(demo)),
            ("oil: Quanzhou refinery to Singapore", lambda: _oil(demo)),
            ("food: farm to shelf, and a recall", lambda: _food(demo)),
            ("kill a node, keep going, catch up", lambda: cluster.crash_and_recover(demo, docs[1])),
            ("audit all three nodes", lambda: cluster.audit(demo)),
        ]
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("demo", total=len(chapters))
            for number, (title, chapter) in enumerate(chapters, start=1):
                progress.update(task, description=f"[{number}/{len(chapters)}] {title}")
                console.rule(f"[bold]{number}. {title}")
                chapter()
                progress.advance(task)
    _summary(demo)
    return not demo.failures


def _oil(demo: Demo) -> None:
    trace.run_flow(
        demo, "crude oil import → refinery → gasoline export (one ordered batch)", trace.oil_flow()
    )
    trace.show_history(demo, trace.GASOLINE)
    written = trace.export(demo, trace.GASOLINE)
    demo.console.print(f"exported the gasoline's lineage: {', '.join(written)}", highlight=False)


def _food(demo: Demo) -> None:
    trace.run_flow(demo, "farm → processor → carrier → retailer, then a recall", trace.food_flow())
    trace.show_recall(demo, trace.APPLES)
    trace.prove_recall(demo, trace.JUICE)
    written = trace.export(demo, trace.JUICE)
    demo.console.print(f"exported the juice's lineage: {', '.join(written)}", highlight=False)


def _summary(demo: Demo) -> None:
    out = demo.out
    kept = [
        f"{out / 'trust.json'}",
        f"{len(list((out / 'receipts').glob('*.json')))} receipts in {out / 'receipts'}",
        f"{len(list((out / 'exports').glob('*')))} exports in {out / 'exports'}",
    ]
    demo.console.print("wrote " + "; ".join(kept), highlight=False)
    if demo.failures:
        demo.console.print(
            f"[bold red]{len(demo.failures)} check(s) did not come out as expected[/]"
        )
        for f in demo.failures:
            demo.console.print(f"  - {f}", highlight=False)
    else:
        demo.console.print("[bold green]every check came out as expected[/]")
