"""A divergence: a proposal valid in every way but whose state or results root differs
from what executing it gave on this node (kept by the runtime, served by the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Divergence:
    """A proposal whose ``check`` root (``state_root``, ``results_root``) was ``theirs``
    where executing it here gave ``ours``."""

    height: int
    round: int
    proposer: str
    block_hash: str
    check: str
    ours: str | None
    theirs: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "kind": "divergence",
            "height": self.height,
            "round": self.round,
            "proposer": self.proposer,
            "block_hash": self.block_hash,
            "check": self.check,
            "ours": self.ours,
            "theirs": self.theirs,
        }
