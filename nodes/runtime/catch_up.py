"""Catch-up: learn the peers' heights, and fetch the blocks this node lacks.

Promises:
- Each peer's height is what its head says now (it may go down: a peer restarted on an
  empty disk no longer stores what it did).
- Consensus resumes only after the first round of asking (``Resume`` is posted then), so
  a node that is behind knows it before it votes.
- Blocks are fetched from the highest usable peer (up, and not avoided) and handed to
  the consensus queue (``Fetched``), which verifies and stores them; a peer that serves
  nothing, or a bad block, is avoided for ``BAD_PEER_PAUSE`` seconds.
- A peer that comes back up is sent the transactions pending here, which it may have
  missed.
- No failure of one poll (a bug, a peer's strange answer) stops the polling.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from ledger.store.store import Store
from nodes.consensus.events import Resume
from nodes.mempool import Mempool
from nodes.peer.client import PeerClient
from nodes.runtime.events import Fetched, Pending, RuntimeEvent
from nodes.runtime.outbox import TX_PATH, Outbox

log = logging.getLogger("provledger.node")

SYNC_PAGE = 20
POLL_INTERVAL = 0.5
BAD_PEER_PAUSE = 10.0


class CatchUp:
    """Polls ``peers`` and fetches what ``store`` lacks; ``post`` feeds the consensus
    queue."""

    def __init__(
        self,
        peers: Sequence[PeerClient],
        store: Store,
        mempool: Mempool,
        outbox: Outbox,
        relay_limit: int,
        post: Callable[[RuntimeEvent], object],
    ) -> None:
        self._peers = list(peers)
        self._store, self._mempool, self._outbox = store, mempool, outbox
        self._relay_limit, self._post = relay_limit, post
        self._bad_until: dict[str, float] = {}

    # ---- which peers to trust --------------------------------------------------------

    def avoid(self, peer: str) -> None:
        """Ask ``peer`` for nothing for a while (it served nothing, or a bad block)."""
        self._bad_until[peer] = time.monotonic() + BAD_PEER_PAUSE

    def avoided(self, peer: str) -> bool:
        """Whether ``peer`` is avoided now."""
        return self._bad_until.get(peer, 0.0) >= time.monotonic()

    def usable(self) -> list[PeerClient]:
        """Peers that answered last time and are not avoided."""
        return [p for p in self._peers if p.up and not self.avoided(p.name)]

    def peer_height(self) -> int:
        """The highest height a usable peer stores (0: none known)."""
        return max((p.height for p in self.usable()), default=0)

    # ---- the task ----------------------------------------------------------------------

    async def run(self) -> None:
        """Poll and catch up every ``POLL_INTERVAL`` seconds, forever."""
        first = True
        while True:
            if not first:
                await asyncio.sleep(POLL_INTERVAL)
            try:
                await self.poll_heads()
            except Exception:  # a bug or a peer's strange answer: log it, keep polling
                log.exception("polling peers failed")
            if first:
                first = False
                self._post(Resume())
                self._post(Pending())
            try:
                await self.fetch()
            except Exception:
                log.exception("catch-up failed")

    async def poll_heads(self) -> None:
        """Ask every peer for its head; note its height and whether it answered."""
        was_up = [p.up for p in self._peers]
        heads = await asyncio.gather(*(p.get("/v1/head") for p in self._peers))
        for peer, head, before in zip(self._peers, heads, was_up, strict=True):
            height = head.get("height") if isinstance(head, dict) else None
            if isinstance(height, int) and not isinstance(height, bool) and height >= 0:
                peer.height = height
            if peer.up and not before:
                txs = self._mempool.take(self._relay_limit)
                self._outbox.put(peer.name, TX_PATH, (tx.canonical_bytes() for tx in txs))

    async def fetch(self) -> None:
        """Fetch blocks from usable peers ahead until none is, or nothing was stored."""
        while True:
            mine = self._store.height()
            ahead = [p for p in self.usable() if p.height > mine]
            if not ahead:
                return
            peer = max(ahead, key=lambda p: p.height)
            page = await peer.get("/peer/blocks", {"from": mine + 1, "limit": SYNC_PAGE})
            items = page.get("blocks") if isinstance(page, dict) else None
            if not isinstance(items, list) or not items:
                self.avoid(peer.name)
                continue
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._post(Fetched(peer.name, items, done))
            await done
            if self._store.height() == mine:
                return
