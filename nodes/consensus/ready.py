"""What one ``Driver.step`` asks of its runtime: the Ready record (etcd-io/raft's
``Ready``). The runtime performs the fields in this order:

1. ``persist_votes`` and ``persist_locks`` durably (a restart must know them);
2. ``send`` to every peer;
3. ``decisions``: store each decided value with its precommits, then report the new
   ``Backlog`` (a decision or a sync consumes it);
4. ``timeouts``: schedule each, to come back as ``TimeoutFired``;
5. ``evidence``: record each equivocation;
6. ``judge`` each proposal (answer ``ProposalJudged``) and ``build`` each value (answer
   ``ValueBuilt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.model.vote import Vote
from nodes.consensus.actions import GetValue, ReportEvidence, ScheduleTimeout
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class Decision:
    """``value`` is decided at ``height``: store it with ``precommits`` (a quorum, all
    for ``value_id`` at ``round``, each with its attachment)."""

    height: int
    round: int
    value_id: str
    value: Any
    precommits: tuple[SignedVote, ...]


@dataclass(frozen=True)
class Ready:
    """Everything one event asks of the runtime (see the module for the order)."""

    persist_votes: tuple[Vote, ...] = ()
    persist_locks: tuple[SignedProposal, ...] = ()
    send: tuple[SignedProposal | SignedVote, ...] = ()
    decisions: tuple[Decision, ...] = ()
    timeouts: tuple[ScheduleTimeout, ...] = ()
    evidence: tuple[ReportEvidence, ...] = ()
    judge: tuple[Proposal, ...] = ()
    build: tuple[GetValue, ...] = ()

    def __bool__(self) -> bool:
        """Whether there is anything to do."""
        return bool(
            self.persist_votes
            or self.persist_locks
            or self.send
            or self.decisions
            or self.timeouts
            or self.evidence
            or self.judge
            or self.build
        )


NOTHING = Ready()
"""The Ready of an event that asks for nothing."""
