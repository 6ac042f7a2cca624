"""The deterministic simulator and the consensus machine it drives.

(a) every invariant over 200 seeds x 50 heights for n=3 and n=4 (chunks name the seeds);
(b) n=4 with an equivocator: agreement holds and the equivocation is caught, verifiably;
(c) n=3 with an equivocator: caught with verifiable evidence;
(d) crash and restart from the disk never makes a validator vote twice in one step;
(e) a seed replays identically;
(f) the machine driven directly: locks, round skips, timeouts, restarts, windows.
The invariant checker is itself checked on planted faults, so these tests can fail.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from typer.testing import CliRunner

from ledger.model.evidence import Equivocation
from ledger.model.vote import Vote, VoteType
from nodes.cli import sim_cmd
from nodes.consensus import (
    BroadcastProposal,
    CastVote,
    CheckProposal,
    Decide,
    GetValue,
    Machine,
    Params,
    Proposal,
    ReportEvidence,
    ScheduleTimeout,
    Step,
)
from nodes.consensus.driver import Driver
from nodes.simulator import (
    Crash,
    InvariantViolation,
    Partition,
    Result,
    Scenario,
    check_invariants,
    scenario_for,
    simulate,
    violations,
)
from nodes.simulator.node import Disk
from nodes.simulator.node import Node as SimulatedNode
from nodes.simulator.record import Decision, Reported

SEEDS = 200
HEIGHTS = 50
CHUNK = 25


def _check(result: Result) -> None:
    found = violations(result)
    assert not found, "\n".join(str(v) for v in found)


# ---- (a) all invariants over many seeds -------------------------------------------


@pytest.mark.parametrize(
    ("n", "first"),
    [
        pytest.param(n, first, id=f"n{n}-seeds{first}-{first + CHUNK - 1}")
        for n in (3, 4)
        for first in range(0, SEEDS, CHUNK)
    ],
)
def test_invariants_hold_over_seeds(n, first):
    failures = []
    for seed in range(first, first + CHUNK):
        result = simulate(scenario_for(seed, n, HEIGHTS))
        failures += [str(v) for v in violations(result)]
        if result.scenario.safe and not failures:
            assert result.heights_decided() >= HEIGHTS, f"seed {seed}"
    assert not failures, "\n".join(failures)


def test_scenarios_mix_every_fault():
    kinds = dict.fromkeys(("loss", "dup", "partition", "even split", "crash", "storm", "byz"), 0)
    for seed in range(SEEDS):
        s = scenario_for(seed, 4, HEIGHTS)
        kinds["loss"] += s.loss > 0
        kinds["dup"] += s.duplicate > 0
        kinds["partition"] += bool(s.partitions)
        kinds["even split"] += any(len(p.groups[0]) == 2 for p in s.partitions)
        kinds["crash"] += bool(s.crashes)
        kinds["storm"] += len(s.crashes) > 2
        kinds["byz"] += s.byzantine is not None
        assert s.max_down() <= 1
    assert all(count >= SEEDS // 10 for count in kinds.values()), kinds


# ---- (b) n=4 with one equivocator ------------------------------------------------


def _caught_and_verified(result: Result) -> int:
    ids, bad = result.ids, result.scenario.byzantine
    assert bad is not None
    correct = set(result.scenario.correct)
    reports = [e for e in result.evidence if e.reporter in correct]
    assert reports, f"seed {result.seed}: the equivocation went unreported"
    for e in reports:
        assert e.first.validator == ids.ids[bad]
        Equivocation(e.first, e.second).verify(ids.validator_set, ids.chain_id)
    return len(reports)


@pytest.mark.parametrize("first", [0, 20, 40, 60], ids=lambda f: f"seeds{f}-{f + 19}")
def test_n4_equivocator_cannot_split_and_is_caught(first):
    for seed in range(first, first + 20):
        result = simulate(scenario_for(seed, 4, HEIGHTS, byzantine=True))
        _check(result)
        for h in range(1, HEIGHTS + 1):
            values = {result.decisions[i][h].value_id for i in result.scenario.correct}
            assert len(values) == 1, f"seed {seed} height {h}: {values}"
        _caught_and_verified(result)


# ---- (c) n=3 with one equivocator --------------------------------------------------


def test_n3_equivocator_is_caught_with_evidence():
    """With n=3 (f=0) one equivocator can split the correct validators and can stall
    them, so neither agreement nor progress is promised; every run that progresses
    catches it, and every report verifies."""
    caught = 0
    for seed in range(32):
        result = simulate(scenario_for(seed, 3, 30, byzantine=True))
        assert not result.scenario.safe
        _check(result)  # validity, one vote per step, sound and complete evidence
        if result.stopped == "goal reached" or result.evidence_caught():
            _caught_and_verified(result)
            caught += 1
    assert caught >= 30


# ---- (d) crash and restart ---------------------------------------------------------


def _crash_storm(seed: int, n: int, byzantine: int | None = None) -> Scenario:
    """A correct validator crashes every half second (one at a time), mid-round, while
    the network is still lossy and slow."""
    rng = random.Random(seed)
    correct = [i for i in range(n) if i != byzantine]
    crashes, at = [], 0.05
    while at < 8.0:
        down = rng.uniform(0.05, 0.6)
        crashes.append(Crash(rng.choice(correct), at, at + down))
        at += down + rng.uniform(0.01, 0.3)
    return Scenario(
        n=n,
        heights=25,
        seed=seed,
        chaos_delay=(0.001, 0.6),
        loss=0.05,
        duplicate=0.05,
        heal=8.0,
        crashes=tuple(crashes),
        byzantine=byzantine,
    )


def _votes_unique(result: Result, node: int) -> None:
    cast: dict[tuple[int, int, VoteType], str | None] = {}
    for v in result.votes_sent[node]:
        key = (v.height, v.round, v.type)
        assert cast.setdefault(key, v.block_hash) == v.block_hash, (
            f"seed {result.seed}: node {node} voted twice at {key}"
        )


@pytest.mark.parametrize(("n", "byzantine"), [(3, None), (4, None), (4, 3)])
def test_restart_from_disk_never_votes_twice(n, byzantine):
    """Every vote a restarted validator ever sent is checked, and every invariant holds:
    crash storms used to stall when the locked value was lost with the crash."""
    restarted = 0
    for seed in range(20):
        result = simulate(_crash_storm(seed, n, byzantine))
        _check(result)
        for i in result.scenario.correct:
            if result.restarts[i]:
                restarted += 1
                _votes_unique(result, i)
    assert restarted >= 12


def test_amnesia_is_caught(monkeypatch):
    """Without the disk, a restarted validator does vote twice, and the checker says so."""
    monkeypatch.setattr(Disk, "persist", lambda self, vote: None)
    caught = []
    for seed in range(12):
        result = simulate(_crash_storm(seed, 4))
        caught += [v for v in violations(result) if v.invariant == "one vote per step"]
    assert caught
    assert f"seed {caught[0].seed}" in str(caught[0])


@pytest.mark.parametrize(
    ("seed", "storm", "byzantine"),
    [
        pytest.param(6, False, None, id="seed6"),
        pytest.param(1417, False, None, id="seed1417"),
        pytest.param(14, True, None, id="storm14"),
        pytest.param(179, True, 3, id="storm179-byzantine"),
    ],
)
def test_runs_that_stalled_the_machine_now_progress(seed, storm, byzantine):
    """n=4 runs that stalled before the machine fixes (see the machine tests below).
    Seed 6: a conflicting vote counted for no one, so correct validators never agreed on
    a quorum again. Seed 1417 and storm 179: a validator restarted after prevoting left
    its round without precommitting. Storm 14: a lock whose quorum the others saw only
    after the round was never anyone's valid value, so no one proposed it again (it also
    needs the simulated disk to keep the proposal a validator locked on)."""
    scenario = _crash_storm(seed, 4, byzantine) if storm else scenario_for(seed, 4, HEIGHTS)
    _check(simulate(scenario))


def test_the_simulator_keeps_locks_as_the_driver_asks(monkeypatch):
    """The simulated disk keeps the proposals the driver's Ready names (``persist_locks``):
    without them, storm 14 stalls (a restarted validator cannot propose its locked
    value again), so the simulator exercises the node's lock rule."""
    _check(simulate(_crash_storm(14, 4)))
    monkeypatch.setattr(Disk, "keep", lambda self, proposal: None)
    found = violations(simulate(_crash_storm(14, 4)))
    assert [v.invariant for v in found] == ["progress"]


