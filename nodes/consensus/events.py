"""What happens to a validator, as the driver takes it: one frozen dataclass per event.

A runtime turns each thing it observes (a message from a peer, a judgement, a built
value, a timer, its mempool and its peers' heights) into one of these and hands it to
``Driver.step``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class Resume:
    """The runtime is ready: resume from what was persisted (the votes and locked
    proposals given to the driver) and from now on start heights when work waits."""


@dataclass(frozen=True)
class Received:
    """A proposal or vote from a peer; its signature already checked by the runtime."""

    message: SignedProposal | SignedVote


@dataclass(frozen=True)
class ProposalJudged:
    """The runtime judged ``proposal`` (asked in ``Ready.judge``): ``valid`` says whether
    its value may be decided at its height."""

    proposal: Proposal
    valid: bool


@dataclass(frozen=True)
class ValueBuilt:
    """The value asked for in ``Ready.build``, identified by ``value_id``."""

    height: int
    round: int
    value: Any
    value_id: str


@dataclass(frozen=True)
class TimeoutFired:
    """A timeout of ``Ready.timeouts`` is due."""

    height: int
    round: int
    step: int


@dataclass(frozen=True)
class Backlog:
    """``transactions`` wait to be decided (the mempool's size now)."""

    transactions: int


@dataclass(frozen=True)
class PeerHeight:
    """The highest height a usable peer (up, not avoided) is known to store."""

    height: int


@dataclass(frozen=True)
class Synced:
    """Block ``height`` with id ``value_id``, decided elsewhere, is now stored here."""

    height: int
    value_id: str


@dataclass(frozen=True)
class ResendTick:
    """The re-send period passed: send again what peers may have missed."""


Event = (
    Resume
    | Received
    | ProposalJudged
    | ValueBuilt
    | TimeoutFired
    | Backlog
    | PeerHeight
    | Synced
    | ResendTick
)
