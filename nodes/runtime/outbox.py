"""What a node sends its peers: one queue and one sending task per peer and path, so a
slow or dead peer never blocks consensus nor the other peers.

Promise: ``broadcast`` never waits; a queue holds at most ``OUTBOX_LIMIT`` messages (more
are dropped: gossip sends again what matters); ``run`` sends what piled up in batches,
each request under half the body limit and the batch limit, and survives any failure of
one request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from nodes.config import Limits
from nodes.peer.client import PeerClient
from nodes.peer.wire import batch_body

log = logging.getLogger("provledger.node")

CONSENSUS_PATH = "/peer/consensus"
TX_PATH = "/peer/transactions"
PATHS = (CONSENSUS_PATH, TX_PATH)
OUTBOX_LIMIT = 20_000


class Outbox:
    """The queues to ``peers`` on each of ``PATHS``."""

    def __init__(self, peers: Sequence[PeerClient], limits: Limits) -> None:
        self._peers = list(peers)
        self._limits = limits
        self._boxes: dict[tuple[str, str], asyncio.Queue[bytes]] = {
            (p.name, path): asyncio.Queue() for p in self._peers for path in PATHS
        }

    def broadcast(self, path: str, messages: Iterable[bytes]) -> None:
        """Queue encoded ``messages`` for every peer on ``path``."""
        items = list(messages)
        for peer in self._peers:
            self.put(peer.name, path, items)

    def put(self, peer: str, path: str, messages: Iterable[bytes]) -> int:
        """Queue ``messages`` for ``peer`` on ``path``; how many fitted."""
        box, n = self._boxes[(peer, path)], 0
        for msg in messages:
            if box.qsize() >= OUTBOX_LIMIT:
                break
            box.put_nowait(msg)
            n += 1
        return n

    def queued(self, peer: str, path: str) -> int:
        """How many messages wait for ``peer`` on ``path``."""
        return self._boxes[(peer, path)].qsize()

    async def run(self, peer: PeerClient, path: str) -> None:
        """Send what is queued for ``peer`` on ``path``, forever."""
        box = self._boxes[(peer.name, path)]
        key = "transactions" if path == TX_PATH else "messages"
        budget, most = self._limits.max_body_bytes // 2, self._limits.max_batch
        carried: bytes | None = None
        while True:
            batch = [carried if carried is not None else await box.get()]
            carried, size = None, len(batch[0])
            while not box.empty() and len(batch) < most:
                item = box.get_nowait()
                if size + len(item) > budget:
                    carried = item
                    break
                batch.append(item)
                size += len(item)
            try:
                await peer.post_raw(path, batch_body(key, batch), retries=3 if peer.up else 0)
            except Exception:  # a bug: log it, keep this peer's queue moving
                log.exception("sending to %s failed", peer.name)

    def tasks(self) -> list[asyncio.Task[None]]:
        """Start one sending task per peer and path."""
        return [asyncio.create_task(self.run(p, path)) for p in self._peers for path in PATHS]
