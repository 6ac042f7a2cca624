"""Virtual time and an unreliable network, driven by one seeded random generator.

Promises:
- Time is virtual: ``now`` moves only when the run loop takes the next event.
- Events at the same instant come out in the order they were scheduled (a sequence
  number breaks ties), so a run depends on nothing but the seed.
- Until the scenario's heal time a message may be lost, duplicated, delayed within
  ``chaos_delay`` or held back further (reordered); from then on it is delivered exactly
  once within ``delay``. A message sent across an active partition is dropped.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Any

from nodes.simulator.scenario import Scenario

DELIVER = 0
"""Event kind: payload ``(sender, message)`` reaches its destination."""
TIMER = 1
"""Event kind: payload ``(incarnation, height, round, step)`` of a consensus timeout."""
TICK = 2
"""Event kind: payload ``incarnation``; the validator re-sends its messages."""
CONTROL = 3
"""Event kind: payload a callable of no argument (crash, restart, settle...)."""

Event = tuple[float, int, int, int, Any]
"""``(time, sequence, kind, destination, payload)``."""


@dataclass
class Counts:
    """What happened to the messages of one run."""

    sent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    cut: int = 0
    to_down: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON-safe form."""
        return dict(self.__dict__)


class Network:
    """The event queue, the clock and the links between ``scenario.n`` validators."""

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self.now = 0.0
        self.queue: list[Event] = []
        self.counts = Counts()
        self._seq = 0
        self._rng = rng
        self._heal = scenario.heal
        self._delay = scenario.delay
        self._chaos = scenario.chaos_delay
        self._loss = scenario.loss
        self._dup = scenario.duplicate
        self._reorder = scenario.reorder
        self._cuts: list[tuple[float, float, tuple[int, ...]]] = []
        for p in scenario.partitions:
            side = [0] * scenario.n
            for g, members in enumerate(p.groups):
                for i in members:
                    side[i] = g
            self._cuts.append((p.start, p.heal, tuple(side)))

    def at(self, time: float, kind: int, dst: int, payload: Any) -> None:
        """Schedule an event for validator ``dst`` at virtual ``time``."""
        self._seq += 1
        heapq.heappush(self.queue, (time, self._seq, kind, dst, payload))

    def after(self, delay: float, kind: int, dst: int, payload: Any) -> None:
        """Schedule an event ``delay`` seconds from now."""
        self.at(self.now + delay, kind, dst, payload)

    def cut(self, src: int, dst: int) -> bool:
        """Whether a partition separates ``src`` from ``dst`` now."""
        now = self.now
        for start, heal, side in self._cuts:
            if start <= now < heal and side[src] != side[dst]:
                return True
        return False

    def send(self, src: int, dst: int, message: object) -> None:
        """Hand ``message`` from ``src`` to the network for ``dst``."""
        counts = self.counts
        counts.sent += 1
        if self._cuts and self.cut(src, dst):
            counts.cut += 1
            return
        rng = self._rng
        now = self.now
        if now >= self._heal:
            lo, hi = self._delay
            self.at(now + lo + (hi - lo) * rng.random(), DELIVER, dst, (src, message))
            return
        if self._loss and rng.random() < self._loss:
            counts.lost += 1
            return
        copies = 1
        if self._dup and rng.random() < self._dup:
            copies = 2
            counts.duplicated += 1
        lo, hi = self._chaos
        for _ in range(copies):
            delay = lo + (hi - lo) * rng.random()
            if self._reorder and rng.random() < self._reorder:
                delay += 3 * hi * rng.random()
            self.at(now + delay, DELIVER, dst, (src, message))
