"""The node's consensus task: one queue of typed events feeds the sans-IO ``Driver``, and
each ``Ready`` it returns is performed here, in the order ``nodes.consensus.ready``
gives. This task is the only writer of the store and of the vote log.

Promises:
- Our votes (and the proposal we lock on) are written to the vote log, fsynced, before
  anything of the same Ready is sent.
- An event is handled to the end (its Ready performed, the judgements and values it
  asked for fed back) before the next event is taken.
- Proposals are judged and values built with ``judge_block``/``build_block`` in a
  worker thread; what executing them gave is kept (``Executed``) for when the block is
  stored. A proposal whose roots differ from our execution's is refused, logged with
  both roots, counted, and recorded as a divergence. Fetched blocks are verified and
  stored by the ``Committer``; a peer that served a bad one is avoided.
- No event's failure (a bug) stops the task: it is logged with its trace.
"""

from __future__ import annotations

import asyncio
import logging
import time

from contracts.registry import Registry
from ledger.store.store import Store
from nodes.config import Limits
from nodes.consensus.actions import GetValue
from nodes.consensus.driver import Driver
from nodes.consensus.events import (
    Backlog,
    Event,
    PeerHeight,
    ProposalJudged,
    ResendTick,
    TimeoutFired,
    ValueBuilt,
)
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import Ready
from nodes.mempool import Mempool
from nodes.peer.wire import encode_proposal, encode_vote
from nodes.runtime.apply import Executed
from nodes.runtime.blocks import build_block, judge_block
from nodes.runtime.catch_up import CatchUp
from nodes.runtime.commit import Committer
from nodes.runtime.events import Fetched, Pending, RuntimeEvent
from nodes.runtime.evidence import EvidenceBook
from nodes.runtime.metrics import Metrics
from nodes.runtime.outbox import CONSENSUS_PATH, Outbox
from nodes.vote_log import VoteLog

log = logging.getLogger("provledger.node")

RESEND_INTERVAL = 1.0
EVENT_QUEUE_LIMIT = 10_000


