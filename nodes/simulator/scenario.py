"""What one simulated run faces: the network's faults, crashes and a Byzantine validator.

Promises:
- A ``Scenario`` is plain, frozen data; ``simulate`` of the same scenario always gives the
  same result.
- ``scenario_for(seed, n, heights)`` is a pure function of its arguments: the same seed
  gives the same scenario on every machine and Python process.
- Every scenario it builds keeps at most ``n - q`` correct validators crashed at once,
  never crashes the Byzantine validator, and heals every fault at ``settle_time``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ledger.quorum import max_faulty, quorum


@dataclass(frozen=True)
class Partition:
    """From ``start`` until ``heal`` (virtual seconds) messages between validators of
    different ``groups`` are dropped. Every validator is in exactly one group."""

    start: float
    heal: float
    groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Crash:
    """Validator ``node`` stops at ``at`` (losing everything but its disk) and restarts
    from its disk at ``restart``."""

    node: int
    at: float
    restart: float


@dataclass(frozen=True)
class Scenario:
    """One run: ``n`` validators decide ``heights`` heights under these faults.

    Until ``heal`` (the global stabilisation time) each message is lost with probability
    ``loss``, duplicated with probability ``duplicate``, delayed uniformly in
    ``chaos_delay`` and, with probability ``reorder``, held back by up to three times the
    top of that range. From ``heal`` on, messages are neither lost nor duplicated and take
    a delay uniformly in ``delay``, so ``delay[1]`` is the bound Delta. Validator
    ``byzantine`` (or none) equivocates. Correct validators re-send their current-height
    messages every ``resend`` seconds.
    """

    n: int
    heights: int
    seed: int
    delay: tuple[float, float] = (0.001, 0.05)
    chaos_delay: tuple[float, float] = (0.001, 0.05)
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    heal: float = 0.0
    partitions: tuple[Partition, ...] = ()
    crashes: tuple[Crash, ...] = ()
    byzantine: int | None = None
    resend: float = 1.0

    def __post_init__(self) -> None:
        if self.n < 1 or self.heights < 1:
            raise ValueError("a scenario needs at least one validator and one height")
        for name, (lo, hi) in (("delay", self.delay), ("chaos_delay", self.chaos_delay)):
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must satisfy 0 < low <= high")
        for name in ("loss", "duplicate", "reorder"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")
        if self.resend <= 0 or self.heal < 0:
            raise ValueError("resend must be positive and heal not negative")
        if self.byzantine is not None and not 0 <= self.byzantine < self.n:
            raise ValueError("byzantine must name a validator")
        for p in self.partitions:
            members = sorted(i for g in p.groups for i in g)
            if members != list(range(self.n)) or not 0 <= p.start <= p.heal:
                raise ValueError("a partition puts every validator in one group and heals")
        for c in self.crashes:
            if not 0 <= c.node < self.n or c.node == self.byzantine or not 0 <= c.at < c.restart:
                raise ValueError("a crash names a correct validator and restarts after it")
        if self.max_down() > self.n - quorum(self.n):
            raise ValueError("more than n - q validators would be down at once")

    @property
    def faulty(self) -> int:
        """How many validators are Byzantine (0 or 1)."""
        return 0 if self.byzantine is None else 1

    @property
    def safe(self) -> bool:
        """Whether Tendermint promises agreement and progress here: at most f Byzantine."""
        return self.faulty <= max_faulty(self.n)

    @property
    def correct(self) -> tuple[int, ...]:
        """The validators that follow the protocol (crashes included)."""
        return tuple(i for i in range(self.n) if i != self.byzantine)

    def settle_time(self) -> float:
        """When the last fault is over: network healed, partitions healed, crashed
        validators restarted."""
        times = [self.heal]
        times += [p.heal for p in self.partitions]
        times += [c.restart for c in self.crashes]
        return max(times)

    def max_down(self) -> int:
        """The most validators crashed at one moment."""
        edges = sorted([(c.at, 1) for c in self.crashes] + [(c.restart, -1) for c in self.crashes])
        down = top = 0
        for _, step in edges:
            down += step
            top = max(top, down)
        return top

    def describe(self) -> str:
        """One line naming every fault."""
        parts = [f"n={self.n} heights={self.heights} seed={self.seed}"]
        parts.append(f"delay {self.delay[0] * 1000:.1f}-{self.delay[1] * 1000:.0f}ms")
        if self.heal:
            parts.append(
                f"until {self.heal:.2f}s: delay up to {self.chaos_delay[1] * 1000:.0f}ms, "
                f"loss {self.loss:.0%}, dup {self.duplicate:.0%}, reorder {self.reorder:.0%}"
            )
        for p in self.partitions:
            groups = "|".join(",".join(str(i) for i in g) for g in p.groups)
            parts.append(f"partition {groups} {p.start:.2f}-{p.heal:.2f}s")
        for c in self.crashes:
            parts.append(f"crash {c.node} {c.at:.2f}-{c.restart:.2f}s")
        if self.byzantine is not None:
            parts.append(f"byzantine {self.byzantine}")
        return "; ".join(parts)


BYZANTINE_SHARE = 0.25
"""The share of seeds whose scenario has one equivocating validator."""


def scenario_for(seed: int, n: int, heights: int, byzantine: bool | None = None) -> Scenario:
    """The scenario of ``seed``: random delays, loss, duplication and reordering until a
    heal time; perhaps one partition (a minority isolated, or an even split) that heals;
    perhaps one or two crashes of a correct validator with restart from its disk, or a
    storm of short crashes one after another (15% of seeds); and,
    for ``BYZANTINE_SHARE`` of seeds (always with ``byzantine=True``, never with
    ``False``), one equivocating validator. Faults fall within the first ``0.1 *
    heights`` virtual seconds, while the validators are still deciding."""
    rng = random.Random(f"provledger-sim/scenario/{n}/{heights}/{seed}")
    horizon = max(1.0, 0.1 * heights)
    lo = rng.uniform(0.0005, 0.005)
    hi = rng.uniform(0.01, 0.1)
    chaos_hi = rng.choices([hi, 0.3, 1.0, 2.5], weights=[4, 3, 2, 1])[0]
    heal = rng.uniform(0.0, horizon)
    loss = rng.uniform(0.0, 0.2) if rng.random() < 0.7 else 0.0
    duplicate = rng.uniform(0.0, 0.1) if rng.random() < 0.5 else 0.0
    reorder = rng.uniform(0.0, 0.2) if rng.random() < 0.5 else 0.0
    has_byzantine = rng.random() < BYZANTINE_SHARE
    if byzantine is not None:
        has_byzantine = byzantine
    bad = rng.randrange(n) if has_byzantine else None
    partitions: tuple[Partition, ...] = ()
    if n > 1 and rng.random() < 0.6:
        order = list(range(n))
        rng.shuffle(order)
        even = n % 2 == 0 and rng.random() < 0.5
        size = n // 2 if even else rng.randint(1, max(1, (n - 1) // 2))
        start = rng.uniform(0.0, horizon)
        groups = (tuple(sorted(order[:size])), tuple(sorted(order[size:])))
        partitions = (Partition(start, start + rng.uniform(0.3, horizon / 2 + 1.0), groups),)
    crashes: list[Crash] = []
    correct = [i for i in range(n) if i != bad]
    crashing = rng.random() if n - quorum(n) >= 1 else 1.0
    if crashing < 0.6:
        at = rng.uniform(0.0, horizon)
        for _ in range(2 if rng.random() < 0.25 else 1):
            restart = at + rng.uniform(0.1, horizon / 2 + 1.0)
            crashes.append(Crash(rng.choice(correct), at, restart))
            at = restart + rng.uniform(0.05, 1.0)
    elif crashing < 0.75:
        at = rng.uniform(0.0, 0.2 * horizon)
        while at < horizon:
            restart = at + rng.uniform(0.05, 0.6)
            crashes.append(Crash(rng.choice(correct), at, restart))
            at = restart + rng.uniform(0.01, 0.3)
    return Scenario(
        n=n,
        heights=heights,
        seed=seed,
        delay=(lo, hi),
        chaos_delay=(lo, chaos_hi),
        loss=loss,
        duplicate=duplicate,
        reorder=reorder,
        heal=heal,
        partitions=partitions,
        crashes=tuple(crashes),
        byzantine=bad,
    )
