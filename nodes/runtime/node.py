"""One validator node at run time: its store, mempool, consensus and peers.

The node only wires its parts, each with one job: the consensus loop drives the sans-IO
``Driver`` (``consensus_loop``), the outbox sends to peers (``outbox``), catch-up polls
peers and fetches blocks (``catch_up``), the committer stores blocks (``commit``), and
``tx_status`` answers where a transaction stands.

Promises:
- A vote is written to the vote log (fsynced) before it is sent.
- A precommit for a block is counted only with its signer's valid cosignature of that
  block's checkpoint, so every decided block gets a checkpoint cosigned by a quorum.
- A block fetched from a peer is stored only after full verification; a peer serving a
  bad block is logged and avoided for a while.
- A transaction is reported ``committed`` only once its block is stored on at least a
  quorum of nodes (this one, plus peers that said so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from contracts.membership import Roster, current_roster
from contracts.registry import default_registry
from ledger.errors import ValidationError
from ledger.keys import read_key_file
from ledger.model.evidence import Equivocation
from ledger.store.store import Store
from nodes.bootstrap import load_genesis
from nodes.config import NodeConfig
from nodes.consensus.driver import Driver
from nodes.consensus.events import Received
from nodes.consensus.machine import Params
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.view import ConsensusView
from nodes.divergence import Divergence
from nodes.mempool import Mempool, Refused
from nodes.peer.client import PeerClient
from nodes.peer.wire import Committed, ProposalMessage, VoteMessage
from nodes.refusals import RefusalKind
from nodes.runtime.apply import Executed, StoreView
from nodes.runtime.catch_up import CatchUp
from nodes.runtime.commit import Committer
from nodes.runtime.consensus_loop import ConsensusLoop
from nodes.runtime.events import Pending
from nodes.runtime.evidence import EvidenceBook
from nodes.runtime.keys import NodeKeys
from nodes.runtime.metrics import Metrics
from nodes.runtime.outbox import TX_PATH, Outbox
from nodes.runtime.restore import kept_locks
from nodes.runtime.tx_status import TxStatus
from nodes.vote_log import VoteLog

log = logging.getLogger("provledger.node")


class Node:
    """A validator node: its store, mempool, consensus and peers."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.genesis = load_genesis(config.genesis)
        self.chain_id = self.genesis.chain_id
        key = read_key_file(config.node_key)
        me = next((v for v in self.genesis.validators if v.key_id == key.key_id), None)
        if me is None:
            raise ValidationError(f"{config.node_key}: this key is not a validator in genesis")
        self.name = me.name
        self.validators = self.genesis.validator_set()
        self.store = Store.create(config.database, self.genesis)
        self.store.check_integrity()  # a damaged head refuses the start, naming the fault
        self.registry = default_registry(self.genesis)
        self.mempool = Mempool(
            self.genesis,
            self.registry,
            self.store.committed_among,
            config.limits.mempool,
            created_at_window=timedelta(seconds=config.limits.created_at_window_seconds),
        )
        self.refresh_members()
        _check_peers(config, self.genesis.validators, self.name)
        self.peers = [PeerClient(p.name, p.url, key, self.chain_id) for p in config.peers]
        self.metrics = Metrics(self.gauges)
        self.txs = TxStatus(self.store, self.mempool, self.validators.threshold, self.stored_on)
        self.outbox = Outbox(self.peers, config.limits)
        self._votes = VoteLog(config.votes)
        self._evidence = EvidenceBook(
            Path(config.votes).with_name("evidence.jsonl"), self.validators, self.chain_id
        )
        params = _params(tuple(v.key_id for v in self.genesis.validators), config.timeouts)
        height = self.store.height() + 1
        driver = Driver(
            params,
            key.key_id,
            NodeKeys(key, self.name, self.chain_id, self.validators),
            height,
            self._votes.load(),
            kept_locks(self._votes, self.validators, self.chain_id, height),
        )
        executed = Executed()
        committer = Committer(
            self.store,
            self.registry,
            self.mempool,
            self._votes,
            self.outbox,
            self.metrics,
            self.txs,
            self.refresh_members,
            executed,
        )
        self.catch_up = CatchUp(
            self.peers,
            self.store,
            self.mempool,
            self.outbox,
            config.limits.mempool,
            lambda event: self.consensus.post(event),
        )
        self.consensus = ConsensusLoop(
            driver,
            me=key.key_id,
            store=self.store,
            registry=self.registry,
            executed=executed,
            mempool=self.mempool,
            limits=config.limits,
            vote_log=self._votes,
            outbox=self.outbox,
            committer=committer,
            catch_up=self.catch_up,
            evidence=self._evidence,
            metrics=self.metrics,
        )
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def divergences(self) -> list[Divergence]:
        """Proposals whose roots differed from this node's execution."""
        return self._evidence.divergences

    @property
    def evidence(self) -> list[Equivocation]:
        """The equivocations this node caught (each verifies)."""
        return self._evidence.items

    # ---- life cycle ------------------------------------------------------------

    async def start(self) -> None:
        """Start sending, polling and consensus (which resumes after the first poll)."""
        self._tasks = [
            *self.outbox.tasks(),
            asyncio.create_task(self.consensus.run()),
            asyncio.create_task(self.catch_up.run()),
            asyncio.create_task(self.consensus.resend()),
        ]
        log.info("node %s started at height %d", self.name, self.store.height())

    async def stop(self) -> None:
        """Stop the tasks and close the store, vote log and connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.close()
        log.info("node %s stopped", self.name)

    async def close(self) -> None:
        """Close the connections, vote log and store (``stop`` does it too)."""
        for peer in self.peers:
            await peer.close()
        self._votes.close()
        self.store.close()

    # ---- what the API calls ------------------------------------------------------

    async def submit(self, items: Sequence[Any], *, relay: bool = True) -> list[str | Refused]:
        """Admit client transactions (decoded JSON objects); relay the admitted ones to
        peers; per item the tx id or why it was refused."""
        results = await asyncio.to_thread(self.mempool.admit_many, list(items))
        admitted, now = [], time.monotonic()
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Refused):
                self.metrics.refused_transactions.inc()
                if result.kind is not RefusalKind.DUPLICATE:
                    self.txs.refused(item, result)
                continue
            tx = self.mempool.get(bytes.fromhex(result))
            if tx is not None:
                admitted.append(tx.canonical_bytes())
            if relay:
                self.txs.admitted(bytes.fromhex(result), now)
        if admitted:
            if relay:
                self.outbox.broadcast(TX_PATH, admitted)
            self.consensus.post(Pending())
        return results

    def receive(self, message: ProposalMessage | VoteMessage | Committed, sender: str) -> None:
        """Take one authenticated consensus message from peer ``sender`` (key id)."""
        if isinstance(message, Committed):
            # Believed only up to the block we are deciding: a peer's claim to be further
            # ahead is checked by polling its head and fetching the blocks.
            if message.height <= self.store.height() + 1:
                name = self.validators.names.get(sender)
                for peer in self.peers:
                    if peer.name == name and message.height > peer.height:
                        peer.height = message.height
                        self.txs.changed()  # a block may now be stored on a quorum
            return
        if isinstance(message, ProposalMessage):
            event = Received(SignedProposal(message.proposal, message.signature))
        else:
            event = Received(SignedVote(message.vote, message.cosignature))
        if not self.consensus.offer(event):
            self.metrics.dropped_messages.inc()  # gossip sends it again if it matters

    def status(self, tx_id: str) -> dict[str, Any]:
        """Where transaction ``tx_id`` stands; ``NotFoundError`` if this node never saw it."""
        return self.txs.status(tx_id)

    async def wait_committed(self, tx_id: str, timeout: float) -> dict[str, Any]:
        """``status`` once committed or rejected, or when ``timeout`` seconds pass."""
        return await self.txs.wait_committed(tx_id, timeout)

    def stored_on(self, height: int) -> int:
        """How many nodes (this one included) are known to store block ``height``."""
        mine = 1 if self.store.height() >= height else 0
        return mine + sum(1 for p in self.peers if p.height >= height)

    def consensus_view(self) -> ConsensusView:
        """Where consensus stands: height being decided, round, step, locked round."""
        return self.consensus.driver.view()

    def gauges(self) -> dict[str, tuple[str, float]]:
        """The current values for /metrics."""
        return {
            "provledger_height": ("Height of the last stored block.", self.store.height()),
            "provledger_round": (
                "Consensus round at the current height.",
                self.consensus_view().round,
            ),
            "provledger_mempool_size": ("Transactions waiting in the mempool.", len(self.mempool)),
            "provledger_peers_up": (
                "Peers that answered the last request.",
                sum(1 for p in self.peers if p.up),
            ),
            "provledger_peers": ("Peers configured.", len(self.peers)),
        }

    def roster(self) -> Roster:
        """The organisations as of the stored head (what the next block admits)."""
        return current_roster(StoreView(self.store), self.genesis)

    def refresh_members(self) -> None:
        """Admit the senders of the stored roster (after start, or a membership change)."""
        dropped = self.mempool.set_members(self.roster().members())
        if dropped:
            log.info("membership changed: %d pending transactions no longer allowed", dropped)


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


def _params(validators: tuple[str, ...], timeouts: dict[str, float]) -> Params:
    """Consensus parameters with the timeouts of the node config (seconds)."""
    allowed = {"propose_timeout", "propose_delta", "vote_timeout", "vote_delta"}
    unknown = set(timeouts) - allowed
    if unknown:
        raise ValidationError(f"node config.timeouts: unknown {', '.join(sorted(unknown))}")
    d = Params(validators)
    return Params(
        validators,
        propose_timeout=timeouts.get("propose_timeout", d.propose_timeout),
        propose_delta=timeouts.get("propose_delta", d.propose_delta),
        vote_timeout=timeouts.get("vote_timeout", d.vote_timeout),
        vote_delta=timeouts.get("vote_delta", d.vote_delta),
    )
