"""The CLI starts fast because each command imports only what it uses; help screens read
as sentences; ``--version`` names the formats; ``bench cli`` prints its figures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from nodes.cli.lazy import load, plain_type
from nodes.cli.main import ENTRIES, app
from tests.cluster import free_base_port

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "nodes.simulator",
    "nodes.bench",
    "nodes.demo",
    "hypothesis",
)
SERVER = ("sqlalchemy", "fastapi", "starlette", "uvicorn")

PROBE = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["provledger", *args]
from nodes.cli.main import app
try:
    app(prog_name="provledger")
    code = 0
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def probe(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """Run ``provledger ARGS`` in a fresh interpreter; its exit code and every module
    it imported."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.exists(), done.stderr
    found = json.loads(out.read_text())
    return found["code"], set(found["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    code, modules = probe(tmp_path, "--help")
    assert code == 0
    assert loaded(modules, HEAVY) == []
    commands = {m for m in modules if m.startswith("nodes.cli.") and m.endswith("_cmd")}
    assert commands == set()


def test_consortium_status_imports_no_server_and_only_its_module(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    made = run("consortium", "init", str(folder), "--base-port", str(free_base_port(3)))
    assert made.returncode == 0, made.stderr
    code, modules = probe(tmp_path, "consortium", "status", str(folder))
    assert code == 1  # the nodes are down, and status says so
    assert "nodes.cli.consortium_cmd" in modules  # the probe sees what a command imports
    assert loaded(modules, HEAVY) == []
    commands = {m for m in modules if m.startswith("nodes.cli.") and m.endswith("_cmd")}
    assert commands == {"nodes.cli.consortium_cmd"}


@pytest.mark.parametrize(
    "args",
    [
        ["verify-receipt", "r.json", "--trust", "t.json"],
        ["verify-fact", "p.json", "--trust", "t.json"],
        ["verify", "f.txt", "--consortium", "nowhere"],
        ["anchor", "f.txt", "--consortium", "nowhere"],
    ],
)
def test_evidence_commands_import_no_server(tmp_path: Path, args: list[str]) -> None:
    code, modules = probe(tmp_path, *args)
    assert code == 2  # the files are missing: the command ran as far as reading them
    assert loaded(modules, SERVER) == [], args


def test_every_entry_says_what_its_command_says() -> None:
    names = [e.name for e in ENTRIES]
    assert len(set(names)) == len(names)
    for entry in ENTRIES:
        command = load(entry, None)
        assert command.name == entry.name
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert first == entry.short_help, entry.name


def test_root_help_lists_every_command_and_version() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for entry in ENTRIES:
        assert re.search(rf"│ {re.escape(entry.name)} ", result.stdout), entry.name
    assert "--version" in result.stdout


def _paths(command: Any, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    ctx = typer.Context(command, info_name=prefix[-1] if prefix else "provledger")
    for name in command.list_commands(ctx) if hasattr(command, "list_commands") else []:
        found += _paths(command.get_command(ctx, name), [*prefix, name])
    return found


TYPE_NAMES = re.compile(r"<(bool|str|int|float|path|Path|list\[|file|directory|datetime)|range>")


def test_no_help_screen_shows_python_type_names() -> None:
    root = typer.main.get_command(app)
    paths = _paths(root, [])
    assert ["consortium", "status"] in paths and ["trace", "history"] in paths
    assert len(paths) > 40
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path
        assert not TYPE_NAMES.search(result.output), (path, TYPE_NAMES.search(result.output))
        # arguments are named in capitals (FILE, FOLDER), never as Python parameters
        usage = next(line for line in result.output.splitlines() if "Usage:" in line)
        assert not re.search(r"[{\[][a-z_]+[}\]]", usage), (path, usage)


def test_plain_type_names() -> None:
    assert plain_type("<bool>") is None
    assert plain_type("<list[Path]>") == "PATH..."
    assert plain_type("<float range>") == "NUMBER"
    assert plain_type("<int range>") == "INTEGER"
    assert plain_type("<path>") == "PATH"
    assert plain_type("<str>") == "TEXT"
    assert plain_type("<list[str]>") == "TEXT..."
    assert plain_type("<epcis|prov|both>") == "epcis|prov|both"


def test_version_names_the_formats() -> None:
    from ledger.anchor_proof import FACT_PROOF_FORMAT
    from ledger.history_proof import HISTORY_FORMAT
    from ledger.receipt import RECEIPT_FORMAT
    from ledger.state_proof import STATE_PROOF_FORMAT
    from ledger.tlog_proof import HEADER
    from seeds.facts.extract import EXTRACTOR_VERSION

    result = run("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"provledger \d+\.\d+\.\d+", lines[0])
    formats = (RECEIPT_FORMAT, HEADER, "c2sp.org/tlog-checkpoint", FACT_PROOF_FORMAT)
    for fmt in (*formats, STATE_PROOF_FORMAT, HISTORY_FORMAT):
        assert any(fmt in line for line in lines[1:]), fmt
    assert any(
        line.split()[:2] == ["facts", "extractor"] and EXTRACTOR_VERSION in line for line in lines
    )


def test_no_node_answering_names_the_folder_and_what_to_run(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    made = run("consortium", "init", str(folder), "--base-port", str(free_base_port(3)))
    assert made.returncode == 0, made.stderr
    assert f"wrote keys/, genesis.json, trust.json and one config per node in {folder}" in (
        made.stdout
    )
    doc = tmp_path / "doc.txt"
    doc.write_text("a document\n")
    for args in (["verify", str(doc)], ["anchor", str(doc)], ["receipt", str(doc), "-o", "r"]):
        result = run(*args, "--consortium", str(folder))
        assert result.returncode == 2, (args, result.stdout + result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: no node of the consortium in ")
        assert f"start it with: provledger consortium up {folder}" in lines[0]
        assert result.stdout == ""


def test_run_measured_refuses_a_failing_command() -> None:
    from nodes.bench.cli import run_measured

    cpu, wall = run_measured([sys.executable, "-c", "sum(range(100000))"])
    assert cpu > 0 and wall > 0
    with pytest.raises(RuntimeError, match="exited 3: boom"):
        run_measured([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])


ROWS = (
    "provledger --help, CPU",
    "provledger consortium status, CPU",
    "provledger anchor FILE, wall",
    "import nodes.cli.main",
)


def test_bench_cli_table_has_every_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nodes.bench import cli as bench

    calls = []

    def fake(folder: Path, runs: int, base_port: int, tick: Any = None) -> list[Any]:
        calls.append((folder, runs, base_port))
        if tick is not None:
            tick("provledger --help")
        return [
            bench.CliFigure(ROWS[0], 0.21, "s", 0.3),
            bench.CliFigure(ROWS[1], 0.61, "s", 0.5),
            bench.CliFigure(ROWS[2], 0.7, "s", 0.8),
            bench.CliFigure(ROWS[3], 0.05, "s", 0.15),
        ]

    monkeypatch.setattr(bench, "run_cli_bench", fake)
    args = ["bench", "cli", "--runs", "2", "--base-port", "7999", "--keep", str(tmp_path)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, 2, 7999)]
    lines = result.output.splitlines()
    for name, shown, target, met in zip(
        ROWS,
        ("0.210", "0.610", "0.700", "0.050"),
        ("0.3", "0.5", "0.8", "0.15"),
        ("yes", "no", "yes", "yes"),
        strict=True,
    ):
        row = next(line for line in lines if name in line)
        assert f"{shown} s" in row and f"<= {target} s" in row and row.rstrip("│ ").endswith(met)


@pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")
def test_bench_cli_measures_real_processes(tmp_path: Path) -> None:
    keep = tmp_path / "c"
    result = run(
        "bench",
        "cli",
        "--runs",
        "1",
        "--base-port",
        str(free_base_port(3)),
        "--keep",
        str(keep),
        "--json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [f["name"] for f in out["figures"]] == list(ROWS)
    for f in out["figures"]:
        assert 0 < f["value"] < 60 and f["unit"] == "s" and f["met"] is (f["value"] <= f["target"])
    assert len(list(keep.glob("bench-*.txt"))) == 1  # one anchored file per run
    assert not list((keep / "run").glob("*.pid"))  # the consortium was stopped