def test_the_simulator_resends_what_the_driver_says(monkeypatch):
    """Lost messages are healed only by what the driver returns on ``ResendTick``: with
    those sends dropped, some seeds stall."""
    seeds = range(6)
    for seed in seeds:
        _check(simulate(scenario_for(seed, 4, 20)))
    monkeypatch.setattr(SimulatedNode, "resend", lambda self, messages: None)
    stalled = [s for s in seeds if violations(simulate(scenario_for(s, 4, 20)))]
    assert stalled, "no run needed the re-sends"


def test_every_simulated_validator_drives_the_driver(monkeypatch):
    seen: list[type] = []
    real = SimulatedNode.boot

    def spy(self: SimulatedNode) -> None:
        real(self)
        seen.append(type(self.driver))

    monkeypatch.setattr(SimulatedNode, "boot", spy)
    simulate(scenario_for(7, 4, 3, byzantine=True))
    assert len(seen) >= 4 and set(seen) == {Driver}


# ---- (e) determinism ---------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4])
def test_same_seed_same_run(n):
    for seed in (5, 6, 17):
        one = simulate(scenario_for(seed, n, 20), trace=True)
        two = simulate(scenario_for(seed, n, 20), trace=True)
        assert one.summary() == two.summary()
        assert one.trace == two.trace
        assert [e.key for e in one.evidence] == [e.key for e in two.evidence]
    assert scenario_for(1, n, 20) != scenario_for(2, n, 20)


