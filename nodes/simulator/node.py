"""A simulated correct validator: the consensus ``Machine``, its disk, and the runtime
that performs the machine's actions over the simulated network.

Promises:
- Actions are performed in the order the machine returns them; a ``CastVote`` is on the
  disk before it is sent, so a restart (``boot`` again) can never make the validator
  vote twice at one (height, round, step).
- The disk holds only what survives a crash: the decided values with their precommits,
  the votes cast at undecided heights, and the proposal of each value it precommitted
  there (its lock: without the value a restarted validator could never propose it
  again, and validators locked on a value nobody still holds wait for each other
  forever). ``boot`` gives the machine those votes, then those proposals.
- ``GetValue`` is answered at once with ``make_value(height, round, index)``; a
  ``CheckProposal`` is answered with ``is_valid``.
- Every ``Scenario.resend`` seconds the validator re-sends ``Machine.own_messages()`` and
  relays the proposals and votes it heard at its current height for the rounds that can
  still matter (current, previous, valid and locked round): after the network heals,
  those reach every correct validator within ``resend + Delta`` (the gossip Algorithm 1
  assumes, for the messages its liveness needs).
- On any message from a height above its own it asks that sender (at most once per
  ``resend`` per height) for the decided values, and commits one only if it carries a
  quorum of precommits for it at that height (``certifies``) and the value is valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger.model.vote import Vote, VoteType
from nodes.consensus.actions import (
    Action,
    BroadcastProposal,
    CastVote,
    CheckProposal,
    Decide,
    GetValue,
    ReportEvidence,
    ScheduleTimeout,
)
from nodes.consensus.machine import Machine, Params
from nodes.consensus.proposal import Proposal
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
        """Store the proposal of a value we precommitted."""
        self.locks.setdefault(proposal.height, []).append(proposal)

    def commit(self, decided: Decided) -> None:
        """Store a decided value; what we kept for its height is no longer needed."""
        self.decided[decided.height] = decided
        self.top = max(self.top, decided.height)
        self.votes.pop(decided.height, None)
        self.locks.pop(decided.height, None)


class Node:
    """Validator ``index`` of a run, following the protocol."""

    machine: Machine

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
        self._heard: dict[tuple[object, ...], Proposal | Vote] = {}
        self._first: dict[tuple[str, int, VoteType], str | None] = {}
        self._known: dict[tuple[int, int, str], Proposal] = {}
        self._at_height = 0
        self._asked: tuple[int, float] = (0, float("-inf"))

    # ---- life cycle ------------------------------------------------------------

    def boot(self) -> None:
        """Start, or restart from the disk: a fresh machine at the first undecided
        height, given the votes persisted there, then the proposals kept there."""
        ctx = self.ctx
        self.incarnation += 1
        self.up = True
        height = self.disk.top + 1
        self.machine = Machine(
            ctx.params, self.me, self.sign, height, tuple(self.disk.votes.get(height, ()))
        )
        self._heard, self._first, self._at_height = {}, {}, height
        self._known = {}
        self._asked = (0, float("-inf"))
        self._run(self.machine.resume())
        for proposal in self.disk.locks.get(height, ()):
            self._know(proposal)
            self._run(self.machine.on_proposal(proposal, is_valid(proposal)))
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
        m = self.machine
        h = m.height
        kind = type(msg)
        if self.ctx.log.trace is not None:
            self._trace(f"<- {src} {show(msg, self.ctx.index_of)}")
        if kind is Vote:
            assert isinstance(msg, Vote)
            if msg.height == h:
                self._hear_vote(msg, h)
            elif msg.height > h:
                self._ask(src)
            self._run(m.on_vote(msg))
        elif kind is Proposal:
            assert isinstance(msg, Proposal)
            if msg.height > h:
                self._ask(src)
                self._know(msg)
                self._run(m.on_proposal(msg, None))
            elif msg.height == h:
                self._hear(msg, h, (msg.proposer, msg.round, msg.value_id))
                self._know(msg)
                self._run(m.on_proposal(msg, is_valid(msg)))
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
        self._run(self.machine.on_timeout(height, round, step))
        self._after()

    def on_tick(self, incarnation: int) -> None:
        """Re-send our messages and relay what we heard; schedule the next tick."""
        if incarnation != self.incarnation:
            return
        self.resend(self.machine.own_messages())
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

    def resend(self, own: Sequence[Proposal | Vote]) -> None:
        """Re-send ``own`` messages and relay the ones heard at our height that can still
        matter."""
        for msg in own:
            self.broadcast(msg)
        m = self.machine
        if self._at_height != m.height or not self._heard:
            return
        rounds = {m.round, m.round - 1, m.valid_round, m.locked_round}
        for msg in self._heard.values():
            if msg.round in rounds:
                self.broadcast(msg)

    def serve(self, src: int, request: SyncRequest) -> None:
        """Answer a catch-up request with the decided values we hold."""
        disk = self.disk
        last = min(disk.top, request.height + SYNC_BATCH - 1)
        if request.height <= last:
            batch = tuple(disk.decided[h] for h in range(request.height, last + 1))
            self.ctx.net.send(self.index, src, SyncReply(batch))

    # ---- the runtime -------------------------------------------------------------

    def _run(self, actions: list[Action]) -> None:
        ctx = self.ctx
        for a in actions:
            kind = type(a)
            if kind is CastVote:
                assert isinstance(a, CastVote)
                self.disk.persist(a.vote)
                if a.vote.type is VoteType.PRECOMMIT and a.vote.block_hash is not None:
                    locked = self._known.get((a.vote.height, a.vote.round, a.vote.block_hash))
                    if locked is not None:
                        self.disk.keep(locked)
                ctx.log.votes_sent[self.index].append(a.vote)
                if ctx.log.trace is not None:
                    self._trace(f"-> {show(a.vote, ctx.index_of)}")
                self.send_vote(a.vote)
            elif kind is ScheduleTimeout:
                assert isinstance(a, ScheduleTimeout)
                payload = (self.incarnation, a.height, a.round, a.step)
                ctx.net.after(a.delay, TIMER, self.index, payload)
            elif kind is BroadcastProposal:
                assert isinstance(a, BroadcastProposal)
                self.proposed(a.proposal)
                self.send_proposal(a.proposal)
            elif kind is GetValue:
                assert isinstance(a, GetValue)
                value, vid = make_value(a.height, a.round, self.index)
                self._run(self.machine.on_value(a.height, a.round, value, vid))
            elif kind is CheckProposal:
                assert isinstance(a, CheckProposal)
                self._run(self.machine.on_proposal(a.proposal, is_valid(a.proposal)))
            elif kind is Decide:
                assert isinstance(a, Decide)
                self._commit(Decided(a.height, a.round, a.value_id, a.value, a.precommits), False)
            elif kind is ReportEvidence:
                assert isinstance(a, ReportEvidence)
                ctx.log.evidence.append(Reported(self.index, ctx.net.now, a.first, a.second))
                who = ctx.index_of.get(a.first.validator)
                ctx.log.note(
                    ctx.net.now,
                    self.index,
                    f"evidence: validator {who} sent two {a.first.type.value}s at "
                    f"h{a.first.height} r{a.first.round}",
                )

    def proposed(self, proposal: Proposal) -> None:
        """Note a proposal we send, for the validity check."""
        self._know(proposal)
        log = self.ctx.log
        if is_valid(proposal):
            log.valid_proposals.setdefault(proposal.height, set()).add(proposal.value_id)
        if log.trace is not None:
            self._trace(f"-> {show(proposal, self.ctx.index_of)}")

    def _know(self, proposal: Proposal) -> None:
        self._known.setdefault((proposal.height, proposal.round, proposal.value_id), proposal)

    def _commit(self, decided: Decided, synced: bool) -> None:
        ctx = self.ctx
        self.disk.commit(decided)
        self._known = {k: p for k, p in self._known.items() if k[0] > decided.height}
        decision = Decision(decided.height, decided.round, decided.value_id, ctx.net.now, synced)
        ctx.log.decide(self.index, decision)
        if ctx.log.trace is not None:
            how = "synced" if synced else f"decided in round {decided.round}"
            self._trace(f"{how} h{decided.height} = {decided.value_id[:8]}")

    def _after(self) -> None:
        m = self.machine
        if not m.started:
            self._run(m.on_transactions_available())
        if self.reached_at is None and m.height > self._goal:
            self.reached_at = self.ctx.net.now
            self.ctx.reached(self.index)

    def _hear(self, msg: Proposal | Vote, height: int, key: tuple[object, ...]) -> None:
        if self._at_height != height:
            self._heard, self._first, self._at_height = {}, {}, height
        self._heard.setdefault(key, msg)

    def _hear_vote(self, vote: Vote, height: int) -> None:
        """Keep ``vote`` for relaying; if it conflicts with the first vote we delivered
        for its (validator, round, step), the machine owes us evidence."""
        self._hear(vote, height, (vote.validator, vote.round, vote.type, vote.block_hash))
        if vote.round > self.machine.round + self._window:
            return
        key = (vote.validator, vote.round, vote.type)
        first = self._first.get(key, _MISSING)
        if first is _MISSING:
            self._first[key] = vote.block_hash
        elif first != vote.block_hash:
            owed = self.ctx.log.owed[self.index]
            owed.setdefault((vote.validator, height, vote.round, vote.type.value), self.ctx.net.now)

    def _ask(self, src: int) -> None:
        h, now = self.machine.height, self.ctx.net.now
        if self._asked[0] == h and now - self._asked[1] < self.ctx.scenario.resend:
            return
        self._asked = (h, now)
        self.ctx.net.send(self.index, src, SyncRequest(h))

    def _catch_up(self, reply: SyncReply) -> None:
        ctx, m = self.ctx, self.machine
        for d in reply.decided:
            if d.height < m.height:
                continue
            if (
                d.height > m.height
                or not certifies(d, ctx.params, ctx.ids.chain_id)
                or not is_valid_value(d.value, d.height, d.value_id)
            ):
                return
            self._commit(d, True)
            self._run(m.on_synced(d.height, d.value_id))

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
