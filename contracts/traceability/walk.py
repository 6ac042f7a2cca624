"""Bounded walks of the product graph (derivation and aggregation links).

Promise: ``walk`` visits each reachable product once, breadth-first, in an order fixed
by the stored link lists (never by hashing), and raises ``TooFar`` rather than visit
more than ``limit`` products; the start is not counted or returned.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

MAX_WALK = 10_000  # products one recall (or one query) may reach


class TooFar(Exception):
    """A walk reached more than its limit of products."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} products")
        self.limit = limit


def walk(
    start: str,
    load: Callable[[str], dict[str, Any] | None],
    links: Callable[[dict[str, Any]], Iterable[str]],
    *,
    limit: int = MAX_WALK,
    enter: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> list[dict[str, Any]]:
    """The records reachable from ``start`` by following ``links`` (ids of a record),
    loaded with ``load`` (missing ids are skipped). A record for which ``enter`` is
    false is neither returned nor walked through."""
    seen = {start}
    out: list[dict[str, Any]] = []
    first = load(start)
    queue: deque[dict[str, Any]] = deque([first] if first is not None else [])
    while queue:
        record = queue.popleft()
        for linked in links(record):
            if linked in seen:
                continue
            seen.add(linked)
            found = load(linked)
            if found is None or not enter(found):
                continue
            if len(out) >= limit:
                raise TooFar(limit)
            out.append(found)
            queue.append(found)
    return out


def downstream_links(record: dict[str, Any]) -> list[str]:
    """What a product reaches downstream: the outputs made from it, then its children."""
    return [*record["outputs"], *record["children"]]


def upstream_links(record: dict[str, Any]) -> list[str]:
    """What a product was made from: its inputs."""
    return list(record["inputs"])


def descendants(
    start: str, load: Callable[[str], dict[str, Any] | None], limit: int = MAX_WALK
) -> list[dict[str, Any]]:
    """Every product packed (transitively) inside ``start``."""
    return walk(start, load, lambda r: r["children"], limit=limit)
