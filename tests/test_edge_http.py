"""The HTTP edge of a node, each behaviour found by probing a running consortium:
a client hanging up mid-body, a slow body, 405 without ``Allow``, JSON naming a member
twice, bodies that are not JSON, a damaged stored row, and an unexpected error.

The node is one validator of a real ``consortium init`` folder, its application called
in process (ASGI) with its lifespan started, or served by uvicorn on a free local port
for what only a socket shows. Its peers are not running (connection refused at once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from ledger.errors import CorruptionError
from ledger.keys import read_key_file
from ledger.model.transaction import Transaction
from ledger.sealing import seal
from ledger.store import schema as tables
from nodes.bootstrap import key_paths
from nodes.consortium.init import init_consortium
from nodes.runtime.node import Node
from nodes.server.app import create_app
from nodes.server.bodies import DuplicateMember, loads_strict
from nodes.server.limits import is_json_media_type
from nodes.server.problems import damaged_detail

DEADLINE = 60.0  # only ends a hung run; no test waits on it when things work


class Local:
    """One node of a three-node consortium folder, its application not yet started."""

    def __init__(self, root: Path, **limits: int) -> None:
        self.root = root
        configs = init_consortium(root, 3, base_port=1)
        config = replace(configs[0], limits=replace(configs[0].limits, **limits))
        self.node = Node(config)
        self.app = create_app(self.node)
        genesis = self.node.genesis
        self.member = read_key_file(key_paths(root, genesis.organisations[0].name)[0])
        self.validator_keys = [
            (v.name, read_key_file(key_paths(root, v.organisation)[1])) for v in genesis.validators
        ]

    def anchor(self, size: int = 1) -> Any:
        tx = Transaction.new(
            self.member,
            self.node.chain_id,
            "evidence",
            "anchor",
            {"sha256": "ab" * 32, "size": size},
        )
        return tx.sign(self.member)


@pytest.fixture
def local(tmp_path: Path) -> Local:
    return Local(tmp_path / "consortium")


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling ``app`` in process, its lifespan (the node) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            yield client


def problem(resp: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """``resp`` is an RFC 9457 problem with ``status`` whose detail names ``fragments``."""
    assert resp.status_code == status, f"{resp.status_code}: {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body = resp.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    assert "Traceback" not in body["detail"]
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), (fragment, body)
    return body


def documented(app: FastAPI) -> dict[str, set[str]]:
    """Each path of the OpenAPI document of ``app`` (path parameters filled in with
    valid values) and its methods."""
    out = {}
    for path, operations in app.openapi()["paths"].items():
        concrete = path.replace("{tx_id}", "ab" * 32).replace("{sha256}", "cd" * 32)
        out[concrete] = {m.upper() for m in operations}
    return out


def post_routes(app: FastAPI) -> list[str]:
    """Paths of every POST route of ``app``."""
    return sorted(p for p, methods in documented(app).items() if "POST" in methods)


# ---- bodies that are not JSON: 415 on every POST route --------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"],
    ids=["missing", "text", "form", "lookalike"],
)
def test_a_body_that_is_not_json_is_415_on_every_client_post_route(
    local: Local, content_type: str | None
):
    body = json.dumps(local.anchor().to_dict()).encode()
    headers = {"content-type": content_type} if content_type else {}
    client_routes = [p for p in post_routes(local.app) if not p.startswith("/peer/")]
    assert "/v1/transactions" in client_routes and "/v1/transactions/batch" in client_routes

    async def scenario() -> None:
        async with client_of(local.app) as client:
            for path in client_routes:
                resp = await client.post(path, content=body, headers=headers)
                problem(resp, 415, "application/json", content_type or "no Content-Type")
            assert len(local.node.mempool) == 0
            # The same body as JSON is judged by the node (admitted here).
            ok = await client.post("/v1/transactions", content=body, headers=_JSON)
            assert ok.status_code == 202, ok.text

    asyncio.run(scenario())


def test_peer_routes_refuse_a_signed_body_that_is_not_json_415(local: Local):
    """Peer routes check the signature headers first (403 without them); a request
    bearing them but a non-JSON body is 415 before any signature work."""
    from nodes.peer.envelope import sign_request

    key = local.validator_keys[1][1]

    async def scenario() -> None:
        async with client_of(local.app) as client:
            for path in [p for p in post_routes(local.app) if p.startswith("/peer/")]:
                body = b'{"messages": []}'
                headers = sign_request(key, local.node.chain_id, local.node.name, path, body)
                headers["content-type"] = "text/plain"
                problem(await client.post(path, content=body, headers=headers), 415)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (b"", False),
        (b"application/json", True),
        (b"Application/JSON; charset=utf-8", True),
        (b"application/problem+json", True),
        (b"text/json", False),
        (b"application/jsonp", False),
        (b"multipart/form-data; boundary=x", False),
    ],
)
def test_json_media_types(value: bytes | None, expected: bool):
    assert is_json_media_type(value) is expected


# ---- JSON naming a member twice: 400 -------------------------------------------------


def test_json_naming_a_member_twice_is_400_naming_it(local: Local):
    tx = local.anchor().to_dict()
    one = json.dumps(tx)
    top = one[:-1] + ', "signature": "00"}'  # the last one would win
    inner = one.replace('"size": 1', '"size": 1, "size": 2')
    assert json.loads(top) != tx and json.loads(inner) != tx  # plain json.loads: last wins

    async def scenario() -> None:
        async with client_of(local.app) as client:
            for body, name in ((top, "signature"), (inner, "size")):
                resp = await client.post("/v1/transactions", content=body, headers=_JSON)
                body_ = problem(resp, 400, f"'{name}' twice")
                assert body_["title"] == "malformed json"
                batch = '{"transactions": [' + body + "]}"
                resp = await client.post("/v1/transactions/batch", content=batch, headers=_JSON)
                problem(resp, 400, f"'{name}' twice")
            dup_key = '{"transactions": [], "transactions": []}'
            resp = await client.post("/v1/transactions/batch", content=dup_key, headers=_JSON)
            problem(resp, 400, "'transactions' twice")
            assert len(local.node.mempool) == 0
            resp = await client.post("/v1/transactions", content=one, headers=_JSON)
            assert resp.status_code == 202, resp.text

    asyncio.run(scenario())


def test_loads_strict_decodes_like_json_loads_without_duplicates():
    text = '{"a": [1, {"b": null, "c": "x"}], "d": {"e": {}}, "f": true}'
    assert loads_strict(text) == json.loads(text)
    assert loads_strict(b"[1, 2]") == [1, 2]
    with pytest.raises(DuplicateMember, match="'b' twice"):
        loads_strict('{"a": [{"b": 1, "c": 2, "b": 1}]}')
    long = "x" * 100
    with pytest.raises(DuplicateMember, match=r"'x{64}\.\.\.' twice"):
        loads_strict(f'{{"{long}": 1, "{long}": 2}}')


# ---- 405 carries Allow ---------------------------------------------------------------


def test_405_carries_allow_with_every_method_of_the_path(local: Local):
    async def scenario() -> None:
        async with client_of(local.app) as client:
            resp = await client.get("/v1/transactions")
            problem(resp, 405, "GET is not allowed", "use POST")
            assert resp.headers["allow"] == "POST"
            resp = await client.put("/health")
            problem(resp, 405, "PUT")
            assert resp.headers["allow"] == "GET"
            # GET reaches /v1/transactions/{tx_id} (which refuses "batch" as an id).
            resp = await client.delete("/v1/transactions/batch")
            assert resp.headers["allow"] == "GET, POST"
            for path, methods in documented(local.app).items():
                if "{" in path:
                    continue
                resp = await client.request("TRACE" if "DELETE" in methods else "DELETE", path)
                problem(resp, 405)
                assert methods <= set(resp.headers["allow"].split(", ")), (path, resp.headers)

    asyncio.run(scenario())


# ---- a damaged stored row: 500 "store damaged", logged once, counted -------------------


def test_a_stored_transaction_that_does_not_hash_to_its_id_is_a_clear_problem(
    local: Local, caplog: pytest.LogCaptureFixture
):
    node = local.node
    txs = [local.anchor(size) for size in (1, 2)]
    seal(node.store, txs, local.validator_keys)
    victim = txs[0].tx_id
    # Damage one row: the body of another transaction under the victim's id.
    with node.store.engine.begin() as conn:
        conn.execute(
            update(tables.transactions)
            .where(tables.transactions.c.tx_id == bytes.fromhex(victim))
            .values(body=json.dumps(txs[1].to_dict()))
        )

    async def scenario() -> None:
        async with client_of(local.app) as client:
            sound = await client.get(f"/v1/receipts/{txs[1].tx_id}")
            assert sound.status_code == 200, sound.text
            for _ in range(3):
                resp = await client.get(f"/v1/receipts/{victim}")
                body = problem(resp, 500, victim[:16], "provledger audit")
                assert body["title"] == "store damaged"
                assert txs[1].to_dict()["signature"] not in resp.text  # the row is not served
            problem(await client.get("/v1/blocks/1"), 500, "provledger audit")
            metrics = (await client.get("/metrics")).text
            assert _sample(metrics, "provledger_corrupt_rows_total") == 4

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())
    damaged = [r for r in caplog.records if "store damaged" in r.getMessage()]
    assert len(damaged) == 1, [r.getMessage() for r in damaged]  # once per distinct fault
    assert damaged[0].levelno == logging.ERROR and damaged[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    "message",
    ["head disagrees with its certificate", "row 7 is unreadable; run `provledger audit` on it"],
)
def test_a_damaged_row_detail_names_the_fault_and_the_audit_once(message: str):
    detail = damaged_detail(CorruptionError(message))
    assert message in detail and detail.count("provledger audit") == 1, detail


def test_an_unexpected_error_is_one_traceback_and_a_500_problem(
    local: Local, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    def broken(tx_id: str) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(local.node, "status", broken)

    async def scenario() -> None:
        async with client_of(local.app) as client:
            resp = await client.get("/v1/transactions/" + "ab" * 32)
            body = problem(resp, 500, "log")
            assert "boom" not in resp.text and body["title"] == "internal error"

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())  # raises if the error escaped the app (the server's traceback)
    tracebacks = [r.exc_info for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "boom" in str(tracebacks[0][1])


# ---- /metrics --------------------------------------------------------------------------


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    raise AssertionError(f"no sample {name} {labels}")


def test_metrics_are_prometheus_text_from_a_registry_per_node(tmp_path: Path):
    first, second = Local(tmp_path / "one"), Local(tmp_path / "two")
    first.node.metrics.committed_transactions.inc(5)
    first.node.metrics.commit_latency.observe(0.3)
    first.node.metrics.refused_transactions.inc()

    async def scrape(local: Local) -> httpx.Response:
        async with client_of(local.app) as client:
            await client.post("/v1/transactions", json={"tx": {}, "signature": "zz"})
            return await client.get("/metrics")

    resp = asyncio.run(scrape(first))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=")
    families = _families(resp.text)
    counters = [
        "committed_transactions",
        "committed_blocks",
        "refused_transactions",
        "synced_blocks",
        "refused_sync_blocks",
        "dropped_messages",
        "evidence",
        "corrupt_rows",
    ]
    for name in counters:
        assert families["provledger_" + name].type == "counter", name
    for name in ("height", "round", "mempool_size", "peers_up", "peers"):
        assert families["provledger_" + name].type == "gauge", name
    assert families["provledger_commit_latency_seconds"].type == "histogram"
    assert "process_cpu_seconds" in families and "python_gc_objects_collected" in families
    text = resp.text
    assert _sample(text, "provledger_committed_transactions_total") == 5
    assert _sample(text, "provledger_refused_transactions_total") == 2  # one by the POST
    assert _sample(text, "provledger_commit_latency_seconds_bucket", le="0.25") == 0
    assert _sample(text, "provledger_commit_latency_seconds_bucket", le="0.5") == 1
    assert _sample(text, "provledger_commit_latency_seconds_count") == 1
    assert _sample(text, "provledger_peers") == 2 and _sample(text, "provledger_height") == 0
    # The second node counts for itself alone.
    other = asyncio.run(scrape(second)).text
    assert _sample(other, "provledger_committed_transactions_total") == 0
    assert _sample(other, "provledger_refused_transactions_total") == 1


# ---- over a socket: a client hanging up mid-body, a slow body --------------------------


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """``app`` served by uvicorn on a free local port (its lifespan off: the node's
    tasks are not needed to read bodies); the port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started, "uvicorn start")
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(DEADLINE)
        asyncio.run(app.state.node.stop())  # closes the store its lifespan did not


