"""Which peer request nonces a node has already accepted, so that a signed request is
taken at most once.

Promise: ``remember`` returns False for a nonce this memory holds for that sender, and a
nonce is forgotten only when its request could no longer pass on its own: either its
time has left the window (``expire_before``), or the sender's memory was full, in which
case the sender's *floor* rises to that request's time and every request sent at or
before the floor is refused (``too_old``). Memory is bounded by ``per_sender`` nonces per
sender, and each request costs O(1) amortised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Memory:
    """One sender's nonces (arrival order) with their send times, and its floor."""

    nonces: OrderedDict[str, float] = field(default_factory=OrderedDict)
    floor: float = float("-inf")


class SeenNonces:
    """Nonces of accepted peer requests, per sender key id; times are POSIX seconds."""

    def __init__(self, per_sender: int = 100_000) -> None:
        if per_sender < 1:
            raise ValueError("per_sender must be at least 1")
        self.per_sender = per_sender
        self._senders: dict[str, _Memory] = {}
        self._lock = threading.Lock()

    def too_old(self, sender: str, sent_at: float) -> bool:
        """True when a request sent at ``sent_at`` may carry a nonce already forgotten."""
        with self._lock:
            memory = self._senders.get(sender)
            return memory is not None and sent_at <= memory.floor

    def seen(self, sender: str, nonce: str) -> bool:
        """True when ``nonce`` of ``sender`` was accepted and is still remembered."""
        with self._lock:
            memory = self._senders.get(sender)
            return memory is not None and nonce in memory.nonces

    def remember(self, sender: str, nonce: str, sent_at: float, expire_before: float) -> bool:
        """Record ``nonce`` of ``sender``; False (nothing recorded) if it was already
        there or ``sent_at`` is at or below the sender's floor. First forgets, from the
        oldest, the sender's nonces sent before ``expire_before``."""
        with self._lock:
            memory = self._senders.setdefault(sender, _Memory())
            if nonce in memory.nonces or sent_at <= memory.floor:
                return False
            nonces = memory.nonces
            while nonces:
                oldest, when = next(iter(nonces.items()))
                if when >= expire_before and len(nonces) < self.per_sender:
                    break
                del nonces[oldest]
                memory.floor = max(memory.floor, when)
            if sent_at <= memory.floor:
                return False
            nonces[nonce] = sent_at
            return True

    def __len__(self) -> int:
        with self._lock:
            return sum(len(m.nonces) for m in self._senders.values())
