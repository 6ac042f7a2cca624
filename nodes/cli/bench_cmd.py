"""``provledger bench``: benchmarks that print each figure beside its machine limit."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from nodes.bench.core import Figure, run_core_bench
from nodes.cli.output import console, emit_json, handle_errors

app = typer.Typer(
    help="Benchmarks; each prints its figures beside the machine's limits.", no_args_is_help=True
)


@app.command("core")
@handle_errors
def core(
    leaves: Annotated[int, typer.Option(min=1_000, help="Leaves in the Merkle log.")] = 1_000_000,
    state_keys: Annotated[
        int, typer.Option(min=1_000, help="Keys in the state tree (100000 for a quick run).")
    ] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Benchmark the core: Merkle appends, proofs, the state tree, signatures.

    Prints Merkle appends into SQLite, proofs served and verified at LEAVES leaves,
    state-tree key writes (blocks of 1,000), state proofs served and verified at
    STATE_KEYS keys, and transaction signing, each beside the raw SHA-256 and Ed25519
    rates or an SQLite read measured in the same run.
    """
    with tempfile.TemporaryDirectory(prefix="provledger-bench-") as tmp:
        if as_json:
            figures = run_core_bench(Path(tmp), leaves, state_keys=state_keys)
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("appending leaves into SQLite", total=leaves)
                state = bar.add_task(
                    f"building a state tree of {state_keys:,} keys", total=state_keys
                )
                figures = run_core_bench(
                    Path(tmp),
                    leaves,
                    lambda done, _: bar.update(task, completed=done),
                    state_keys,
                    lambda done, _: bar.update(state, completed=done),
                )
    if as_json:
        emit_json(
            {
                "cores": os.cpu_count(),
                "state_keys": state_keys,
                "figures": [{**f.__dict__, "ratio": f.ratio()} for f in figures],
            }
        )
        return
    _table(figures, state_keys)


def _table(figures: list[Figure], state_keys: int) -> None:
    table = Table(
        title=f"provledger core benchmark ({os.cpu_count()} cores, one used; "
        f"state tree of {state_keys:,} keys)"
    )
    for col in ("measure", "result", "target", "limit", "of limit"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for f in figures:
        value = f"{f.value:,.3f}" if f.value < 10 else f"{f.value:,.0f}"
        limit = (
            f"{f.limit:,.3f}"
            if f.limit and f.limit < 10
            else (f"{f.limit:,.0f}" if f.limit else "")
        )
        ratio = f.ratio()
        table.add_row(
            f.name,
            f"{value} {f.unit}",
            f.target,
            f"{limit} {f.limit_note}".strip(),
            f"{ratio:.0%}" if ratio else "",
        )
    console.print(table)


@app.command("consortium")
@handle_errors
def consortium(
    seconds: Annotated[float, typer.Option(min=2, help="How long to drive transactions.")] = 20.0,
    nodes: Annotated[int, typer.Option(min=1, help="Validators in the consortium.")] = 3,
    batch: Annotated[int, typer.Option(min=1, max=2000, help="Transactions per request.")] = 250,
    base_port: Annotated[int, typer.Option(help="Port of the first node.")] = 7401,
    in_flight: Annotated[
        int,
        typer.Option(
            min=1,
            help="Most transactions sent but not yet committed: more gives more tx/s "
            "and longer latency.",
        ),
    ] = 1_000,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the consortium folder here (logs, stores).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Start a local consortium, drive signed transactions at it for SECONDS from this
    process, and print committed tx/s and p50/p99 commit latency beside the limit
    (Ed25519 verifications/s x cores / nodes). Target: >= 2,000 tx/s, p99 <= 1 s."""
    from nodes.bench.consortium import run_consortium_bench

    with tempfile.TemporaryDirectory(prefix="provledger-bench-") as tmp:
        run = functools.partial(
            run_consortium_bench,
            keep or Path(tmp),
            nodes=nodes,
            seconds=seconds,
            batch=batch,
            base_port=base_port,
            in_flight=in_flight,
        )
        if as_json:
            f = run()
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("starting the consortium", total=seconds)

                def tick(elapsed: float, committed: int) -> None:
                    rate = committed / elapsed if elapsed else 0
                    bar.update(
                        task,
                        completed=elapsed,
                        description=f"driving: {committed:,} committed, {rate:,.0f} tx/s",
                    )

                def presign(count: int) -> None:
                    bar.update(task, description=f"signing {count:,} transactions")

                f = run(tick=tick, presign=presign)
    if as_json:
        emit_json({**f.__dict__, "limit": f.limit, "ratio": f.ratio})
        return
    table = Table(title=f"provledger consortium benchmark ({f.nodes} nodes, {f.cores} cores)")
    for col in ("measure", "result", "target", "limit", "of limit"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    table.add_row(
        "committed transactions",
        f"{f.tx_per_s:,.0f} tx/s",
        ">= 2,000",
        f"{f.limit:,.0f} tx/s ({f.verify_per_s:,.0f} verify/s x {f.cores} / {f.nodes})",
        f"{f.ratio:.0%}",
    )
    table.add_row("commit latency p50", f"{f.p50_s * 1000:,.0f} ms", "", "", "")
    table.add_row("commit latency p99", f"{f.p99_s * 1000:,.0f} ms", "<= 1,000 ms", "", "")
    table.add_row(
        "transactions", f"{f.committed:,} of {f.submitted:,} sent", "", f"{f.refused} refused", ""
    )
    console.print(table)


@app.command("cli")
@handle_errors
def cli(
    runs: Annotated[
        int, typer.Option(min=1, help="Runs of each command; the median is shown.")
    ] = 5,
    base_port: Annotated[int, typer.Option(help="Port of the first node.")] = 7461,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the consortium folder here (logs, stores).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Time the command line as a person runs it: the CPU of `provledger --help` and of
    `consortium status`, the wall time of `anchor FILE` on an idle local consortium (started
    in a temporary folder and stopped), and the import time of the CLI, each beside its
    target."""
    from nodes.bench.cli import run_cli_bench

    with tempfile.TemporaryDirectory(prefix="provledger-bench-") as tmp:
        folder = keep or Path(tmp)
        if as_json:
            figures = run_cli_bench(folder, runs, base_port)
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("starting", total=None)
                figures = run_cli_bench(
                    folder, runs, base_port, lambda what: bar.update(task, description=what)
                )
    if as_json:
        emit_json({"runs": runs, "figures": [{**f.__dict__, "met": f.met} for f in figures]})
        return
    table = Table(title=f"provledger CLI benchmark (median of {runs} runs)")
    for col in ("measure", "result", "target", "met"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for f in figures:
        table.add_row(
            f.name,
            f"{f.value:.3f} {f.unit}",
            f"<= {f.target:g} {f.unit}",
            "[green]yes[/]" if f.met else "[red]no[/]",
        )
    console.print(table)