# ---- the invariant checker catches planted faults ------------------------------------


@pytest.fixture(scope="module")
def clean() -> Result:
    result = simulate(scenario_for(3, 4, 12, byzantine=True))
    _check(result)
    return result


def _planted(result: Result, **changes: object) -> Result:
    return dataclasses.replace(result, **changes)


def test_checker_catches_disagreement(clean):
    decisions = [dict(d) for d in clean.decisions]
    node = clean.scenario.correct[1]
    decisions[node][7] = dataclasses.replace(decisions[node][7], value_id="ab" * 32)
    with pytest.raises(InvariantViolation) as caught:
        check_invariants(_planted(clean, decisions=decisions))
    v = caught.value
    assert (v.invariant, v.seed, v.height) == ("agreement", clean.seed, 7)
    assert node in v.nodes and len(v.nodes) == 3
    assert f"seed {clean.seed}" in str(v) and "height 7" in str(v)


def test_checker_catches_invalid_value_and_double_vote(clean):
    node = clean.scenario.correct[0]
    decisions = [dict(d) for d in clean.decisions]
    decisions[node][3] = dataclasses.replace(decisions[node][3], value_id="cd" * 32)
    invariants = {v.invariant for v in violations(_planted(clean, decisions=decisions))}
    assert {"agreement", "validity"} <= invariants

    votes = [list(v) for v in clean.votes_sent]
    first = next(v for v in votes[node] if v.block_hash is not None)
    votes[node].append(dataclasses.replace(first, block_hash=None))
    found = violations(_planted(clean, votes_sent=votes))
    assert [(v.invariant, v.height, v.nodes) for v in found] == [
        ("one vote per step", first.height, (node,))
    ]


