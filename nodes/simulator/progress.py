"""How long progress may take once every fault is over: the liveness deadline.

After the settle time T (network healed: no loss, every delay at most Delta =
``scenario.delay[1]``; partitions healed; crashed validators restarted) with at least q
correct validators up, every correct validator decides every height up to
``scenario.heights`` by ``T + progress_bound(...)``, where, with rho = ``scenario.resend``,
f = ``max_faulty(n)`` and K = f + 2:

- ``round_time(r)`` = propose(r) + 2 * vote(r) timeouts + 3 * Delta + rho bounds one
  round r that does not decide: its three timeouts, the three message delays of a quorum
  forming, and one re-send period for a message lost before T (or held back by the
  Byzantine validator and relayed by a correct one).
- Catch-up: within rho of T every correct validator has re-sent its current-height
  messages; a validator behind asks the first sender from a higher height and gets up to
  ``SYNC_BATCH`` decided values per 2 * Delta round trip.
- The first undecided height: a correct validator may have to walk through every round
  up to the highest round ``top_round`` any correct validator had reached at T (rounds
  advance by timeouts or by f + 1 messages of a later round), then K more rounds: among K
  consecutive rounds at least two have a correct proposer (proposers rotate; f faulty),
  and by the second every correct validator has, by the relays, the prevotes that justify
  the proposer's valid round, so the proposal passes every lock and is decided.
- Each later height starts all correct validators in round 0 within Delta of each other
  and takes at most K rounds for the same reason.

The argument is Tendermint's, which assumes a locked validator still knows its locked
value. A validator restarted from its disk keeps its lock (its persisted precommit) but
not the value, so a height can stall when no other correct validator saw the quorum
behind that lock and every quorum needs the restarted one; the progress check then
fails, as it should.
"""

from __future__ import annotations

from ledger.quorum import max_faulty
from nodes.consensus.machine import Params, Step
from nodes.simulator.messages import SYNC_BATCH
from nodes.simulator.scenario import Scenario


def round_time(params: Params, scenario: Scenario, round: int) -> float:
    """The longest a round ``round`` that decides nothing lasts after the settle time."""
    delta, rho = scenario.delay[1], scenario.resend
    timeouts = params.timeout(Step.PROPOSE, round) + 2 * params.timeout(Step.PREVOTE, round)
    return timeouts + 3 * delta + rho


def progress_bound(params: Params, scenario: Scenario, first_height: int, top_round: int) -> float:
    """Virtual seconds after the settle time within which every correct validator decides
    height ``scenario.heights``, given the lowest height ``first_height`` and the highest
    round ``top_round`` of the correct validators at the settle time."""
    k = max_faulty(scenario.n) + 2
    remaining = max(0, scenario.heights - first_height)
    catch_up = scenario.resend + 2 * scenario.delay[1] * (1 + remaining // SYNC_BATCH)
    first = sum(round_time(params, scenario, r) for r in range(top_round + k + 1))
    later = remaining * sum(round_time(params, scenario, r) for r in range(k))
    return catch_up + first + later
