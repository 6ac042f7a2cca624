"""A dict-backed ``StateView`` for contract tests, and contexts without real keys."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from contracts.base import TxContext

TIME = "2026-03-01T12:00:00.000000Z"


class DictView:
    """Contract state in a dict keyed by ``(contract, key)``; reads are copies."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], Any] = {}

    def get(self, contract: str, key: str) -> Any | None:
        return copy.deepcopy(self.data.get((contract, key)))

    def put(self, contract: str, writes: list[tuple[str, Any]]) -> None:
        """Store one call's writes of ``contract``."""
        for key, value in writes:
            self.data[(contract, key)] = copy.deepcopy(value)


def context(n: int, organisation: str, roles: tuple[str, ...], time: str = TIME) -> TxContext:
    """The context of the ``n``-th call (log index ``n``, height ``n + 1``), sent by
    ``organisation``'s key with a transaction id derived from ``n``."""
    return TxContext(
        tx_id=hashlib.sha256(f"tx-{n}".encode()).hexdigest(),
        log_index=n,
        height=n + 1,
        time=time,
        sender=f"key-of-{organisation}",
        organisation=organisation,
        roles=roles,
    )
