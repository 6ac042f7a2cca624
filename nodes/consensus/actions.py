"""What the consensus machine asks its runtime to do. The runtime performs the actions
of one call in the order given (a vote is persisted before it is sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.model.vote import Vote
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class BroadcastProposal:
    """Send our proposal to every peer."""

    proposal: Proposal


@dataclass(frozen=True)
class CastVote:
    """Persist our signed ``vote`` durably, then send it to every peer. The machine has
    already counted it."""

    vote: Vote


@dataclass(frozen=True)
class ScheduleTimeout:
    """Call ``Machine.on_timeout(height, round, step)`` after ``delay`` seconds."""

    height: int
    round: int
    step: int
    delay: float


@dataclass(frozen=True)
class GetValue:
    """We propose at ``height``/``round``: build a value and call ``Machine.on_value``."""

    height: int
    round: int


@dataclass(frozen=True)
class CheckProposal:
    """A proposal buffered for a later height is now current: decide whether its value
    is valid and deliver it again with ``Machine.on_proposal(proposal, valid)``."""

    proposal: Proposal


@dataclass(frozen=True)
class Decide:
    """``value`` is decided at ``height``: store it with the certificate made of
    ``precommits`` (at least a quorum, all for ``value_id`` at ``round``)."""

    height: int
    round: int
    value_id: str
    value: Any
    precommits: tuple[Vote, ...]


@dataclass(frozen=True)
class ReportEvidence:
    """A validator signed two conflicting votes: ``first`` and ``second``."""

    first: Vote
    second: Vote


Action = (
    BroadcastProposal
    | CastVote
    | ScheduleTimeout
    | GetValue
    | CheckProposal
    | Decide
    | ReportEvidence
)
