"""The consensus driver, data-driven: each file under ``tests/vectors/driver/`` is a list
of events in and the Ready expected out, in a compact notation (etcd-io/raft's
data-driven tests are the model).

Notation. Validators are ``0..n-1`` (``by 2``); values are letters (value id ``A``,
value ``block A``); ``nil`` is no value.

Events: ``resume``, ``tick``, ``backlog N``, ``peers at H``,
``proposal h1 r0 A by 1 [vr0]``, ``prevote|precommit h1 r0 A|nil by 2 [badsig]``,
``judged h1 r0 A valid|invalid``, ``built h1 r0 A``,
``timeout propose|prevote|precommit h1 r0``, ``synced h1 A``.

Ready: a JSON object with the non-empty fields only: ``persist`` (our votes),
``lock`` (proposals to keep), ``send``, ``decide`` (``h1 r0 A by 0,1``), ``timeouts``
(``propose h1 r0``), ``evidence`` (``prevote h1 r0 by 2: A, B``), ``judge`` (``h1 r0 A``),
``build`` (``h1 r0``). A step may add a third item, the view after it
(``h1 r0 prevote locked -1``, or ``... idle`` when the height has not started).

Beside the listed fields every step also checks the Ready's own promises: every vote
to persist is sent in the same Ready, a precommit for a value comes with that value's
proposal to keep, and every decided precommit carries its signer's
attachment.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.model.vote import Vote, VoteType
from nodes.consensus.driver import PARKED_VALUES, Driver
from nodes.consensus.events import (
    Backlog,
    Event,
    PeerHeight,
    ProposalJudged,
    Received,
    ResendTick,
    Resume,
    Synced,
    TimeoutFired,
    ValueBuilt,
)
from nodes.consensus.machine import Params, Step
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import Ready

VECTORS = sorted((Path(__file__).parent / "vectors" / "driver").glob("*.json"))
CHAIN = "00" * 32
STEPS = {"propose": Step.PROPOSE, "prevote": Step.PREVOTE, "precommit": Step.PRECOMMIT}


class Keys:
    """A ``Signing`` with readable fake signatures: a precommit's attachment is good
    when it names its signer and the value."""

    def __init__(self, me: str) -> None:
        self.me = me

    def vote(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        return Vote(CHAIN, height, round, type, value_id, self.me, b"sig")

    def proposal(self, proposal: Proposal) -> bytes:
        return f"signed by {proposal.proposer}".encode()

    def endorse(self, vote: Vote, value: Any) -> str:
        return f"cosig {vote.validator} {value}"

    def endorsed(self, vote: Vote, attachment: str | None, value: Any) -> bool:
        return attachment == f"cosig {vote.validator} {value}"


# ---- the notation -----------------------------------------------------------------


def _hr(h: str, r: str) -> tuple[int, int]:
    assert h[0] == "h" and r[0] == "r", (h, r)
    return int(h[1:]), int(r[1:])


def parse_event(text: str, ids: tuple[str, ...]) -> Event:
    """One event from its notation."""
    w = text.split()
    match w:
        case ["resume"]:
            return Resume()
        case ["tick"]:
            return ResendTick()
        case ["backlog", n]:
            return Backlog(int(n))
        case ["peers", "at", h]:
            return PeerHeight(int(h))
        case ["proposal", h, r, vid, "by", who, *rest]:
            height, round = _hr(h, r)
            vr = int(rest[0][2:]) if rest else -1
            p = Proposal(height, round, vid, vr, ids[int(who)], f"block {vid}")
            return Received(SignedProposal(p, f"signed by {p.proposer}".encode()))
        case [("prevote" | "precommit") as kind, h, r, vid, "by", who, *rest]:
            height, round = _hr(h, r)
            value = None if vid == "nil" else vid
            vote = Vote(CHAIN, height, round, VoteType(kind), value, ids[int(who)], b"sig")
            good = f"cosig {vote.validator} block {vid}"
            attachment = None
            if kind == "precommit" and value is not None:
                attachment = "forged" if rest == ["badsig"] else good
            return Received(SignedVote(vote, attachment))
        case ["judged", h, r, vid, verdict]:
            height, round = _hr(h, r)
            proposer = Params(ids).proposer(height, round)
            p = Proposal(height, round, vid, -1, proposer, f"block {vid}")
            return ProposalJudged(p, verdict == "valid")
        case ["built", h, r, vid]:
            height, round = _hr(h, r)
            return ValueBuilt(height, round, f"block {vid}", vid)
        case ["timeout", step, h, r]:
            height, round = _hr(h, r)
            return TimeoutFired(height, round, STEPS[step])
        case ["synced", h, vid]:
            return Synced(int(h[1:]), vid)
    raise ValueError(f"unknown event notation: {text!r}")


def _vote(v: Vote, ids: tuple[str, ...]) -> str:
    return (
        f"{v.type.value} h{v.height} r{v.round} {v.block_hash or 'nil'} by {ids.index(v.validator)}"
    )


def _proposal(p: Proposal, ids: tuple[str, ...]) -> str:
    vr = f" vr{p.valid_round}" if p.valid_round != -1 else ""
    return f"proposal h{p.height} r{p.round} {p.value_id} by {ids.index(p.proposer)}{vr}"


def render(ready: Ready, ids: tuple[str, ...]) -> dict[str, list[str]]:
    """The notation of ``ready``: its non-empty fields."""
    names = list(STEPS)
    out = {
        "persist": [_vote(v, ids) for v in ready.persist_votes],
        "lock": [_proposal(sp.proposal, ids) for sp in ready.persist_locks],
        "send": [
            _vote(m.vote, ids) if isinstance(m, SignedVote) else _proposal(m.proposal, ids)
            for m in ready.send
        ],
        "decide": [
            f"h{d.height} r{d.round} {d.value_id} by "
            + ",".join(str(i) for i in sorted(ids.index(sv.vote.validator) for sv in d.precommits))
            for d in ready.decisions
        ],
        "timeouts": [f"{names[t.step]} h{t.height} r{t.round}" for t in ready.timeouts],
        "evidence": [
            f"{e.first.type.value} h{e.first.height} r{e.first.round} by "
            f"{ids.index(e.first.validator)}: {e.first.block_hash or 'nil'}, "
            f"{e.second.block_hash or 'nil'}"
            for e in ready.evidence
        ],
        "judge": [f"h{p.height} r{p.round} {p.value_id}" for p in ready.judge],
        "build": [f"h{g.height} r{g.round}" for g in ready.build],
    }
    return {k: v for k, v in out.items() if v}


def view(driver: Driver) -> str:
    v = driver.view()
    state = f"h{v.height} r{v.round} {v.step} locked {v.locked_round}"
    return state if driver.started else f"{state} idle"


def check_promises(ready: Ready) -> None:
    """What every Ready promises, whatever the scenario."""
    sent = {m.vote for m in ready.send if isinstance(m, SignedVote)}
    kept = {sp.proposal.value_id for sp in ready.persist_locks}
    for v in ready.persist_votes:
        assert v in sent, f"{v} persisted but not sent"
        if v.type is VoteType.PRECOMMIT and v.block_hash is not None:
            assert v.block_hash in kept, f"{v} sent without keeping its proposal"
    for d in ready.decisions:
        for sv in d.precommits:
            assert sv.cosignature == f"cosig {sv.vote.validator} {d.value}", sv
    for m in ready.send:
        if isinstance(m, SignedProposal):
            assert m.signature == f"signed by {m.proposal.proposer}".encode()


def run_vector(spec: dict[str, Any]) -> Driver:
    """Drive a fresh driver through ``spec``; raise AssertionError at the first step
    whose Ready (or view) differs from the expected one."""
    ids = tuple(f"v{i}" for i in range(spec["validators"]))
    me = ids[spec["me"]]

    def votes(key: str) -> list[Vote]:
        out = []
        for text in spec.get(key, []):
            event = parse_event(text, ids)
            assert isinstance(event, Received) and isinstance(event.message, SignedVote)
            out.append(event.message.vote)
        return out

    locks = []
    for text in spec.get("locks", []):
        event = parse_event(text, ids)
        assert isinstance(event, Received) and isinstance(event.message, SignedProposal)
        locks.append(event.message)
    driver = Driver(Params(ids), me, Keys(me), spec.get("height", 1), votes("votes"), locks)
    for i, step in enumerate(spec["steps"]):
        text, expected = step[0], step[1]
        ready = driver.step(parse_event(text, ids))
        got = render(ready, ids)
        assert got == expected, f"step {i} ({text}): got {json.dumps(got)}"
        check_promises(ready)
        if len(step) > 2:
            assert view(driver) == step[2], f"step {i} ({text}): view {view(driver)}"
    return driver


# ---- the tests ----------------------------------------------------------------------


def test_every_required_scenario_has_a_vector():
    names = {p.stem for p in VECTORS}
    assert {
        "height_decided_n3",
        "precommit_parked_until_proposal",
        "forged_cosignature_never_counted",
        "duplicate_proposal_judged_once",
        "lock_persisted_before_precommit",
        "restart_reproposes_locked_value",
        "start_rules",
        "resend_rounds_that_matter",
        "equivocation_reported_once",
    } <= names, names


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_driver_vector(path: Path):
    run_vector(json.loads(path.read_text()))


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_a_wrong_expectation_fails(path: Path):
    """The runner can fail: one changed expected Ready in each file is caught."""
    spec = json.loads(path.read_text())
    changed = copy.deepcopy(spec)
    last = changed["steps"][-1]
    last[1] = {**last[1], "send": [*last[1].get("send", []), "prevote h9 r9 nil by 0"]}
    with pytest.raises(AssertionError, match=f"step {len(spec['steps']) - 1}"):
        run_vector(changed)


def test_the_same_events_give_the_same_readies():
    spec = json.loads((VECTORS[0].parent / "height_decided_n3.json").read_text())
    ids = tuple(f"v{i}" for i in range(spec["validators"]))
    runs = []
    for _ in range(2):
        d = Driver(Params(ids), ids[spec["me"]], Keys(ids[spec["me"]]), 1)
        runs.append([d.step(parse_event(s[0], ids)) for s in spec["steps"]])
    assert runs[0] == runs[1]


def test_unknown_notation_is_refused():
    with pytest.raises(ValueError, match="unknown event notation"):
        parse_event("proposal h1 A", ("v0",))


def test_parked_precommits_are_bounded():
    """A validator precommitting many values nobody proposed cannot grow the driver's
    memory without bound: at most ``PARKED_VALUES`` values, ``4 n`` precommits each."""
    ids = ("v0", "v1", "v2")
    d = Driver(Params(ids), "v0", Keys("v0"), 1)
    d.step(Resume())
    for i in range(PARKED_VALUES + 50):
        d.step(parse_event(f"precommit h1 r0 X{i} by 1", ids))
    for _ in range(50):
        d.step(parse_event("precommit h1 r0 X0 by 2", ids))
    memory = d.memory()
    assert memory["parked"] == PARKED_VALUES + 4 * len(ids) - 1, memory
    assert memory["heard"] == 3, memory  # first and one conflicting of 1, first of 2