def test_checker_catches_stalls(clean):
    reached = list(clean.reached_at)
    reached[clean.scenario.correct[2]] = None
    found = violations(_planted(clean, reached_at=reached))
    assert [v.invariant for v in found] == ["progress"]
    assert found[0].nodes == (clean.scenario.correct[2],)


def test_checker_catches_false_and_missing_evidence(clean):
    a, b = clean.scenario.correct[:2]
    own = clean.votes_sent[a][0]
    framed = Reported(b, 1.0, own, dataclasses.replace(own, block_hash="ef" * 32))
    found = violations(_planted(clean, evidence=[*clean.evidence, framed]))
    assert [(v.invariant, v.nodes) for v in found] == [("evidence", (b,))]

    real = next(e for e in clean.evidence if e.reporter == a)
    forged = dataclasses.replace(real, second=dataclasses.replace(real.second, signature=bytes(64)))
    found = violations(_planted(clean, evidence=[forged]))
    assert any("does not verify" in str(v) for v in found)

    owed = [dict(o) for o in clean.owed]
    owed[a][(real.first.validator, 99, 0, "prevote")] = 1.0
    found = violations(_planted(clean, owed=owed))
    assert [(v.invariant, v.height) for v in found] == [("evidence", 99)]


def test_result_counts_and_catch_up():
    result = simulate(
        Scenario(
            n=4,
            heights=30,
            seed=1,
            partitions=(Partition(0.2, 3.0, ((0,), (1, 2, 3))),),
        )
    )
    _check(result)
    synced = [d for d in result.decisions[0].values() if d.synced]
    assert synced, "the isolated validator caught up by asking for decided values"
    m = result.messages
    assert m.cut > 0 and m.sent >= m.delivered + m.cut
    assert isinstance(result.decisions[1][1], Decision)


# ---- the CLI -----------------------------------------------------------------------


def test_cli_soak_and_run(monkeypatch):
    runner = CliRunner()
    ok = runner.invoke(sim_cmd.app, ["soak", "--seeds", "3", "--heights", "5", "--jobs", "1"])
    assert ok.exit_code == 0, ok.output
    assert "6 runs" in ok.output

    replay = runner.invoke(sim_cmd.app, ["run", "--seed", "2", "--nodes", "4", "--heights", "5"])
    assert replay.exit_code == 0, replay.output
    assert "h5 " in replay.output

    def broken(result: Result) -> list[InvariantViolation]:
        return [InvariantViolation("agreement", result.seed, result.scenario.n, 2, (0, 1), "x")]

    monkeypatch.setattr(sim_cmd, "violations", broken)
    bad = runner.invoke(
        sim_cmd.app, ["soak", "--seeds", "2", "--start", "7", "--heights", "3", "--jobs", "1"]
    )
    assert bad.exit_code == 1
    assert "seed 7 (n=3)" in bad.output
    assert "provledger sim run --seed 7 --nodes 3 --heights 3" in bad.output


# ---- (f) the machine, driven directly ----------------------------------------------

IDS = tuple(f"{i:x}" * 64 for i in range(1, 5))
PARAMS = Params(IDS)
ME = IDS[0]
CHAIN = "00" * 32


def _signer(who: str = ME):
    return lambda h, r, t, b: Vote(CHAIN, h, r, t, b, who, bytes(64))


def _vote(who: int, h: int, r: int, t: VoteType, value: str | None) -> Vote:
    return Vote(CHAIN, h, r, t, value, IDS[who], bytes(64))


def _proposal(h: int, r: int, value: str, valid_round: int = -1) -> Proposal:
    return Proposal(h, r, value, valid_round, PARAMS.proposer(h, r), value=f"block {value}")


def _cast(actions: list) -> list[Vote]:
    return [a.vote for a in actions if isinstance(a, CastVote)]


def _timeouts(actions: list) -> list[ScheduleTimeout]:
    return [a for a in actions if isinstance(a, ScheduleTimeout)]


