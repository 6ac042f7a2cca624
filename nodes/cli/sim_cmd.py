"""``provledger sim``: run the deterministic consensus simulator.

``soak`` runs many seeds and checks every invariant on each; ``run`` replays one seed
and prints its timeline. Exit codes: 0 every run kept every invariant; 1 a run broke one
(the first failing seed is named with a command that reproduces it); 2 bad input;
3 internal error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nodes.cli.output import EXIT_FAILED, console, emit_json, fail, handle_errors
from nodes.simulator import Result, scenario_for, simulate, violations

app = typer.Typer(
    help="The deterministic consensus simulator: seeded faults, checked invariants.",
    no_args_is_help=True,
)

CHUNK = 20
"""Seeds per task handed to a worker process."""


@dataclass(frozen=True)
class Outcome:
    """One seed's run, reduced to what the soak reports."""

    n: int
    seed: int
    heights_decided: int
    byzantine: bool
    evidence_caught: bool
    virtual_time: float
    messages: int
    failure: str | None


def reproduce(seed: int, n: int, heights: int) -> str:
    """The command that replays one seed."""
    return f"provledger sim run --seed {seed} --nodes {n} --heights {heights}"


def run_seed(n: int, seed: int, heights: int) -> Outcome:
    """Simulate one seed and check its invariants; an exception is a failure too."""
    try:
        result = simulate(scenario_for(seed, n, heights))
        found = violations(result)
    except Exception as exc:
        return Outcome(n, seed, 0, False, False, 0.0, 0, f"{type(exc).__name__}: {exc}")
    return Outcome(
        n,
        seed,
        result.heights_decided(),
        result.scenario.byzantine is not None,
        bool(result.evidence_caught()),
        result.virtual_time,
        result.messages.sent,
        str(found[0]) if found else None,
    )


def run_chunk(n: int, seeds: list[int], heights: int) -> list[Outcome]:
    """Simulate several seeds (the unit of work of a worker process)."""
    return [run_seed(n, seed, heights) for seed in seeds]


def parse_sizes(text: str) -> list[int]:
    """``"3,4"`` -> ``[3, 4]``; each a validator count of at least 1."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        fail(f"--nodes: expected validator counts like 3,4, got {text!r}")
    if not sizes or min(sizes) < 1:
        fail(f"--nodes: expected validator counts of at least 1, got {text!r}")
    return list(dict.fromkeys(sizes))


@app.command("soak")
@handle_errors
def soak(
    seeds: Annotated[
        int, typer.Option(min=1, help="Seeds to run for each validator count.")
    ] = 2000,
    start: Annotated[int, typer.Option(min=0, help="The first seed.")] = 0,
    heights: Annotated[int, typer.Option(min=1, help="Heights each run must decide.")] = 50,
    nodes: Annotated[str, typer.Option(help="Validator counts, comma-separated.")] = "3,4",
    jobs: Annotated[
        int, typer.Option(min=1, help="Worker processes (default: one per core).")
    ] = os.cpu_count() or 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Run SEEDS seeds for each validator count and check every invariant on each.

    Prints seeds run, heights decided, evidence caught, virtual and wall time. Exit 1
    names the first failing seed and the command that replays it.
    """
    sizes = parse_sizes(nodes)
    work = [
        (n, list(range(s, min(s + CHUNK, start + seeds))))
        for n in sizes
        for s in range(start, start + seeds, CHUNK)
    ]
    began = time.perf_counter()
    outcomes: list[Outcome] = []
    if as_json:
        for chunk in _chunks(work, heights, jobs):
            outcomes.extend(chunk)
    else:
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("simulating", total=seeds * len(sizes))
            for chunk in _chunks(work, heights, jobs):
                outcomes.extend(chunk)
                bar.update(task, advance=len(chunk))
    wall = time.perf_counter() - began
    outcomes.sort(key=lambda o: (sizes.index(o.n), o.seed))
    failures = [o for o in outcomes if o.failure is not None]
    report = _report(outcomes, sizes, heights, wall)
    if as_json:
        emit_json({**report, "failures": [asdict(o) for o in failures]})
    else:
        _print_report(report)
    if failures:
        first = failures[0]
        more = f" ({len(failures)} failing runs)" if len(failures) > 1 else ""
        fail(
            f"seed {first.seed} (n={first.n}) failed{more}: {first.failure}; "
            f"reproduce: {reproduce(first.seed, first.n, heights)}",
            EXIT_FAILED,
        )


def _chunks(work: list[tuple[int, list[int]]], heights: int, jobs: int) -> Iterable[list[Outcome]]:
    if jobs == 1:
        for n, seeds in work:
            yield run_chunk(n, seeds, heights)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_chunk, n, seeds, heights) for n, seeds in work]
        for future in as_completed(futures):
            yield future.result()


