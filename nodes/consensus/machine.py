"""Tendermint's Algorithm 1 (Buchman, Kwon, Milosevic, arXiv:1807.04938) as a pure
state machine over one validator's view.

Promises:
- Every public method takes one event and returns the actions it causes, in order; the
  machine never reads a clock, a socket or a disk and never draws randomness, so the
  same events give the same actions.
- It casts at most one vote per (height, round, step), including across a restart when
  given the votes it had persisted (``own_votes``); it re-locks on the highest value
  it had precommitted.
- It decides a value only on a quorum of precommits for it, with the proposal known
  and judged valid, so two correct validators never decide differently at one height
  while fewer than a quorum's overlap is faulty.
- A validator's two different votes at one (height, round, step) are reported once
  (``ReportEvidence``); its first counts, and a later one counts too (once per value)
  toward the value of a proposal we hold at that height, as Algorithm 1 counts votes per
  value: every correct validator can then count the votes the proposer counted.
- Its valid value is the value of the latest round for which it holds a valid proposal
  and a quorum of prevotes, also when that quorum completes after the round (L36 sees
  it only during the round), so a value some validator locked on before a restart can
  be proposed again.
- Memory is bounded: messages more than ``Params.round_window`` rounds ahead, or more
  than ``Params.height_window`` heights ahead, are dropped.

The rule comments (L22, L28, ...) are the line numbers of Algorithm 1 in the paper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ledger.model.vote import Vote, VoteType
from ledger.quorum import max_faulty, quorum
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
from nodes.consensus.proposal import Proposal

DECIDED_KEPT = 64
"""How many recent decisions ``Machine.decided`` keeps (memory stays bounded)."""

Signer = Callable[[int, int, VoteType, "str | None"], Vote]
"""Signs our vote: ``(height, round, type, value id or None) -> Vote``."""


class Step(IntEnum):
    """The three steps of a round, in order."""

    PROPOSE = 0
    PREVOTE = 1
    PRECOMMIT = 2


@dataclass(frozen=True)
class Params:
    """The validator set (key ids, in proposer order) and the timeouts (seconds)."""

    validators: tuple[str, ...]
    propose_timeout: float = 1.0
    propose_delta: float = 0.5
    vote_timeout: float = 0.5
    vote_delta: float = 0.25
    round_window: int = 64
    height_window: int = 2
    wait_for_transactions: bool = True

    @property
    def quorum(self) -> int:
        """q = floor((n + f) / 2) + 1."""
        return quorum(len(self.validators))

    @property
    def skip_threshold(self) -> int:
        """f + 1: messages from this many validators of a later round prove a correct
        validator is there."""
        return max_faulty(len(self.validators)) + 1

    def proposer(self, height: int, round: int) -> str:
        """The proposer rotates by height and round."""
        return self.validators[(height + round) % len(self.validators)]

    def timeout(self, step: Step, round: int) -> float:
        """How long to wait in ``step`` of ``round``; grows with the round."""
        if step is Step.PROPOSE:
            return self.propose_timeout + self.propose_delta * round
        return self.vote_timeout + self.vote_delta * round


@dataclass
class _Seen:
    """A proposal at the current height and whether its value is valid (None: not yet
    judged)."""

    proposal: Proposal
    valid: bool | None


class Machine:
    """One validator's consensus state (or an observer's, with ``me=None``)."""

    def __init__(
        self,
        params: Params,
        me: str | None,
        signer: Signer | None,
        height: int,
        own_votes: Iterable[Vote] = (),
    ) -> None:
        if me is not None and (me not in params.validators or signer is None):
            raise ValueError("a voting machine needs a validator id and a signer")
        self.params = params
        self.me = me
        self._signer = signer
        self._future: list[Proposal | Vote] = []
        self.decided: dict[int, str] = {}
        self._enter(height)
        self._restore([v for v in own_votes if v.height == height and v.validator == me])

    # ---- state ---------------------------------------------------------------

    def _enter(self, height: int) -> None:
        self.height = height
        self.round = 0
        self.step = Step.PROPOSE
        self.started = False
        self.locked_round: int = -1
        self.locked_id: str | None = None
        self.valid_round: int = -1
        self.valid_id: str | None = None
        self.valid_value: Any = None
        self._proposals: dict[int, _Seen] = {}
        self._votes: dict[tuple[int, VoteType], dict[str, Vote]] = {}
        self._conflicts: dict[tuple[int, VoteType], dict[tuple[str, str | None], Vote]] = {}
        self._cast: set[tuple[int, VoteType]] = set()
        self._fired: set[tuple[str, int]] = set()
        self._evidence: set[tuple[str, int, VoteType]] = set()

    def _restore(self, votes: list[Vote]) -> None:
        for v in votes:
            self._votes.setdefault((v.round, v.type), {})[v.validator] = v
            self._cast.add((v.round, v.type))
        if not votes:
            return
        self.started = True
        self.round = max(v.round for v in votes)
        steps = {v.type for v in votes if v.round == self.round}
        self.step = Step.PRECOMMIT if VoteType.PRECOMMIT in steps else Step.PREVOTE
        for v in sorted(votes, key=lambda v: v.round):
            if v.type is VoteType.PRECOMMIT and v.block_hash is not None:
                self.locked_round, self.locked_id = v.round, v.block_hash

    def resume(self) -> list[Action]:
        """After construction: what to do first (a restarted validator that had only
        prevoted in its last round waits out a prevote timeout, then precommits nil; one
        that had precommitted waits out a precommit timeout, then moves on to the next
        round)."""
        if not self._cast:
            return []
        return [ScheduleTimeout(self.height, self.round, self.step, self._t(self.step))]

    def own_messages(self) -> list[Proposal | Vote]:
        """Our proposal and votes at the current height, for the runtime to send again
        to peers that may have missed them."""
        out: list[Proposal | Vote] = [
            s.proposal for s in self._proposals.values() if s.proposal.proposer == self.me
        ]
        for votes in self._votes.values():
            mine = votes.get(self.me) if self.me else None
            if mine is not None:
                out.append(mine)
        return out

    # ---- events --------------------------------------------------------------

    def on_transactions_available(self) -> list[Action]:
        """The mempool holds transactions: start the height if it was waiting."""
        out: list[Action] = []
        self._ensure_started(out)
        return out + self._advance()

    def on_proposal(self, proposal: Proposal, valid: bool | None) -> list[Action]:
        """A proposal arrived (authenticity already checked by the runtime); ``valid``
        says whether its value may be decided, or None if the runtime could not judge
        (a later height)."""
        if not self._admissible(proposal.height, proposal.round):
            return []
        if proposal.height > self.height:
            self._buffer(proposal)
            return []
        if proposal.proposer != self.params.proposer(proposal.height, proposal.round):
            return []
        seen = self._proposals.get(proposal.round)
        out: list[Action] = []
        if seen is None:
            self._proposals[proposal.round] = _Seen(proposal, valid)
            if valid is None:
                out.append(CheckProposal(proposal))
        elif seen.proposal.value_id == proposal.value_id and seen.valid is None:
            seen.valid = valid
        else:
            return []
        self._ensure_started(out)
        return out + self._advance()

    def on_vote(self, vote: Vote) -> list[Action]:
        """A vote arrived (its signature already checked by the runtime)."""
        if vote.validator not in self.params.validators:
            return []
        if not self._admissible(vote.height, vote.round):
            return []
        if vote.height > self.height:
            self._buffer(vote)
            return []
        out: list[Action] = []
        if not self._record(vote, out):
            return out
        self._ensure_started(out)
        return out + self._advance()

    def on_timeout(self, height: int, round: int, step: int) -> list[Action]:
        """A timeout scheduled by ``ScheduleTimeout`` fired."""
        if height != self.height or round != self.round:
            return []
        out: list[Action] = []
        if step == Step.PROPOSE and self.step is Step.PROPOSE:  # L57
            self._vote(out, VoteType.PREVOTE, None)
            self.step = Step.PREVOTE
        elif step == Step.PREVOTE and self.step is Step.PREVOTE:  # L61
            self._vote(out, VoteType.PRECOMMIT, None)
            self.step = Step.PRECOMMIT
        elif step == Step.PRECOMMIT:  # L65
            self._start_round(self.round + 1, out)
        return out + self._advance()

    def on_value(self, height: int, round: int, value: Any, value_id: str) -> list[Action]:
        """The value asked for by ``GetValue``; proposed if still timely."""
        if (
            (height, round) != (self.height, self.round)
            or self.step is not Step.PROPOSE
            or self.params.proposer(height, round) != self.me
            or round in self._proposals
        ):
            return []
        proposal = Proposal(height, round, value_id, -1, self.me, value)
        self._proposals[round] = _Seen(proposal, True)
        return [BroadcastProposal(proposal), *self._advance()]

    def on_synced(self, height: int, value_id: str) -> list[Action]:
        """Block ``height`` was decided elsewhere and is now stored (catch-up)."""
        if height < self.height:
            return []
        self._remember_decided(height, value_id)
        out: list[Action] = []
        self._next_height(height + 1, out)
        return out + self._advance()

    # ---- the rules -----------------------------------------------------------

    def _advance(self) -> list[Action]:
        out: list[Action] = []
        while True:
            before = (self.height, self.round, self.step, len(out))
            if self.started:
                self._rules(out)
            if (self.height, self.round, self.step, len(out)) == before:
                return out

    def _rules(self, out: list[Action]) -> None:
        h, r, q = self.height, self.round, self.params.quorum
        seen = self._proposals.get(r)
        if seen is not None and seen.valid is not None and self.step is Step.PROPOSE:
            p = seen.proposal
            if p.valid_round == -1:  # L22
                ok = seen.valid and (self.locked_round == -1 or self.locked_id == p.value_id)
                self._prevote(out, p.value_id if ok else None)
            elif (
                p.valid_round < r and self._count(p.valid_round, VoteType.PREVOTE, p.value_id) >= q
            ):
                ok = seen.valid and (  # L28
                    self.locked_round <= p.valid_round or self.locked_id == p.value_id
                )
                self._prevote(out, p.value_id if ok else None)
        if self.step is Step.PREVOTE and self._count_any(r, VoteType.PREVOTE) >= q:  # L34
            self._schedule_once("prevote", Step.PREVOTE, out)
        if (
            seen is not None
            and seen.valid
            and self.step >= Step.PREVOTE
            and ("lock", r) not in self._fired
            and self._count(r, VoteType.PREVOTE, seen.proposal.value_id) >= q
        ):  # L36
            self._fired.add(("lock", r))
            p = seen.proposal
            if self.step is Step.PREVOTE:
                self.locked_round, self.locked_id = r, p.value_id
                self._vote(out, VoteType.PRECOMMIT, p.value_id)
                self.step = Step.PRECOMMIT
            self.valid_round, self.valid_id, self.valid_value = r, p.value_id, p.value
        for rr, s in self._proposals.items():
            vid = s.proposal.value_id
            if (
                self.valid_round < rr < r
                and s.valid
                and self._count(rr, VoteType.PREVOTE, vid) >= q
            ):
                self.valid_round, self.valid_id, self.valid_value = rr, vid, s.proposal.value
        if self.step is Step.PREVOTE and self._count(r, VoteType.PREVOTE, None) >= q:  # L44
            self._vote(out, VoteType.PRECOMMIT, None)
            self.step = Step.PRECOMMIT
        if self._count_any(r, VoteType.PRECOMMIT) >= q:  # L47
            self._schedule_once("precommit", Step.PRECOMMIT, out)
        for rr, s in sorted(self._proposals.items()):  # L49
            vid = s.proposal.value_id
            if s.valid and self._count(rr, VoteType.PRECOMMIT, vid) >= q:
                precommits = tuple(self._for(rr, VoteType.PRECOMMIT, vid))
                out.append(Decide(h, rr, vid, s.proposal.value, precommits))
                self._remember_decided(h, vid)
                self._next_height(h + 1, out)
                return
        later = self._skip_to()  # L55
        if later is not None:
            self._start_round(later, out)

    def _remember_decided(self, height: int, value_id: str) -> None:
        self.decided[height] = value_id
        self.decided.pop(height - DECIDED_KEPT, None)

    def _prevote(self, out: list[Action], value_id: str | None) -> None:
        self._vote(out, VoteType.PREVOTE, value_id)
        self.step = Step.PREVOTE

    def _skip_to(self) -> int | None:
        senders: dict[int, set[str]] = {}
        for (rr, _), votes in self._votes.items():
            if rr > self.round:
                senders.setdefault(rr, set()).update(votes)
        for rr, s in self._proposals.items():
            if rr > self.round:
                senders.setdefault(rr, set()).add(s.proposal.proposer)
        enough = [rr for rr, who in senders.items() if len(who) >= self.params.skip_threshold]
        return max(enough) if enough else None

    # ---- helpers ---------------------------------------------------------------

    def _start_round(self, round: int, out: list[Action]) -> None:
        self.round, self.step = round, Step.PROPOSE
        if self.params.proposer(self.height, round) == self.me:
            if self.valid_value is not None and self.valid_id is not None:
                p = Proposal(
                    self.height, round, self.valid_id, self.valid_round, self.me, self.valid_value
                )
                self._proposals[round] = _Seen(p, True)
                out.append(BroadcastProposal(p))
            elif (locked := self._locked_proposal()) is not None:
                # A restarted validator keeps its lock and the locked proposal, not the
                # prevotes behind it: re-proposing the locked value (as a fresh proposal)
                # lets validators locked on it prevote it again instead of nil forever.
                p = Proposal(self.height, round, locked.value_id, -1, self.me, locked.value)
                self._proposals[round] = _Seen(p, True)
                out.append(BroadcastProposal(p))
            else:
                out.append(GetValue(self.height, round))
        out.append(ScheduleTimeout(self.height, round, Step.PROPOSE, self._t(Step.PROPOSE)))

    def _locked_proposal(self) -> Proposal | None:
        """A valid proposal we hold of the value we are locked on, if any."""
        if self.locked_id is None:
            return None
        for seen in self._proposals.values():
            if seen.valid and seen.proposal.value_id == self.locked_id:
                return seen.proposal
        return None

    def _ensure_started(self, out: list[Action]) -> None:
        if not self.started:
            self.started = True
            self._start_round(self.round, out)

    def _next_height(self, height: int, out: list[Action]) -> None:
        self._enter(height)
        pending, self._future = self._future, []
        for msg in pending:
            if msg.height > height:
                self._future.append(msg)
            elif msg.height == height:
                if isinstance(msg, Vote):
                    self._record(msg, out)
                elif msg.proposer == self.params.proposer(height, msg.round):
                    self._proposals.setdefault(msg.round, _Seen(msg, None))
                    out.append(CheckProposal(msg))
                self.started = True
        if self.started or not self.params.wait_for_transactions:
            self.started = True
            self._start_round(0, out)

    def _record(self, vote: Vote, out: list[Action]) -> bool:
        """Count ``vote``; False if it was a duplicate, or a conflicting second vote for
        no value we hold a proposal for."""
        votes = self._votes.setdefault((vote.round, vote.type), {})
        first = votes.get(vote.validator)
        if first is None:
            votes[vote.validator] = vote
            return True
        if first.block_hash == vote.block_hash:
            return False
        key = (vote.validator, vote.round, vote.type)
        if key not in self._evidence:
            self._evidence.add(key)
            out.append(ReportEvidence(first, vote))
        extra = self._conflicts.setdefault((vote.round, vote.type), {})
        if (vote.validator, vote.block_hash) in extra or not any(
            s.proposal.value_id == vote.block_hash for s in self._proposals.values()
        ):
            return False
        extra[(vote.validator, vote.block_hash)] = vote
        return True

    def _vote(self, out: list[Action], type: VoteType, value_id: str | None) -> None:
        if self.me is None or self._signer is None or (self.round, type) in self._cast:
            return
        self._cast.add((self.round, type))
        vote = self._signer(self.height, self.round, type, value_id)
        self._votes.setdefault((self.round, type), {})[self.me] = vote
        out.append(CastVote(vote))

    def _schedule_once(self, name: str, step: Step, out: list[Action]) -> None:
        if (name, self.round) not in self._fired:
            self._fired.add((name, self.round))
            out.append(ScheduleTimeout(self.height, self.round, step, self._t(step)))

    def _t(self, step: Step) -> float:
        return self.params.timeout(step, self.round)

    def _count(self, round: int, type: VoteType, value_id: str | None) -> int:
        return len(self._for(round, type, value_id))

    def _for(self, round: int, type: VoteType, value_id: str | None) -> list[Vote]:
        votes = self._votes.get((round, type), {})
        out = [v for v in votes.values() if v.block_hash == value_id]
        extra = self._conflicts.get((round, type))
        if extra:
            out += [v for v in extra.values() if v.block_hash == value_id]
        return out

    def _count_any(self, round: int, type: VoteType) -> int:
        return len(self._votes.get((round, type), {}))

    def _admissible(self, height: int, round: int) -> bool:
        return (
            self.height <= height <= self.height + self.params.height_window
            and 0
            <= round
            <= (self.round if height == self.height else 0) + self.params.round_window
        )

    def _buffer(self, msg: Proposal | Vote) -> None:
        limit = 4 * len(self.params.validators) * (self.params.round_window + 1)
        if len(self._future) < limit * self.params.height_window:
            self._future.append(msg)