def _wait(condition: Any, what: str) -> None:
    ends = threading.Event()
    timer = threading.Timer(DEADLINE, ends.set)
    timer.start()
    try:
        while not condition():
            if ends.wait(0.02):
                raise AssertionError(f"{what}: not within {DEADLINE} s")
    finally:
        timer.cancel()


def _head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_a_client_hanging_up_mid_body_costs_one_short_log_line(
    local: Local, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO), served(local.app) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
            s.sendall(_head("/v1/transactions", 1000) + b'{"tx": {"chain_id": ')
        _wait(lambda: any("hung up" in r.getMessage() for r in caplog.records), "log line")
        # The node still answers.
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    hung = [r for r in lines if "hung up" in r.getMessage()]
    assert len(hung) == 1 and len(hung[0].getMessage()) < 200, hung
    assert "POST /v1/transactions" in hung[0].getMessage()
    assert "of 1000 body bytes" in hung[0].getMessage()
    assert not [r for r in lines if r.levelno >= logging.ERROR or r.exc_info], [
        r.getMessage() for r in lines
    ]


def test_a_slow_body_is_cut_off_408_and_the_connection_closed(tmp_path: Path):
    local = Local(tmp_path / "consortium", body_read_seconds=1)
    with served(local.app) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
            s.sendall(_head("/v1/transactions", 1000) + b'{"tx": ')  # and nothing more
            answer = b""
            while chunk := s.recv(65536):  # until the server closes the connection
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), answer
        assert b"connection: close" in head.lower()
        detail = json.loads(body)
        assert detail["status"] == 408 and "1 s" in detail["detail"], detail
        # A body sent at once is read as usual on the same server.
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/transactions/batch",
            content=b'{"transactions": []}',
            headers=_JSON,
        )
        assert resp.status_code == 200, resp.text


_JSON = {"content-type": "application/json"}
