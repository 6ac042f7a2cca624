"""Where consensus stands on one node, as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsensusView:
    """The height being decided, its round and step, and the round locked on (-1: none)."""

    height: int
    round: int
    step: str
    locked_round: int