def _report(outcomes: list[Outcome], sizes: list[int], heights: int, wall: float) -> dict[str, Any]:
    by_n = {}
    for n in sizes:
        mine = [o for o in outcomes if o.n == n]
        byzantine = [o for o in mine if o.byzantine]
        by_n[str(n)] = {
            "seeds": len(mine),
            "heights_decided": sum(o.heights_decided for o in mine),
            "byzantine_runs": len(byzantine),
            "evidence_caught": sum(1 for o in byzantine if o.evidence_caught),
            "virtual_time": round(sum(o.virtual_time for o in mine), 3),
            "messages": sum(o.messages for o in mine),
            "failures": sum(1 for o in mine if o.failure is not None),
        }
    return {
        "runs": len(outcomes),
        "heights": heights,
        "by_nodes": by_n,
        "failures_total": sum(1 for o in outcomes if o.failure is not None),
        "virtual_time": round(sum(o.virtual_time for o in outcomes), 3),
        "wall_time": round(wall, 3),
    }


def _print_report(report: dict[str, Any]) -> None:
    table = Table(title=f"simulator soak, {report['heights']} heights per run")
    columns = ("nodes", "seeds", "heights decided", "caught/byzantine", "virtual time", "failed")
    for col in columns:
        table.add_column(col, justify="right")
    for n, row in report["by_nodes"].items():
        table.add_row(
            n,
            f"{row['seeds']:,}",
            f"{row['heights_decided']:,}",
            f"{row['evidence_caught']}/{row['byzantine_runs']}",
            f"{row['virtual_time']:,.0f} s",
            str(row["failures"]),
        )
    console.print(table)
    console.print(
        f"{report['runs']:,} runs, {report['virtual_time']:,.0f} s virtual in "
        f"{report['wall_time']:,.1f} s wall",
        highlight=False,
        soft_wrap=True,
    )


@app.command("run")
@handle_errors
def run(
    seed: Annotated[int, typer.Option(min=0, help="The seed to replay.")],
    nodes: Annotated[int, typer.Option(min=1, help="Validators.")] = 4,
    heights: Annotated[int, typer.Option(min=1, help="Heights to decide.")] = 50,
    trace: Annotated[
        bool, typer.Option("--trace", help="Print every message, timeout and commit.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Replay one seed and print its timeline: faults, commits per height, evidence.

    Exit 1 if the run broke an invariant.
    """
    result = simulate(scenario_for(seed, nodes, heights), trace=trace)
    found = violations(result)
    if as_json:
        lines = result.trace if trace and result.trace is not None else _timeline(result)
        emit_json(
            {
                **result.summary(),
                "violations": [str(v) for v in found],
                "timeline": [
                    {"time": round(t, 6), "node": node, "event": text} for t, node, text in lines
                ],
            }
        )
    else:
        console.print(result.scenario.describe(), highlight=False, soft_wrap=True)
        lines = result.trace if trace and result.trace is not None else _timeline(result)
        for t, node, text in lines:
            who = "      " if node is None else f"node {node}"
            console.print(
                f"{t:10.4f}s  {who}  {text}", highlight=False, markup=False, soft_wrap=True
            )
        s = result.summary()
        console.print(
            f"decided {s['heights_decided']} heights in {result.virtual_time:.2f} s virtual; "
            f"{result.messages.sent:,} messages sent, {result.messages.lost:,} lost, "
            f"{result.messages.cut:,} cut; {s['evidence_caught']} equivocations caught; "
            f"stopped: {result.stopped}",
            highlight=False,
            soft_wrap=True,
        )
        for v in found[1:]:
            console.print(f"also: {v}", highlight=False, markup=False, soft_wrap=True)
    if found:
        fail(f"{found[0]}; reproduce: {reproduce(seed, nodes, heights)}", EXIT_FAILED)


def _timeline(result: Result) -> list[tuple[float, int | None, str]]:
    """Faults and notes, and one line per height: its value and who committed it when."""
    lines = list(result.timeline)
    heights: dict[int, list[tuple[float, int, str, int, bool]]] = {}
    for node, decided in enumerate(result.decisions):
        for h, d in decided.items():
            heights.setdefault(h, []).append((d.time, node, d.value_id, d.round, d.synced))
    for h, entries in heights.items():
        entries.sort()
        values = sorted({e[2][:8] for e in entries})
        who = ", ".join(
            f"{node}{' synced' if synced else f' r{rnd}'} {t:.3f}s"
            for t, node, _, rnd, synced in entries
        )
        lines.append((entries[0][0], None, f"h{h} {'/'.join(values)}: {who}"))
    lines.sort(key=lambda line: line[0])
    return lines