def _feed(m: Machine, msgs: list) -> list:
    out: list = []
    for msg in msgs:
        out += m.on_vote(msg) if isinstance(msg, Vote) else m.on_proposal(msg, True)
    return out


def _locked_machine() -> Machine:
    """Validator 0 at height 1, locked on "v" in round 0, now in round 1."""
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    assert [v.block_hash for v in _cast(m.on_proposal(_proposal(1, 0, "v"), True))] == ["v"]
    out = _feed(m, [_vote(i, 1, 0, VoteType.PREVOTE, "v") for i in (1, 2)])
    assert [(v.type, v.block_hash) for v in _cast(out)] == [(VoteType.PRECOMMIT, "v")]
    assert (m.locked_round, m.locked_id) == (0, "v")
    _feed(m, [_vote(i, 1, 0, VoteType.PRECOMMIT, None) for i in (1, 2)])
    m.on_timeout(1, 0, Step.PRECOMMIT)
    assert (m.round, m.step) == (1, Step.PROPOSE)
    return m


def test_machine_locked_validator_prevotes_nil_for_another_value():
    m = _locked_machine()
    out = m.on_proposal(_proposal(1, 1, "w"), True)
    assert [(v.round, v.type, v.block_hash) for v in _cast(out)] == [(1, VoteType.PREVOTE, None)]


def test_machine_lock_yields_to_a_later_valid_round_proof():
    m = _locked_machine()
    m.on_proposal(_proposal(1, 1, "w"), True)
    _feed(m, [_vote(i, 1, 1, VoteType.PREVOTE, "w") for i in (1, 2, 3)])
    _feed(m, [_vote(i, 1, 1, VoteType.PRECOMMIT, None) for i in (1, 2)])
    m.on_timeout(1, 1, Step.PREVOTE)
    m.on_timeout(1, 1, Step.PRECOMMIT)
    assert m.round == 2
    out = m.on_proposal(_proposal(1, 2, "w", valid_round=1), True)
    assert [(v.round, v.block_hash) for v in _cast(out)] == [(2, "w")]


def test_machine_lock_holds_against_a_valid_round_without_proof():
    m = _locked_machine()
    assert _cast(m.on_proposal(_proposal(1, 1, "w", valid_round=0), True)) == []
    out = m.on_timeout(1, 1, Step.PROPOSE)
    assert [(v.round, v.block_hash) for v in _cast(out)] == [(1, None)]


def test_machine_skips_to_a_round_seen_from_f_plus_one_validators():
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    m.on_vote(_vote(1, 1, 5, VoteType.PREVOTE, None))
    assert m.round == 0
    out = m.on_vote(_vote(2, 1, 5, VoteType.PRECOMMIT, None))
    assert m.round == 5
    assert _timeouts(out) == [ScheduleTimeout(1, 5, Step.PROPOSE, PARAMS.timeout(Step.PROPOSE, 5))]


def test_machine_timeouts_move_through_steps_and_rounds():
    m = Machine(PARAMS, ME, _signer(), 1)
    first = m.on_transactions_available()
    assert _timeouts(first)[0].step == Step.PROPOSE
    assert m.on_timeout(1, 3, Step.PROPOSE) == []  # not our round: stale
    out = m.on_timeout(1, 0, Step.PROPOSE)
    assert [(v.type, v.block_hash) for v in _cast(out)] == [(VoteType.PREVOTE, None)]
    out = _feed(m, [_vote(i, 1, 0, VoteType.PREVOTE, "x") for i in (1, 2)])
    assert [t.step for t in _timeouts(out)] == [Step.PREVOTE]
    out = m.on_timeout(1, 0, Step.PREVOTE)
    assert [(v.type, v.block_hash) for v in _cast(out)] == [(VoteType.PRECOMMIT, None)]
    out = _feed(m, [_vote(i, 1, 0, VoteType.PRECOMMIT, None) for i in (1, 2)])
    assert [t.step for t in _timeouts(out)] == [Step.PRECOMMIT]
    out = m.on_timeout(1, 0, Step.PRECOMMIT)
    assert (m.round, m.step) == (1, Step.PROPOSE)
    assert PARAMS.timeout(Step.PROPOSE, 1) > PARAMS.timeout(Step.PROPOSE, 0)


