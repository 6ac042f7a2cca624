"""The outcome of one simulated run.

Promises:
- A ``Result`` holds everything the invariants need (decisions, evidence, every vote
  each validator sent, the valid proposals, when each validator reached the goal, the
  liveness deadline) and nothing that changes after the run.
- ``summary()`` is JSON-safe and equal for equal runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.model.vote import Vote
from nodes.simulator.identities import Identities
from nodes.simulator.network import Counts
from nodes.simulator.record import Decision, EvidenceKey, Reported
from nodes.simulator.scenario import Scenario


@dataclass
class Result:
    """What one run of ``scenario`` did."""

    scenario: Scenario
    ids: Identities
    decisions: list[dict[int, Decision]]
    redecided: list[tuple[int, Decision, Decision]]
    evidence: list[Reported]
    owed: list[dict[EvidenceKey, float]]
    votes_sent: list[list[Vote]]
    valid_proposals: dict[int, set[str]]
    reached_at: list[float | None]
    restarts: list[int]
    settled_at: float
    deadline: float
    virtual_time: float
    messages: Counts
    events: int
    stopped: str
    timeline: list[tuple[float, int | None, str]]
    trace: list[tuple[float, int | None, str]] | None

    @property
    def seed(self) -> int:
        """The scenario's seed."""
        return self.scenario.seed

    def values(self, node: int) -> dict[int, str]:
        """Height -> value id decided (or synced) by ``node``."""
        return {h: d.value_id for h, d in sorted(self.decisions[node].items())}

    def heights_decided(self) -> int:
        """The highest height every correct validator has committed, with all below it."""
        lowest = None
        for i in self.scenario.correct:
            h = 0
            while h + 1 in self.decisions[i]:
                h += 1
            lowest = h if lowest is None else min(lowest, h)
        return lowest or 0

    def evidence_caught(self) -> set[EvidenceKey]:
        """The equivocations correct validators reported."""
        correct = set(self.scenario.correct)
        return {e.key for e in self.evidence if e.reporter in correct}

    def summary(self) -> dict[str, Any]:
        """JSON-safe figures of the run."""
        return {
            "seed": self.seed,
            "n": self.scenario.n,
            "heights": self.scenario.heights,
            "scenario": self.scenario.describe(),
            "heights_decided": self.heights_decided(),
            "evidence_caught": len(self.evidence_caught()),
            "virtual_time": round(self.virtual_time, 6),
            "settled_at": round(self.settled_at, 6),
            "deadline": round(self.deadline, 6),
            "reached_at": [None if t is None else round(t, 6) for t in self.reached_at],
            "restarts": list(self.restarts),
            "messages": self.messages.as_dict(),
            "events": self.events,
            "stopped": self.stopped,
            "decisions": {
                str(i): {str(h): v for h, v in self.values(i).items()}
                for i in range(self.scenario.n)
            },
        }
