"""User flows of deposit evidence and membership on a real three-node consortium,
through the CLI as real processes: anchor with facts, verify, localise tampering,
receipts and fact proofs offline (forgeries fail), queries, and an organisation that
joins by a quorum's approval, anchors, and leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.canonical import sha256
from ledger.keys import read_key_file
from ledger.model import Transaction
from seeds.corpus import documents
from tests.cluster import REPO, Cluster, cli, running

SEEDS = [Path(__file__).resolve().parent.parent / "seeds" / "corpus" / d.name for d in documents()]


def run(cluster: Cluster, *args: str | Path) -> Any:
    return cli(*args, "--consortium", cluster.root)


def ok_json(cluster: Cluster, *args: str | Path) -> Any:
    done = run(cluster, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running(tmp_path_factory.mktemp("evidence") / "consortium", 3) as c:
        anchored = ok_json(c, "anchor", *SEEDS, "--as", "sinochem")
        assert anchored["ok"] is True
        assert all(r["facts_published"] for r in anchored["anchors"])
        yield c


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    text = SEEDS[0].read_text(encoding="utf-8").replace("On October 27", "On October 28", 1)
    path = tmp_path / "copy.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_verify_names_depositor_time_height_and_validators(cluster: Cluster) -> None:
    found = ok_json(cluster, "verify", SEEDS[2])
    assert found["verified"] is True
    assert found["organisation"] == "sinochem"
    assert found["height"] >= 1 and found["time"].endswith("Z")
    assert len(found["certificate_signers"]) >= 2
    assert found["facts_published"] is True and found["facts"] > 0
    text = run(cluster, "verify", SEEDS[2])
    assert text.returncode == 0 and "VERIFIED" in text.stdout and "sinochem" in text.stdout


def test_a_tampered_copy_is_not_verified_and_the_paragraph_is_named(
    cluster: Cluster, tampered: Path
) -> None:
    done = run(cluster, "verify", tampered, "--json")
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["verified"] is False
    assert answer["resembles"]["sha256"] == sha256(SEEDS[0].read_bytes()).hex()
    assert [(d["kind"], d["anchored"]) for d in answer["differences"]] == [("changed", [3])]
    assert "October 28" in answer["differences"][0]["copy"][0]["text"]
    human = run(cluster, "verify", tampered)
    assert human.returncode == 1 and human.stdout.startswith(f"NOT ANCHORED {tampered}")
    assert "paragraph 3 (line 5)" in human.stdout


def test_an_unrelated_file_is_simply_not_anchored(cluster: Cluster, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("Nothing like any seed.\n\nAt all.\n")
    done = run(cluster, "verify", other, "--json")
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert "no anchor of SHA-256" in answer["reason"] and "differences" not in answer


def test_receipt_then_offline_verification_with_the_file(
    cluster: Cluster, tmp_path: Path, tampered: Path
) -> None:
    out = tmp_path / "r.json"
    assert run(cluster, "receipt", SEEDS[0], "-o", out).returncode == 0
    trust = cluster.root / "trust.json"
    good = cli("verify-receipt", out, SEEDS[0], "--trust", trust, "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["organisation"] == "sinochem"
    bad = cli("verify-receipt", out, tampered, "--trust", trust, "--json")
    assert bad.returncode == 1
    assert [d["anchored"] for d in json.loads(bad.stdout)["differences"]] == [[3]]
    assert json.loads(bad.stdout)["verdict"] == "NOT ANCHORED"
    human = cli("verify-receipt", out, tampered, "--trust", trust)
    assert human.returncode == 1 and human.stdout.startswith(f"NOT ANCHORED {tampered}")
    assert "paragraph 3" in human.stdout
    forged = json.loads(out.read_text())
    forged["entry"]["tx"]["args"]["title"] = "Another title"
    out.write_text(json.dumps(forged))
    assert cli("verify-receipt", out, "--trust", trust).returncode == 1


def test_receipt_of_a_file_never_anchored_exits_1(cluster: Cluster, tmp_path: Path) -> None:
    other = tmp_path / "nope.txt"
    other.write_text("never anchored\n")
    done = run(cluster, "receipt", other, "-o", tmp_path / "r.json")
    assert done.returncode == 1 and done.stdout.startswith(f"NOT ANCHORED {other}")
    assert not (tmp_path / "r.json").exists()


def test_fact_proof_verifies_offline_and_a_forged_fact_fails(
    cluster: Cluster, tmp_path: Path
) -> None:
    facts = ok_json(cluster, "evidence", "facts", SEEDS[3])
    assert facts["facts_count"] == len(facts["facts"]) > 0
    index = next(i for i, f in enumerate(facts["facts"]) if f["kind"] == "count")
    proof = tmp_path / "fact.json"
    assert run(cluster, "evidence", "fact-proof", SEEDS[3], str(index), "-o", proof).returncode == 0
    trust = cluster.root / "trust.json"
    good = cli("verify-fact", proof, "--trust", trust, "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["fact"] == facts["facts"][index]
    forged = json.loads(proof.read_text())
    forged["fact"]["value"] = forged["fact"]["value"] + 1
    proof.write_text(json.dumps(forged))
    bad = cli("verify-fact", proof, "--trust", trust)
    assert bad.returncode == 1 and bad.stdout.startswith(f"NOT VERIFIED {proof}")
    assert "fact inclusion proof" in bad.stdout


def test_queries_by_depositor_and_digest(cluster: Cluster) -> None:
    mine = ok_json(cluster, "evidence", "by", "sinochem")
    assert {d["sha256"] for d in mine["documents"]} >= {sha256(p.read_bytes()).hex() for p in SEEDS}
    assert ok_json(cluster, "evidence", "by", "sasac")["documents"] == []
    unknown = run(cluster, "evidence", "facts", "ab" * 32)
    assert unknown.returncode == 1 and "is anchored" in unknown.stderr
    shown = ok_json(cluster, "evidence", "show", sha256(SEEDS[1].read_bytes()).hex())
    assert shown["depositor"] == "sinochem" and shown["chunks_root"]


def test_similar_queries_are_validated(cluster: Cluster) -> None:
    name = cluster.names[0]
    for body in ({"chunks": "x"}, {"title": 5}, {"chunks": ["zz"]}, [1], {"other": 1}):
        answer = cluster.post(name, "/v1/evidence/similar", json=body)
        assert answer.status_code == 400, body
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert cluster.get(name, "/v1/evidence/" + "ab" * 32 + "/facts").status_code == 404


def test_an_organisation_joins_with_a_quorum_anchors_and_leaves(
    cluster: Cluster, tmp_path: Path
) -> None:
    proposed = ok_json(
        cluster, "member", "propose", "greenfarm", "--role", "producer", "--as", "cetc"
    )
    pid = proposed["proposal"]["id"]
    assert proposed["proposal"]["status"] == "open"
    key = read_key_file(cluster.root / "keys" / "greenfarm.member.pem")
    early = Transaction.new(
        key, cluster.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(key)
    refused = cluster.post(cluster.names[0], "/v1/transactions", json=early.to_dict())
    assert refused.status_code == 403 and "not a member" in refused.text
    again = run(cluster, "member", "approve", pid, "--as", "cetc")
    assert again.returncode == 1 and "already approved" in again.stdout
    rival = ok_json(cluster, "member", "propose", "bluefarm", "--role", "producer", "--as", "sasac")
    applied = ok_json(cluster, "member", "approve", pid, "--as", "sasac")
    assert applied["proposal"]["status"] == "applied"
    rid = rival["proposal"]["id"]
    stale = cluster.get(cluster.names[0], f"/v1/membership/proposals/{rid}").json()
    assert (stale["status"], stale["stale"]) == ("open", True)
    late = run(cluster, "member", "approve", rid, "--as", "cetc")
    assert late.returncode == 1 and "propose the change again" in late.stdout
    trust = json.loads((cluster.root / "trust.json").read_text())
    assert "greenfarm" in [o["name"] for o in trust["organisations"]]

    harvest = tmp_path / "harvest.txt"
    harvest.write_text("Greenfarm harvest\n\n120 crates of apples were picked in 2026.\n")
    done = ok_json(cluster, "anchor", harvest, "--as", "greenfarm")
    assert done["ok"] is True and done["anchors"][0]["facts_published"] is True
    receipt = tmp_path / "harvest.json"
    assert run(cluster, "receipt", harvest, "-o", receipt).returncode == 0
    with_roster = cli("verify-receipt", receipt, harvest, "--trust", cluster.root / "trust.json")
    assert with_roster.returncode == 0 and "greenfarm" in with_roster.stdout
    genesis_only = tmp_path / "genesis-trust.json"
    trust["organisations"] = [o for o in trust["organisations"] if o["name"] != "greenfarm"]
    genesis_only.write_text(json.dumps(trust))
    stale = cli("verify-receipt", receipt, "--trust", genesis_only)
    assert stale.returncode == 1 and stale.stdout.startswith(f"NOT VERIFIED {receipt}: ")
    assert "not a member key" in stale.stdout

    removal = ok_json(cluster, "member", "propose", "greenfarm", "--remove", "--as", "sinochem")
    assert removal["proposal"]["needed"] == 3  # four organisations now
    second = ok_json(cluster, "member", "approve", removal["proposal"]["id"], "--as", "sasac")
    assert second["proposal"]["status"] == "open"
    ok_json(cluster, "member", "approve", removal["proposal"]["id"], "--as", "cetc")
    roster = ok_json(cluster, "member", "list")
    assert "greenfarm" not in [o["name"] for o in roster["organisations"]]
    late = Transaction.new(
        key, cluster.chain_id, "evidence", "anchor", {"sha256": "cd" * 32, "size": 1}
    ).sign(key)
    gone = cluster.post(cluster.names[1], "/v1/transactions", json=late.to_dict())
    assert gone.status_code == 403

    audit = run(cluster, "audit", "--json")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert json.loads(audit.stdout)["ok"] is True


def _narrow(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    """``provledger ARGS --consortium DIR`` in an 80-column terminal."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", *args, "--consortium", str(cluster.root)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_ids_by_prefix_and_the_chain_from_the_terminal(cluster: Cluster) -> None:
    key = cluster.member_key("sinochem")
    twins = [cluster.anchor_tx(key, "c0ffee00" + os.urandom(28).hex()) for _ in range(2)]
    cluster.submit_batch(cluster.names[0], twins)
    statuses = cluster.wait_committed(cluster.names[0], [t.tx_id for t in twins])
    first = twins[0]
    where = statuses[first.tx_id]

    shown = ok_json(cluster, "tx", first.tx_id[:8])
    assert (shown["tx_id"], shown["status"], shown["outcome"]) == (
        first.tx_id,
        "committed",
        {"applied": True},
    )
    assert (shown["contract"], shown["action"], shown["organisation"]) == (
        "evidence",
        "anchor",
        "sinochem",
    )
    assert (shown["height"], shown["log_index"]) == (where["height"], where["log_index"])
    assert shown["args"] == first.tx.args
    human = _narrow(cluster, "tx", first.tx_id[:10].upper())
    assert human.returncode == 0, human.stderr
    assert "evidence.anchor" in human.stdout and "sinochem" in human.stdout
    assert max(map(len, human.stdout.splitlines())) <= 80
    short = run(cluster, "tx", first.tx_id[:7])
    assert short.returncode == 2 and "at least 8" in short.stderr
    # 2**-32 per stored transaction that some id starts with these digits
    none = run(cluster, "tx", "00000000")
    assert none.returncode == 1 and "no transaction starts with 00000000" in none.stderr

    digests = sorted(t.tx.args["sha256"] for t in twins)
    ambiguous = run(cluster, "evidence", "show", "C0FFEE00")
    assert ambiguous.returncode == 2 and "ambiguous" in ambiguous.stderr
    assert all(d in ambiguous.stderr for d in digests)
    one = ok_json(cluster, "evidence", "show", digests[1][:12])
    assert one["sha256"] == digests[1]
    assert one["tx_id"] in {t.tx_id for t in twins}
    assert run(cluster, "evidence", "facts", "c0ffee0").returncode == 2  # 7 digits, no file

    served = cluster.get(cluster.names[0], f"/v1/blocks/{where['height']}").json()
    (block,) = ok_json(cluster, "blocks", str(where["height"]))
    validators = {v.name for v in cluster.genesis.validators}
    assert block["height"] == where["height"]
    assert block["block_hash"] == served["certificate"]["block_hash"]
    assert block["tx_count"] == len(served["block"]["transactions"]) >= 1
    assert block["time"] == served["block"]["header"]["time"]
    assert block["proposer_name"] in validators
    assert len(block["signers"]) >= 2 and set(block["signers"]) <= validators
    latest = ok_json(cluster, "blocks", "--last", "3")
    heights = [b["height"] for b in latest]
    assert len(heights) == 3 and heights[0] >= where["height"]
    assert heights == list(range(heights[0], heights[0] - 3, -1))
    table = _narrow(cluster, "blocks", "--last", "3")
    assert table.returncode == 0, table.stderr
    assert max(map(len, table.stdout.splitlines())) <= 80
    single = _narrow(cluster, "blocks", str(where["height"]))
    assert single.returncode == 0, single.stderr
    assert block["block_hash"][:10] + "…" in single.stdout
    missing = run(cluster, "blocks", str(10**9))
    assert missing.returncode == 1 and missing.stderr


