"""``provledger consortium init|up|status|down``, ``anchor``, ``verify`` and
``audit --consortium`` as a user runs them: real processes, real files, exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.model.block import BlockHeader
from tests.cluster import REPO, Cluster, cli, pid_alive

SEEDS = sorted((REPO / "seeds" / "corpus").glob("*.txt"))
ROW_KEYS = {"name", "url", "pid", "up", "height", "head"}


def status_rows(cluster: Cluster) -> tuple[int, list[dict]]:
    done = cluster.status()
    answer = json.loads(done.stdout)
    assert set(answer) == {"nodes"}, answer
    for row in answer["nodes"]:
        assert set(row) == ROW_KEYS, row
    return done.returncode, answer["nodes"]


def anchor(cluster: Cluster, *files: Path) -> dict:
    done = cli("anchor", *files, "--consortium", cluster.root, "--json", "--timeout", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_init_writes_a_consortium_folder(tmp_path):
    root = tmp_path / "c"
    done = cli("consortium", "init", root, "--base-port", "40100", "--nodes", "4", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [n["url"] for n in answer["nodes"]] == [
        f"http://127.0.0.1:{40100 + i}" for i in range(4)
    ]
    for path in ("genesis.json", "trust.json", "logs", "run"):
        assert (root / path).exists(), path
    genesis = json.loads((root / "genesis.json").read_text())
    assert len(genesis["validators"]) == 4
    for v in genesis["validators"]:
        config = json.loads((root / "nodes" / v["name"] / "node.json").read_text())
        assert config["name"] == v["name"]
        assert len(config["peers"]) == 3
        assert (root / "keys" / f"{v['organisation']}.member.pem").exists()
    again = cli("consortium", "init", root, "--base-port", "40100")
    assert again.returncode == 2 and "already holds a consortium" in again.stderr
    for bad in (["--nodes", "0"], ["--base-port", "65535"]):
        done = cli("consortium", "init", tmp_path / "other", *bad)
        assert done.returncode == 2 and done.stderr.startswith("error:"), done.stderr


@pytest.mark.slow
def test_consortium_lifecycle_anchor_verify_audit(tmp_path):
    """init, up (twice: idempotent), status after a kill -9, up restarting only that
    node, anchor (and its fail-over), verify (and a modified copy), down leaving no
    process, audit clean, then audit finding one flipped byte in one node's store."""
    c = Cluster(tmp_path / "consortium", 3)
    try:
        _lifecycle(c, tmp_path)
    finally:
        c.close()


