"""The node's OpenAPI document is generated from the API's models: every body a route
reads or answers has a schema, every error a route can answer is listed as problem
details, and the request models state exactly what the ledger's decoders enforce."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as ModelError

from ledger.errors import ValidationError
from ledger.keys import SigningKey
from ledger.model.transaction import SignedTransaction, Transaction
from nodes.server.models.transactions import SignedTransaction as SignedTransactionModel
from tests.api_node import serving

SERVER = Path(__file__).resolve().parent.parent / "nodes" / "server"
PROBLEM = "#/components/schemas/ProblemDetails"
BODY_ROUTES = {
    ("post", "/v1/transactions"): "SignedTransaction",
    ("post", "/v1/transactions/batch"): "TransactionBatch",
    ("post", "/v1/evidence/similar"): "SimilarQuery",
    ("post", "/peer/consensus"): "ConsensusMessages",
    ("post", "/peer/transactions"): "RelayedTransactions",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with serving(tmp_path_factory.mktemp("doc")) as api:
        resp = api.get("/openapi.json")
        assert resp.status_code == 200
        yield resp.json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def test_every_route_is_documented(document):
    ops = {(m, p) for m, p, _ in operations(document)}
    assert len(ops) == 28
    for route in (
        ("get", "/v1/transactions/{tx_id}"),
        ("get", "/v1/blocks/{height}"),
        ("get", "/v1/receipts/{tx_id}"),
        ("get", "/v1/proofs/consistency"),
        ("get", "/v1/evidence/{sha256}"),
        ("get", "/v1/head"),
        ("get", "/v1/consensus"),
        ("get", "/v1/trace/products/{tail}"),
        ("get", "/peer/blocks"),
        ("get", "/health"),
        ("get", "/metrics"),
        *BODY_ROUTES,
    ):
        assert route in ops, route


def test_every_request_body_has_its_model_schema(document):
    with_body = {
        (m, p): op["requestBody"] for m, p, op in operations(document) if "requestBody" in op
    }
    assert set(with_body) == set(BODY_ROUTES)
    for route, body in with_body.items():
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{BODY_ROUTES[route]}", route
        schema = resolve(document, ref)
        assert schema["type"] == "object" and schema["properties"], route
        assert schema["additionalProperties"] is False, route


def test_every_answer_has_a_schema_and_every_error_is_a_problem(document):
    for method, path, op in operations(document):
        for status, answer in op["responses"].items():
            content = answer.get("content", {})
            if path == "/metrics":
                assert "application/json" not in content
                continue
            if status.startswith("2"):
                schema = content["application/json"]["schema"]
                refs = [s["$ref"] for s in schema.get("anyOf", [schema])]
                for ref in refs:
                    assert resolve(document, ref)["properties"], (method, path)
            else:
                ref = content["application/problem+json"]["schema"]["$ref"]
                assert ref == PROBLEM, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


ERRORS = {
    ("post", "/v1/transactions"): {400, 403, 408, 409, 413, 415, 422, 503},
    ("post", "/v1/transactions/batch"): {400, 408, 413, 415},
    ("get", "/v1/transactions/{tx_id}"): {400, 404},
    ("get", "/v1/head"): set(),
    ("get", "/v1/blocks/{height}"): {400, 404},
    ("get", "/v1/blocks/{height}/tx-ids"): {400, 404},
    ("get", "/v1/receipts/{tx_id}"): {400, 404},
    ("get", "/v1/proofs/consistency"): {400},
    ("get", "/v1/state/{contract}/{key}"): {400, 404},
    ("get", "/v1/history/{contract}/{key}"): set(),
    ("get", "/v1/evidence/{sha256}"): {400, 404},
    ("get", "/v1/misbehaviour"): set(),
    ("get", "/v1/consensus"): set(),
    ("get", "/v1/evidence/{sha256}/facts"): {400, 404},
    ("get", "/v1/evidence/{sha256}/facts/{index}/proof"): {400, 404},
    ("get", "/v1/evidence/by-depositor/{organisation}"): {400},
    ("post", "/v1/evidence/similar"): {400, 408, 413, 415},
    ("get", "/v1/members"): {400, 404},
    ("get", "/v1/membership/proposals/{tx_id}"): {400, 404},
    ("get", "/v1/membership/proposals"): set(),
    ("get", "/v1/resolve/{prefix}"): {400},
    ("get", "/v1/trust"): set(),
    ("get", "/v1/trace/products/{tail}"): {400, 404, 422},
    ("post", "/peer/consensus"): {400, 403, 408, 413, 415},
    ("post", "/peer/transactions"): {400, 403, 408, 413, 415},
    ("get", "/peer/blocks"): {400},
    ("get", "/health"): set(),
    ("get", "/metrics"): set(),
}
"""The errors each route can answer (the in-process API tests provoke each of them,
408 aside: ``test_edge_http``); 500 is possible anywhere and never listed."""


def test_error_statuses_listed_are_those_a_route_answers(document):
    listed = {
        (m, p): {int(s) for s in op["responses"] if not s.startswith("2")}
        for m, p, op in operations(document)
    }
    assert listed == ERRORS


def test_patterns_and_ranges_are_stated(document):
    params = {
        (p, q["name"]): q["schema"]
        for _, p, op in operations(document)
        for q in op.get("parameters", [])
    }
    assert params[("/v1/transactions/{tx_id}", "tx_id")]["pattern"] == "^[0-9a-f]{64}$"
    assert params[("/v1/blocks/{height}", "height")]["minimum"] == 1
    assert params[("/v1/blocks/{height}", "height")]["maximum"] == 2**53 - 1
    assert params[("/peer/blocks", "from")]["minimum"] == 1
    assert params[("/peer/blocks", "limit")]["maximum"] == 50
    tx = document["components"]["schemas"]["Transaction"]["properties"]
    assert tx["chain_id"]["pattern"] == "^[0-9a-f]{64}$"
    assert tx["nonce"]["pattern"] == "^(?:[0-9a-f]{2}){1,32}$"
    assert tx["created_at"]["pattern"].endswith("Z$")
    similar = document["components"]["schemas"]["SimilarQuery"]["properties"]
    assert similar["chunks"]["maxItems"] > 0


# ---- the request model and the ledger's decoder agree ----------------------------------


def _tx() -> dict[str, Any]:
    key = SigningKey.generate()
    args = {"sha256": os.urandom(32).hex(), "size": 1}
    return Transaction.new(key, "ab" * 32, "evidence", "anchor", args).sign(key).to_dict()


def _with(path: str, value: Any) -> dict[str, Any]:
    obj = _tx()
    where = obj
    *parents, last = path.split(".")
    for p in parents:
        where = where[p]
    if value is _DROP:
        del where[last]
    else:
        where[last] = value
    return obj


_DROP = object()
MALFORMED = [
    ("tx.chain_id", "AB" * 32),
    ("tx.chain_id", "ab" * 31),
    ("tx.sender", "xyz"),
    ("tx.nonce", ""),
    ("tx.nonce", "ab" * 33),
    ("tx.nonce", "abc"),
    ("tx.created_at", "2026-01-31T12:00:00+00:00"),
    ("tx.created_at", "yesterday"),
    ("tx.contract", "Evidence"),
    ("tx.action", ""),
    ("tx.args", [1]),
    ("tx.extra", 1),
    ("tx.nonce", _DROP),
    ("signature", "00" * 63),
    ("signature", "zz" * 64),
    ("signature", _DROP),
    ("extra", 1),
]


def test_the_model_accepts_what_the_ledger_accepts():
    for _ in range(5):
        obj = _tx()
        SignedTransaction.from_dict(obj)
        SignedTransactionModel.model_validate(obj)


@pytest.mark.parametrize(("path", "value"), MALFORMED)
def test_the_model_refuses_what_the_ledger_refuses(path: str, value: Any):
    obj = _with(path, value)
    with pytest.raises(ValidationError):
        SignedTransaction.from_dict(obj)
    with pytest.raises(ModelError):
        SignedTransactionModel.model_validate(obj)


# ---- the server reaches the node only through its protocol -----------------------------


def test_no_server_module_imports_the_node_runtime():
    files = sorted(SERVER.rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n.startswith("nodes.runtime.node") for n in names), path
