"""Reading what a consortium's nodes answer, for commands that name one thing.

Promises: ``get_or_exit(client, path, **params)`` is a live node's answer to ``GET path``
(with ``params`` as the query, if any); when the node answers 404 (an unknown product, a
document never anchored, a fact never published), the command exits 1 with the node's
reason on one line; any other problem is raised as ``ApiProblem``.
"""

from __future__ import annotations

from typing import Any

from nodes.cli.output import EXIT_FAILED, fail
from nodes.client import ApiProblem, ConsortiumClient


def get_or_exit(client: ConsortiumClient, path: str, **params: Any) -> Any:
    """The answer to ``GET path``; exit 1 with the node's reason on a 404."""
    try:
        return client.request("GET", path, params=params or None)
    except ApiProblem as exc:
        if exc.status != 404:
            raise
        fail(str(exc.problem.get("detail", exc)), EXIT_FAILED)
