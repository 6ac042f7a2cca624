"""What the driver needs from a validator's keys, without holding them.

Signing and checking signatures are pure computations, so the driver may call them; the
runtime supplies the keys (a node: Ed25519 and checkpoint cosignatures; the simulator:
fixed fake signatures).
"""

from __future__ import annotations

from typing import Any, Protocol

from ledger.model.vote import Vote, VoteType
from nodes.consensus.proposal import Proposal


class Signing(Protocol):
    """One validator's signatures, and the check of another's precommit attachment."""

    def vote(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        """Our signed vote."""
        ...

    def proposal(self, proposal: Proposal) -> bytes | None:
        """Our signature over our ``proposal``."""
        ...

    def endorse(self, vote: Vote, value: Any) -> str | None:
        """What our precommit ``vote`` for ``value`` carries beside it (a node: our
        cosignature of the value's checkpoint)."""
        ...

    def endorsed(self, vote: Vote, attachment: str | None, value: Any) -> bool:
        """Whether another validator's precommit ``vote`` for ``value`` carries a good
        ``attachment``; a precommit that does not is never counted."""
        ...