def test_open_proposals_are_listed_and_approved_by_prefix(cluster: Cluster) -> None:
    proposed = ok_json(
        cluster, "member", "propose", "orchard", "--role", "producer", "--as", "cetc"
    )
    pid = proposed["proposal"]["id"]
    listed = ok_json(cluster, "member", "proposals")
    mine = {p["id"]: p for p in listed["proposals"]}[pid]
    assert (mine["approvals"], mine["organisation"], mine["stale"]) == (["cetc"], "orchard", False)
    needed = mine["needed"]
    assert needed >= 2
    human = _narrow(cluster, "member", "proposals")
    assert human.returncode == 0, human.stderr
    assert pid[:10] in human.stdout and "orchard: producer" in human.stdout
    assert f"{needed - 1} of {needed}" in human.stdout
    assert max(map(len, human.stdout.splitlines())) <= 80
    assert run(cluster, "member", "approve", pid[:5], "--as", "sasac").returncode == 2
    for org in ("sasac", "sinochem")[: needed - 1]:
        approved = ok_json(cluster, "member", "approve", pid[:8], "--as", org)
        assert approved["proposal"]["id"] == pid
    assert approved["proposal"]["status"] == "applied"
    after = ok_json(cluster, "member", "proposals")
    assert pid not in [p["id"] for p in after["proposals"]]
    assert after["roster_version"] == listed["roster_version"] + 1