def test_machine_restarted_with_persisted_votes_never_votes_again():
    persisted = [
        Vote(CHAIN, 1, 0, VoteType.PREVOTE, "v", ME, bytes(64)),
        Vote(CHAIN, 1, 0, VoteType.PRECOMMIT, "v", ME, bytes(64)),
    ]
    m = Machine(PARAMS, ME, _signer(), 1, persisted)
    assert (m.round, m.step, m.locked_round, m.locked_id) == (0, Step.PRECOMMIT, 0, "v")
    assert [t.step for t in _timeouts(m.resume())] == [Step.PRECOMMIT]
    out = m.on_proposal(_proposal(1, 0, "w"), True)
    out += _feed(m, [_vote(i, 1, 0, VoteType.PREVOTE, "w") for i in (1, 2, 3)])
    out += m.on_timeout(1, 0, Step.PROPOSE) + m.on_timeout(1, 0, Step.PREVOTE)
    assert _cast(out) == []
    assert sorted(m.own_messages(), key=lambda v: v.type) == sorted(persisted, key=lambda v: v.type)
    m.on_timeout(1, 0, Step.PRECOMMIT)
    out = m.on_proposal(_proposal(1, 1, "w"), True)
    assert [(v.round, v.block_hash) for v in _cast(out)] == [(1, None)]  # still locked on v


def test_machine_restarted_after_prevote_still_precommits_that_round():
    """Seed 1417 (n=4): a validator restarted after only prevoting must not leave its round
    without precommitting, or the others can wait for that precommit forever."""
    m = Machine(PARAMS, ME, _signer(), 1, [Vote(CHAIN, 1, 2, VoteType.PREVOTE, None, ME, b"")])
    assert (m.round, m.step) == (2, Step.PREVOTE)
    assert [t.step for t in _timeouts(m.resume())] == [Step.PREVOTE]
    out = m.on_timeout(1, 2, Step.PREVOTE)
    assert [(v.round, v.type, v.block_hash) for v in _cast(out)] == [(2, VoteType.PRECOMMIT, None)]


def test_machine_ignores_votes_of_non_validators():
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    m.on_proposal(_proposal(1, 0, "v"), True)
    stranger = Vote(CHAIN, 1, 0, VoteType.PREVOTE, "v", "ff" * 32, bytes(64))
    assert m.on_vote(stranger) == []
    out = m.on_vote(_vote(1, 1, 0, VoteType.PREVOTE, "v"))
    assert _cast(out) == []  # two of q=3: the stranger did not count
    with pytest.raises(ValueError):
        Machine(PARAMS, "ff" * 32, _signer(), 1)


def test_machine_buffers_future_heights_and_replays_them():
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    ahead = _proposal(2, 0, "n2")
    assert m.on_proposal(ahead, None) == []
    _feed(m, [_vote(i, 2, 0, VoteType.PREVOTE, "n2") for i in (2, 3)])
    m.on_proposal(_proposal(1, 0, "v"), True)
    out = _feed(m, [_vote(i, 1, 0, VoteType.PRECOMMIT, "v") for i in (1, 2, 3)])
    decided = [a for a in out if isinstance(a, Decide)]
    assert [(d.height, d.value_id, len(d.precommits)) for d in decided] == [(1, "v", 3)]
    assert m.height == 2
    assert [a.proposal for a in out if isinstance(a, CheckProposal)] == [ahead]
    out = m.on_proposal(ahead, True)
    assert [(v.height, v.type, v.block_hash) for v in _cast(out)] == [
        (2, VoteType.PREVOTE, "n2"),
        (2, VoteType.PRECOMMIT, "n2"),
    ]