class ConsensusLoop:
    """Drives ``driver`` for validator ``me`` and performs what it asks."""

    def __init__(
        self,
        driver: Driver,
        *,
        me: str,
        store: Store,
        registry: Registry,
        executed: Executed,
        mempool: Mempool,
        limits: Limits,
        vote_log: VoteLog,
        outbox: Outbox,
        committer: Committer,
        catch_up: CatchUp,
        evidence: EvidenceBook,
        metrics: Metrics,
    ) -> None:
        self.driver = driver
        self._me, self._store, self._mempool, self._limits = me, store, mempool, limits
        self._registry, self._executed = registry, executed
        self._vote_log, self._outbox, self._committer = vote_log, outbox, committer
        self._catch_up, self._evidence, self._metrics = catch_up, evidence, metrics
        self._events: asyncio.Queue[RuntimeEvent] = asyncio.Queue()

    # ---- the queue ------------------------------------------------------------------

    def post(self, event: RuntimeEvent) -> None:
        """Queue ``event``."""
        self._events.put_nowait(event)

    def offer(self, event: RuntimeEvent) -> bool:
        """Queue a peer's message unless the queue is full (gossip sends it again if
        it matters); whether it was queued."""
        if self._events.qsize() >= EVENT_QUEUE_LIMIT:
            return False
        self._events.put_nowait(event)
        return True

    async def run(self) -> None:
        """Handle queued events, forever."""
        while True:
            event = await self._events.get()
            try:
                await self.handle(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug: log it with its trace, keep the node running
                log.exception("consensus event %s failed", type(event).__name__)

    async def resend(self) -> None:
        """Post a ``ResendTick`` every ``RESEND_INTERVAL`` seconds, forever."""
        while True:
            await asyncio.sleep(RESEND_INTERVAL)
            self.post(ResendTick())

    # ---- one event --------------------------------------------------------------------

    async def handle(self, event: RuntimeEvent) -> None:
        """Handle ``event`` to the end: perform its Ready and feed back what it asked
        for, depth first."""
        work: list[RuntimeEvent] = [event]
        while work:
            match work.pop(0):
                case Pending():
                    more: list[RuntimeEvent] = list(self._facts())
                case Fetched() as fetched:
                    more = [*await self._sync(fetched), *self._facts()]
                case driver_event:
                    more = list(await self._perform(self.driver.step(driver_event)))
            work[0:0] = more

    def _facts(self) -> list[Event]:
        """What the driver needs to know to start a height: peers' heights, backlog."""
        return [PeerHeight(self._catch_up.peer_height()), Backlog(len(self._mempool))]

    async def _perform(self, ready: Ready) -> list[Event]:
        if ready.persist_votes or ready.persist_locks:
            await asyncio.to_thread(self._persist, ready)
        if ready.send:
            if any(isinstance(m, SignedProposal) for m in ready.send):
                wires = await asyncio.to_thread(_encode_all, ready.send)
            else:
                wires = _encode_all(ready.send)
            self._outbox.broadcast(CONSENSUS_PATH, wires)
        follow: list[Event] = []
        for decision in ready.decisions:
            await self._committer.decided(decision)
        if ready.decisions:
            follow += self._facts()
        loop = asyncio.get_running_loop()
        for t in ready.timeouts:
            loop.call_later(t.delay, self.post, TimeoutFired(t.height, t.round, t.step))
        for e in ready.evidence:
            if self._evidence.record(e.first, e.second):
                self._metrics.evidence.inc()
        for p in ready.judge:
            follow.append(ProposalJudged(p, await self._judge(p)))
        for get in ready.build:
            follow.append(await self._build(get))
        return follow

    def _persist(self, ready: Ready) -> None:
        """Write (and fsync) the lock proposal, then our votes, to the vote log."""
        for sp in ready.persist_locks:
            self._vote_log.record_lock(_encode(sp))
        for vote in ready.persist_votes:
            log.debug(
                "cast %s h=%d r=%d %s",
                vote.type.value,
                vote.height,
                vote.round,
                (vote.block_hash or "nil")[:8],
            )
            self._vote_log.record(vote)

    async def _judge(self, p: Proposal) -> bool:
        t0 = time.monotonic()
        block = p.value
        verdict = await asyncio.to_thread(
            judge_block,
            self._store,
            self._registry,
            self._mempool,
            block,
            self._limits.max_block_transactions,
        )
        log.debug(
            "proposal h=%d r=%d: %d txs judged in %.0f ms",
            p.height,
            p.round,
            len(block.transactions),
            1000 * (time.monotonic() - t0),
        )
        if verdict.divergence:
            self._metrics.divergences.inc()
            self._evidence.diverged(p.height, p.round, block.header, verdict.divergence)
        elif verdict.reason is not None:
            log.warning("proposal h=%d r=%d refused: %s", p.height, p.round, verdict.reason)
        if verdict.effects is not None:
            self._executed.put(block.header.block_hash, verdict.effects)
        return verdict.reason is None

    async def _build(self, get: GetValue) -> ValueBuilt:
        t0 = time.monotonic()
        block, effects = await asyncio.to_thread(
            build_block,
            self._store,
            self._registry,
            self._mempool,
            self._me,
            self._limits.max_block_transactions,
            self._limits.max_body_bytes // 2,
        )
        self._executed.put(block.header.block_hash, effects)
        log.debug(
            "proposing h=%d r=%d: %d txs, built in %.0f ms",
            get.height,
            get.round,
            len(block.transactions),
            1000 * (time.monotonic() - t0),
        )
        return ValueBuilt(get.height, get.round, block, block.header.block_hash)

    async def _sync(self, fetched: Fetched) -> list[Event]:
        try:
            synced, refused = await self._committer.synced(fetched.items)
            if refused is not None:
                self._catch_up.avoid(fetched.peer)
                log.warning("peer %s served a bad block; refused: %s", fetched.peer, refused)
            return list(synced)
        finally:
            if not fetched.done.done():
                fetched.done.set_result(None)


def _encode(sp: SignedProposal) -> bytes:
    if sp.signature is None:
        raise ValueError("a node sends only signed proposals")
    return encode_proposal(sp.proposal, sp.signature)


def _encode_all(messages: tuple[SignedProposal | SignedVote, ...]) -> list[bytes]:
    return [
        encode_vote(m.vote, m.cosignature) if isinstance(m, SignedVote) else _encode(m)
        for m in messages
    ]
