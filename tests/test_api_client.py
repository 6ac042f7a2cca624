"""The client API (``/v1``) of a node served in process: submitting and following
transactions, every refusal (status and a detail naming the problem), and the reads and
proofs, each answer checked against its model in the OpenAPI document."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.canonical import now_time
from ledger.checkpoint import verify_checkpoint
from ledger.keys import SigningKey
from ledger.merkle import verify_consistency
from ledger.model.block import BlockHeader
from ledger.model.transaction import SignedTransaction, Transaction
from ledger.model.vote import CommitCertificate
from ledger.receipt import verify_receipt
from nodes.config import Limits
from nodes.server.models.blocks import BlockItem, BlockTxIds, ConsistencyProof, Head, Receipt
from nodes.server.models.state import AnchorFound, ConsensusState, Health, History, StateValue
from nodes.server.models.transactions import BatchAnswer, TxStatus
from tests.api_node import MAX_BODY, ApiNode, problem, serving

CRUDE = "urn:epc:class:lgtin:6901234.012345.CRUDE-2024-07"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiNode]:
    with serving(tmp_path_factory.mktemp("api")) as a:
        yield a


@pytest.fixture(scope="module")
def committed(api: ApiNode) -> dict[str, Any]:
    """Three anchors committed: their transactions and statuses."""
    txs = [api.tx("sinochem"), api.tx("cetc"), api.tx("sasac")]
    return {"txs": txs, "statuses": api.commit(*txs)}


# ---- submit and follow ----------------------------------------------------------------


def test_submit_pending_then_committed_with_wait(api: ApiNode):
    tx = api.tx("cetc")
    resp = api.post("/v1/transactions", json=tx.to_dict())
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"tx_id": tx.tx_id, "status": "pending"}
    assert api.status(tx.tx_id)["status"] in ("pending", "committed")
    (st,) = api.wait_committed([tx.tx_id]).values()
    assert st == {
        "tx_id": tx.tx_id,
        "height": st["height"],
        "log_index": st["log_index"],
        "stored_on": 1,
        "status": "committed",
        "outcome": {"applied": True},
    }
    assert st["height"] >= 1 and st["log_index"] >= 0
    TxStatus.model_validate(st)


def test_a_committed_rejection_says_why(api: ApiNode):
    """Admitted (well-formed, permitted), then refused by the contract when applied: the
    status is committed with an outcome that is not applied and names the reason."""
    ship = api.tx("sinochem", "traceability", "ship", {"ids": [CRUDE], "receiver": "cetc"})
    assert api.post("/v1/transactions", json=ship.to_dict()).status_code == 202
    (st,) = api.wait_committed([ship.tx_id]).values()
    assert st["outcome"]["applied"] is False, st
    assert "never commissioned" in st["outcome"]["reason"], st
    TxStatus.model_validate(st)


def test_batch_answers_per_item(api: ApiNode):
    good, good2 = api.tx("sinochem"), api.tx("cetc")
    stranger = SigningKey.generate()
    outsider = Transaction.new(
        stranger, api.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    other_chain = api.tx("sasac").to_dict()
    other_chain["tx"] = other_chain["tx"] | {"chain_id": "00" * 32}
    forged = api.tx("sinochem").to_dict()
    forged["tx"] = forged["tx"] | {"args": {"sha256": "cd" * 32, "size": 7}}
    not_permitted = api.tx("cetc", "traceability", "commission", {"ids": [CRUDE]})
    items = [
        good.to_dict(),
        outsider.to_dict(),
        other_chain,
        {"tx": {}},
        good.to_dict(),
        forged,
        not_permitted.to_dict(),
        good2.to_dict(),
    ]
    resp = api.post("/v1/transactions/batch", json={"transactions": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    BatchAnswer.model_validate(answer)
    assert (answer["admitted"], answer["refused"]) == (2, 6)
    results = answer["results"]
    assert len(results) == len(items)
    assert results[0] == {"tx_id": good.tx_id} and results[7] == {"tx_id": good2.tx_id}
    expected = [
        (1, 403, "not a member"),
        (2, 422, "chain"),
        (3, 400, "signed transaction"),
        (4, 409, "item 0 of this batch"),
        (5, 403, "signature does not verify"),
        (6, 403, "cannot send this transaction"),
    ]
    for i, status, fragment in expected:
        p = results[i]["problem"]
        assert set(results[i]) == {"problem"}
        assert {"type", "title", "status", "detail"} <= set(p)
        assert p["status"] == status and fragment in p["detail"], (i, p)
    api.wait_committed([good.tx_id, good2.tx_id])


def test_batch_over_max_batch_is_413(api: ApiNode):
    items = [api.tx().to_dict() for _ in range(41)]
    resp = api.post("/v1/transactions/batch", json={"transactions": items})
    problem(resp, 413, "41 items", "limit is 40")


def test_a_full_mempool_refuses_with_503(tmp_path):
    with serving(tmp_path, Limits(mempool=2, max_batch=40)) as small:
        txs = [small.tx() for _ in range(3)]
        resp = small.post(
            "/v1/transactions/batch", json={"transactions": [t.to_dict() for t in txs]}
        )
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        assert (answer["admitted"], answer["refused"]) == (2, 1)
        full = answer["results"][2]["problem"]
        assert (full["status"], full["title"]) == (503, "mempool full")
        assert "retry later" in full["detail"]
        small.wait_committed([t.tx_id for t in txs[:2]])


def test_unknown_transaction_is_404(api: ApiNode):
    problem(api.get("/v1/transactions/" + "e" * 64), 404)
    problem(api.get("/v1/transactions/" + "e" * 64, wait=0.1), 404)
    problem(api.get("/v1/receipts/" + "e" * 64), 404)


# ---- refusals of a single transaction ------------------------------------------------


def test_non_member_transaction_is_403(api: ApiNode):
    stranger = SigningKey.generate()
    tx = Transaction.new(
        stranger, api.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    resp = api.post("/v1/transactions", json=tx.to_dict())
    assert problem(resp, 403, "not a member key", stranger.key_id[:16])["title"] == "not a member"


def test_not_permitted_is_403(api: ApiNode):
    tx = api.tx("cetc", "traceability", "commission", {"ids": [CRUDE]})
    body = problem(api.post("/v1/transactions", json=tx.to_dict()), 403, "'cetc'", "cannot")
    assert body["title"] == "not permitted"


def test_bad_signature_is_403(api: ApiNode):
    tx = api.tx().to_dict()
    tx["tx"] = tx["tx"] | {"nonce": "00" * 16}  # changed after signing
    problem(api.post("/v1/transactions", json=tx), 403, "does not verify")
    tx = api.tx().to_dict()
    tx["signature"] = "00" * 64
    problem(api.post("/v1/transactions", json=tx), 403, "does not verify")


def test_replayed_transaction_is_409(api: ApiNode, committed: dict[str, Any]):
    tx = committed["txs"][1]
    resp = api.post("/v1/transactions", json=tx.to_dict())
    assert problem(resp, 409, "already committed", tx.tx_id[:16])["title"]


def test_pending_duplicate_is_409(api: ApiNode):
    tx = api.tx("sinochem")
    assert api.post("/v1/transactions", json=tx.to_dict()).status_code == 202
    again = api.post("/v1/transactions", json=tx.to_dict())
    problem(again, 409, tx.tx_id[:16])  # pending, or committed if the block was quick
    api.wait_committed([tx.tx_id])


def test_wrong_chain_is_422(api: ApiNode):
    key = api.member_key("sinochem")
    other = "11" * 32
    tx = Transaction.new(key, other, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1})
    resp = api.post("/v1/transactions", json=tx.sign(key).to_dict())
    problem(resp, 422, "chain", other[:16], api.chain_id[:16])


def test_contract_rejection_is_422(api: ApiNode):
    key = api.member_key("sinochem")
    tx = Transaction.new(key, api.chain_id, "evidence", "anchor", {"sha256": "zz", "size": 1})
    resp = api.post("/v1/transactions", json=tx.sign(key).to_dict())
    assert problem(resp, 422, "sha256")["title"] == "rejected"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'{"tx": ', "not JSON"),
        ('{"tx": "\u00e9"}'.encode("latin-1"), "not JSON"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"tx": ' + b"1" * 5000 + b', "signature": "00"}', "JSON"),
    ],
    ids=["garbage", "truncated", "not-utf8", "deep", "huge-integer"],
)
def test_malformed_json_is_400(api: ApiNode, body: bytes, fragment: str):
    body = body[: MAX_BODY - 1]
    for path in ("/v1/transactions", "/v1/transactions/batch"):
        resp = api.post(path, content=body, headers={"content-type": "application/json"})
        assert problem(resp, 400, fragment)["title"] == "malformed json"


def test_not_a_transaction_is_400(api: ApiNode):
    problem(api.post("/v1/transactions", json={"hello": 1}), 400, "signed transaction")
    problem(api.post("/v1/transactions", json=[1, 2]), 400, "signed transaction")
    problem(api.post("/v1/transactions/batch", json={"tx": []}), 400, "transactions")
    problem(api.post("/v1/transactions/batch", json=[]), 400, "transactions")


def test_malformed_fields_are_400(api: ApiNode):
    tx = api.tx().to_dict()
    tx["tx"] = tx["tx"] | {"created_at": now_time().replace("Z", "+00:00")}
    problem(api.post("/v1/transactions", json=tx), 400, "created_at")
    tx = api.tx().to_dict()
    tx["tx"] = tx["tx"] | {"nonce": os.urandom(33).hex()}
    problem(api.post("/v1/transactions", json=tx), 400, "nonce")


def test_oversized_body_is_413(api: ApiNode):
    big = json.dumps({"transactions": [], "pad": "x" * MAX_BODY}).encode()
    headers = {"content-type": "application/json"}
    resp = api.post("/v1/transactions/batch", content=big, headers=headers)
    problem(resp, 413, "exceeds", str(MAX_BODY))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for _ in range(8):
            yield b" " * (MAX_BODY // 4)

    problem(api.post("/v1/transactions", content=chunks(), headers=headers), 413, "exceeds")
    problem(api.post("/peer/consensus", content=big, headers=headers), 413, "exceeds")
    assert api.get("/health").status_code == 200


# ---- bad path and query parameters ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/transactions/" + "A" * 64, {}, "tx_id"),
        ("/v1/transactions/abc", {}, "tx_id"),
        ("/v1/transactions/" + "e" * 64, {"wait": 61}, "wait"),
        ("/v1/transactions/" + "e" * 64, {"wait": -1}, "wait"),
        ("/v1/receipts/xyz", {}, "tx_id"),
        ("/v1/blocks/0", {}, "height"),
        ("/v1/blocks/" + "9" * 20, {}, "height"),
        ("/v1/blocks/x/tx-ids", {}, "height"),
        ("/v1/proofs/consistency", {}, "first"),
        ("/v1/proofs/consistency", {"first": 0}, "first"),
        ("/v1/evidence/XYZ", {}, "sha256"),
    ],
)
def test_bad_parameters_are_400(api: ApiNode, path: str, params: dict[str, Any], fragment: str):
    problem(api.get(path, **params), 400, fragment)


# ---- reads and proofs ----------------------------------------------------------------


def test_head_before_the_first_block(tmp_path):
    with serving(tmp_path) as fresh:
        resp = fresh.get("/v1/head")
        assert resp.status_code == 200
        assert resp.json() == {"height": 0, "block_hash": None, "log_size": 0, "header": None}
        Head.model_validate(resp.json())
        problem(fresh.get("/v1/blocks/1"), 404)
        problem(fresh.get("/v1/proofs/consistency", first=1), 400, "log size")


def test_blocks_and_head_carry_certificate_and_checkpoint(api: ApiNode, committed):
    trust = api.trust
    head = api.get("/v1/head").json()
    Head.model_validate(head)
    assert set(head) == {"height", "block_hash", "log_size", "header", "checkpoint"}
    header = BlockHeader.from_dict(head["header"])
    assert (header.height, header.block_hash, header.log_size) == (
        head["height"],
        head["block_hash"],
        head["log_size"],
    )
    checkpoint, signers = verify_checkpoint(head["checkpoint"], trust.validators, trust.chain_id)
    assert (checkpoint.height, checkpoint.block_hash) == (header.height, header.block_hash)
    assert len(signers) >= 1
    for height in range(1, head["height"] + 1):
        item = api.get(f"/v1/blocks/{height}").json()
        BlockItem.model_validate(item)
        h = BlockHeader.from_dict(item["block"]["header"])
        cert = CommitCertificate.from_dict(item["certificate"])
        cert.verify(
            trust.validators, chain_id=trust.chain_id, height=height, block_hash=h.block_hash
        )
        cp, _ = verify_checkpoint(item["checkpoint"], trust.validators, trust.chain_id)
        assert cp.block_hash == h.block_hash
        ids = api.get(f"/v1/blocks/{height}/tx-ids").json()
        BlockTxIds.model_validate(ids)
        assert ids["block_hash"] == h.block_hash and ids["height"] == height
        txs = [SignedTransaction.from_dict(t).tx_id for t in item["block"]["transactions"]]
        assert ids["tx_ids"] == txs
    problem(api.get(f"/v1/blocks/{head['height'] + 1000}"), 404)
    problem(api.get(f"/v1/blocks/{head['height'] + 1000}/tx-ids"), 404)


def test_receipt_verifies_offline(api: ApiNode, committed):
    for tx in committed["txs"]:
        st = committed["statuses"][tx.tx_id]
        resp = api.get(f"/v1/receipts/{tx.tx_id}")
        assert resp.status_code == 200, resp.text
        Receipt.model_validate(resp.json())
        result = verify_receipt(resp.json(), api.trust)
        assert (result.tx_id, result.index, result.height) == (
            tx.tx_id,
            st["log_index"],
            st["height"],
        )
        assert result.entry == tx


def test_consistency_proof_verifies(api: ApiNode, committed):
    size = api.get("/v1/head").json()["log_size"]
    assert size >= 3
    for first in (1, 2, size):
        resp = api.get("/v1/proofs/consistency", first=first, second=size)
        assert resp.status_code == 200, resp.text
        p = resp.json()
        ConsistencyProof.model_validate(p)
        assert (p["first"], p["second"]) == (first, size)
        verify_consistency(
            first,
            size,
            [bytes.fromhex(h) for h in p["proof"]],
            bytes.fromhex(p["first_root"]),
            bytes.fromhex(p["second_root"]),
        )
    default = api.get("/v1/proofs/consistency", first=1).json()
    assert default["second"] >= size
    problem(api.get("/v1/proofs/consistency", first=size + 1, second=size), 400, "first")
    problem(api.get("/v1/proofs/consistency", first=1, second=10**9), 400, "log size")


def test_evidence_and_state_by_digest(api: ApiNode, committed):
    tx = committed["txs"][0]
    st = committed["statuses"][tx.tx_id]
    digest = tx.tx.args["sha256"]
    state = api.get(f"/v1/state/evidence/doc/{digest}")
    assert state.status_code == 200, state.text
    record = state.json()
    StateValue.model_validate(record)
    assert (record["contract"], record["key"]) == ("evidence", f"doc/{digest}")
    assert record["value"]["tx_id"] == tx.tx_id
    assert record["value"]["log_index"] == st["log_index"]
    assert record["value"]["depositor"] == "sinochem"
    found = api.get(f"/v1/evidence/{digest}")
    assert found.status_code == 200, found.text
    AnchorFound.model_validate(found.json())
    assert found.json()["anchor"] == record["value"]
    assert verify_receipt(found.json()["receipt"], api.trust).tx_id == tx.tx_id
    history = api.get(f"/v1/history/evidence/doc/{digest}").json()
    History.model_validate(history)
    assert history["contract"] == "evidence" and history["key"] == f"doc/{digest}"
    assert [(w["height"], w["log_index"]) for w in history["writes"]] == [
        (st["height"], st["log_index"])
    ]
    assert history["writes"][0]["value"] == record["value"]
    absent = "0" * 64
    assert api.get(f"/v1/history/evidence/doc/{absent}").json()["writes"] == []
    problem(api.get(f"/v1/evidence/{absent}"), 404, "anchored")
    problem(api.get(f"/v1/state/evidence/doc/{absent}"), 404, absent)


def test_misbehaviour_and_consensus(api: ApiNode, committed):
    resp = api.get("/v1/misbehaviour")
    assert resp.status_code == 200 and resp.json() == {"evidence": [], "divergences": []}
    view = api.get("/v1/consensus")
    assert view.status_code == 200, view.text
    ConsensusState.model_validate(view.json())
    height = api.get("/v1/head").json()["height"]
    assert view.json()["height"] in (height + 1, height + 2)  # deciding the next block
    assert view.json()["step"] in ("propose", "prevote", "precommit")


def test_health_metrics_and_unknown_route(api: ApiNode, committed):
    health = api.get("/health").json()
    Health.model_validate(health)
    assert health["status"] == "ok" and health["name"] == "sinochem-node"
    assert health["chain_id"] == api.chain_id and health["height"] >= 1
    assert (health["peers"], health["peers_up"]) == (0, 0)
    resp = api.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.text):  # raises on what is not
        assert family.documentation and family.type != "unknown", family.name
        for sample in family.samples:
            samples[sample.name] = float(sample.value)
    assert samples["provledger_height"] == health["height"]
    assert samples["provledger_round"] >= 0 and samples["provledger_mempool_size"] >= 0
    assert samples["provledger_committed_transactions_total"] >= 3
    problem(api.get("/v1/no-such-route"), 404, "no route")
