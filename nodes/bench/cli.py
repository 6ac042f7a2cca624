"""Benchmark of the command line as a person runs it: each figure is measured on real
``provledger`` processes, never inside this one.

Figures: CPU seconds of ``provledger --help``; CPU seconds of ``provledger consortium
status DIR`` against a running local consortium (started here); wall seconds of
``provledger anchor FILE`` end to end on that idle consortium (a fresh file each run,
its facts published); and the import time of ``nodes.cli.main`` (``python -X
importtime``). Each is the median of ``runs`` runs, printed beside its target.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nodes.bench.consortium import start_consortium, stop_consortium

Tick = Callable[[str], None]


@dataclass(frozen=True)
class CliFigure:
    """One measured figure: ``value`` in ``unit``, against ``target`` (same unit)."""

    name: str
    value: float
    unit: str
    target: float

    @property
    def met(self) -> bool:
        """Whether the figure is within its target."""
        return self.value <= self.target


def provledger_command() -> list[str]:
    """The argv prefix that runs ``provledger`` as a user would: the installed script
    beside this interpreter, else ``python -m nodes.cli``."""
    script = Path(sys.executable).parent / "provledger"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nodes.cli"]


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


def run_measured(argv: list[str]) -> tuple[float, float]:
    """Run ``argv`` to its end; (CPU seconds, user + system, and wall seconds). Raises
    ``RuntimeError`` when it exits non-zero, with its stderr."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), text=True
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err.strip()[-500:]}")
    return usage.ru_utime + usage.ru_stime, wall


def import_seconds() -> float:
    """Cumulative import time of ``nodes.cli.main``, as ``python -X importtime`` says."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import nodes.cli.main"],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    for line in reversed(done.stderr.splitlines()):
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[2] == "nodes.cli.main":
            return int(fields[1]) / 1e6
    raise RuntimeError("python -X importtime did not report nodes.cli.main")


def run_cli_bench(
    folder: Path, runs: int = 5, base_port: int = 7461, tick: Tick | None = None
) -> list[CliFigure]:
    """Measure the four figures (median of ``runs`` each); the consortium lives in
    ``folder`` and is stopped before this returns."""
    say = tick or (lambda _: None)
    cmd = provledger_command()
    say("provledger --help")
    helps = [run_measured([*cmd, "--help"])[0] for _ in range(runs)]
    say("importing nodes.cli.main")
    imports = [import_seconds() for _ in range(runs)]
    say("starting a local consortium")
    layout = start_consortium(folder, 3, base_port)
    try:
        say("provledger consortium status")
        statuses = [
            run_measured([*cmd, "consortium", "status", str(folder)])[0] for _ in range(runs)
        ]
        walls = []
        for i in range(runs):
            say(f"provledger anchor ({i + 1} of {runs})")
            doc = folder / f"bench-{i}-{os.urandom(4).hex()}.txt"
            doc.write_text(
                f"A bench document {doc.name}.\n\nOn 3 December 2026, 12 tonnes were shipped.\n",
                encoding="utf-8",
            )
            walls.append(run_measured([*cmd, "anchor", str(doc), "--consortium", str(folder)])[1])
    finally:
        stop_consortium(layout)
    med = statistics.median
    return [
        CliFigure("provledger --help, CPU", med(helps), "s", 0.3),
        CliFigure("provledger consortium status, CPU", med(statuses), "s", 0.5),
        CliFigure("provledger anchor FILE, wall", med(walls), "s", 0.8),
        CliFigure("import nodes.cli.main", med(imports), "s", 0.15),
    ]
