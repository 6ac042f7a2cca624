"""Catch-up messages: a lagging validator asks a peer for decided values.

Promises:
- ``certifies(decided, ...)`` holds only when ``decided.precommits`` are precommits of at
  least a quorum of distinct validators, all for ``decided.value_id`` at
  ``decided.height`` and one round on this chain. Signatures are not checked here (the
  transport authenticates peers; correct simulated validators do not sign).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.model.vote import VoteType
from nodes.consensus.machine import Params
from nodes.consensus.ready import Decision

Decided = Decision
"""A decided value with the precommits that certify it: what the driver's ``Ready`` hands
over, kept as it is."""


@dataclass(frozen=True)
class SyncRequest:
    """Send me the values decided from ``height`` on."""

    height: int


@dataclass(frozen=True)
class SyncReply:
    """Consecutive decided values, lowest height first."""

    decided: tuple[Decided, ...]


SYNC_BATCH = 64
"""The most decided values one reply carries."""


def certifies(decided: Decided, params: Params, chain_id: str) -> bool:
    """Whether ``decided`` carries a quorum of precommits for its value and height."""
    signers: set[str] = set()
    for v in (signed.vote for signed in decided.precommits):
        if (
            v.type is not VoteType.PRECOMMIT
            or v.chain_id != chain_id
            or v.height != decided.height
            or v.round != decided.round
            or v.block_hash != decided.value_id
            or v.validator not in params.validators
        ):
            return False
        signers.add(v.validator)
    return len(signers) >= params.quorum
