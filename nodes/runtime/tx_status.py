"""Where a client's transaction stands: pending, rejected at admission, or committed.

Promises:
- A transaction is reported ``committed`` only once its block is stored on at least a
  quorum of nodes (this one, plus peers that said so, per ``stored_on``).
- The reasons of the latest ``REFUSED_MEMORY`` refusals are kept, so a client can ask
  why; older ones are forgotten.
- ``wait_committed`` returns as soon as the status is no longer pending (woken by
  ``changed``: a block stored here, or a peer saying it stored one), or after
  ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ledger.errors import LedgerError, NotFoundError
from ledger.model.transaction import SignedTransaction
from ledger.store.store import Store
from nodes.mempool import Mempool, Refused

REFUSED_MEMORY = 10_000


class TxStatus:
    """The status of transactions of this node's ``store`` and ``mempool``; a block is
    committed once ``stored_on(height) >= threshold``."""

    def __init__(
        self, store: Store, mempool: Mempool, threshold: int, stored_on: Callable[[int], int]
    ) -> None:
        self._store, self._mempool = store, mempool
        self._threshold, self._stored_on = threshold, stored_on
        self._refused: OrderedDict[str, str] = OrderedDict()
        self._admitted_at: dict[bytes, float] = {}
        self._changed = asyncio.Event()

    def admitted(self, tx_id: bytes, at: float) -> None:
        """A client's transaction was admitted at monotonic time ``at``."""
        self._admitted_at[tx_id] = at

    def refused(self, item: Any, refused: Refused) -> None:
        """Remember why ``item`` (a decoded transaction, perhaps malformed) was refused."""
        tx_id = _tx_id_of(item)
        if tx_id is not None:
            self._refused[tx_id] = refused.detail
            while len(self._refused) > REFUSED_MEMORY:
                self._refused.popitem(last=False)

    def stored(self, tx_ids: Iterable[bytes], at: float) -> list[float]:
        """Transactions were stored at ``at``: the seconds each client's transaction
        among them took from admission."""
        out = []
        for tx_id in tx_ids:
            started = self._admitted_at.pop(tx_id, None)
            if started is not None:
                out.append(at - started)
        return out

    def changed(self) -> None:
        """Wake ``wait_committed`` callers: a block was stored here or on a peer."""
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()

    def status(self, tx_id: str) -> dict[str, Any]:
        """Where ``tx_id`` stands; ``NotFoundError`` if this node never saw it."""
        try:
            where = self._store.locate(tx_id)
        except NotFoundError:
            if bytes.fromhex(tx_id) in self._mempool:
                return {"tx_id": tx_id, "status": "pending"}
            if tx_id in self._refused:
                return {"tx_id": tx_id, "status": "rejected", "reason": self._refused[tx_id]}
            raise
        stored_on = self._stored_on(where.height)
        out: dict[str, Any] = {
            "tx_id": tx_id,
            "height": where.height,
            "log_index": where.log_index,
            "stored_on": stored_on,
        }
        if stored_on < self._threshold:
            out.update(
                status="pending",
                detail=f"stored on {stored_on} node(s); committed at {self._threshold}",
            )
            return out
        rejected = self._store.state("ledger", f"rejected/{tx_id}")
        out["status"] = "committed"
        out["outcome"] = {"applied": rejected is None, **(rejected or {})}
        return out

    async def wait_committed(self, tx_id: str, timeout: float) -> dict[str, Any]:
        """``status`` once committed or rejected, or when ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(NotFoundError):
                st = self.status(tx_id)
                if st["status"] != "pending":
                    return st
            left = deadline - time.monotonic()
            if left <= 0:
                return self.status(tx_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))


def _tx_id_of(item: Any) -> str | None:
    try:
        return SignedTransaction.from_dict(item).tx_id
    except (LedgerError, TypeError, RecursionError):
        return None
