"""What each node of a consortium folder is doing: process and chain head."""

from __future__ import annotations

from typing import Any

import httpx

from nodes.consortium.layout import Layout
from nodes.consortium.processes import running


def node_status(
    layout: Layout, name: str, url: str, timeout: float = 2.0, http: httpx.Client | None = None
) -> dict[str, Any]:
    """``{"name", "url", "pid", "up", "height", "head"}``: ``up`` when the node answers
    HTTP; ``head`` is the hex block hash at ``height`` (None before the first block).
    ``http``, if given, is the client to ask with (one client for many nodes)."""
    row: dict[str, Any] = {
        "name": name,
        "url": url,
        "pid": running(layout, name),
        "up": False,
        "height": None,
        "head": None,
    }
    try:
        get = http.get if http is not None else httpx.get
        head = get(f"{url}/v1/head", timeout=timeout).json()
    except (httpx.HTTPError, ValueError):
        return row
    row.update(up=True, height=head.get("height"), head=head.get("block_hash"))
    return row


def consortium_status(layout: Layout) -> list[dict[str, Any]]:
    """Every node's status, in name order."""
    with httpx.Client() as http:
        return [node_status(layout, c.name, c.url, http=http) for c in layout.configs()]
