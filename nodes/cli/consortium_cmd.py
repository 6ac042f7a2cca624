"""``provledger consortium init|up|status|down``: a local consortium in one folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nodes.cli.output import EXIT_FAILED, console, emit_json, fail, handle_errors
from nodes.consortium import processes
from nodes.consortium.init import DEFAULT_BASE_PORT, init_consortium
from nodes.consortium.layout import Layout
from nodes.consortium.ports import port_free
from nodes.consortium.status import consortium_status

app = typer.Typer(help="Run a local consortium of validator nodes.", no_args_is_help=True)

DirArg = Annotated[Path, typer.Argument(help="The consortium folder.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("init")
@handle_errors
def init(
    folder: DirArg,
    nodes: Annotated[int, typer.Option("--nodes", "-n", help="How many validators.")] = 3,
    base_port: Annotated[
        int, typer.Option(help="Port of the first node; the others follow.")
    ] = DEFAULT_BASE_PORT,
    host: Annotated[str, typer.Option(help="Address the nodes bind to.")] = "127.0.0.1",
    force: Annotated[
        bool, typer.Option("--force", help="Recreate an existing consortium (its data is lost).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create keys, genesis.json, trust.json and per-node configs in FOLDER."""
    if force and any(processes.running(Layout(folder), n) for n in _names_if_any(folder)):
        fail(f"{folder}: nodes are running; stop them first: provledger consortium down {folder}")
    configs = init_consortium(folder, nodes, host=host, base_port=base_port, force=force)
    if as_json:
        emit_json(
            {"folder": str(folder), "nodes": [{"name": c.name, "url": c.url} for c in configs]}
        )
        return
    table = Table("node", "url", "database", title=f"consortium {folder}")
    for c in configs:
        table.add_row(c.name, c.url, c.database)
    console.print(table)
    console.print(
        f"wrote keys/, genesis.json, trust.json and one config per node in {folder}\n"
        f"start it with: provledger consortium up {folder}",
        highlight=False,
    )


@app.command("up")
@handle_errors
def up(
    folder: DirArg,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every node.")] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Start every node of FOLDER that is not running; wait until all answer."""
    layout = Layout(folder)
    configs = layout.configs()
    missing = [c for c in configs if processes.running(layout, c.name) is None]
    for c in missing:
        if not port_free(c.host, c.port):
            fail(f"{c.name}: port {c.port} on {c.host} is in use by another program")
    started = []
    for c in missing:
        processes.start(layout, c.name)
        started.append(c.name)
    deadline = time.monotonic() + timeout
    rows = consortium_status(layout)
    while not all(r["up"] for r in rows):
        dead = [r["name"] for r in rows if r["pid"] is None]
        if dead:
            fail(f"node {dead[0]} exited at start; see {layout.log(dead[0])}")
        if time.monotonic() > deadline:
            late = [r["name"] for r in rows if not r["up"]]
            fail(
                f"node(s) {', '.join(late)} not ready after {timeout:g} s; see {layout.root}/logs/"
            )
        time.sleep(0.2)
        rows = consortium_status(layout)
    _show(rows, as_json, f"started {', '.join(started)}" if started else "all already running")


@app.command("status")
@handle_errors
def status(folder: DirArg, as_json: JsonOpt = False) -> None:
    """Per node: process, URL, whether it answers, height and head block hash."""
    rows = consortium_status(Layout(folder))
    _show(rows, as_json, None)
    if not all(r["up"] for r in rows):
        raise typer.Exit(EXIT_FAILED)


@app.command("down")
@handle_errors
def down(folder: DirArg, as_json: JsonOpt = False) -> None:
    """Stop every node of FOLDER gracefully (SIGTERM; SIGKILL after 15 s)."""
    layout = Layout(folder)
    stopped = [n for n in layout.node_names() if processes.stop(layout, n)]
    if as_json:
        emit_json({"stopped": stopped})
    else:
        console.print(f"stopped {', '.join(stopped) or 'nothing (no node was running)'}")


def _show(rows: list[dict[str, Any]], as_json: bool, note: str | None) -> None:
    if as_json:
        emit_json({"nodes": rows})
        return
    table = Table("node", "url", "pid", "up", "height", "head")
    for r in rows:
        table.add_row(
            r["name"],
            r["url"],
            str(r["pid"] or "-"),
            "[green]up[/]" if r["up"] else "[red]down[/]",
            str(r["height"] if r["height"] is not None else "-"),
            (r["head"] or "-")[:16],
        )
    console.print(table)
    if note:
        console.print(note)


def _names_if_any(folder: Path) -> list[str]:
    try:
        return Layout(folder).node_names()
    except Exception:
        return []
