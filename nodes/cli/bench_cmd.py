"""``provledger bench``: benchmarks that print each figure beside its machine limit."""

from __future__ import annotations

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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Benchmark the core: Merkle appends, proofs, signatures.

    Prints Merkle appends into SQLite, proofs served and verified at LEAVES leaves,
    and transaction signing, each beside the raw SHA-256 and Ed25519 rates.
    """
    with tempfile.TemporaryDirectory(prefix="provledger-bench-") as tmp:
        if as_json:
            figures = run_core_bench(Path(tmp), leaves)
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("appending leaves into SQLite", total=leaves)
                figures = run_core_bench(
                    Path(tmp), leaves, lambda done, _: bar.update(task, completed=done)
                )
    if as_json:
        emit_json(
            {
                "cores": os.cpu_count(),
                "figures": [{**f.__dict__, "ratio": f.ratio()} for f in figures],
            }
        )
        return
    _table(figures)


def _table(figures: list[Figure]) -> None:
    table = Table(title=f"provledger core benchmark ({os.cpu_count()} cores, one used)")
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
