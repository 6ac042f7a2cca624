"""What a run records as it goes: decisions, evidence, every vote sent, the timeline.

Promises:
- Nothing here changes the run; recording is append-only.
- ``trace`` is None unless tracing was asked for, so a plain run pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.model.vote import Vote

EvidenceKey = tuple[str, int, int, str]
"""``(validator key id, height, round, vote type)`` of an equivocation."""


@dataclass(frozen=True)
class Decision:
    """A value a validator committed at ``height``, by deciding or by catch-up."""

    height: int
    round: int
    value_id: str
    time: float
    synced: bool


@dataclass(frozen=True)
class Reported:
    """Evidence a validator reported: ``first`` and ``second`` conflict."""

    reporter: int
    time: float
    first: Vote
    second: Vote

    @property
    def key(self) -> EvidenceKey:
        """Who equivocated where."""
        v = self.first
        return (v.validator, v.height, v.round, v.type.value)


class Log:
    """The record of one run of ``n`` validators."""

    def __init__(self, n: int, trace: bool) -> None:
        self.decisions: list[dict[int, Decision]] = [{} for _ in range(n)]
        self.redecided: list[tuple[int, Decision, Decision]] = []
        self.evidence: list[Reported] = []
        self.owed: list[dict[EvidenceKey, float]] = [{} for _ in range(n)]
        self.votes_sent: list[list[Vote]] = [[] for _ in range(n)]
        self.valid_proposals: dict[int, set[str]] = {}
        self.timeline: list[tuple[float, int | None, str]] = []
        self.trace: list[tuple[float, int | None, str]] | None = [] if trace else None

    def decide(self, node: int, decision: Decision) -> None:
        """Record ``node``'s decision; a second, different one at a height is kept too."""
        before = self.decisions[node].get(decision.height)
        if before is None:
            self.decisions[node][decision.height] = decision
        elif before.value_id != decision.value_id:
            self.redecided.append((node, before, decision))

    def note(self, time: float, node: int | None, text: str) -> None:
        """A timeline line (faults, restarts, evidence, catch-up)."""
        self.timeline.append((time, node, text))
        if self.trace is not None:
            self.trace.append((time, node, text))
