"""Consensus messages as the driver keeps, relays and sends them: a proposal with the
proposer's signature, a vote with what a precommit carries beside it.

Both are opaque to the rules: the driver keeps the extra fields only to relay a message
as it was received, to persist a locked proposal as signed, and to hand a decision its
precommits' attachments. A runtime without signatures (the simulator) leaves them None.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.model.vote import Vote
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class SignedProposal:
    """``proposal`` and its proposer's signature (None where nothing is signed)."""

    proposal: Proposal
    signature: bytes | None = None


@dataclass(frozen=True)
class SignedVote:
    """``vote`` (its own signature inside) and, for a precommit of a value, the signer's
    cosignature of that value's checkpoint (None otherwise, or where nothing is signed)."""

    vote: Vote
    cosignature: str | None = None


Message = SignedProposal | SignedVote
"""What validators send each other through the driver."""
