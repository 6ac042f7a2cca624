"""State proofs end to end on a real three-node consortium: a recalled product, an
anchored document's first depositor and a never-anchored digest, each fetched from a node
with ``provledger state get`` / ``trace history --proof``, proven offline with only
trust.json by ``provledger verify-state``, and a forged copy refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.state_proof import verify_state
from ledger.trust import Trust
from tests.cluster import Cluster, cli, running

BATCH = "urn:epc:class:lgtin:6901234.012345.STATE-1"


def _ok(*args: str | Path) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path, str]]:
    """A consortium holding one recalled batch and one anchored document."""
    folder = tmp_path_factory.mktemp("state")
    doc = folder / "contract.txt"
    doc.write_text("A contract of sale.\n\nDelivery within ten days.\n", encoding="utf-8")
    with running(folder / "consortium", 3) as cluster:
        root = cluster.root
        _ok("trace", "commission", BATCH, "--as", "sinochem", "--consortium", root)
        _ok("trace", "ship", BATCH, "--to", "cetc", "--as", "sinochem", "--consortium", root)
        _ok("trace", "recall", BATCH, "--as", "sinochem", "--consortium", root)
        _ok("anchor", doc, "--as", "cetc", "--consortium", root)
        yield cluster, folder, hashlib.sha256(doc.read_bytes()).hexdigest()


def test_a_recalled_product_is_proven_offline(chain: tuple[Cluster, Path, str]) -> None:
    cluster, folder, _ = chain
    out = folder / "product.json"
    fetched = _ok(
        "state",
        "get",
        "traceability",
        f"product/{BATCH}",
        "--consortium",
        cluster.root,
        "-o",
        out,
    )
    assert "VERIFIED" in fetched and f"{BATCH}: recalled, held by sinochem" in fetched
    trust = cluster.root / "trust.json"
    offline = _ok("verify-state", out, "--trust", trust)
    assert f"{BATCH}: recalled, held by sinochem, owned by sinochem, 3 events" in offline
    assert "certified by" in offline

    history = folder / "history.json"
    shown = _ok("trace", "history", BATCH, "--consortium", cluster.root, "--proof", history)
    assert "VERIFIED" in shown
    doc = json.loads(history.read_text())
    assert doc["format"] == "provledger-history/v1" and len(doc["events"]) == 3
    assert "3 events" in _ok("verify-state", history, "--trust", trust)

    # a node that leaves the recall out cannot be believed: drop the last event
    doc["events"] = doc["events"][:-1]
    forged = folder / "forged.json"
    forged.write_text(json.dumps(doc))
    refused = cli("verify-state", forged, "--trust", trust)
    assert refused.returncode == 1 and "NOT VERIFIED" in refused.stdout + refused.stderr


def test_a_first_depositor_and_a_never_anchored_digest(chain: tuple[Cluster, Path, str]) -> None:
    cluster, folder, sha = chain
    trust = cluster.root / "trust.json"
    first = folder / "doc.json"
    _ok("state", "get", "evidence", f"doc/{sha}", "--consortium", cluster.root, "-o", first)
    assert "first deposited by cetc" in _ok("verify-state", first, "--trust", trust)

    never = hashlib.sha256(b"never anchored").hexdigest()
    absent = folder / "absent.json"
    shown = _ok(
        "state", "get", "evidence", f"doc/{never}", "--consortium", cluster.root, "-o", absent
    )
    assert f"{never}: never anchored as of height" in " ".join(shown.split())
    doc = json.loads(absent.read_text())
    doc["entries"][0]["value"] = {"sha256": never}  # pass an absence off as an anchor
    absent.write_text(json.dumps(doc))
    refused = cli("verify-state", absent, "--trust", trust)
    assert refused.returncode == 1


def test_the_api_serves_proofs_at_a_height_and_histories_of_documents(
    chain: tuple[Cluster, Path, str],
) -> None:
    cluster, _, sha = chain
    base = cluster.url(cluster.names[0])
    at_one = httpx.get(
        f"{base}/v1/state/traceability/product/{BATCH}", params={"proof": "true", "height": 1}
    ).json()
    assert at_one["proof"]["header"]["height"] == 1
    plain = httpx.get(f"{base}/v1/state/traceability/product/{BATCH}").json()
    assert set(plain) == {"contract", "key", "value"} and plain["value"]["status"] == "recalled"
    found: dict[str, Any] = httpx.get(f"{base}/v1/evidence/{sha}", params={"proof": "true"}).json()
    assert found["proof"]["format"] == "provledger-history/v1"
    assert found["proof"]["subject"] == {"kind": "document", "sha256": sha}
    missing = httpx.get(f"{base}/v1/state/evidence/nothing", params={"proof": "true"}).json()
    assert missing["value"] is None
    proven = verify_state(missing["proof"], Trust.load(cluster.root / "trust.json"))
    assert proven.value("evidence", "nothing") is None


def test_the_roster_is_proven_too(chain: tuple[Cluster, Path, str]) -> None:
    cluster, _, _ = chain
    found = httpx.get(f"{cluster.url(cluster.names[1])}/v1/members", params={"proof": "true"})
    answer = found.json()
    proven = verify_state(answer["proof"], Trust.load(cluster.root / "trust.json"))
    # no membership change was voted: the roster is genesis's, proven by its absence
    assert proven.value("membership", "roster") is None
    assert {o["name"] for o in answer["organisations"]} == {"sinochem", "cetc", "sasac"}
    plain = httpx.get(f"{cluster.url(cluster.names[1])}/v1/members").json()
    assert "proof" not in plain
