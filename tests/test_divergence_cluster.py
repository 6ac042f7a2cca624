"""A validator whose contract disagrees, on a real three-node consortium (real processes).

One node is started with ``tests/divergent_node.py``: the release's node, run through the
real CLI entry, but its ``evidence`` contract stores one more field in each anchored
document's record. It is deterministic, so it agrees with itself, yet every block that
anchors a document executes to other state and results roots there than on the two
honest nodes, which are a quorum (2 of 3) on their own.

Expected: the honest nodes commit the anchors and go on committing; the divergent node
refuses to vote for and to store those blocks (it stays below the first anchor's block,
still running); whichever node proposed, the divergence is reported with both roots in
``GET /v1/misbehaviour`` and counted in ``/metrics``; and the audit of the consortium is
clean (the divergent node holds only the blocks it agrees with, which are theirs too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.model.block import BlockHeader
from tests import divergent_node
from tests.cluster import Cluster, pid_alive, wait_until

HANG = 90.0
"""Seconds after which a wait gives up: only ends a hung run, never a timing check."""
ROOT = re.compile(r"^[0-9a-f]{64}$")
ROOT_CHECKS = ("state_root", "results_root")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Cluster, str]]:
    """A three-node consortium whose first node runs the divergent contract; that
    node's name."""
    c = Cluster(tmp_path / "consortium", 3)
    try:
        c.init()
        divergent = c.names[0]
        c.start_node(divergent, divergent_node.COMMAND)
        rows = c.up()["nodes"]
        assert all(r["up"] for r in rows), rows
        yield c, divergent
    finally:
        c.close()


def metric(c: Cluster, name: str, sample: str) -> float:
    resp = c.get(name, "/metrics")
    assert resp.status_code == 200, resp.text
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            if s.name == sample:
                return float(s.value)
    raise AssertionError(f"{sample} not in {name}'s /metrics")


def divergences(c: Cluster, name: str) -> list[dict[str, Any]]:
    resp = c.get(name, "/v1/misbehaviour")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["evidence"] == [], answer  # nobody equivocates here
    return answer["divergences"]


def log_text(c: Cluster, name: str) -> str:
    return (c.root / "logs" / f"{name}.log").read_text(errors="replace")


def commit_batch(c: Cluster, honest: list[str], count: int) -> tuple[int, int]:
    """Submit ``count`` anchors to the first honest node; wait until every honest node
    reports each one committed and applied; the lowest and highest heights they sit at."""
    txs = c.make_txs(count)
    c.submit_batch(honest[0], txs)
    ids = [tx.tx_id for tx in txs]
    heights = set()
    for name in honest:
        for st in c.wait_committed(name, ids, timeout=HANG).values():
            assert st["outcome"]["applied"] is True, st
            heights.add(st["height"])
    return min(heights), max(heights)


def test_a_divergent_validator_is_refused_reported_and_left_behind(
    cluster: tuple[Cluster, str],
) -> None:
    c, divergent = cluster
    honest = [n for n in c.names if n != divergent]
    key_of = {v.name: v.key_id for v in c.genesis.validators}
    assert set(key_of) == set(c.names) and len(honest) == 2  # 2 of 3 are a quorum

    # first batch: the honest quorum commits it (the divergent node stores none of it)
    first_anchor_height, first = commit_batch(c, honest, 4)
    assert first_anchor_height >= 1

    # the chain goes on without the divergent node: a second batch commits above it
    low, second = commit_batch(c, honest, 3)
    assert low > first
    top, _ = c.wait_agree(honest, min_height=second, timeout=HANG)

    # whichever node proposed first, a divergence is reported somewhere, with both roots
    def reported() -> dict[str, list[dict[str, Any]]] | None:
        found = {n: d for n in c.names if (d := divergences(c, n))}
        checks: dict[tuple[str, str], set[str]] = {}
        for name, items in found.items():
            for d in items:
                checks.setdefault((name, d["block_hash"]), set()).add(d["check"])
        # a node records a proposal's faults one by one: wait until each is complete
        complete = all(got == set(ROOT_CHECKS) for got in checks.values())
        return found if found and complete else None

    found = wait_until(reported, HANG, "a divergence reported by some node")
    for name, items in found.items():
        for d in items:
            assert d["kind"] == "divergence"
            assert d["check"] in ROOT_CHECKS, d
            assert ROOT.match(d["ours"] or "") and ROOT.match(d["theirs"] or ""), d
            assert d["ours"] != d["theirs"], d
            assert 1 <= d["height"] <= first_anchor_height, d
            if name == divergent:  # it judged an honest proposal
                assert d["proposer"] in {key_of[n] for n in honest}, d
            else:  # an honest node judged the divergent node's proposal
                assert d["proposer"] == key_of[divergent], d
        assert metric(c, name, "provledger_divergences_total") >= 1
        wait_until(
            lambda n=name: "DIVERGENCE at height" in log_text(c, n), HANG, f"{name} to log it"
        )
    if divergent in found:  # what it refused is what the quorum committed, root for root
        committed = _header(c, honest[0], first_anchor_height)
        for d in found[divergent]:
            if d["block_hash"] == committed.block_hash:
                assert d["theirs"] == getattr(committed, d["check"]), d
                assert d["ours"] != getattr(committed, d["check"]), d

    # the divergent node is alive but refused to store the anchors' block
    def refused_to_store() -> bool:
        return any(
            "refused" in line and "is not the root of" in line
            for line in log_text(c, divergent).splitlines()
        )

    wait_until(refused_to_store, HANG, f"{divergent} to log that it refused the block")
    pid = c.pid(divergent)
    assert pid is not None and pid_alive(pid)
    assert c.head(divergent)["height"] < first_anchor_height
    for name in honest:  # the honest nodes are still at (or above) their agreed head
        assert c.head(name)["height"] >= top

    # audit: every store is clean, and they agree on every block they share
    c.down()
    audit = c.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is True and report["divergence"] is None, report
    heads = {n["name"]: n["head_height"] for n in report["nodes"]}
    assert all(n["ok"] for n in report["nodes"]), report
    assert heads[divergent] < first_anchor_height
    assert all(heads[n] >= top for n in honest), heads


def _header(c: Cluster, name: str, height: int) -> BlockHeader:
    resp = c.get(name, f"/v1/blocks/{height}")
    assert resp.status_code == 200, resp.text
    return BlockHeader.from_dict(resp.json()["block"]["header"])
