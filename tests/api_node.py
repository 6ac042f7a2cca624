"""A real node assembled in this process, served through FastAPI's ``TestClient``: a
single-validator consortium (so it commits alone) with three member organisations, on a
SQLite file in a temporary folder. The node's consensus runs for real, in the event loop
``TestClient`` keeps for the application's lifespan.

Promises: the node is stopped and its store closed when the ``with`` block ends; helpers
only submit, read and wait, never reach into the node's state.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from ledger.keys import SigningKey, read_key_file
from ledger.model.genesis import Genesis
from ledger.model.transaction import SignedTransaction, Transaction
from ledger.trust import Trust
from nodes.bootstrap import OrgSpec, create_identity, key_paths
from nodes.config import Limits, NodeConfig
from nodes.runtime.node import Node
from nodes.server.app import create_app

ORGS = (
    OrgSpec("sinochem", ("producer", "processor")),
    OrgSpec("cetc", ("notary", "carrier"), validator=False),
    OrgSpec("sasac", ("regulator",), validator=False),
)
FAST_TIMEOUTS = {"propose_timeout": 0.4, "propose_delta": 0.2, "vote_timeout": 0.2}
MAX_BODY = 32_768
LIMITS = Limits(max_body_bytes=MAX_BODY, max_batch=40, max_block_transactions=20)


@dataclass
class ApiNode:
    """The node, its HTTP client, and the consortium's keys."""

    root: Path
    node: Node
    client: TestClient
    genesis: Genesis

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def trust(self) -> Trust:
        return Trust.load(self.root / "trust.json")

    def member_key(self, org: str) -> SigningKey:
        return read_key_file(key_paths(self.root, org)[0])

    @property
    def node_key(self) -> SigningKey:
        return read_key_file(key_paths(self.root, "sinochem")[1])

    def tx(
        self,
        org: str = "sinochem",
        contract: str = "evidence",
        action: str = "anchor",
        args: dict[str, Any] | None = None,
    ) -> SignedTransaction:
        """A transaction signed by ``org``'s member key (default: a fresh anchor)."""
        key = self.member_key(org)
        args = args if args is not None else {"sha256": os.urandom(32).hex(), "size": 1}
        return Transaction.new(key, self.chain_id, contract, action, args).sign(key)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params or None)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def status(self, tx_id: str, wait: float = 0) -> dict[str, Any]:
        resp = self.get(f"/v1/transactions/{tx_id}", **({"wait": wait} if wait else {}))
        assert resp.status_code == 200, resp.text
        return resp.json()

    def wait_committed(self, tx_ids: list[str], timeout: float = 60) -> dict[str, Any]:
        """Each of ``tx_ids``'s status once committed; AssertionError after ``timeout``
        seconds (a bound for a hung run, not a speed requirement)."""
        deadline = time.monotonic() + timeout
        out = {}
        for tx_id in tx_ids:
            while True:
                st = self.status(tx_id, wait=2)
                if st["status"] == "committed":
                    out[tx_id] = st
                    break
                assert st["status"] == "pending", st
                assert time.monotonic() < deadline, f"{tx_id[:16]} not committed: {st}"
        return out

    def commit(self, *txs: SignedTransaction) -> dict[str, Any]:
        """Submit ``txs`` in one batch (every one must be admitted) and wait until each is
        committed; their statuses."""
        body = {"transactions": [tx.to_dict() for tx in txs]}
        resp = self.post("/v1/transactions/batch", json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["refused"] == 0, resp.json()
        return self.wait_committed([tx.tx_id for tx in txs])


def write_consortium(root: Path, limits: Limits = LIMITS) -> NodeConfig:
    """Keys, genesis and trust files of a one-validator consortium in ``root``, and the
    configuration of its node (its peers' list is empty: it decides alone)."""
    create_identity(root, list(ORGS), "api-test")
    folder = root / "nodes" / "sinochem-node"
    folder.mkdir(parents=True)
    return NodeConfig(
        name="sinochem-node",
        host="127.0.0.1",
        port=9,
        url="http://127.0.0.1:9",
        database=str(folder / "ledger.sqlite"),
        genesis=root / "genesis.json",
        node_key=key_paths(root, "sinochem")[1],
        votes=folder / "votes.jsonl",
        peers=(),
        limits=limits,
        timeouts=dict(FAST_TIMEOUTS),
    )


@contextlib.contextmanager
def serving(root: Path, limits: Limits = LIMITS) -> Iterator[ApiNode]:
    """A node written into ``root`` and served in process until the block ends."""
    config = write_consortium(root, limits)
    node = Node(config)
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield ApiNode(root, node, client, node.genesis)


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
