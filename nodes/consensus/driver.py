"""One validator's consensus, sans-IO: the Tendermint ``Machine`` plus every rule a
runtime needs around it, as one pure object (etcd-io/raft's ``RawNode``).

``Driver.step(event) -> Ready``: the runtime hands it one event (``events``) and performs
the ``Ready`` it returns (``ready``), in the order ``ready`` documents. The node runtime
and the simulator drive this very class; neither writes a consensus rule of its own.

Promises:
- Pure: the driver never reads a clock, a socket or a disk and draws no randomness; the
  same events give the same Ready records. It signs and checks signatures only through
  the ``Signing`` it is given.
- Every vote we cast is in ``Ready.persist_votes`` of the Ready that sends it, and
  before a precommit for a value the proposal of that value we hold is in
  ``Ready.persist_locks``: a runtime that persists before it sends can restart from
  them (``Driver(own_votes=..., locks=...)``, then ``Resume``) without ever signing a
  conflicting vote, and can propose the locked value again.
- A proposal is judged once: a copy (re-sent or relayed) of one asked for or judged is
  dropped, and so is a proposal outside the machine's windows or not from the proposer
  of its height and round.
- A precommit for a value is counted only once a proposal of that value was judged
  valid (or is ours), and only if ``Signing.endorsed`` accepts what it carries; until
  the value is known it is parked (bounded), then counted. A decision's precommits
  carry their attachments.
- A height starts (its first round) only after ``Resume``, when transactions wait
  (``Backlog``) and no usable peer is known to store that height already
  (``PeerHeight``): a node that is behind catches up before it votes. A decision or a
  sync consumes the backlog until the runtime reports it again.
- On ``ResendTick``, unless a height was decided or synced since the previous tick, it
  sends again our votes at the current height, and the proposals and votes heard there
  (the first vote of each validator per round and step, and one conflicting vote at
  most) for the rounds that can still matter: current, previous, valid and locked.
- Two conflicting votes of one validator at one (height, round, step) are reported once
  (``Ready.evidence``), also when one of them is a parked precommit.
- Memory is bounded by the machine's height and round windows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
from nodes.consensus.events import (
    Backlog,
    Event,
    PeerHeight,
    ProposalJudged,
    Received,
    ResendTick,
    Resume,
    Synced,
    TimeoutFired,
    ValueBuilt,
)
from nodes.consensus.machine import Machine, Params
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import NOTHING, Decision, Ready
from nodes.consensus.signing import Signing
from nodes.consensus.view import ConsensusView

PARKED_VALUES = 256
"""How many distinct unknown values precommits may wait for at once."""

STEP_NAMES = ("propose", "prevote", "precommit")

ProposalKey = tuple[int, int, str]
"""``(height, round, value id)`` of a proposal."""


class _Out:
    """The Ready being assembled by one step (tuples grow only when used)."""

    __slots__ = (
        "build",
        "decisions",
        "evidence",
        "judge",
        "persist_locks",
        "persist_votes",
        "send",
        "timeouts",
    )

    def __init__(self) -> None:
        self.persist_votes: tuple[Vote, ...] = ()
        self.persist_locks: tuple[SignedProposal, ...] = ()
        self.send: tuple[SignedProposal | SignedVote, ...] = ()
        self.decisions: tuple[Decision, ...] = ()
        self.timeouts: tuple[ScheduleTimeout, ...] = ()
        self.evidence: tuple[ReportEvidence, ...] = ()
        self.judge: tuple[Proposal, ...] = ()
        self.build: tuple[GetValue, ...] = ()

    def ready(self) -> Ready:
        if not (
            self.send
            or self.timeouts
            or self.persist_votes
            or self.decisions
            or self.evidence
            or self.judge
            or self.build
        ):
            return NOTHING  # persisting comes with sending
        return Ready(
            self.persist_votes,
            self.persist_locks,
            self.send,
            self.decisions,
            self.timeouts,
            self.evidence,
            self.judge,
            self.build,
        )


class Driver:
    """One validator's consensus (or an observer's, with ``me=None``), restored from
    the votes it had persisted at ``height`` and the proposals it had locked on."""

    def __init__(
        self,
        params: Params,
        me: str | None,
        signing: Signing | None,
        height: int,
        own_votes: Iterable[Vote] = (),
        locks: Iterable[SignedProposal] = (),
    ) -> None:
        self.params = params
        self.me = me
        self._signing = signing
        self._machine = Machine(
            params, me, signing.vote if signing is not None else None, height, own_votes
        )
        self._locks = tuple(lock for lock in locks if lock.proposal.height == height)
        self._resumed = False
        self._backlog = 0
        self._peer_height = 0
        self._progressed = False
        self._signed: dict[tuple[int, int], SignedProposal] = {}
        self._judged: dict[ProposalKey, bool | None] = {}
        self._ahead: set[ProposalKey] = set()
        self._known: dict[str, tuple[int, Any]] = {}
        self._parked: dict[str, list[SignedVote]] = {}
        self._heard: dict[tuple[int, int, VoteType, str], list[SignedVote]] = {}
        self._attachments: dict[tuple[str, str], str | None] = {}
        self._reported: set[tuple[str, int, int, VoteType]] = set()

    # ---- what a runtime may read -------------------------------------------------

    @property
    def height(self) -> int:
        """The height being decided."""
        return self._machine.height

    @property
    def round(self) -> int:
        """The round of the current height."""
        return self._machine.round

    @property
    def started(self) -> bool:
        """Whether the current height has started."""
        return self._machine.started

    def memory(self) -> dict[str, int]:
        """How many messages the driver holds, by kind (all bounded by its windows)."""
        return {
            "proposals": len(self._signed),
            "heard": sum(len(kept) for kept in self._heard.values()),
            "parked": sum(len(p) for p in self._parked.values()),
            "judged": len(self._judged),
        }

    def view(self) -> ConsensusView:
        """Where consensus stands: height, round, step and locked round."""
        m = self._machine
        return ConsensusView(m.height, m.round, STEP_NAMES[m.step], m.locked_round)

    # ---- the one entry point ----------------------------------------------------

    def step(self, event: Event) -> Ready:
        """Take ``event``; what the runtime must do about it."""
        out = _Out()
        m = self._machine
        match event:
            case Received(message=message):
                if isinstance(message, SignedVote):
                    self._vote(message, out)
                else:
                    self._proposal(message, out)
            case ProposalJudged(proposal=p, valid=valid):
                self._judged_proposal(p, valid, out)
            case ValueBuilt(height=h, round=r, value=value, value_id=vid):
                self._run(m.on_value(h, r, value, vid), out)
            case TimeoutFired(height=h, round=r, step=s):
                self._run(m.on_timeout(h, r, s), out)
            case Backlog(transactions=n):
                self._backlog = n
            case PeerHeight(height=h):
                self._peer_height = h
            case Synced(height=h, value_id=vid):
                before = m.height
                self._run(m.on_synced(h, vid), out)
                if m.height != before:
                    self._entered()
            case ResendTick():
                self._resend(out)
            case Resume():
                self._resumed = True
                self._run(m.resume(), out)
                locks, self._locks = self._locks, ()
                for lock in locks:
                    self._proposal(lock, out)
        self._start_if_due(out)
        return out.ready()

    # ---- events -----------------------------------------------------------------

    def _proposal(self, sp: SignedProposal, out: _Out) -> None:
        p, m = sp.proposal, self._machine
        if not self._in_window(p.height, p.round):
            return
        if p.proposer != self.params.proposer(p.height, p.round):
            return
        key = (p.height, p.round, p.value_id)
        if key in self._judged:
            return  # a copy of one already asked for or judged
        if p.height > m.height:
            if key in self._ahead:
                return
            self._ahead.add(key)
        self._signed.setdefault((p.height, p.round), sp)
        self._run(m.on_proposal(p, None), out)

    def _judged_proposal(self, p: Proposal, valid: bool, out: _Out) -> None:
        key = (p.height, p.round, p.value_id)
        if key not in self._judged or self._judged[key] is not None:
            return  # not asked for, or answered already
        self._judged[key] = valid
        actions = self._machine.on_proposal(p, valid)
        if valid:
            actions += self._learn(p.height, p.value_id, p.value)
        else:
            self._parked.pop(p.value_id, None)
        self._run(actions, out)

    def _vote(self, sv: SignedVote, out: _Out) -> None:
        v, m = sv.vote, self._machine
        if v.validator not in self.params.validators:
            return
        if (
            m.height <= v.height <= m.height + self.params.height_window
            and 0 <= v.round <= (m.round if v.height == m.height else 0) + self.params.round_window
        ):
            key = (v.height, v.round, v.type, v.validator)
            kept = self._heard.setdefault(key, [])
            if len(kept) < 2 and all(k.vote.block_hash != v.block_hash for k in kept):
                kept.append(sv)  # the first vote, and one conflicting vote at most
                if len(kept) == 2:
                    self._report(kept[0].vote, v, out)
        self._run(self._count(sv), out)

    def _count(self, sv: SignedVote) -> list[Action]:
        """Deliver a vote to the machine, or park a precommit whose value is unknown."""
        v, m = sv.vote, self._machine
        if v.type is VoteType.PRECOMMIT and v.block_hash is not None and v.validator != self.me:
            known = self._known.get(v.block_hash)
            if known is None:
                if v.height >= m.height:
                    self._park(sv)
                return []
            if self._signing is not None and not self._signing.endorsed(
                v, sv.cosignature, known[1]
            ):
                return []
            self._attachments[(v.block_hash, v.validator)] = sv.cosignature
        return m.on_vote(v)

    def _park(self, sv: SignedVote) -> None:
        value_id = sv.vote.block_hash
        assert value_id is not None
        parked = self._parked.get(value_id)
        if parked is None:
            if len(self._parked) >= PARKED_VALUES:
                return
            parked = self._parked[value_id] = []
        if len(parked) < 4 * len(self.params.validators):
            parked.append(sv)

    def _learn(self, height: int, value_id: str, value: Any) -> list[Action]:
        """``value`` is valid at ``height``: count the precommits parked for it."""
        self._known[value_id] = (height, value)
        out: list[Action] = []
        for sv in self._parked.pop(value_id, []):
            out += self._count(sv)
        return out

    def _resend(self, out: _Out) -> None:
        if self._progressed:
            self._progressed = False
            return
        m = self._machine
        rounds = {m.round, m.round - 1, m.valid_round, m.locked_round}
        send: list[SignedProposal | SignedVote] = [
            sp for (h, r), sp in self._signed.items() if h == m.height and r in rounds
        ]
        for msg in m.own_messages():
            if isinstance(msg, Vote):
                send.append(SignedVote(msg, self._own_attachment(msg)))
        for (h, r, _, _), kept in self._heard.items():
            if h == m.height and r in rounds:
                send.extend(kept)
        out.send += tuple(send)

    def _start_if_due(self, out: _Out) -> None:
        m = self._machine
        if self._resumed and not m.started and self._backlog > 0 and self._peer_height < m.height:
            self._run(m.on_transactions_available(), out)

    # ---- performing the machine's actions ------------------------------------------

    def _run(self, actions: list[Action], out: _Out) -> None:
        """Turn the machine's actions into the Ready, depth first (what an action causes
        comes before the actions after it)."""
        if not actions:
            return
        pending = list(reversed(actions))
        while pending:
            more: list[Action] = []
            match pending.pop():
                case CastVote(vote=vote):
                    self._cast(vote, out)
                case BroadcastProposal(proposal=p):
                    more = self._propose(p, out)
                case ScheduleTimeout() as timeout:
                    out.timeouts += (timeout,)
                case GetValue() as get:
                    out.build += (get,)
                case CheckProposal(proposal=p):
                    more = self._check(p, out)
                case Decide() as decide:
                    self._decide(decide, out)
                case ReportEvidence(first=first, second=second):
                    self._report(first, second, out)
            pending.extend(reversed(more))

    def _cast(self, vote: Vote, out: _Out) -> None:
        out.persist_votes += (vote,)
        if vote.type is VoteType.PRECOMMIT and vote.block_hash is not None:
            lock = next(
                (
                    sp
                    for (h, _), sp in self._signed.items()
                    if h == vote.height and sp.proposal.value_id == vote.block_hash
                ),
                None,
            )
            if lock is not None:
                out.persist_locks += (lock,)
        out.send += (SignedVote(vote, self._own_attachment(vote)),)

    def _propose(self, p: Proposal, out: _Out) -> list[Action]:
        signature = self._signing.proposal(p) if self._signing is not None else None
        sp = SignedProposal(p, signature)
        self._signed[(p.height, p.round)] = sp
        self._judged[(p.height, p.round, p.value_id)] = True
        out.send += (sp,)
        return self._learn(p.height, p.value_id, p.value)

    def _check(self, p: Proposal, out: _Out) -> list[Action]:
        key = (p.height, p.round, p.value_id)
        if key not in self._judged:
            self._judged[key] = None
            out.judge += (p,)
            return []
        verdict = self._judged[key]
        return [] if verdict is None else self._machine.on_proposal(p, verdict)

    def _decide(self, d: Decide, out: _Out) -> None:
        precommits = tuple(SignedVote(v, self._attachment(v)) for v in d.precommits)
        out.decisions += (Decision(d.height, d.round, d.value_id, d.value, precommits),)
        self._entered()

    def _report(self, first: Vote, second: Vote, out: _Out) -> None:
        key = (first.validator, first.height, first.round, first.type)
        if key not in self._reported:
            self._reported.add(key)
            out.evidence += (ReportEvidence(first, second),)

    # ---- helpers ------------------------------------------------------------------

    def _attachment(self, vote: Vote) -> str | None:
        if vote.validator == self.me:
            return self._own_attachment(vote)
        if vote.block_hash is None:
            return None
        return self._attachments.get((vote.block_hash, vote.validator))

    def _own_attachment(self, vote: Vote) -> str | None:
        """What our precommit of a known value carries (computed once)."""
        if (
            vote.type is not VoteType.PRECOMMIT
            or vote.block_hash is None
            or self._signing is None
            or self.me is None
        ):
            return None
        key = (vote.block_hash, self.me)
        if key not in self._attachments:
            known = self._known.get(vote.block_hash)
            if known is None:
                return None
            self._attachments[key] = self._signing.endorse(vote, known[1])
        return self._attachments[key]

    def _entered(self) -> None:
        """The machine moved to a new height: forget what is below it."""
        h = self._machine.height
        self._backlog = 0
        self._progressed = True
        self._signed = {k: sp for k, sp in self._signed.items() if k[0] >= h}
        self._judged = {k: v for k, v in self._judged.items() if k[0] >= h}
        self._ahead = {k for k in self._ahead if k[0] >= h}
        self._known = {k: hv for k, hv in self._known.items() if hv[0] >= h}
        parked = {k: [sv for sv in p if sv.vote.height >= h] for k, p in self._parked.items()}
        self._parked = {k: p for k, p in parked.items() if p}
        self._heard = {k: kept for k, kept in self._heard.items() if k[0] >= h}
        self._attachments = {k: a for k, a in self._attachments.items() if k[0] in self._known}
        self._reported = {k for k in self._reported if k[1] >= h}

    def _in_window(self, height: int, round: int) -> bool:
        """Whether a message at ``height``/``round`` is one the machine would keep."""
        m = self._machine
        top = m.round if height == m.height else 0
        return (
            m.height <= height <= m.height + self.params.height_window
            and 0 <= round <= top + self.params.round_window
        )
