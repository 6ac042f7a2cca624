"""One validator node at run time.

A single consensus task owns the ``Machine`` and the store's writes: every event
(proposal, vote, timeout, transactions available, blocks fetched by catch-up) goes
through one queue, and the actions it causes are performed in order. Network sends go
through per-peer outboxes so a slow or dead peer never blocks consensus.

Promises:
- A vote is written to the vote log (fsynced) before it is sent.
- A precommit for a block is counted only with its signer's valid cosignature of that
  block's checkpoint, so every decided block gets a checkpoint cosigned by a quorum.
- A block fetched from a peer is stored only after full verification (transactions'
  signatures and admission, then the store's checks of chain, roots, certificate and
  checkpoint); a peer serving a bad block is logged and avoided for a while.
- A transaction is reported ``committed`` only once its block is stored on at least a
  quorum of nodes (this one, plus peers that said so).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from contracts.membership import CONTRACT as MEMBERSHIP
from contracts.membership import Roster, current_roster
from contracts.registry import BlockEffects, default_registry
from ledger.checkpoint import assemble_checkpoint, checkpoint_of_header, cosign, verify_cosignature
from ledger.errors import LedgerError, NotFoundError, StoreError, ValidationError
from ledger.keys import read_key_file
from ledger.model.block import Block, BlockHeader
from ledger.model.evidence import Equivocation
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.store.store import Store
from nodes.bootstrap import load_genesis
from nodes.config import NodeConfig
from nodes.consensus import actions as act
from nodes.consensus.machine import Machine, Params
from nodes.consensus.proposal import Proposal
from nodes.mempool import Mempool, Refused
from nodes.peer.client import PeerClient
from nodes.peer.wire import (
    Committed,
    ProposalMessage,
    VoteMessage,
    batch_body,
    decode,
    encode_committed,
    encode_proposal,
    encode_vote,
    sign_proposal,
    verify_proposal,
)
from nodes.refusals import RefusalKind
from nodes.runtime.apply import StoreView, store_block
from nodes.runtime.blocks import build_block, judge_block
from nodes.runtime.metrics import Metrics
from nodes.vote_log import VoteLog

log = logging.getLogger("provledger.node")

SYNC_PAGE = 20
CONSENSUS_PATH = "/peer/consensus"
TX_PATH = "/peer/transactions"
POLL_INTERVAL = 0.5
RESEND_INTERVAL = 1.0
OUTBOX_LIMIT = 20_000
BAD_PEER_PAUSE = 10.0
REFUSED_MEMORY = 10_000
EVENT_QUEUE_LIMIT = 10_000


class Node:
    """A validator node: its store, mempool, consensus and peers."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.genesis = load_genesis(config.genesis)
        self.chain_id = self.genesis.chain_id
        self.key = read_key_file(config.node_key)
        me = next((v for v in self.genesis.validators if v.key_id == self.key.key_id), None)
        if me is None:
            raise ValidationError(f"{config.node_key}: this key is not a validator in genesis")
        self.name = me.name
        self.validators = self.genesis.validator_set()
        self.store = Store.create(config.database, self.genesis)
        self.registry = default_registry(self.genesis)
        self.mempool = Mempool(
            self.genesis, self.registry, self.store.committed_among, config.limits.mempool
        )
        self.refresh_members()
        self.vote_log = VoteLog(config.votes)
        self.evidence_path = Path(config.votes).with_name("evidence.jsonl")
        self.params = Params(
            tuple(v.key_id for v in self.genesis.validators), **_timeouts(config.timeouts)
        )
        _check_peers(config, self.genesis.validators, self.name)
        self.peers = [PeerClient(p.name, p.url, self.key, self.chain_id) for p in config.peers]
        self.metrics = Metrics()
        self.evidence: list[Equivocation] = []
        self.machine: Machine | None = None
        self._events: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._outbox: dict[tuple[str, str], asyncio.Queue[Any]] = {}
        self._headers: dict[str, BlockHeader] = {}
        self._cosigs: dict[tuple[str, str], str] = {}
        self._parked: dict[str, list[VoteMessage]] = {}
        self._signed: dict[tuple[int, int], ProposalMessage] = {}
        self._judged: set[tuple[int, int, str]] = set()
        self._heard: dict[tuple[int, int, str, str], list[VoteMessage]] = {}
        self._refused: OrderedDict[str, str] = OrderedDict()
        self._admitted_at: dict[bytes, float] = {}
        self._bad_until: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._committed = asyncio.Condition()
        self._last_progress = time.monotonic()

    # ---- life cycle ------------------------------------------------------------

    async def start(self) -> None:
        """Restore consensus from the store and vote log and start the tasks."""
        height = self.store.height() + 1
        self.machine = Machine(
            self.params, self.key.key_id, self._sign, height, self.vote_log.load()
        )
        for peer in self.peers:
            for path in (CONSENSUS_PATH, TX_PATH):
                self._outbox[(peer.name, path)] = asyncio.Queue()
                self._tasks.append(asyncio.create_task(self._sender(peer, path)))
        self._tasks.append(asyncio.create_task(self._consensus()))
        self._tasks.append(asyncio.create_task(self._poller()))
        self._tasks.append(asyncio.create_task(self._resender()))
        log.info("node %s started at height %d", self.name, height - 1)

    async def stop(self) -> None:
        """Stop the tasks and close the store, vote log and connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for peer in self.peers:
            await peer.close()
        self.vote_log.close()
        self.store.close()
        log.info("node %s stopped", self.name)

    # ---- what the API calls ------------------------------------------------------

    async def submit(self, items: Sequence[Any], *, relay: bool = True) -> list[str | Refused]:
        """Admit client transactions (decoded JSON objects); relay the admitted ones to
        peers; per item the tx id or why it was refused."""
        results = await asyncio.to_thread(self.mempool.admit_many, list(items))
        admitted, now = [], time.monotonic()
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Refused):
                self.metrics.refused_transactions += 1
                if result.kind is not RefusalKind.DUPLICATE:
                    self._remember_refusal(item, result)
                continue
            tx = self.mempool.get(bytes.fromhex(result))
            if tx is not None:
                admitted.append(tx.canonical_bytes())
            if relay:
                self._admitted_at[bytes.fromhex(result)] = now
        if admitted:
            if relay:
                self._broadcast(TX_PATH, admitted)
            self._events.put_nowait(("txs",))
        return results

    def receive(self, message: ProposalMessage | VoteMessage | Committed, sender: str) -> None:
        """Take one authenticated consensus message from peer ``sender`` (key id)."""
        if isinstance(message, Committed):
            # Believed only up to the block we are deciding: a peer's claim to be further
            # ahead is checked by polling its head and fetching the blocks.
            if message.height <= self.store.height() + 1:
                name = self.validators.names.get(sender)
                for peer in self.peers:
                    if peer.name == name:
                        peer.height = max(peer.height, message.height)
            return
        if self._events.qsize() >= EVENT_QUEUE_LIMIT:
            self.metrics.dropped_messages += 1  # gossip sends it again if it matters
            return
        self._events.put_nowait(("message", message))

    def status(self, tx_id: str) -> dict[str, Any]:
        """Where transaction ``tx_id`` stands; ``NotFoundError`` if this node never saw it."""
        try:
            where = self.store.locate(tx_id)
        except NotFoundError:
            if bytes.fromhex(tx_id) in self.mempool:
                return {"tx_id": tx_id, "status": "pending"}
            if tx_id in self._refused:
                return {"tx_id": tx_id, "status": "rejected", "reason": self._refused[tx_id]}
            raise
        stored_on = self.stored_on(where.height)
        out: dict[str, Any] = {
            "tx_id": tx_id,
            "height": where.height,
            "log_index": where.log_index,
            "stored_on": stored_on,
        }
        if stored_on < self.validators.threshold:
            out.update(
                status="pending",
                detail=f"stored on {stored_on} node(s); committed at {self.validators.threshold}",
            )
            return out
        rejected = self.store.state("ledger", f"rejected/{tx_id}")
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
            async with self._committed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._committed.wait(), min(left, 0.5))

    def stored_on(self, height: int) -> int:
        """How many nodes (this one included) are known to store block ``height``."""
        mine = 1 if self.store.height() >= height else 0
        return mine + sum(1 for p in self.peers if p.height >= height)

    def gauges(self) -> dict[str, tuple[str, float]]:
        """The current values for /metrics."""
        m = self.machine
        return {
            "provledger_height": ("Height of the last stored block.", self.store.height()),
            "provledger_round": ("Consensus round at the current height.", m.round if m else 0),
            "provledger_mempool_size": ("Transactions waiting in the mempool.", len(self.mempool)),
            "provledger_peers_up": (
                "Peers that answered the last request.",
                sum(1 for p in self.peers if p.up),
            ),
            "provledger_peers": ("Peers configured.", len(self.peers)),
        }

    # ---- the consensus task ------------------------------------------------------

    async def _consensus(self) -> None:
        assert self.machine is not None
        while True:
            event = await self._events.get()
            try:
                await self._perform(await self._dispatch(event))
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug: log it with its trace, keep the node running
                log.exception("consensus event %s failed", event[0])

    async def _dispatch(self, event: tuple[Any, ...]) -> list[act.Action]:
        m = self.machine
        assert m is not None
        kind = event[0]
        if kind == "resume":
            out = m.resume()
            out += await self._restore_lock()
            return out + self._start_if_pending()
        if kind == "txs":
            return self._start_if_pending()
        if kind == "timeout":
            return m.on_timeout(*event[1:])
        if kind == "sync":
            return await self._sync(event[1], event[2], event[3])
        message = event[1]
        if isinstance(message, ProposalMessage):
            p = message.proposal
            if not self._in_window(p.height, p.round) or p.proposer != self.params.proposer(
                p.height, p.round
            ):
                return []
            if (p.height, p.round, p.value_id) in self._judged:
                return []  # a copy (re-sent or relayed) of one we already judged
            self._signed.setdefault((p.height, p.round), message)
            return await self._on_proposal(p)
        v = message.vote
        if self._in_window(v.height, v.round):
            kept = self._heard.setdefault((v.height, v.round, v.type.value, v.validator), [])
            if len(kept) < 2 and all(k.vote.block_hash != v.block_hash for k in kept):
                kept.append(message)  # the first vote, and one conflicting vote at most
        return self._on_vote(message)

    def _in_window(self, height: int, round: int) -> bool:
        """Whether a message at ``height``/``round`` is one the machine would keep."""
        m = self.machine
        assert m is not None
        top = m.round if height == m.height else 0
        return (
            m.height <= height <= m.height + self.params.height_window
            and 0 <= round <= top + self.params.round_window
        )

    async def _perform(self, actions: list[act.Action]) -> None:
        pending = list(reversed(actions))
        while pending:
            more = await self._do(pending.pop())
            pending.extend(reversed(more))

    async def _do(self, a: act.Action) -> list[act.Action]:
        m = self.machine
        assert m is not None
        if isinstance(a, act.ScheduleTimeout):
            event = ("timeout", a.height, a.round, a.step)
            asyncio.get_running_loop().call_later(a.delay, self._events.put_nowait, event)
            return []
        if isinstance(a, act.CastVote):
            return await self._cast(a.vote)
        if isinstance(a, act.BroadcastProposal):
            p = a.proposal
            signed = ProposalMessage(p, sign_proposal(self.key, self.chain_id, p))
            self._signed[(p.height, p.round)] = signed
            wire = await asyncio.to_thread(encode_proposal, p, signed.signature)
            self._broadcast(CONSENSUS_PATH, [wire])
            return self._learn(a.proposal.value.header)
        if isinstance(a, act.GetValue):
            t0 = time.monotonic()
            block = await asyncio.to_thread(
                build_block,
                self.store,
                self.mempool,
                self.key.key_id,
                self.config.limits.max_block_transactions,
                self.config.limits.max_body_bytes // 2,
            )
            self._headers[block.header.block_hash] = block.header
            log.debug(
                "proposing h=%d r=%d: %d txs, built in %.0f ms",
                a.height,
                a.round,
                len(block.transactions),
                1000 * (time.monotonic() - t0),
            )
            return m.on_value(a.height, a.round, block, block.header.block_hash)
        if isinstance(a, act.CheckProposal):
            return await self._on_proposal(a.proposal)
        if isinstance(a, act.Decide):
            await self._decide(a)
            return self._start_if_pending()
        if isinstance(a, act.ReportEvidence):
            self._record_evidence(a.first, a.second)
        return []

    def _start_if_pending(self) -> list[act.Action]:
        """Start the height's first round if transactions wait, unless a peer is known
        to be ahead: a node that is behind (restarted, or on a new disk) catches up
        before it proposes or votes, so it never votes at a height already decided."""
        m = self.machine
        assert m is not None
        now = time.monotonic()
        ahead = [
            p
            for p in self.peers
            if p.height >= m.height and p.up and self._bad_until.get(p.name, 0) < now
        ]
        if not len(self.mempool) or ahead:
            return []
        return m.on_transactions_available()

    def _sign(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        return Vote.signed(self.key, self.chain_id, height, round, type, value_id)

    async def _cast(self, vote: Vote) -> list[act.Action]:
        log.debug(
            "cast %s h=%d r=%d %s",
            vote.type.value,
            vote.height,
            vote.round,
            (vote.block_hash or "nil")[:8],
        )
        if vote.type is VoteType.PRECOMMIT and vote.block_hash is not None:
            locked = next(
                (s for s in self._signed.values() if s.proposal.value_id == vote.block_hash),
                None,
            )
            if locked is not None:
                wire = encode_proposal(locked.proposal, locked.signature)
                await asyncio.to_thread(self.vote_log.record_lock, wire)
        await asyncio.to_thread(self.vote_log.record, vote)
        self._broadcast(CONSENSUS_PATH, [encode_vote(vote, self._cosignature_for(vote))])
        return []

    async def _restore_lock(self) -> list[act.Action]:
        """After a restart: deliver the proposal we were locked on, if it is for the
        height we resume at (we may have to propose it again)."""
        m = self.machine
        assert m is not None
        raw = self.vote_log.load_lock()
        if raw is None:
            return []
        try:
            message = decode(json.loads(raw))
        except (ValueError, LedgerError) as exc:
            log.warning("kept lock proposal unreadable, ignored: %s", exc)
            return []
        if not isinstance(message, ProposalMessage) or message.proposal.height != m.height:
            return []
        try:
            if message.proposal.value.header.chain_id != self.chain_id:
                raise LedgerError("it is for another chain")
            verify_proposal(self.validators, self.chain_id, message)
        except LedgerError as exc:
            log.warning("kept lock proposal ignored: %s", exc)
            return []
        p = message.proposal
        self._signed.setdefault((p.height, p.round), message)
        return await self._on_proposal(p)

    def _own_cosignature(self, block_hash: str) -> str:
        key = (block_hash, self.key.key_id)
        if key not in self._cosigs:
            header = self._headers[block_hash]
            self._cosigs[key] = cosign(checkpoint_of_header(header), self.name, self.key)
        return self._cosigs[key]

    async def _on_proposal(self, p: Proposal) -> list[act.Action]:
        m = self.machine
        assert m is not None
        if p.height != m.height:
            return m.on_proposal(p, None)
        block: Block = p.value
        t0 = time.monotonic()
        reason = await asyncio.to_thread(
            judge_block, self.store, self.mempool, block, self.config.limits.max_block_transactions
        )
        log.debug(
            "proposal h=%d r=%d: %d txs judged in %.0f ms",
            p.height,
            p.round,
            len(block.transactions),
            1000 * (time.monotonic() - t0),
        )
        if reason is not None:
            log.warning("proposal h=%d r=%d refused: %s", p.height, p.round, reason)
        self._judged.add((p.height, p.round, p.value_id))
        out = m.on_proposal(p, reason is None)
        if reason is None:
            out += self._learn(block.header)
        return out

    def _learn(self, header: BlockHeader) -> list[act.Action]:
        """Remember a valid block's header; deliver precommits parked until now."""
        self._headers[header.block_hash] = header
        out: list[act.Action] = []
        for vm in self._parked.pop(header.block_hash, []):
            out += self._on_vote(vm)
        return out

    def _on_vote(self, vm: VoteMessage) -> list[act.Action]:
        m = self.machine
        assert m is not None
        vote = vm.vote
        if vote.type is VoteType.PRECOMMIT and vote.block_hash is not None:
            header = self._headers.get(vote.block_hash)
            if header is None:
                if vote.height >= m.height:
                    parked = self._parked.setdefault(vote.block_hash, [])
                    if len(parked) < 4 * len(self.validators) and len(self._parked) < 256:
                        parked.append(vm)
                return []
            name = self.validators.names[vote.validator]
            try:
                if vm.cosignature is None:
                    raise LedgerError("precommit without a checkpoint cosignature")
                verify_cosignature(
                    checkpoint_of_header(header),
                    vm.cosignature,
                    name,
                    self.validators.keys[vote.validator],
                )
            except LedgerError as exc:
                log.warning("precommit of %s for h=%d ignored: %s", name, vote.height, exc)
                return []
            self._cosigs[(vote.block_hash, vote.validator)] = vm.cosignature
        return m.on_vote(vote)

    async def _decide(self, d: act.Decide) -> None:
        block: Block = d.value
        header = block.header
        if header.height <= self.store.height():
            return  # already stored by catch-up
        certificate = CommitCertificate.from_votes(list(d.precommits))
        lines = []
        for v in d.precommits:
            if v.validator == self.key.key_id:
                lines.append(self._own_cosignature(d.value_id))
            elif (d.value_id, v.validator) in self._cosigs:
                lines.append(self._cosigs[(d.value_id, v.validator)])
        note = assemble_checkpoint(checkpoint_of_header(header), lines)
        t0 = time.monotonic()
        effects = await asyncio.to_thread(self._store_block, block, certificate, note)
        log.debug(
            "decided h=%d r=%d; stored in %.0f ms",
            header.height,
            d.round,
            1000 * (time.monotonic() - t0),
        )
        await self._after_commit(block, effects, synced=False)

    def _store_block(self, block: Block, certificate: CommitCertificate, note: str) -> BlockEffects:
        """Store a decided block (in a worker thread); if it changed the roster, admit the
        new roster's senders in the same call, before consensus moves to the next height
        (a status query may see the block a moment before)."""
        effects = store_block(self.store, self.registry, block, certificate, note)
        if any(w.contract == MEMBERSHIP for w in effects.writes):
            self.refresh_members()
        return effects

    def roster(self) -> Roster:
        """The organisations as of the stored head (what the next block admits)."""
        return current_roster(StoreView(self.store), self.genesis)

    def refresh_members(self) -> None:
        """Admit the senders of the stored roster (after start, or a membership change)."""
        dropped = self.mempool.set_members(self.roster().members())
        if dropped:
            log.info("membership changed: %d pending transactions no longer allowed", dropped)

    async def _after_commit(self, block: Block, effects: BlockEffects, *, synced: bool) -> None:
        header = block.header
        ids = [tx.tx_id_bytes for tx in block.transactions]
        self.mempool.remove(ids)
        now = time.monotonic()
        for tx_id in ids:
            started = self._admitted_at.pop(tx_id, None)
            if started is not None:
                self.metrics.commit_latency.observe(now - started)
        self.metrics.committed_blocks += 1
        self.metrics.committed_transactions += len(ids)
        if synced:
            self.metrics.synced_blocks += 1
        self._last_progress = now
        self._headers = {k: h for k, h in self._headers.items() if h.height > header.height}
        self._cosigs = {k: c for k, c in self._cosigs.items() if k[0] in self._headers}
        self._parked.clear()
        self._signed = {k: v for k, v in self._signed.items() if k[0] > header.height}
        self._heard = {k: v for k, v in self._heard.items() if k[0] > header.height}
        self._judged = {k for k in self._judged if k[0] > header.height}
        if header.height % 16 == 0:
            await asyncio.to_thread(self.vote_log.prune, header.height + 1)
        self._broadcast(CONSENSUS_PATH, [encode_committed(header.height)])
        async with self._committed:
            self._committed.notify_all()
        log.info(
            "stored block %d (%d txs, %d rejected by contracts)%s",
            header.height,
            header.tx_count,
            len(effects.rejected),
            " from catch-up" if synced else "",
        )

    def _record_evidence(self, first: Vote, second: Vote) -> None:
        evidence = Equivocation(first, second)
        try:
            evidence.verify(self.validators, self.chain_id)
        except LedgerError as exc:  # cannot happen for verified votes; never store it
            log.error("evidence does not verify: %s", exc)
            return
        self.evidence.append(evidence)
        self.metrics.evidence += 1
        with open(self.evidence_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(evidence.to_dict()) + "\n")
        name = self.validators.names.get(first.validator, first.validator[:16])
        log.error("EQUIVOCATION by %s at height %d round %d", name, first.height, first.round)

    # ---- catch-up ----------------------------------------------------------------

    async def _poller(self) -> None:
        """Learn peers' heights; fetch and store blocks we lack. Consensus resumes
        only after the first round of asking, so a node that is behind knows it."""
        first = True
        while True:
            if not first:
                await asyncio.sleep(POLL_INTERVAL)
            try:
                await self._poll_heads()
            except Exception:  # a bug or a peer's strange answer: log it, keep polling
                log.exception("polling peers failed")
            if first:
                first = False
                self._events.put_nowait(("resume",))
            try:
                await self._catch_up()
            except Exception:
                log.exception("catch-up failed")

    async def _poll_heads(self) -> None:
        """Each peer's height is what its head says now (it may go down: a peer restarted
        on an empty disk no longer stores what it did)."""
        was_up = [p.up for p in self.peers]
        heads = await asyncio.gather(*(p.get("/v1/head") for p in self.peers))
        for peer, head, before in zip(self.peers, heads, was_up, strict=True):
            height = head.get("height") if isinstance(head, dict) else None
            if isinstance(height, int) and not isinstance(height, bool) and height >= 0:
                peer.height = height
            if peer.up and not before:
                self._relay_pending(peer)

    def _relay_pending(self, peer: PeerClient) -> None:
        """A peer came back: send it what is pending here, which it may have missed."""
        box = self._outbox[(peer.name, TX_PATH)]
        for tx in self.mempool.take(self.config.limits.mempool):
            if box.qsize() >= OUTBOX_LIMIT:
                break
            box.put_nowait(tx.canonical_bytes())

    async def _catch_up(self) -> None:
        now = time.monotonic()
        while True:
            mine = self.store.height()
            ahead = [
                p
                for p in self.peers
                if p.height > mine and p.up and self._bad_until.get(p.name, 0) < now
            ]
            if not ahead:
                return
            peer = max(ahead, key=lambda p: p.height)
            page = await peer.get("/peer/blocks", {"from": mine + 1, "limit": SYNC_PAGE})
            items = page.get("blocks") if isinstance(page, dict) else None
            if not isinstance(items, list) or not items:
                self._bad_until[peer.name] = now + BAD_PEER_PAUSE
                continue
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._events.put_nowait(("sync", peer.name, items, done))
            await done
            if self.store.height() == mine:
                return

    async def _sync(
        self, peer: str, items: list[Any], done: asyncio.Future[None]
    ) -> list[act.Action]:
        m = self.machine
        assert m is not None
        out: list[act.Action] = []
        try:
            for item in items:
                try:
                    block, certificate, note = _decode_synced(item)
                    if block.header.height <= self.store.height():
                        continue
                    reason = await asyncio.to_thread(
                        self.mempool.check_block, list(block.transactions)
                    )
                    if reason is not None:
                        raise StoreError(f"block {block.header.height} refused: {reason}")
                    effects = await asyncio.to_thread(self._store_block, block, certificate, note)
                except Exception as exc:  # whatever a bad block raises, the peer is refused
                    self.metrics.refused_sync_blocks += 1
                    self._bad_until[peer] = time.monotonic() + BAD_PEER_PAUSE
                    log.warning("peer %s served a bad block; refused: %s", peer, exc)
                    break
                await self._after_commit(block, effects, synced=True)
                out += m.on_synced(block.header.height, block.header.block_hash)
            out += self._start_if_pending()
        finally:
            if not done.done():
                done.set_result(None)
        return out

    # ---- sending -------------------------------------------------------------------

    def _broadcast(self, path: str, messages: list[bytes]) -> None:
        for peer in self.peers:
            box = self._outbox[(peer.name, path)]
            for msg in messages:
                if box.qsize() < OUTBOX_LIMIT:
                    box.put_nowait(msg)

    async def _sender(self, peer: PeerClient, path: str) -> None:
        """Send what is queued for ``peer`` on ``path``, batching what piled up, each
        request under half the body limit and the batch limit."""
        box = self._outbox[(peer.name, path)]
        key = "transactions" if path == TX_PATH else "messages"
        budget, most = self.config.limits.max_body_bytes // 2, self.config.limits.max_batch
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

    async def _resender(self) -> None:
        """When nothing was stored lately, send our proposal and votes at the current
        height again, and relay what we heard there for the rounds that can still
        matter (current, previous, valid and locked round): a peer that lost them, or
        restarted, gets them, so rounds can finish (the gossip Algorithm 1 assumes)."""
        while True:
            await asyncio.sleep(RESEND_INTERVAL)
            m = self.machine
            if m is None or time.monotonic() - self._last_progress < RESEND_INTERVAL:
                continue
            rounds = {m.round, m.round - 1, m.valid_round, m.locked_round}
            wires = [
                encode_proposal(s.proposal, s.signature)
                for (h, r), s in self._signed.items()
                if h == m.height and r in rounds
            ]
            for msg in m.own_messages():
                if isinstance(msg, Vote):
                    wires.append(encode_vote(msg, self._cosignature_for(msg)))
            for (h, r, *_), kept in self._heard.items():
                if h == m.height and r in rounds:
                    wires.extend(encode_vote(vm.vote, vm.cosignature) for vm in kept)
            self._broadcast(CONSENSUS_PATH, wires)

    def _cosignature_for(self, vote: Vote) -> str | None:
        if vote.type is VoteType.PRECOMMIT and vote.block_hash in self._headers:
            return self._own_cosignature(vote.block_hash)
        return None

    def _remember_refusal(self, item: Any, refused: Refused) -> None:
        tx_id = _tx_id_of(item)
        if tx_id is not None:
            self._refused[tx_id] = refused.detail
            while len(self._refused) > REFUSED_MEMORY:
                self._refused.popitem(last=False)


def _check_peers(config: NodeConfig, validators: Any, me: str) -> None:
    """Every configured peer is another validator of genesis, named once."""
    names = [p.name for p in config.peers]
    known = {v.name for v in validators} - {me}
    wrong = [n for n in names if n not in known]
    if wrong or len(set(names)) != len(names):
        raise ValidationError(
            f"node config peers: each must be another validator of genesis, once "
            f"({', '.join(sorted(known))}); got {', '.join(names)}"
        )


def _decode_synced(item: Any) -> tuple[Block, CommitCertificate, str]:
    note = item["checkpoint"]
    if not isinstance(note, str):
        raise ValidationError("checkpoint: expected a string")
    return Block.from_dict(item["block"]), CommitCertificate.from_dict(item["certificate"]), note


def _tx_id_of(item: Any) -> str | None:
    try:
        return SignedTransaction.from_dict(item).tx_id
    except (LedgerError, TypeError, RecursionError):
        return None


def _timeouts(values: dict[str, float]) -> dict[str, float]:
    allowed = {"propose_timeout", "propose_delta", "vote_timeout", "vote_delta"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(f"node config.timeouts: unknown {', '.join(sorted(unknown))}")
    return dict(values)