def _lifecycle(c: Cluster, tmp_path: Path) -> None:
    c.init()
    first = c.names[0]  # the CLI tries nodes in name order

    # up: every node answers; the JSON rows are exactly the documented keys.
    rows = c.up()["nodes"]
    assert [r["name"] for r in rows] == c.names
    for r in rows:
        assert set(r) == ROW_KEYS
        assert r["up"] is True and r["height"] == 0 and r["head"] is None
        assert r["pid"] == c.pid(r["name"]) and pid_alive(r["pid"])
        assert r["url"] == c.url(r["name"])
    for name in c.names:
        log = c.root / "logs" / f"{name}.log"
        assert log.exists() and f"node {name} started" in log.read_text()

    # up again is safe: nothing restarted.
    pids = {r["name"]: r["pid"] for r in rows}
    assert {r["name"]: r["pid"] for r in c.up()["nodes"]} == pids

    # a node killed: status says so (exit 1); up restarts only that one.
    victim = c.names[1]
    c.kill(victim)
    code, rows = status_rows(c)
    assert code == 1
    down_row = next(r for r in rows if r["name"] == victim)
    assert (down_row["up"], down_row["pid"], down_row["height"]) == (False, None, None)
    assert all(r["up"] for r in rows if r["name"] != victim)
    rows = c.up()["nodes"]
    for r in rows:
        assert r["up"]
        if r["name"] != victim:
            assert r["pid"] == pids[r["name"]], "up restarted a running node"
        else:
            assert r["pid"] not in (None, pids[victim])

    # anchor the seed corpus: committed, with height and tx id.
    answer = anchor(c, *SEEDS)
    assert answer["ok"] is True and len(answer["anchors"]) == len(SEEDS)
    for a in answer["anchors"]:
        assert a["status"] == "committed" and a["applied"] is True
        assert a["height"] >= 1 and len(a["tx_id"]) == 64
    table = cli("anchor", SEEDS[0], "--consortium", c.root)  # a re-deposit, as a person sees it
    assert table.returncode == 0, table.stderr
    assert "re-deposit" in table.stdout and SEEDS[0].name[:10] in table.stdout

    # status: every node at the same height; head is the block hash at that height.
    top = max(a["height"] for a in answer["anchors"])
    c.wait_agree(min_height=top)
    code, rows = status_rows(c)
    assert code == 0
    assert len({(r["height"], r["head"]) for r in rows}) == 1
    for r in rows:
        block = c.get(r["name"], f"/v1/blocks/{r['height']}").json()
        assert BlockHeader.from_dict(block["block"]["header"]).block_hash == r["head"]

    # verify: the anchored file verifies; a modified copy does not.
    ok = cli("verify", SEEDS[0], "--consortium", c.root, "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["verified"] is True
    changed = tmp_path / SEEDS[0].name
    changed.write_bytes(SEEDS[0].read_bytes() + b" ")
    bad = cli("verify", changed, "--consortium", c.root)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.startswith("NOT ANCHORED") and "no anchor" in bad.stdout.splitlines()[0]
    assert "It resembles the anchored document" in bad.stdout

    # the first node down: anchor and verify fail over to the others.
    c.kill(first)
    fresh = tmp_path / "fresh.txt"
    fresh.write_text(f"anchored while {first} is down {time.time()}\n")
    answer = anchor(c, fresh)
    assert answer["ok"] is True and answer["anchors"][0]["height"] > top
    ok = cli("verify", fresh, "--consortium", c.root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    c.up()
    c.wait_agree(min_height=answer["anchors"][0]["height"])

    # init --force refuses while nodes run.
    forced = cli("consortium", "init", c.root, "--force", "--base-port", str(c.base_port))
    assert forced.returncode == 2 and "nodes are running" in forced.stderr

    # down: every process gone, pid files removed; status then says all down.
    pids = {n: c.pid(n) for n in c.names}
    done = c.down()
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["stopped"]) == c.names
    for name, pid in pids.items():
        assert pid is not None and not pid_alive(pid), f"{name} still running"
        assert not (c.root / "run" / f"{name}.pid").exists()
    code, rows = status_rows(c)
    assert code == 1 and not any(r["up"] or r["pid"] for r in rows)
    again = c.down()
    assert again.returncode == 0 and json.loads(again.stdout)["stopped"] == []

    # audit: clean, then a flipped byte in one node's transaction row is found.
    audit = c.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is True and report["divergence"] is None
    assert {n["name"] for n in report["nodes"]} == set(c.names)
    tampered = c.names[2]
    with contextlib.closing(sqlite3.connect(c.db_path(tampered))) as db, db:
        log_index, body = db.execute(
            "SELECT log_index, body FROM transactions ORDER BY log_index LIMIT 1 OFFSET 2"
        ).fetchone()
        at = body.index('"sha256":"') + len('"sha256":"')  # the anchored digest
        flipped = body[:at] + ("0" if body[at] != "0" else "1") + body[at + 1 :]
        db.execute("UPDATE transactions SET body = ? WHERE log_index = ?", (flipped, log_index))
    audit = c.audit()
    assert audit.returncode == 1, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is False
    by_name = {n["name"]: n for n in report["nodes"]}
    assert by_name[tampered]["ok"] is False
    finding = by_name[tampered]["finding"]
    assert finding["log_index"] == log_index, finding
    assert all(by_name[n]["ok"] for n in c.names if n != tampered)
    text = cli("audit", "--consortium", c.root)
    assert text.returncode == 1 and "FAULT" in text.stdout and tampered in text.stdout


def test_up_reports_a_node_that_exits_at_start(tmp_path):
    """A node that cannot start (here: its genesis file is missing) exits; ``up`` must
    say so at once, naming the node and its log, not wait out its timeout as if the node
    were still starting."""
    c = Cluster(tmp_path / "c", 3)
    try:
        c.init()
        busy = c.names[1]
        config = json.loads(c.config_path(busy).read_text())
        config["genesis"] = "missing-genesis.json"
        c.config_path(busy).write_text(json.dumps(config))
        # ``up`` is given far longer than any machine needs (900 s) and the run a deadline
        # well inside it (300 s): it ends only if ``up`` notices the exit instead of waiting
        # out its timeout, whatever the machine's speed.
        try:
            done = cli("consortium", "up", c.root, "--timeout", "900", timeout=300)
        except subprocess.TimeoutExpired:
            pytest.fail(f"up kept waiting for {busy}, which had exited at start")
        log = c.root / "logs" / f"{busy}.log"
        assert "cannot read genesis file" in log.read_text()
        assert done.returncode == 2, done.stderr
        assert f"node {busy} exited at start" in done.stderr, done.stderr
        assert str(log) in done.stderr
        code, rows = status_rows(c)
        row = next(r for r in rows if r["name"] == busy)
        assert code == 1 and row["up"] is False
        assert row["pid"] is None, f"status reports dead {busy} as running: {row}"
    finally:
        c.close()


def test_up_refuses_a_port_in_use_before_starting_anything(tmp_path):
    """A port taken by another program is named before any node starts."""
    c = Cluster(tmp_path / "c", 3)
    try:
        c.init()
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", c.base_port + 1))
        blocker.listen()
        try:
            done = cli("consortium", "up", c.root, "--timeout", "10")
        finally:
            blocker.close()
        assert done.returncode == 2
        assert f"port {c.base_port + 1}" in done.stderr and "in use" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert not list((c.root / "run").glob("*.pid")), "a node was started anyway"
    finally:
        c.close()


def test_up_and_down_with_a_relative_folder(tmp_path):
    """``provledger consortium up c`` from the folder holding ``c``."""
    base = tmp_path / "work"
    base.mkdir()
    c = Cluster(base / "c", 3)
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        c.init()

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "nodes.cli", *args],
                capture_output=True,
                text=True,
                cwd=base,
                env=env,
                timeout=60,
            )

        done = run("consortium", "up", "c", "--timeout", "10", "--json")
        logs = c.log_tails(3)
        assert done.returncode == 0, done.stderr + logs
        rows = json.loads(done.stdout)["nodes"]
        assert all(r["up"] for r in rows)
        stopped = run("consortium", "down", "c", "--json")
        assert stopped.returncode == 0
        assert sorted(json.loads(stopped.stdout)["stopped"]) == c.names
    finally:
        c.close()


@pytest.mark.parametrize("command", ["status", "up", "down"])
def test_commands_on_a_folder_that_is_not_a_consortium(tmp_path, command):
    done = cli("consortium", command, tmp_path)
    assert done.returncode == 2
    assert "not a consortium folder" in done.stderr and "consortium init" in done.stderr
    assert "Traceback" not in done.stderr
