"""The peer API (``/peer``) of a node served in process: the signed envelope and every
refusal of it, consensus messages judged one by one, relayed transactions judged like a
client's, and the catch-up pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledger.keys import SigningKey
from ledger.model.transaction import Transaction
from ledger.model.vote import Vote, VoteType
from nodes.config import Limits
from nodes.peer.envelope import sign_request
from nodes.server.models.blocks import SyncPage
from tests.api_node import ApiNode, problem, serving

FAR = 10**6  # a height far ahead: the node keeps no state for it


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiNode]:
    # bodies up to the default limit: 4097 messages fit, so the count is what is refused
    with serving(tmp_path_factory.mktemp("peer"), Limits(max_batch=40)) as a:
        yield a


def peer_post(
    api: ApiNode, path: str, payload: Any, key: SigningKey, **sign: Any
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = sign_request(
        key,
        sign.get("chain_id", api.chain_id),
        sign.get("recipient", api.node.name),
        sign.get("signed_path", path),
        body,
    )
    headers.update(sign.get("headers", {}))
    headers["content-type"] = "application/json"
    return api.post(path, content=body, headers=headers)


def vote_message(api: ApiNode, key: SigningKey, height: int = FAR) -> dict[str, Any]:
    vote = Vote.signed(key, api.chain_id, height, 0, VoteType.PREVOTE, None)
    return {"type": "vote", "vote": vote.to_dict(), "cosignature": None}


def test_peer_request_from_non_validator_is_403(api: ApiNode):
    stranger = SigningKey.generate()
    msg = vote_message(api, stranger)
    for path, payload in (
        ("/peer/consensus", {"messages": [msg]}),
        ("/peer/transactions", {"transactions": [api.tx().to_dict()]}),
    ):
        resp = peer_post(api, path, payload, stranger)
        problem(resp, 403, "not a validator", stranger.key_id[:16])
    problem(api.post("/peer/consensus", json={"messages": [msg]}), 403, "lacks")
    problem(api.post("/peer/transactions", json={"transactions": []}), 403, "lacks")


def test_peer_envelope_must_match_path_chain_time_and_signature(api: ApiNode):
    key = api.node_key
    payload = {"messages": [vote_message(api, key), {"type": "committed", "height": 1}]}
    ok = peer_post(api, "/peer/consensus", payload, key)  # control: a validator's envelope
    assert ok.status_code == 200 and ok.json() == {"accepted": 2}, ok.text
    cases = [
        ({"signed_path": "/peer/transactions"}, "does not verify"),
        ({"chain_id": "22" * 32}, "does not verify"),
        ({"headers": {"x-provledger-signature": "00" * 64}}, "does not verify"),
        ({"headers": {"x-provledger-time": "2001-01-01T00:00:00Z"}}, "5 minutes"),
        ({"headers": {"x-provledger-time": "yesterday"}}, "malformed"),
    ]
    for sign, fragment in cases:
        resp = peer_post(api, "/peer/consensus", payload, key, **sign)
        problem(resp, 403, fragment)


def test_vote_signed_by_non_validator_is_refused(api: ApiNode):
    key, stranger = api.node_key, SigningKey.generate()
    resp = peer_post(api, "/peer/consensus", {"messages": [vote_message(api, stranger)]}, key)
    problem(resp, 403, "message 0", "not a validator")
    forged = vote_message(api, key)
    forged["vote"]["signature"] = Vote.signed(
        stranger, api.chain_id, FAR, 0, VoteType.PREVOTE, None
    ).to_dict()["signature"]
    resp = peer_post(api, "/peer/consensus", {"messages": [forged]}, key)
    problem(resp, 403, "message 0", "does not verify")
    other = Vote.signed(key, "33" * 32, FAR, 0, VoteType.PREVOTE, None)
    wrong = {"type": "vote", "vote": other.to_dict(), "cosignature": None}
    resp = peer_post(api, "/peer/consensus", {"messages": [wrong]}, key)
    problem(resp, 400, "another chain")


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        ({"messages": [{"type": "gossip"}]}, 400, "unknown type"),
        ({"messages": [{"type": "committed", "height": 0}]}, 400, "message 0"),
        ({"messages": [1]}, 400, "message 0"),
        ({"messages": "x"}, 400, "messages"),
        ({"other": []}, 400, "messages"),
    ],
)
def test_malformed_peer_messages_are_400(api: ApiNode, payload: Any, status: int, fragment: str):
    resp = peer_post(api, "/peer/consensus", payload, api.node_key)
    problem(resp, status, fragment)


def test_too_many_messages_or_relayed_transactions_is_413(api: ApiNode):
    many = {"messages": [{"type": "committed", "height": 1}] * 4097}
    problem(peer_post(api, "/peer/consensus", many, api.node_key), 413, "4097 items")
    relayed = {"transactions": [api.tx().to_dict() for _ in range(41)]}
    problem(peer_post(api, "/peer/transactions", relayed, api.node_key), 413, "limit is 40")


def test_peer_relayed_transactions_are_judged_like_clients(api: ApiNode):
    stranger = SigningKey.generate()
    outsider = Transaction.new(
        stranger, api.chain_id, "evidence", "anchor", {"sha256": "ab" * 32, "size": 1}
    ).sign(stranger)
    good = api.tx("cetc")
    payload = {"transactions": [outsider.to_dict(), good.to_dict()]}
    resp = peer_post(api, "/peer/transactions", payload, api.node_key)
    assert resp.status_code == 200 and resp.json() == {"admitted": 1}, resp.text
    st = api.status(outsider.tx_id)
    assert st == {"tx_id": outsider.tx_id, "status": "rejected", "reason": st["reason"]}
    assert "not a member key" in st["reason"], st
    api.wait_committed([good.tx_id])


def test_sync_page_bounds(api: ApiNode):
    api.commit(api.tx())
    api.commit(api.tx())
    page = api.get("/peer/blocks", **{"from": 1, "limit": 2}).json()
    SyncPage.model_validate(page)
    assert [b["block"]["header"]["height"] for b in page["blocks"]] == [1, 2]
    assert page["blocks"][0] == api.get("/v1/blocks/1").json()
    height = api.get("/v1/head").json()["height"]
    assert api.get("/peer/blocks", **{"from": height + 1}).json() == {"blocks": []}
    problem(api.get("/peer/blocks", **{"from": 1, "limit": 51}), 400, "limit")
    problem(api.get("/peer/blocks", **{"from": 0}), 400, "from")
    problem(api.get("/peer/blocks"), 400, "from")


def test_a_fresh_request_is_taken_once_and_its_replay_refused(api: ApiNode):
    key = api.node_key
    for path, payload in (
        ("/peer/consensus", {"messages": [{"type": "committed", "height": 1}]}),
        ("/peer/transactions", {"transactions": [api.tx().to_dict()]}),
    ):
        body = json.dumps(payload).encode()
        headers = sign_request(key, api.chain_id, api.node.name, path, body)
        headers["content-type"] = "application/json"
        first = api.post(path, content=body, headers=headers)
        assert first.status_code == 200, first.text
        replay = problem(api.post(path, content=body, headers=headers), 403, "already used")
        assert replay["title"] == "replayed peer request"
        assert headers["x-provledger-nonce"] in replay["detail"]
        # signed again (a fresh nonce), the same body is taken
        again = sign_request(key, api.chain_id, api.node.name, path, body)
        again["content-type"] = "application/json"
        assert api.post(path, content=body, headers=again).status_code == 200


def test_a_request_addressed_to_another_node_is_refused(api: ApiNode):
    key = api.node_key
    payload = {"messages": [{"type": "committed", "height": 1}]}
    resp = peer_post(api, "/peer/consensus", payload, key, recipient="cetc-node")
    body = problem(resp, 403, "addressed to 'cetc-node'", api.node.name)
    assert body["title"] == "misaddressed peer request"
    # signed for another node, with the recipient header rewritten to this one
    resp = peer_post(
        api,
        "/peer/consensus",
        payload,
        key,
        recipient="cetc-node",
        headers={"x-provledger-recipient": api.node.name},
    )
    problem(resp, 403, "does not verify")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ({"x-provledger-nonce": "ab" * 16}, "does not verify"),  # another nonce than signed
        ({"x-provledger-nonce": "AB" * 16}, "nonce is malformed"),
        ({"x-provledger-nonce": "ab" * 8}, "nonce is malformed"),
        ({"x-provledger-nonce": ""}, "lacks"),
        ({"x-provledger-recipient": ""}, "lacks"),
    ],
)
def test_nonce_and_recipient_headers_are_checked(
    api: ApiNode, header: dict[str, str], fragment: str
):
    payload = {"messages": [{"type": "committed", "height": 1}]}
    resp = peer_post(api, "/peer/consensus", payload, api.node_key, headers=header)
    problem(resp, 403, fragment)


def test_a_refused_signature_does_not_use_up_its_nonce(api: ApiNode):
    key, path = api.node_key, "/peer/consensus"
    body = json.dumps({"messages": [{"type": "committed", "height": 1}]}).encode()
    headers = sign_request(key, api.chain_id, api.node.name, path, body)
    headers["content-type"] = "application/json"
    forged = headers | {"x-provledger-signature": "00" * 64}
    problem(api.post(path, content=body, headers=forged), 403, "does not verify")
    assert api.post(path, content=body, headers=headers).status_code == 200
    problem(api.post(path, content=body, headers=headers), 403, "already used")
