"""The node's HTTP API on a real three-node consortium: client routes, problem details,
and every security refusal (status and a detail naming the problem)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledger.canonical import now_time
from ledger.checkpoint import verify_checkpoint
from ledger.keys import SigningKey
from ledger.merkle import verify_consistency
from ledger.model.block import BlockHeader
from ledger.model.transaction import Transaction
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.receipt import verify_receipt
from ledger.trust import Trust
from nodes.peer.envelope import sign_request
from tests.cluster import Cluster, running

MAX_BODY = 32_768


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


def problem(resp: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """Assert ``resp`` is an RFC 9457 problem with ``status`` whose detail names each of
    ``fragments`` (case-insensitive); the problem."""
    assert resp.status_code == status, f"{resp.status_code}: {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body = resp.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"]
    assert "Traceback" not in body["detail"]
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), (fragment, body)
    return body


def signed_tx(cluster: Cluster, org: int = 0, **overrides: Any) -> dict[str, Any]:
    key = cluster.member_key(cluster.orgs[org])
    return cluster.anchor_tx(key).to_dict() | overrides


# ---- client API: submit and follow --------------------------------------------------


def test_submit_pending_then_committed_with_wait(cluster: Cluster):
    a = cluster.names[0]
    tx = cluster.anchor_tx(cluster.member_key(cluster.orgs[1]))
    resp = cluster.post(a, "/v1/transactions", json=tx.to_dict())
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"tx_id": tx.tx_id, "status": "pending"}
    # Straight after admission it is pending (a block needs a round trip between nodes).
    assert cluster.tx_status(a, tx.tx_id)["status"] in ("pending", "committed")
    st = cluster.tx_status(a, tx.tx_id, wait=5)
    assert st["status"] == "committed", st
    assert st["outcome"] == {"applied": True}
    assert st["stored_on"] >= 2 and st["height"] >= 1 and st["log_index"] >= 0
    # Every node knows it, at the same place.
    for name in cluster.names:
        other = cluster.tx_status(name, tx.tx_id, wait=5)
        assert (other["status"], other["height"], other["log_index"]) == (
            "committed",
            st["height"],
            st["log_index"],
        )


def test_batch_answers_per_item(cluster: Cluster):
    a = cluster.names[0]
    good, good2 = signed_tx(cluster, 0), signed_tx(cluster, 1)
    stranger = SigningKey.generate()
    outsider = Transaction.new(
        stranger, cluster.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    other_chain = signed_tx(cluster, 2)
    other_chain["tx"] = other_chain["tx"] | {"chain_id": "00" * 32}
    forged = signed_tx(cluster, 0)
    forged["tx"] = forged["tx"] | {"args": {"sha256": "cd" * 32, "size": 7}}
    items = [good, outsider.to_dict(), other_chain, {"tx": {}}, good, forged, good2]
    resp = cluster.post(a, "/v1/transactions/batch", json={"transactions": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert (answer["admitted"], answer["refused"]) == (2, 5)
    results = answer["results"]
    assert len(results) == len(items)
    assert set(results[0]) == {"tx_id"} and set(results[6]) == {"tx_id"}
    expected = [
        (1, 403, "not a member"),
        (2, 422, "chain"),
        (3, 400, "signed transaction"),
        (4, 409, "item 0 of this batch"),
        (5, 403, "signature does not verify"),
    ]
    for i, status, fragment in expected:
        p = results[i]["problem"]
        assert {"type", "title", "status", "detail"} <= set(p)
        assert p["status"] == status and fragment in p["detail"], (i, p)
    cluster.wait_committed(a, [results[0]["tx_id"], results[6]["tx_id"]])


def test_batch_over_max_batch_is_413(cluster: Cluster):
    items = [signed_tx(cluster) for _ in range(41)]
    resp = cluster.post(cluster.names[0], "/v1/transactions/batch", json={"transactions": items})
    problem(resp, 413, "41 items", "limit is 40")


def test_unknown_transaction_is_404(cluster: Cluster):
    problem(cluster.get(cluster.names[0], "/v1/transactions/" + "e" * 64), 404)
    problem(cluster.get(cluster.names[0], "/v1/receipts/" + "e" * 64), 404)


# ---- client API: reads and proofs ---------------------------------------------------


def test_blocks_and_head_carry_certificate_and_checkpoint(cluster: Cluster, committed):
    a = cluster.names[0]
    trust = Trust.load(cluster.root / "trust.json")
    head = cluster.head(a)
    assert set(head) >= {"height", "block_hash", "log_size", "header", "checkpoint"}
    header = BlockHeader.from_dict(head["header"])
    assert (header.height, header.block_hash, header.log_size) == (
        head["height"],
        head["block_hash"],
        head["log_size"],
    )
    checkpoint, signers = verify_checkpoint(head["checkpoint"], trust.validators, trust.chain_id)
    assert (checkpoint.height, checkpoint.block_hash) == (header.height, header.block_hash)
    assert len(signers) >= 2
    for height in range(1, head["height"] + 1):
        item = cluster.get(a, f"/v1/blocks/{height}").json()
        h = BlockHeader.from_dict(item["block"]["header"])
        cert = CommitCertificate.from_dict(item["certificate"])
        cert.verify(
            trust.validators, chain_id=trust.chain_id, height=height, block_hash=h.block_hash
        )
        cp, _ = verify_checkpoint(item["checkpoint"], trust.validators, trust.chain_id)
        assert cp.block_hash == h.block_hash
    problem(cluster.get(a, f"/v1/blocks/{head['height'] + 1000}"), 404)
    problem(cluster.get(a, "/v1/blocks/0"), 400, "height")


def test_receipt_verifies_offline(cluster: Cluster, committed):
    trust = Trust.load(cluster.root / "trust.json")
    for tx in committed["txs"]:
        st = committed["statuses"][tx.tx_id]
        for name in cluster.names:
            resp = cluster.get(name, f"/v1/receipts/{tx.tx_id}")
            assert resp.status_code == 200, resp.text
            result = verify_receipt(resp.json(), trust)
            assert (result.tx_id, result.index, result.height) == (
                tx.tx_id,
                st["log_index"],
                st["height"],
            )
            assert result.entry == tx


def test_consistency_proof_verifies(cluster: Cluster, committed):
    a = cluster.names[0]
    size = cluster.head(a)["log_size"]
    assert size >= 3
    for first in (1, 2, size):
        resp = cluster.get(a, "/v1/proofs/consistency", first=first, second=size)
        assert resp.status_code == 200, resp.text
        p = resp.json()
        assert (p["first"], p["second"]) == (first, size)
        verify_consistency(
            first,
            size,
            [bytes.fromhex(h) for h in p["proof"]],
            bytes.fromhex(p["first_root"]),
            bytes.fromhex(p["second_root"]),
        )
    default = cluster.get(a, "/v1/proofs/consistency", first=1).json()
    assert default["second"] >= size
    problem(cluster.get(a, "/v1/proofs/consistency", first=size + 1, second=size), 400, "first")
    problem(cluster.get(a, "/v1/proofs/consistency", first=1, second=10**9), 400, "log size")


def test_evidence_and_state_by_digest(cluster: Cluster, committed):
    trust = Trust.load(cluster.root / "trust.json")
    tx = committed["txs"][0]
    st = committed["statuses"][tx.tx_id]
    digest = tx.tx.args["sha256"]
    for name in cluster.names:
        state = cluster.get(name, f"/v1/state/evidence/doc/{digest}")
        assert state.status_code == 200, state.text
        record = state.json()
        assert (record["contract"], record["key"]) == ("evidence", f"doc/{digest}")
        assert record["value"]["tx_id"] == tx.tx_id
        assert record["value"]["log_index"] == st["log_index"]
        assert record["value"]["depositor"] == cluster.orgs[0]
        found = cluster.get(name, f"/v1/evidence/{digest}")
        assert found.status_code == 200, found.text
        assert found.json()["anchor"]["tx_id"] == tx.tx_id
        assert verify_receipt(found.json()["receipt"], trust).tx_id == tx.tx_id
    history = cluster.get(cluster.names[0], f"/v1/history/evidence/doc/{digest}").json()
    assert [w["log_index"] for w in history["writes"]] == [st["log_index"]]
    absent = "0" * 64
    problem(cluster.get(cluster.names[0], f"/v1/evidence/{absent}"), 404, "anchored")
    problem(cluster.get(cluster.names[0], f"/v1/state/evidence/doc/{absent}"), 404, absent)
    problem(cluster.get(cluster.names[0], "/v1/evidence/XYZ"), 400, "sha256")


def test_health_metrics_openapi(cluster: Cluster, committed):
    a = cluster.names[0]
    health = cluster.get(a, "/health").json()
    assert health["status"] == "ok" and health["name"] == a
    assert health["chain_id"] == cluster.chain_id and health["height"] >= 1
    resp = cluster.get(a, "/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in resp.text.splitlines():
        if line.startswith("#"):
            assert re.fullmatch(r"# (HELP|TYPE) provledger_\w+ .+", line), line
            continue
        m = re.fullmatch(r'(provledger_\w+)(\{le="[^"]+"\})? (-?[0-9.e+]+)', line)
        assert m, f"not Prometheus text: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    for name in ("provledger_height", "provledger_round", "provledger_mempool_size"):
        assert name in samples, name
    assert samples["provledger_height"] >= 1
    assert samples["provledger_peers_up"] == 2
    assert samples['provledger_commit_latency_seconds_bucket{le="+Inf"}'] >= 1
    assert samples["provledger_commit_latency_seconds_count"] >= 1
    paths = cluster.get(a, "/openapi.json").json()["paths"]
    for route in (
        "/v1/transactions",
        "/v1/transactions/batch",
        "/v1/transactions/{tx_id}",
        "/v1/head",
        "/v1/blocks/{height}",
        "/v1/receipts/{tx_id}",
        "/v1/proofs/consistency",
        "/v1/evidence/{sha256}",
        "/peer/consensus",
        "/peer/transactions",
        "/peer/blocks",
        "/health",
        "/metrics",
    ):
        assert route in paths, route
    problem(cluster.get(a, "/v1/no-such-route"), 404, "no route")


# ---- refusals: client API -----------------------------------------------------------


def test_non_member_transaction_is_403(cluster: Cluster):
    stranger = SigningKey.generate()
    tx = Transaction.new(
        stranger, cluster.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    resp = cluster.post(cluster.names[0], "/v1/transactions", json=tx.to_dict())
    problem(resp, 403, "not a member key", stranger.key_id[:16])


def test_bad_signature_is_403(cluster: Cluster):
    tx = signed_tx(cluster)
    tx["tx"] = tx["tx"] | {"nonce": "00" * 16}  # changed after signing
    problem(cluster.post(cluster.names[1], "/v1/transactions", json=tx), 403, "does not verify")
    tx = signed_tx(cluster)
    tx["signature"] = "00" * 64
    problem(cluster.post(cluster.names[1], "/v1/transactions", json=tx), 403, "does not verify")


def test_replayed_transaction_is_409(cluster: Cluster, committed):
    tx = committed["txs"][1]
    for name in cluster.names:
        resp = cluster.post(name, "/v1/transactions", json=tx.to_dict())
        problem(resp, 409, "already committed", tx.tx_id[:16])


def test_pending_duplicate_is_409(cluster: Cluster):
    a = cluster.names[0]
    tx = cluster.anchor_tx(cluster.member_key(cluster.orgs[0]))
    assert cluster.post(a, "/v1/transactions", json=tx.to_dict()).status_code == 202
    again = cluster.post(a, "/v1/transactions", json=tx.to_dict())
    # Pending, or committed already if the block was quick: 409 either way.
    problem(again, 409, tx.tx_id[:16])
    cluster.wait_committed(a, [tx.tx_id])


def test_wrong_chain_is_422(cluster: Cluster):
    key = cluster.member_key(cluster.orgs[0])
    other = "11" * 32
    tx = Transaction.new(key, other, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1})
    resp = cluster.post(cluster.names[0], "/v1/transactions", json=tx.sign(key).to_dict())
    problem(resp, 422, "chain", other[:16], cluster.chain_id[:16])


def test_contract_rejection_is_422(cluster: Cluster):
    key = cluster.member_key(cluster.orgs[0])
    tx = Transaction.new(key, cluster.chain_id, "evidence", "anchor", {"sha256": "zz", "size": 1})
    resp = cluster.post(cluster.names[0], "/v1/transactions", json=tx.sign(key).to_dict())
    problem(resp, 422, "sha256")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'{"tx": ', "not JSON"),
        ('{"tx": "\u00e9"}'.encode("latin-1"), "not JSON"),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=["garbage", "truncated", "not-utf8", "deep"],
)
def test_malformed_json_is_400(cluster: Cluster, body: bytes, fragment: str):
    body = body[: MAX_BODY - 1]
    for path in ("/v1/transactions", "/v1/transactions/batch"):
        resp = cluster.post(
            cluster.names[0], path, content=body, headers={"content-type": "application/json"}
        )
        assert problem(resp, 400, fragment)["title"] == "malformed json"


def test_json_with_a_huge_integer_is_400_not_500(cluster: Cluster):
    """Python refuses integers over 4300 digits with a plain ValueError: the body is
    still malformed input, never an internal error."""
    body = b'{"tx": ' + b"1" * 5000 + b', "signature": "00"}'
    url = cluster.url(cluster.names[0])
    for path in ("/v1/transactions", "/v1/transactions/batch"):
        # A fresh connection: after a 500 the server closes the one it answered on.
        resp = httpx.post(url + path, content=body, headers={"content-type": "application/json"})
        assert problem(resp, 400, "JSON")["title"] == "malformed json"


def test_block_height_beyond_any_store_is_not_an_internal_error(cluster: Cluster):
    resp = httpx.get(cluster.url(cluster.names[0]) + "/v1/blocks/" + "9" * 20)
    assert resp.status_code in (400, 404), resp.text
    body = problem(resp, resp.status_code)
    assert "9" * 20 in body["detail"] or "height" in body["detail"], body


def test_not_a_transaction_is_400(cluster: Cluster):
    a = cluster.names[0]
    problem(cluster.post(a, "/v1/transactions", json={"hello": 1}), 400, "signed transaction")
    problem(cluster.post(a, "/v1/transactions", json=[1, 2]), 400, "signed transaction")
    problem(cluster.post(a, "/v1/transactions/batch", json={"tx": []}), 400, "transactions")


def test_oversized_body_is_413(cluster: Cluster):
    a = cluster.names[0]
    big = json.dumps({"transactions": [], "pad": "x" * MAX_BODY}).encode()
    resp = cluster.post(a, "/v1/transactions/batch", content=big)
    problem(resp, 413, "exceeds", str(MAX_BODY))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for _ in range(8):
            yield b" " * (MAX_BODY // 4)

    resp = cluster.post(a, "/v1/transactions", content=chunks())
    problem(resp, 413, "exceeds")
    # The peer API is bounded too, before any signature work.
    problem(cluster.post(a, "/peer/consensus", content=big), 413, "exceeds")
    # The node still serves after refusing.
    assert cluster.get(a, "/health").status_code == 200


# ---- refusals: peer API -------------------------------------------------------------


def peer_post(
    cluster: Cluster, name: str, path: str, payload: Any, key: SigningKey, **sign: Any
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = sign_request(
        key, sign.get("chain_id", cluster.chain_id), sign.get("signed_path", path), body
    )
    headers.update(sign.get("headers", {}))
    headers["content-type"] = "application/json"
    return cluster.post(name, path, content=body, headers=headers)


def vote_message(cluster: Cluster, key: SigningKey, height: int) -> dict[str, Any]:
    vote = Vote.signed(key, cluster.chain_id, height, 0, VoteType.PREVOTE, None)
    return {"type": "vote", "vote": vote.to_dict(), "cosignature": None}


def test_peer_request_from_non_validator_is_403(cluster: Cluster):
    a = cluster.names[0]
    stranger = SigningKey.generate()
    msg = vote_message(cluster, stranger, 1)
    for path, payload in (
        ("/peer/consensus", {"messages": [msg]}),
        ("/peer/transactions", {"transactions": [signed_tx(cluster)]}),
    ):
        resp = peer_post(cluster, a, path, payload, stranger)
        problem(resp, 403, "not a validator", stranger.key_id[:16])
    resp = cluster.post(a, "/peer/consensus", json={"messages": [msg]})
    problem(resp, 403, "lacks")


def test_peer_envelope_must_match_path_chain_time_and_signature(cluster: Cluster):
    a, b = cluster.names[0], cluster.names[1]
    node_key = cluster.node_key(b.removesuffix("-node"))
    payload = {"messages": [vote_message(cluster, node_key, 1)]}
    # Control: the same message, properly enveloped by a validator, is accepted.
    ok = peer_post(cluster, a, "/peer/consensus", payload, node_key)
    assert ok.status_code == 200 and ok.json() == {"accepted": 1}, ok.text
    cases = [
        ({"signed_path": "/peer/transactions"}, "does not verify"),
        ({"chain_id": "22" * 32}, "does not verify"),
        ({"headers": {"x-provledger-signature": "00" * 64}}, "does not verify"),
        ({"headers": {"x-provledger-time": "2001-01-01T00:00:00Z"}}, "5 minutes"),
        ({"headers": {"x-provledger-time": "yesterday"}}, "malformed"),
    ]
    for sign, fragment in cases:
        resp = peer_post(cluster, a, "/peer/consensus", payload, node_key, **sign)
        problem(resp, 403, fragment)


def test_vote_signed_by_non_validator_is_refused(cluster: Cluster):
    a, b = cluster.names[0], cluster.names[1]
    node_key = cluster.node_key(b.removesuffix("-node"))
    stranger = SigningKey.generate()
    height = cluster.head(a)["height"] + 1
    payload = {"messages": [vote_message(cluster, stranger, height)]}
    resp = peer_post(cluster, a, "/peer/consensus", payload, node_key)
    problem(resp, 403, "message 0", "not a validator")
    # A validator's vote whose signature was made by someone else.
    forged = vote_message(cluster, node_key, height)
    forged["vote"]["signature"] = Vote.signed(
        stranger, cluster.chain_id, height, 0, VoteType.PREVOTE, None
    ).to_dict()["signature"]
    resp = peer_post(cluster, a, "/peer/consensus", {"messages": [forged]}, node_key)
    problem(resp, 403, "message 0", "does not verify")
    # A vote for another chain.
    other = Vote.signed(node_key, "33" * 32, height, 0, VoteType.PREVOTE, None)
    wrong = {"type": "vote", "vote": other.to_dict(), "cosignature": None}
    resp = peer_post(cluster, a, "/peer/consensus", {"messages": [wrong]}, node_key)
    problem(resp, 400, "another chain")


def test_peer_relayed_transactions_are_judged_like_clients(cluster: Cluster):
    a, b = cluster.names[0], cluster.names[1]
    node_key = cluster.node_key(b.removesuffix("-node"))
    stranger = SigningKey.generate()
    outsider = Transaction.new(
        stranger, cluster.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    resp = peer_post(
        cluster, a, "/peer/transactions", {"transactions": [outsider.to_dict()]}, node_key
    )
    assert resp.status_code == 200 and resp.json() == {"admitted": 0}, resp.text
    st = cluster.tx_status(a, outsider.tx_id)
    assert st["status"] == "rejected" and "not a member key" in st["reason"], st


def test_sync_page_bounds(cluster: Cluster, committed):
    a = cluster.names[0]
    page = cluster.get(a, "/peer/blocks", **{"from": 1, "limit": 2}).json()
    assert [b["block"]["header"]["height"] for b in page["blocks"]] == [1, 2][: len(page["blocks"])]
    problem(cluster.get(a, "/peer/blocks", **{"from": 1, "limit": 51}), 400, "limit")
    problem(cluster.get(a, "/peer/blocks", **{"from": 0}), 400, "from")


def test_time_is_not_in_the_future_for_wrong_format(cluster: Cluster):
    # created_at must be RFC 3339 UTC: a malformed time is a malformed transaction.
    tx = signed_tx(cluster)
    tx["tx"] = tx["tx"] | {"created_at": now_time().replace("Z", "+00:00")}
    problem(cluster.post(cluster.names[0], "/v1/transactions", json=tx), 400, "created_at")


def test_uppercase_tx_id_is_400(cluster: Cluster):
    resp = cluster.get(cluster.names[0], "/v1/transactions/" + "A" * 64)
    problem(resp, 400, "tx_id")


def test_nonce_too_long_is_400(cluster: Cluster):
    tx = signed_tx(cluster)
    tx["tx"] = tx["tx"] | {"nonce": os.urandom(33).hex()}
    problem(cluster.post(cluster.names[0], "/v1/transactions", json=tx), 400, "nonce")
