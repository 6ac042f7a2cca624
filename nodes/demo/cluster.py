"""Chapters about the nodes themselves: start the three processes, kill one and keep
committing without it, restart it and watch it catch up, audit every store."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from rich.table import Table

from ledger.model.transaction import Transaction
from nodes.consortium import processes
from nodes.consortium.audit import audit_consortium
from nodes.consortium.layout import Layout
from nodes.consortium.status import consortium_status
from nodes.demo.context import COMMIT_TIMEOUT, Demo
from seeds.corpus import Document

READY_TIMEOUT = 60.0


def wait(
    layout: Layout, what: str, done: Callable[[], bool], timeout: float = READY_TIMEOUT
) -> None:
    """Poll ``done`` until true; ``RuntimeError`` naming the logs after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} did not happen within {timeout:g} s; see {layout.root}/logs"
            )
        time.sleep(0.1)


def start_all(demo: Demo) -> None:
    """Start every node process and wait until each answers."""
    layout = demo.layout
    for name in layout.node_names():
        processes.start(layout, name)
    wait(layout, "all nodes ready", lambda: all(r["up"] for r in consortium_status(layout)))
    nodes_table(demo, "three nodes up")


def stop_all(layout: Layout) -> None:
    """Stop every node process of ``layout`` (no-op for those already stopped)."""
    for name in layout.node_names():
        processes.stop(layout, name)


def nodes_table(demo: Demo, title: str) -> None:
    """The nodes, their pids and heads."""
    table = Table("node", "url", "pid", "height", "head", title=title)
    for r in consortium_status(demo.layout):
        table.add_row(r["name"], r["url"], str(r["pid"]), str(r["height"]), (r["head"] or "-")[:16])
    demo.console.print(table)


def crash_and_recover(demo: Demo, doc: Document) -> None:
    """``kill -9`` one node; commit a re-deposit with the other two; restart it and wait
    until it has caught up with the others."""
    layout = demo.layout
    victim = layout.node_names()[-1]
    pid = processes.running(layout, victim)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
        wait(layout, f"{victim} gone", lambda: processes.exited(pid))
        layout.pid(victim).unlink(missing_ok=True)
    demo.console.print(
        f"[bold]kill -9[/] {victim}: two of three nodes are a quorum", highlight=False
    )
    org = "sinochem"
    args = {"sha256": doc.sha256, "size": len(doc.data), "title": doc.title}
    key = demo.key(org)
    tx = Transaction.new(key, demo.genesis.chain_id, "evidence", "anchor", args).sign(key)
    demo.client.submit(tx)
    st = demo.client.wait_committed(tx, COMMIT_TIMEOUT)
    record = demo.get(f"/v1/evidence/{doc.sha256}")["anchor"]
    demo.console.print(
        f"committed without {victim} at height {st['height']}: {org} re-deposits {doc.name}, "
        f"recorded as re-deposit #{record['redeposits']} of the first anchor by "
        f"{record['depositor']}",
        highlight=False,
    )
    processes.start(layout, victim)
    wait(layout, "catch-up", lambda: _heads_agree(layout, st["height"]))
    nodes_table(demo, f"{victim} restarted and caught up")


def _heads_agree(layout: Layout, height: int) -> bool:
    rows = consortium_status(layout)
    return (
        all(r["up"] and (r["height"] or 0) >= height for r in rows)
        and len({r["head"] for r in rows}) == 1
    )


def audit(demo: Demo) -> None:
    """Re-verify every node's store from genesis and compare their blocks."""
    result = audit_consortium(demo.layout)
    for name, report in result.reports.items():
        mark = "[green]clean[/]" if report.ok else f"[bold red]FAULT[/] {report.finding}"
        demo.console.print(
            f"audit {name}: {mark}: {report.blocks} blocks, {report.transactions} transactions "
            "re-verified from genesis",
            highlight=False,
        )
    demo.expect(result.ok, f"audit failed: {result.divergence or result.unreadable}")
    if result.ok:
        demo.console.print("[green]audit clean[/]: all three nodes hold the same blocks")
