"""Reading JSON request bodies with clear refusals (400 for malformed JSON)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from nodes.server.problems import Problem


async def json_body(request: Request) -> tuple[bytes, Any]:
    """The raw body and its decoded JSON; ``Problem`` 400 when it is not JSON."""
    raw = await request.body()
    try:
        return raw, json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, or an integer too long to read
        raise Problem(400, "malformed json", f"request body is not JSON ({exc})") from exc
    except RecursionError as exc:
        raise Problem(400, "malformed json", "request body is nested too deeply") from exc


def items_of(obj: Any, key: str, limit: int) -> list[Any]:
    """``obj[key]`` as a list of at most ``limit`` items; ``Problem`` 400/413 otherwise."""
    if not isinstance(obj, dict) or not isinstance(obj.get(key), list):
        raise Problem(400, "invalid request", f'expected a JSON object {{"{key}": [...]}}')
    items = obj[key]
    if len(items) > limit:
        raise Problem(
            413,
            "batch too large",
            f"{len(items)} items in one request; the limit is {limit}: split the batch",
        )
    return items
