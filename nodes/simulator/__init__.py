"""A deterministic simulator for the consensus driver.

Seeded and in virtual time, it runs ``n`` validators (each the very consensus ``Driver`` a
node runs) over a network that delays, loses, duplicates and reorders messages until a heal
time, with partitions that heal, crashes with restart from the validator's disk, and an
optional equivocating validator; then checks agreement, validity, one vote per step,
evidence and progress on the result.

    result = simulate(scenario_for(seed=7, n=4, heights=50))
    check_invariants(result)  # raises InvariantViolation naming seed, height and nodes
"""

from nodes.simulator.invariants import InvariantViolation, check_invariants, violations
from nodes.simulator.result import Result
from nodes.simulator.run import simulate
from nodes.simulator.scenario import Crash, Partition, Scenario, scenario_for

__all__ = [
    "Crash",
    "InvariantViolation",
    "Partition",
    "Result",
    "Scenario",
    "check_invariants",
    "scenario_for",
    "simulate",
    "violations",
]
