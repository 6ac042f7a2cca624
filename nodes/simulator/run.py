"""Run one scenario: ``simulate(scenario) -> Result``; ``check_invariants(result)``.

Promises:
- ``simulate`` is deterministic: its only randomness is ``random.Random`` generators
  seeded from the scenario's seed, and it never reads a clock; the same scenario gives
  the same decisions, evidence, message counts and virtual time, in any process.
- It stops once every correct validator has committed ``scenario.heights`` heights and
  every fault is over, or at the liveness deadline (``progress.progress_bound`` after
  the settle time), or after ``max_events`` events, whichever comes first, and says which
  in ``Result.stopped``.
"""

from __future__ import annotations

import heapq
import random

from nodes.consensus.machine import Params
from nodes.simulator.byzantine import Equivocator
from nodes.simulator.identities import Identities
from nodes.simulator.invariants import InvariantViolation, check_invariants, violations
from nodes.simulator.network import CONTROL, DELIVER, TICK, TIMER, Network
from nodes.simulator.node import Context, Node
from nodes.simulator.progress import progress_bound
from nodes.simulator.record import Log
from nodes.simulator.result import Result
from nodes.simulator.scenario import Scenario

__all__ = ["InvariantViolation", "Result", "check_invariants", "simulate", "violations"]

EVENTS_PER_HEIGHT = 20_000
"""The default event budget per height (a run that needs more is runaway)."""


def simulate(scenario: Scenario, *, trace: bool = False, max_events: int | None = None) -> Result:
    """Run ``scenario`` to completion in virtual time; ``trace`` records every message,
    timeout and commit in ``Result.trace``."""
    s = scenario
    ids = Identities.for_seed(s.seed, s.n)
    params = Params(ids.ids)
    net = Network(s, random.Random(f"provledger-sim/network/{s.n}/{s.seed}"))
    log = Log(s.n, trace)
    waiting = set(s.correct)
    ctx = Context(s, params, ids, net, log, waiting.discard, {k: i for i, k in enumerate(ids.ids)})
    nodes: list[Node] = []
    for i in range(s.n):
        if i == s.byzantine:
            rng = random.Random(f"provledger-sim/byzantine/{s.n}/{s.seed}")
            nodes.append(Equivocator(i, ctx, ids.keys[i], rng))
        else:
            nodes.append(Node(i, ctx))
    restarts = [0] * s.n
    settle = s.settle_time()
    deadline = [float("inf")]

    def crash(i: int) -> None:
        nodes[i].crash()
        log.note(net.now, i, "crash")

    def restart(i: int) -> None:
        disk = nodes[i].disk
        kept = len(disk.votes.get(disk.top + 1, ()))
        log.note(net.now, i, f"restart from disk at h{disk.top + 1} with {kept} own votes there")
        restarts[i] += 1
        nodes[i].boot()

    def settled() -> None:
        live = [nodes[i].driver.view() for i in s.correct]
        first = min(v.height for v in live)
        top = max(v.round for v in live)
        deadline[0] = net.now + progress_bound(params, s, first, top)
        log.note(
            net.now,
            None,
            f"settled: lowest height {first}, highest round {top}; deadline t={deadline[0]:.2f}s",
        )

    for p in s.partitions:
        groups = " | ".join(",".join(str(i) for i in g) for g in p.groups)
        net.at(p.start, CONTROL, 0, lambda g=groups: log.note(net.now, None, f"partition {g}"))
        net.at(p.heal, CONTROL, 0, lambda: log.note(net.now, None, "partition heals"))
    if s.heal:
        net.at(s.heal, CONTROL, 0, lambda: log.note(net.now, None, "network heals"))
    for c in s.crashes:
        net.at(c.at, CONTROL, c.node, lambda i=c.node: crash(i))
        net.at(c.restart, CONTROL, c.node, lambda i=c.node: restart(i))
    net.at(settle, CONTROL, 0, settled)
    for node in nodes:
        node.boot()

    budget = max_events if max_events is not None else EVENTS_PER_HEIGHT * s.heights
    queue, pop, counts = net.queue, heapq.heappop, net.counts
    events = 0
    stopped = "event queue empty"
    while queue:
        if queue[0][0] > deadline[0]:
            stopped = "deadline"
            break
        time, _, kind, dst, payload = pop(queue)
        net.now = time
        events += 1
        node = nodes[dst]
        if kind == DELIVER:
            if node.up:
                counts.delivered += 1
                node.receive(*payload)
            else:
                counts.to_down += 1
        elif kind == TIMER:
            if node.up:
                node.on_timer(payload)
        elif kind == TICK:
            if node.up:
                node.on_tick(payload)
        else:
            payload()
        if not waiting and time >= settle:
            stopped = "goal reached"
            break
        if events >= budget:
            stopped = f"event budget {budget} spent"
            break
    return Result(
        scenario=s,
        ids=ids,
        decisions=log.decisions,
        redecided=log.redecided,
        evidence=log.evidence,
        owed=log.owed,
        votes_sent=log.votes_sent,
        valid_proposals=log.valid_proposals,
        reached_at=[nodes[i].reached_at for i in range(s.n)],
        restarts=restarts,
        settled_at=settle,
        deadline=deadline[0],
        virtual_time=net.now,
        messages=counts,
        events=events,
        stopped=stopped,
        timeline=log.timeline,
        trace=log.trace,
    )
