"""The node's HTTP API on a real three-node consortium (node processes on loopback
ports): what only several processes show. A transaction submitted to one node is
committed at the same place on every node, each node serves receipts, blocks and
checkpoints cosigned by a quorum, a replay is refused by every node, another validator's
signed envelope is accepted, metrics count peers and commit latency, and the edge holds
over real HTTP (chunked bodies, a fresh connection after a refusal).

Every route and every refusal is tested in process, against one node served by
``TestClient``: ``tests/test_api_client.py``, ``test_api_queries.py``,
``test_api_peer.py`` and ``test_api_document.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.checkpoint import verify_checkpoint
from ledger.keys import SigningKey
from ledger.model.block import BlockHeader
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.receipt import verify_receipt
from ledger.trust import Trust
from nodes.peer.envelope import sign_request
from tests.api_node import problem
from tests.cluster import Cluster, running
from tests.test_api_document import ERRORS

MAX_BODY = 32_768
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    with running(
        tmp_path_factory.mktemp("api") / "consortium",
        3,
        # Blocks stay well under the body limit, which also bounds peer requests.
        limits={"max_body_bytes": MAX_BODY, "max_block_transactions": 20, "max_batch": 40},
    ) as c:
        yield c


@pytest.fixture(scope="module")
def committed(cluster: Cluster) -> dict[str, Any]:
    """Three anchors committed: their transactions and statuses (first node)."""
    txs = cluster.make_txs(3)
    cluster.submit_batch(cluster.names[0], txs)
    statuses = cluster.wait_committed(cluster.names[0], [tx.tx_id for tx in txs])
    cluster.wait_agree(min_height=max(s["height"] for s in statuses.values()))
    return {"txs": txs, "statuses": statuses}


def test_submit_on_one_node_is_committed_at_the_same_place_on_every_node(cluster: Cluster):
    a = cluster.names[0]
    tx = cluster.anchor_tx(cluster.member_key(cluster.orgs[1]))
    resp = cluster.post(a, "/v1/transactions", json=tx.to_dict())
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"tx_id": tx.tx_id, "status": "pending"}
    # Straight after admission it is pending (a block needs a round trip between nodes).
    assert cluster.tx_status(a, tx.tx_id)["status"] in ("pending", "committed")
    st = cluster.wait_committed(a, [tx.tx_id])[tx.tx_id]
    assert st["outcome"] == {"applied": True}
    assert st["stored_on"] >= 2 and st["height"] >= 1 and st["log_index"] >= 0
    for name in cluster.names:
        other = cluster.wait_committed(name, [tx.tx_id])[tx.tx_id]
        assert (other["status"], other["height"], other["log_index"]) == (
            "committed",
            st["height"],
            st["log_index"],
        )


def test_every_node_serves_blocks_receipts_and_state_cosigned_by_a_quorum(
    cluster: Cluster, committed
):
    trust = Trust.load(cluster.root / "trust.json")
    top = min(cluster.head(name)["height"] for name in cluster.names)
    for name in cluster.names:
        head = cluster.head(name)
        checkpoint, signers = verify_checkpoint(
            head["checkpoint"], trust.validators, trust.chain_id
        )
        assert (checkpoint.height, checkpoint.block_hash) == (head["height"], head["block_hash"])
        assert len(signers) >= 2
        for height in range(1, top + 1):
            item = cluster.get(name, f"/v1/blocks/{height}").json()
            h = BlockHeader.from_dict(item["block"]["header"])
            CommitCertificate.from_dict(item["certificate"]).verify(
                trust.validators, chain_id=trust.chain_id, height=height, block_hash=h.block_hash
            )
            cp, signers = verify_checkpoint(item["checkpoint"], trust.validators, trust.chain_id)
            assert cp.block_hash == h.block_hash and len(signers) >= 2
        for tx in committed["txs"]:
            st = committed["statuses"][tx.tx_id]
            result = verify_receipt(cluster.get(name, f"/v1/receipts/{tx.tx_id}").json(), trust)
            assert (result.tx_id, result.index, result.height, result.entry) == (
                tx.tx_id,
                st["log_index"],
                st["height"],
                tx,
            )
        tx = committed["txs"][0]
        digest = tx.tx.args["sha256"]
        record = cluster.get(name, f"/v1/state/evidence/doc/{digest}").json()
        assert record["value"]["tx_id"] == tx.tx_id
        assert record["value"]["log_index"] == committed["statuses"][tx.tx_id]["log_index"]
        assert record["value"]["depositor"] == cluster.orgs[0]
        found = cluster.get(name, f"/v1/evidence/{digest}").json()
        assert found["anchor"]["tx_id"] == tx.tx_id
        assert verify_receipt(found["receipt"], trust).tx_id == tx.tx_id


def test_replayed_transaction_is_409_on_every_node(cluster: Cluster, committed):
    tx = committed["txs"][1]
    for name in cluster.names:
        resp = cluster.post(name, "/v1/transactions", json=tx.to_dict())
        problem(resp, 409, "already committed", tx.tx_id[:16])


def test_another_validators_envelope_is_accepted_a_strangers_refused(cluster: Cluster):
    a, b = cluster.names[0], cluster.names[1]
    node_key = cluster.node_key(b.removesuffix("-node"))
    vote = Vote.signed(node_key, cluster.chain_id, 10**6, 0, VoteType.PREVOTE, None)
    body = json.dumps({"messages": [{"type": "vote", "vote": vote.to_dict(), "cosignature": None}]})
    path = "/peer/consensus"
    ok = cluster.post(
        a,
        path,
        content=body,
        headers=sign_request(node_key, cluster.chain_id, a, path, body.encode()) | JSON,
    )
    assert ok.status_code == 200 and ok.json() == {"accepted": 1}, ok.text
    stranger = SigningKey.generate()
    headers = sign_request(stranger, cluster.chain_id, a, path, body.encode()) | JSON
    problem(cluster.post(a, path, content=body, headers=headers), 403, "not a validator")


def test_health_metrics_openapi(cluster: Cluster, committed):
    a = cluster.names[0]
    health = cluster.get(a, "/health").json()
    assert health["status"] == "ok" and health["name"] == a
    assert health["chain_id"] == cluster.chain_id and health["height"] >= 1
    assert (health["peers"], health["peers_up"]) == (2, 2)
    resp = cluster.get(a, "/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.text):  # raises on what is not
        assert family.documentation and family.type != "unknown", family.name
        assert family.name.startswith(("provledger_", "process_", "python_")), family.name
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in s.labels.items())
            samples[s.name + (f"{{{labels}}}" if labels else "")] = float(s.value)
    for name in ("provledger_height", "provledger_round", "provledger_mempool_size"):
        assert name in samples, name
    assert samples["provledger_height"] >= 1
    assert samples["provledger_peers_up"] == 2
    assert samples['provledger_commit_latency_seconds_bucket{le="+Inf"}'] >= 1
    assert samples["provledger_commit_latency_seconds_count"] >= 1
    paths = cluster.get(a, "/openapi.json").json()["paths"]
    # A running node serves the very document the in-process tests check route by route.
    assert {(m, path) for path, ops in paths.items() for m in ops} == set(ERRORS)
    problem(cluster.get(a, "/v1/no-such-route"), 404, "no route")


def test_json_with_a_huge_integer_is_400_on_a_fresh_connection(cluster: Cluster):
    """Python refuses integers over 4300 digits with a plain ValueError: the body is
    still malformed input, never an internal error."""
    body = b'{"tx": ' + b"1" * 5000 + b', "signature": "00"}'
    url = cluster.url(cluster.names[0])
    for path in ("/v1/transactions", "/v1/transactions/batch"):
        # A fresh connection: after a 500 the server closes the one it answered on.
        resp = httpx.post(url + path, content=body, headers=JSON)
        assert problem(resp, 400, "JSON")["title"] == "malformed json"


def test_oversized_body_is_413_over_http(cluster: Cluster):
    a = cluster.names[0]
    big = json.dumps({"transactions": [], "pad": "x" * MAX_BODY}).encode()
    resp = cluster.post(a, "/v1/transactions/batch", content=big, headers=JSON)
    problem(resp, 413, "exceeds", str(MAX_BODY))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for _ in range(8):
            yield b" " * (MAX_BODY // 4)

    resp = cluster.post(a, "/v1/transactions", content=chunks(), headers=JSON)
    problem(resp, 413, "exceeds")
    # The peer API is bounded too, before any signature work.
    problem(cluster.post(a, "/peer/consensus", content=big, headers=JSON), 413, "exceeds")
    # The node still serves after refusing.
    assert cluster.get(a, "/health").status_code == 200
