"""The demo of a running consortium: what ``make demo`` shows.

It creates a local three-node consortium in a folder, starts the three node processes,
anchors the five seed documents through the nodes' HTTP API, writes each document's
receipt and verifies one offline against trust.json, shows that a modified copy of a
document is not anchored, kills one node and keeps committing without it (a re-deposit
of a document by a second organisation), restarts it and watches it catch up, audits
all three stores and compares their heads, and stops every node. Promise: no node
process outlives it, whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ledger.canonical import sha256
from ledger.keys import read_key_file
from ledger.model.transaction import Transaction
from ledger.receipt import verify_receipt
from ledger.trust import Trust
from nodes.bootstrap import key_paths, load_genesis, write_json
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium import processes
from nodes.consortium.audit import audit_consortium
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.consortium.ports import free_base_port
from nodes.consortium.status import consortium_status
from seeds.corpus import documents

READY_TIMEOUT = 60.0


def _wait(layout: Layout, what: str, done: object, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} did not happen within {timeout:g} s; see {layout.root}/logs"
            )
        time.sleep(0.1)


def run_consortium_demo(out: Path, console: Console) -> bool:
    """Run the demo into ``out``; True when every check came out as expected."""
    layout = Layout(out)
    try:
        return _run(layout, console)
    finally:
        for name in layout.node_names() if (out / "nodes").is_dir() else []:
            processes.stop(layout, name)


def _run(layout: Layout, console: Console) -> bool:
    out = layout.root
    console.rule("[bold]provledger: a three-node consortium")
    base = free_base_port(3)
    configs = init_consortium(out, 3, base_port=base, chain_name="provledger-demo", force=True)
    genesis = load_genesis(layout.genesis)
    trust = Trust.load(layout.trust)
    console.print(
        f"chain id {genesis.chain_id}; quorum {trust.validators.threshold} of "
        f"{len(trust.validators)} validators; trust anchor {layout.trust}",
        highlight=False,
    )
    with console.status("starting three node processes"):
        for c in configs:
            processes.start(layout, c.name)
        _wait(layout, "all nodes ready", lambda: all(r["up"] for r in consortium_status(layout)))
    _nodes_table(layout, console, "nodes up")

    urls = [c.url for c in configs]
    orgs = [o.name for o in genesis.organisations]
    keys = {o: read_key_file(key_paths(out, o)[0]) for o in orgs}
    receipts = out / "receipts"
    receipts.mkdir(exist_ok=True)
    table = Table(title="seed documents anchored through the nodes' API")
    for col in ("height", "document", "sha256", "bytes", "depositor", "tx id"):
        table.add_column(col)
    docs = list(documents())
    with ConsortiumClient(urls) as client, console.status("anchoring the seed documents"):
        sent = []
        for i, doc in enumerate(docs):
            org = orgs[i % len(orgs)]
            args = {
                "sha256": doc.sha256,
                "size": len(doc.data),
                "title": doc.title[:200],
                "media_type": "text/plain; charset=utf-8",
            }
            tx = Transaction.new(keys[org], genesis.chain_id, "evidence", "anchor", args)
            signed = tx.sign(keys[org])
            client.submit(signed)
            sent.append((doc, org, signed))
        for doc, org, signed in sent:
            status = client.wait_committed(signed, 60)
            receipt = client.request("GET", f"/v1/receipts/{signed.tx_id}")
            write_json(receipts / f"{Path(doc.name).stem}.json", receipt)
            table.add_row(
                str(status["height"]),
                doc.name,
                doc.sha256[:16] + "…",
                str(len(doc.data)),
                org,
                signed.tx_id[:16] + "…",
            )
    console.print(table)

    ok = True
    first = sorted(receipts.glob("*.json"))[0]
    verified = verify_receipt(json.loads(first.read_text(encoding="utf-8")), trust)
    console.print(
        f"[bold green]receipt verified offline[/] {first.name} against trust.json alone: "
        f"anchored by [bold]{verified.organisation}[/] at height {verified.height}, "
        f"consensus time {verified.time}, certified by "
        f"{', '.join(verified.certificate_signers)}",
        highlight=False,
    )
    tampered = docs[0].data.replace(b"2", b"3", 1)
    with ConsortiumClient(urls) as client:
        try:
            client.request("GET", f"/v1/evidence/{sha256(tampered).hex()}")
            console.print("[bold red]a modified copy was found anchored: this is a bug[/]")
            ok = False
        except ApiProblem as exc:
            console.print(
                f"[bold]modified copy of {docs[0].name} (one character changed):[/] "
                f"not anchored ({exc.problem.get('detail')})",
                highlight=False,
            )

    victim = configs[2]
    pid = processes.running(layout, victim.name)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
        _wait(layout, f"{victim.name} gone", lambda: processes.exited(pid))
        layout.pid(victim.name).unlink(missing_ok=True)
    console.print(f"[bold]kill -9[/] {victim.name}: two of three nodes are a quorum")
    doc = docs[0]
    org = orgs[1]
    args = {"sha256": doc.sha256, "size": len(doc.data), "title": doc.title[:200]}
    redeposit = Transaction.new(keys[org], genesis.chain_id, "evidence", "anchor", args).sign(
        keys[org]
    )
    with ConsortiumClient(urls) as client:
        client.submit(redeposit)
        st = client.wait_committed(redeposit, 60)
        record = client.request("GET", f"/v1/evidence/{doc.sha256}")["anchor"]
    console.print(
        f"committed without {victim.name} at height {st['height']}: {org} re-deposits "
        f"{doc.name}, recorded as re-deposit #{record['redeposits']} of the first anchor "
        f"by {record['depositor']} (tx {record['tx_id'][:16]}…)",
        highlight=False,
    )
    processes.start(layout, victim.name)
    with console.status(f"restarting {victim.name}; it catches up from its peers"):
        _wait(layout, "catch-up", lambda: _heads_agree(layout, st["height"]))
    _nodes_table(layout, console, f"{victim.name} restarted and caught up")

    with console.status("auditing every node's store"):
        audit = audit_consortium(layout)
    for name, report in audit.reports.items():
        mark = "[green]clean[/]" if report.ok else f"[bold red]FAULT[/] {report.finding}"
        console.print(
            f"audit {name}: {mark}: {report.blocks} blocks, {report.transactions} "
            f"transactions re-verified from genesis",
            highlight=False,
        )
    if audit.ok:
        console.print("[green]audit clean[/]: all three nodes hold the same blocks")
    else:
        ok = False
        console.print(f"[bold red]audit failed[/]: {audit.divergence or audit.unreadable}")
    for c in configs:
        processes.stop(layout, c.name)
    console.print("all nodes stopped")
    return ok


def _heads_agree(layout: Layout, height: int) -> bool:
    rows = consortium_status(layout)
    heads = {r["head"] for r in rows}
    return all(r["up"] and (r["height"] or 0) >= height for r in rows) and len(heads) == 1


def _nodes_table(layout: Layout, console: Console, title: str) -> None:
    table = Table(title=title)
    for col in ("node", "url", "pid", "height", "head"):
        table.add_column(col)
    for r in consortium_status(layout):
        table.add_row(r["name"], r["url"], str(r["pid"]), str(r["height"]), (r["head"] or "-")[:16])
    console.print(table)
