"""A simulated correct validator: the consensus ``Driver`` (the very class a node
runs), its disk, and the runtime that performs the driver's ``Ready`` records over the
simulated network.

Promises:
- Each Ready is performed in the order ``nodes.consensus.ready`` gives: the votes and
  locked proposals it asks to persist are on the disk before anything is sent, so a
  restart (``boot`` again) can never make the validator vote twice at one (height,
  round, step), and it can propose its locked value again.
- The disk holds only what survives a crash: the decided values with their precommits,
  the votes cast at undecided heights, and the proposals the driver asked to keep
  there. ``boot`` gives the driver those votes and proposals, then ``Resume``.
- Transactions always wait (``Backlog(1)`` at boot and after every decision or sync),
  so every height starts; ``build`` is answered at once with ``make_value(height,
  round, index)`` and ``judge`` with ``is_valid``.
- Every ``Scenario.resend`` seconds the validator hands the driver a ``ResendTick`` and
  sends what it returns: after the network heals, the messages liveness needs reach
  every correct validator within ``resend + Delta`` (the gossip Algorithm 1 assumes).
- On any message from a height above its own it asks that sender (at most once per
  ``resend`` per height) for the decided values, and commits one only if it carries a
  quorum of precommits for it at that height (``certifies``) and the value is valid.
- It writes no consensus rule of its own: what it records beside the driver (the
  conflicting votes it was delivered, which the driver owes evidence for) only feeds
  the invariants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.model.vote import Vote, VoteType
from nodes.consensus.driver import Driver
from nodes.consensus.events import (
    Backlog,
    Event,
    ProposalJudged,
    Received,
    ResendTick,
    Resume,
    Synced,
    TimeoutFired,
    ValueBuilt,
)
from nodes.consensus.machine import Params
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import NOTHING, Ready
from nodes.simulator.identities import FAKE_SIGNATURE, Identities
from nodes.simulator.messages import SYNC_BATCH, Decided, SyncReply, SyncRequest, certifies
from nodes.simulator.network import TICK, TIMER, Network
from nodes.simulator.record import Decision, Log, Reported
from nodes.simulator.scenario import Scenario
from nodes.simulator.values import is_valid, is_valid_value, make_value

_MISSING = object()


@dataclass
class Context:
    """What every simulated validator of one run shares."""

    scenario: Scenario
    params: Params
    ids: Identities
    net: Network
    log: Log
    reached: Callable[[int], None]
    index_of: dict[str, int] = field(default_factory=dict)


@dataclass
class Disk:
    """What a validator keeps across a crash."""

    decided: dict[int, Decided] = field(default_factory=dict)
    votes: dict[int, list[Vote]] = field(default_factory=dict)
    locks: dict[int, list[Proposal]] = field(default_factory=dict)
    top: int = 0

    def persist(self, vote: Vote) -> None:
        """Store one of our votes durably."""
        self.votes.setdefault(vote.height, []).append(vote)

    def keep(self, proposal: Proposal) -> None:
        """Store the proposal of a value we precommit."""
        self.locks.setdefault(proposal.height, []).append(proposal)

    def commit(self, decided: Decided) -> None:
        """Store a decided value; what we kept for its height is no longer needed."""
        self.decided[decided.height] = decided
        self.top = max(self.top, decided.height)
        self.votes.pop(decided.height, None)
        self.locks.pop(decided.height, None)


class _Keys:
    """The simulator's ``Signing``: the validator's ``sign``; nothing else is signed,
    and every precommit's attachment is accepted."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def vote(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        return self._node.sign(height, round, type, value_id)

    def proposal(self, proposal: Proposal) -> bytes | None:
        return None

    def endorse(self, vote: Vote, value: Any) -> str | None:
        return None

    def endorsed(self, vote: Vote, attachment: str | None, value: Any) -> bool:
        return True


