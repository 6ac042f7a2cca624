"""The ``created_at`` window and the peer window of a node served in process, set in
its ``node.json`` limits: a client's or a relayed transaction out of the window is
refused with problem details; one inside it commits."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ledger.canonical import format_time
from ledger.errors import ValidationError
from ledger.model.transaction import SignedTransaction, Transaction
from nodes.config import Limits, NodeConfig
from nodes.peer import envelope
from nodes.peer.envelope import sign_request
from tests.api_node import ApiNode, problem, serving, write_consortium

WINDOW = 60


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiNode]:
    limits = Limits(max_batch=40, created_at_window_seconds=WINDOW, peer_window_seconds=WINDOW)
    with serving(tmp_path_factory.mktemp("window"), limits) as a:
        yield a


def dated(api: ApiNode, created_at: str) -> SignedTransaction:
    key = api.member_key("sinochem")
    args = {"sha256": os.urandom(32).hex(), "size": 1}
    tx = Transaction.new(key, api.chain_id, "evidence", "anchor", args, created_at=created_at)
    return tx.sign(key)


def ago(seconds: float) -> str:
    return format_time(datetime.now(UTC) - timedelta(seconds=seconds))


@pytest.mark.parametrize(
    "created_at",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "past", "future"],
)
def test_out_of_window_transaction_is_422_problem(api: ApiNode, created_at: str):
    # ten minutes off: inside the default window, outside this node's 60 s
    created_at = {"past": ago(600), "future": ago(-600)}.get(created_at, created_at)
    tx = dated(api, created_at)
    body = problem(
        api.post("/v1/transactions", json=tx.to_dict()),
        422,
        f"created at {created_at}",
        "this node's time is",
        f"within {WINDOW} seconds",
        "sign the transaction again",
    )
    assert body["title"] == "stale or future transaction"
    st = api.status(tx.tx_id)
    assert st["status"] == "rejected" and f"created at {created_at}" in st["reason"], st


def test_batch_refuses_each_out_of_window_transaction_and_commits_the_rest(api: ApiNode):
    good, stale = dated(api, ago(5)), dated(api, ago(WINDOW + 30))
    resp = api.post(
        "/v1/transactions/batch", json={"transactions": [stale.to_dict(), good.to_dict()]}
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()
    assert results["refused"] == 1, results
    api.wait_committed([good.tx_id])


def test_relayed_transaction_out_of_window_is_not_admitted(api: ApiNode):
    path = "/peer/transactions"
    stale, good = dated(api, "2001-01-01T00:00:00Z"), dated(api, ago(-5))
    payload = json.dumps({"transactions": [stale.to_dict(), good.to_dict()]}).encode()
    headers = sign_request(api.node_key, api.chain_id, api.node.name, path, payload)
    resp = api.post(path, content=payload, headers=headers | {"content-type": "application/json"})
    assert resp.status_code == 200 and resp.json() == {"admitted": 1}, resp.text
    api.wait_committed([good.tx_id])


def test_limits_of_node_json_round_trip_and_must_be_positive(tmp_path: Path):
    config = write_consortium(tmp_path, Limits(created_at_window_seconds=7, peer_window_seconds=9))
    again = NodeConfig.from_dict(json.loads(json.dumps(config.to_dict(tmp_path))), tmp_path)
    assert (again.limits.created_at_window_seconds, again.limits.peer_window_seconds) == (7, 9)
    assert (Limits().created_at_window_seconds, Limits().peer_window_seconds) == (600, 300)
    for key in ("created_at_window_seconds", "peer_window_seconds"):
        obj = config.to_dict(tmp_path)
        obj["limits"][key] = 0
        with pytest.raises(ValidationError, match=key):
            NodeConfig.from_dict(obj, tmp_path)


def test_peer_window_comes_from_the_limits(api: ApiNode, monkeypatch: pytest.MonkeyPatch):
    path = "/peer/consensus"
    payload = json.dumps({"messages": [{"type": "committed", "height": 1}]}).encode()

    def post_signed(seconds_ago: float) -> httpx.Response:
        with monkeypatch.context() as m:
            m.setattr(envelope, "now_time", lambda: ago(seconds_ago))
            headers = sign_request(api.node_key, api.chain_id, api.node.name, path, payload)
        return api.post(
            path, content=payload, headers=headers | {"content-type": "application/json"}
        )

    # two minutes off: inside the default 5 minutes, outside this node's 60 s
    body = problem(post_signed(120), 403, "more than 1 minute off", "check the sender's clock")
    assert body["title"] == "peer request out of time"
    assert post_signed(30).status_code == 200
