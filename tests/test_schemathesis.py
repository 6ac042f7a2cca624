"""The node's OpenAPI document against the node itself: schemathesis generates requests
from the document (valid and, for every route, invalid ones too) and checks each
answer: never a server error, a status the document lists for the route, and a content
type, headers and body matching what the document gives for that status. (Of
schemathesis' other checks, ``positive_data_acceptance`` and ``negative_data_rejection``
judge semantics the document cannot state: a schema-valid transaction with a random
signature is refused, and a batch answers 200 with a problem per refused item.)

The node runs in process (ASGI; schemathesis starts its lifespan): one validator of a
three-node consortium folder whose peers are not running, so nothing is ever committed
and every read answers from an empty chain.

Excluded: the ``wait`` query of ``GET /v1/transactions/{tx_id}`` (it holds the request
up to 60 s by design) is dropped from generated requests; no route is excluded.

Every failure of every route is collected and reported together, so one run names all
mismatches (schemathesis' pytest plugin cannot load its schema from a fixture under
pytest 9, hence the loop over operations here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from nodes.consortium.init import init_consortium  # noqa: E402
from nodes.runtime.node import Node  # noqa: E402
from nodes.server.app import create_app  # noqa: E402

MAX_EXAMPLES = 6  # per route and mode; about 30 s in all
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _failures_of(operation: Any, mode: GenerationMode, calls: list[str]) -> list[str]:
    """Messages of the checks that failed on ``operation`` in ``mode``; each request
    made is appended to ``calls``."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        if case.query and "wait" in case.query:
            case.query.pop("wait")
        calls.append(operation.label)
        try:
            case.call_and_validate(checks=CHECKS)
        except FailureGroup as group:  # one group per case, every failed check inside
            for failure in group.exceptions:
                found.append(f"{operation.label} [{mode.value}]: {_short(failure)}")

    try:
        run()
    except Unsatisfiable:  # no parameters or body: nothing invalid to generate
        assert mode is GenerationMode.NEGATIVE, operation.label
    return found


def _short(failure: BaseException) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    message = " ".join(str(getattr(failure, "message", failure)).split())
    return f"{title}: {message[:300]}"


def test_every_route_answers_as_its_openapi_document_says(tmp_path: Path) -> None:
    # Peers at ports nobody listens on: refused at once, never a hang.
    configs = init_consortium(tmp_path / "consortium", 3, base_port=1)
    app = create_app(Node(configs[0]))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13, [op.label for op in operations]
    failures: list[str] = []
    calls: list[str] = []
    try:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures.extend(_failures_of(operation, mode, calls))
    finally:
        schemathesis.python.asgi.shutdown_lifespans()
    assert {op.label for op in operations} == set(calls)  # every route was called
    assert len(calls) >= 2 * len(operations), len(calls)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures)))