class Node:
    """Validator ``index`` of a run, following the protocol."""

    driver: Driver

    def __init__(self, index: int, ctx: Context) -> None:
        self.index = index
        self.ctx = ctx
        self.me = ctx.ids.ids[index]
        self.peers = tuple(j for j in range(ctx.scenario.n) if j != index)
        self.disk = Disk()
        self.up = False
        self.incarnation = 0
        self.reached_at: float | None = None
        self._goal = ctx.scenario.heights
        self._window = ctx.params.round_window
        self._first: dict[tuple[str, int, VoteType], str | None] = {}
        self._at_height = 0
        self._asked: tuple[int, float] = (0, float("-inf"))

    # ---- life cycle ------------------------------------------------------------

    def boot(self) -> None:
        """Start, or restart from the disk: a fresh driver at the first undecided
        height, given the votes and proposals persisted there."""
        ctx = self.ctx
        self.incarnation += 1
        self.up = True
        height = self.disk.top + 1
        locks = [SignedProposal(p) for p in self.disk.locks.get(height, ())]
        votes = tuple(self.disk.votes.get(height, ()))
        self.driver = Driver(ctx.params, self.me, _Keys(self), height, votes, locks)
        self._first, self._at_height = {}, height
        self._asked = (0, float("-inf"))
        self._step(Resume())
        self._step(Backlog(1))
        self._after()
        ctx.net.after(ctx.scenario.resend, TICK, self.index, self.incarnation)

    def crash(self) -> None:
        """Stop: pending timers are lost, and so is every message arriving while down."""
        self.up = False

    def sign(self, height: int, round: int, type: VoteType, block_hash: str | None) -> Vote:
        """Our vote, with a fake signature (the simulator checks none)."""
        return Vote(self.ctx.ids.chain_id, height, round, type, block_hash, self.me, FAKE_SIGNATURE)

    # ---- events ----------------------------------------------------------------

    def receive(self, src: int, msg: object) -> None:
        """A message from validator ``src`` arrived."""
        h = self.driver.height
        kind = type(msg)
        if self.ctx.log.trace is not None:
            self._trace(f"<- {src} {show(msg, self.ctx.index_of)}")
        if kind is Vote:
            assert isinstance(msg, Vote)
            if msg.height == h:
                self._owe(msg, h)
            elif msg.height > h:
                self._ask(src)
            self._step(Received(SignedVote(msg)))
        elif kind is Proposal:
            assert isinstance(msg, Proposal)
            if msg.height > h:
                self._ask(src)
            self._step(Received(SignedProposal(msg)))
        elif kind is SyncRequest:
            assert isinstance(msg, SyncRequest)
            self.serve(src, msg)
        elif kind is SyncReply:
            assert isinstance(msg, SyncReply)
            self._catch_up(msg)
        self._after()

    def on_timer(self, payload: tuple[int, int, int, int]) -> None:
        """A timeout scheduled by this incarnation fired."""
        incarnation, height, round, step = payload
        if incarnation != self.incarnation:
            return
        if self.ctx.log.trace is not None:
            self._trace(f"timeout h{height} r{round} step {step}")
        self._step(TimeoutFired(height, round, step))
        self._after()

    def on_tick(self, incarnation: int) -> None:
        """Send again what the driver says peers may have missed; schedule the next
        tick."""
        if incarnation != self.incarnation:
            return
        ready = self.driver.step(ResendTick())
        self.resend([m.vote if isinstance(m, SignedVote) else m.proposal for m in ready.send])
        self.ctx.net.after(self.ctx.scenario.resend, TICK, self.index, incarnation)

    # ---- sending (the Byzantine validator overrides these) ----------------------

    def broadcast(self, msg: object) -> None:
        """Send ``msg`` to every other validator."""
        net, i = self.ctx.net, self.index
        for j in self.peers:
            net.send(i, j, msg)

    def send_vote(self, vote: Vote) -> None:
        """Send our (already persisted) vote."""
        self.broadcast(vote)

    def send_proposal(self, proposal: Proposal) -> None:
        """Send our proposal."""
        self.broadcast(proposal)

    def resend(self, messages: Sequence[Proposal | Vote]) -> None:
        """Send again ``messages`` (ours and those we relay)."""
        for msg in messages:
            self.broadcast(msg)

    def serve(self, src: int, request: SyncRequest) -> None:
        """Answer a catch-up request with the decided values we hold."""
        disk = self.disk
        last = min(disk.top, request.height + SYNC_BATCH - 1)
        if request.height <= last:
            batch = tuple(disk.decided[h] for h in range(request.height, last + 1))
            self.ctx.net.send(self.index, src, SyncReply(batch))

    # ---- the runtime -------------------------------------------------------------

    def _step(self, event: Event) -> None:
        """Hand ``event`` to the driver and perform the Ready, then what it asked for."""
        self._perform(self.driver.step(event))

    def _perform(self, ready: Ready) -> None:
        if ready is NOTHING:
            return
        ctx = self.ctx
        for vote in ready.persist_votes:
            self.disk.persist(vote)
            ctx.log.votes_sent[self.index].append(vote)
        for sp in ready.persist_locks:
            self.disk.keep(sp.proposal)
        for msg in ready.send:
            if isinstance(msg, SignedVote):
                if ctx.log.trace is not None:
                    self._trace(f"-> {show(msg.vote, ctx.index_of)}")
                self.send_vote(msg.vote)
            else:
                self.proposed(msg.proposal)
                self.send_proposal(msg.proposal)
        for d in ready.decisions:
            self._commit(d, False)
        for t in ready.timeouts:
            ctx.net.after(t.delay, TIMER, self.index, (self.incarnation, t.height, t.round, t.step))
        for e in ready.evidence:
            ctx.log.evidence.append(Reported(self.index, ctx.net.now, e.first, e.second))
            who = ctx.index_of.get(e.first.validator)
            ctx.log.note(
                ctx.net.now,
                self.index,
                f"evidence: validator {who} sent two {e.first.type.value}s at "
                f"h{e.first.height} r{e.first.round}",
            )
        follow: list[Event] = [ProposalJudged(p, is_valid(p)) for p in ready.judge]
        for g in ready.build:
            value, vid = make_value(g.height, g.round, self.index)
            follow.append(ValueBuilt(g.height, g.round, value, vid))
        if ready.decisions:
            follow.append(Backlog(1))
        for event in follow:
            self._step(event)

    def proposed(self, proposal: Proposal) -> None:
        """Note a proposal we send, for the validity check."""
        log = self.ctx.log
        if is_valid(proposal):
            log.valid_proposals.setdefault(proposal.height, set()).add(proposal.value_id)
        if log.trace is not None:
            self._trace(f"-> {show(proposal, self.ctx.index_of)}")

    def _commit(self, decided: Decided, synced: bool) -> None:
        ctx = self.ctx
        self.disk.commit(decided)
        decision = Decision(decided.height, decided.round, decided.value_id, ctx.net.now, synced)
        ctx.log.decide(self.index, decision)
        if ctx.log.trace is not None:
            how = "synced" if synced else f"decided in round {decided.round}"
            self._trace(f"{how} h{decided.height} = {decided.value_id[:8]}")

    def _after(self) -> None:
        if self.reached_at is None and self.driver.height > self._goal:
            self.reached_at = self.ctx.net.now
            self.ctx.reached(self.index)

    def _owe(self, vote: Vote, height: int) -> None:
        """If ``vote`` conflicts with the first vote we were delivered for its
        (validator, round, step) at our height, the driver owes us evidence."""
        if self._at_height != height:
            self._first, self._at_height = {}, height
        if vote.round > self.driver.round + self._window:
            return
        key = (vote.validator, vote.round, vote.type)
        first = self._first.get(key, _MISSING)
        if first is _MISSING:
            self._first[key] = vote.block_hash
        elif first != vote.block_hash:
            owed = self.ctx.log.owed[self.index]
            owed.setdefault((vote.validator, height, vote.round, vote.type.value), self.ctx.net.now)

    def _ask(self, src: int) -> None:
        h, now = self.driver.height, self.ctx.net.now
        if self._asked[0] == h and now - self._asked[1] < self.ctx.scenario.resend:
            return
        self._asked = (h, now)
        self.ctx.net.send(self.index, src, SyncRequest(h))

    def _catch_up(self, reply: SyncReply) -> None:
        ctx, synced = self.ctx, False
        for d in reply.decided:
            if d.height < self.driver.height:
                continue
            if (
                d.height > self.driver.height
                or not certifies(d, ctx.params, ctx.ids.chain_id)
                or not is_valid_value(d.value, d.height, d.value_id)
            ):
                break
            self._commit(d, True)
            self._step(Synced(d.height, d.value_id))
            synced = True
        if synced:
            self._step(Backlog(1))

    def _trace(self, text: str) -> None:
        trace = self.ctx.log.trace
        if trace is not None:
            trace.append((self.ctx.net.now, self.index, text))


def show(msg: object, index_of: dict[str, int]) -> str:
    """A short human form of a message, validators by index, values by 8 hex digits."""
    if isinstance(msg, Vote):
        value = msg.block_hash[:8] if msg.block_hash else "nil"
        who = index_of.get(msg.validator, "?")
        return f"{msg.type.value} h{msg.height} r{msg.round} {value} by {who}"
    if isinstance(msg, Proposal):
        who = index_of.get(msg.proposer, "?")
        return (
            f"proposal h{msg.height} r{msg.round} {msg.value_id[:8]} vr{msg.valid_round} by {who}"
        )
    if isinstance(msg, SyncRequest):
        return f"sync request from h{msg.height}"
    if isinstance(msg, SyncReply):
        heights = [d.height for d in msg.decided]
        return f"sync reply h{heights[0]}..h{heights[-1]}"
    return repr(msg)