def test_machine_drops_messages_beyond_its_windows():
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    edge, far = 1 + PARAMS.height_window, 2 + PARAMS.height_window
    assert m.on_proposal(_proposal(edge, 0, "edge"), None) == []
    assert m.on_proposal(_proposal(far, 0, "far"), None) == []
    late = PARAMS.round_window + 1
    _feed(m, [_vote(i, 1, late, VoteType.PREVOTE, None) for i in (1, 2, 3)])
    assert m.round == 0  # f+1 senders, but beyond the round window: dropped
    replayed = []
    for h in range(1, far):
        replayed += [
            a.proposal.value_id for a in m.on_synced(h, f"d{h}") if isinstance(a, CheckProposal)
        ]
    assert m.height == far
    assert replayed == ["edge"]  # the far one was never kept


def test_machine_reports_equivocation_once_and_counts_it_for_a_held_proposal():
    """Seed 6 (n=4): a second, conflicting vote for a value we hold a proposal for still
    counts; otherwise validators that saw the two votes in different orders never again
    agree on a quorum."""
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    m.on_timeout(1, 0, Step.PROPOSE)  # we prevote nil
    m.on_proposal(_proposal(1, 0, "v"), True)
    m.on_vote(_vote(1, 1, 0, VoteType.PREVOTE, "v"))
    m.on_vote(_vote(3, 1, 0, VoteType.PREVOTE, None))
    out = m.on_vote(_vote(3, 1, 0, VoteType.PREVOTE, "v"))
    assert [type(a) for a in out][:1] == [ReportEvidence]
    again = m.on_vote(_vote(3, 1, 0, VoteType.PREVOTE, "v"))
    assert not [a for a in again if isinstance(a, ReportEvidence)]
    out = m.on_vote(_vote(2, 1, 0, VoteType.PREVOTE, "v"))
    assert m.valid_round == 0 and m.valid_id == "v"  # 1, 2 and 3 prevoted v
    junk = m.on_vote(_vote(2, 1, 0, VoteType.PREVOTE, "zz"))
    assert [type(a) for a in junk] == [ReportEvidence]


def test_machine_proposer_asks_for_a_value_and_proposes_it():
    proposer = PARAMS.proposer(1, 0)
    m = Machine(PARAMS, proposer, _signer(proposer), 1)
    out = m.on_transactions_available()
    assert GetValue(1, 0) in out
    out = m.on_value(1, 0, "block", "b1")
    assert isinstance(out[0], BroadcastProposal) and out[0].proposal.value_id == "b1"
    assert [v.block_hash for v in _cast(out)] == ["b1"]
    assert m.on_value(1, 0, "other", "b2") == []


def test_machine_keeps_a_quorum_completed_after_its_round_as_valid_value():
    """Crash-storm seed 14 (n=4): validators locked on a value whose quorum the others saw
    only after leaving that round; L36 alone never made it anyone's valid value, so no
    one proposed it again and the locked validators prevoted nil forever."""
    m = Machine(PARAMS, ME, _signer(), 1)
    m.on_transactions_available()
    m.on_proposal(_proposal(1, 0, "v"), True)  # we prevote v
    _feed(m, [_vote(i, 1, 1, VoteType.PREVOTE, None) for i in (2, 3)])
    assert m.round == 1 and m.valid_round == -1
    _feed(m, [_vote(i, 1, 0, VoteType.PREVOTE, "v") for i in (1, 2)])  # the quorum, late
    assert (m.valid_round, m.valid_id) == (0, "v")
    out: list = []
    for r in (1, 2):
        for step in (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT):
            out = m.on_timeout(1, r, step)
    assert PARAMS.proposer(1, 3) == ME and m.round == 3
    proposals = [a.proposal for a in out if isinstance(a, BroadcastProposal)]
    assert [(p.round, p.value_id, p.valid_round) for p in proposals] == [(3, "v", 0)]
