"""``nodes.cli.ids.resolve_id``: a full id passes through without asking a node; a prefix
is lowercased and resolved for its kind only; what is not an id exits 2 before any
request. (Resolution against a real node: ``tests/test_evidence_cluster.py``.)"""

from __future__ import annotations

from typing import Any

import pytest
import typer

from nodes.cli.ids import is_prefix, resolve_id

FULL = "0123456789abcdef" * 4


class Recorder:
    """A client that answers ``/v1/resolve`` with ``matches`` and records each request."""

    def __init__(self, matches: list[dict[str, str]]) -> None:
        self.matches = matches
        self.requests: list[tuple[str, str, Any]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests.append((method, path, kwargs.get("params")))
        return {"prefix": path.rsplit("/", 1)[1], "matches": self.matches, "truncated": False}


def test_a_full_id_is_not_looked_up() -> None:
    client = Recorder([])
    assert resolve_id(client, FULL, "tx") == FULL  # type: ignore[arg-type]
    assert client.requests == []


def test_a_prefix_is_resolved_for_its_kind_only() -> None:
    client = Recorder([{"kind": "tx", "id": FULL}, {"kind": "proposal", "id": FULL}])
    assert resolve_id(client, "0123456789ABCDEF", "proposal") == FULL  # type: ignore[arg-type]
    assert client.requests == [("GET", "/v1/resolve/0123456789abcdef", {"kind": "proposal"})]
    upper = FULL.upper()  # 64 digits in capitals: a prefix to resolve, not a full id
    assert resolve_id(client, upper, "tx") == FULL  # type: ignore[arg-type]
    assert client.requests[-1][1] == f"/v1/resolve/{FULL}"


@pytest.mark.parametrize("text", ["0123456", "", "0123456g", "01234567-", "0" * 65, "file.txt"])
def test_what_is_not_an_id_exits_2_without_a_request(text: str) -> None:
    client = Recorder([])
    assert not is_prefix(text)
    with pytest.raises(typer.Exit) as exited:
        resolve_id(client, text, "document")  # type: ignore[arg-type]
    assert exited.value.exit_code == 2
    assert client.requests == []


def test_no_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited:
        resolve_id(Recorder([{"kind": "tx", "id": FULL}]), "01234567", "block")  # type: ignore[arg-type]
    assert exited.value.exit_code == 1
    assert "no block starts with 01234567" in capsys.readouterr().err
