"""The properties every simulated run must have, checked on its ``Result``.

Promises — ``violations(result)`` lists, and ``check_invariants(result)`` raises the
first of, every breach of:

- agreement: no two correct validators commit different values at one height, and none
  commits two values at one height (only promised with at most f Byzantine validators);
- validity: every value a correct validator commits was proposed, and is valid;
- one vote per step: no correct validator ever sent two different votes at one (height,
  round, step), across its crashes and restarts included;
- evidence: every equivocation a correct validator reported names a faulty validator and
  verifies (``Equivocation.verify``); and whenever a correct validator was delivered two
  conflicting votes of one validator at its current height, it reported them;
- progress: every correct validator commits every height up to the goal by the
  deadline of ``progress.progress_bound`` (only promised with at most f Byzantine).
"""

from __future__ import annotations

from ledger.errors import LedgerError
from ledger.model.evidence import Equivocation
from nodes.simulator.result import Result


class InvariantViolation(AssertionError):
    """A run broke ``invariant`` at ``height`` (None: not tied to one height), on
    validators ``nodes``."""

    def __init__(
        self,
        invariant: str,
        seed: int,
        n: int,
        height: int | None,
        nodes: tuple[int, ...],
        detail: str,
    ) -> None:
        self.invariant = invariant
        self.seed = seed
        self.n = n
        self.height = height
        self.nodes = nodes
        self.detail = detail
        where = f" at height {height}" if height is not None else ""
        names = ", ".join(str(i) for i in nodes)
        super().__init__(
            f"{invariant} violated: seed {seed}, n={n}{where}, nodes {names}: {detail}"
        )


def check_invariants(result: Result) -> None:
    """Raise the first ``InvariantViolation`` of ``result``, if any."""
    found = violations(result)
    if found:
        raise found[0]


def violations(result: Result) -> list[InvariantViolation]:
    """Every invariant ``result`` breaks (empty: the run is correct)."""
    out: list[InvariantViolation] = []
    for check in (_agreement, _validity, _one_vote, _evidence, _progress):
        out.extend(check(result))
    return out


def _violation(
    result: Result, invariant: str, height: int | None, nodes: tuple[int, ...], detail: str
) -> InvariantViolation:
    s = result.scenario
    return InvariantViolation(invariant, s.seed, s.n, height, tuple(sorted(nodes)), detail)


def _agreement(result: Result) -> list[InvariantViolation]:
    s = result.scenario
    out = []
    correct = set(s.correct)
    if s.safe:
        for node, before, after in result.redecided:
            if node in correct:
                detail = f"committed {before.value_id[:8]} then {after.value_id[:8]}"
                out.append(_violation(result, "agreement", before.height, (node,), detail))
    by_height: dict[int, dict[str, list[int]]] = {}
    for i in s.correct:
        for h, d in result.decisions[i].items():
            by_height.setdefault(h, {}).setdefault(d.value_id, []).append(i)
    for h in sorted(by_height):
        values = by_height[h]
        if len(values) > 1 and s.safe:
            nodes = tuple(i for who in values.values() for i in who)
            detail = "; ".join(f"{v[:8]} by {who}" for v, who in sorted(values.items()))
            out.append(_violation(result, "agreement", h, nodes, detail))
    return out


def _validity(result: Result) -> list[InvariantViolation]:
    out = []
    for i in result.scenario.correct:
        for h, d in sorted(result.decisions[i].items()):
            if d.value_id not in result.valid_proposals.get(h, ()):
                detail = f"committed {d.value_id[:8]}, not a valid proposed value"
                out.append(_violation(result, "validity", h, (i,), detail))
    return out


def _one_vote(result: Result) -> list[InvariantViolation]:
    out = []
    for i in result.scenario.correct:
        cast: dict[tuple[int, int, str], str | None] = {}
        for v in result.votes_sent[i]:
            key = (v.height, v.round, v.type.value)
            if key in cast and cast[key] != v.block_hash:
                first = cast[key]
                detail = (
                    f"two {v.type.value}s in round {v.round}: "
                    f"{(first or 'nil')[:8]} and {(v.block_hash or 'nil')[:8]} "
                    f"(restarts: {result.restarts[i]})"
                )
                out.append(_violation(result, "one vote per step", v.height, (i,), detail))
            cast.setdefault(key, v.block_hash)
    return out


def _evidence(result: Result) -> list[InvariantViolation]:
    s = result.scenario
    ids = result.ids
    correct = set(s.correct)
    correct_ids = {ids.ids[i] for i in correct}
    out = []
    checked: set[tuple[bytes, bytes]] = set()
    for e in result.evidence:
        if e.reporter not in correct:
            continue
        accused = e.first.validator
        if accused in correct_ids:
            detail = f"reported correct validator {ids.index_of(accused)} as equivocating"
            out.append(_violation(result, "evidence", e.first.height, (e.reporter,), detail))
            continue
        pair = (e.first.signature, e.second.signature)
        if pair in checked:
            continue
        checked.add(pair)
        try:
            Equivocation(e.first, e.second).verify(ids.validator_set, ids.chain_id)
        except LedgerError as exc:
            detail = f"reported evidence does not verify: {exc}"
            out.append(_violation(result, "evidence", e.first.height, (e.reporter,), detail))
    for i in s.correct:
        reported = {e.key for e in result.evidence if e.reporter == i}
        for key, _ in sorted(result.owed[i].items(), key=lambda kv: kv[1]):
            if key not in reported:
                who = ids.index_of(key[0])
                detail = (
                    f"two conflicting {key[3]}s of validator {who} in round {key[2]} unreported"
                )
                out.append(_violation(result, "evidence", key[1], (i,), detail))
    return out


def _progress(result: Result) -> list[InvariantViolation]:
    s = result.scenario
    if not s.safe:
        return []
    late: list[int] = []
    for i in s.correct:
        reached = result.reached_at[i]
        if reached is None or reached > result.deadline:
            late.append(i)
    if not late:
        return []
    lowest = min(max((h for h in result.decisions[i]), default=0) for i in late)
    detail = (
        f"not all at height {s.heights} by t={result.deadline:.2f}s "
        f"(settled {result.settled_at:.2f}s, stopped at {result.virtual_time:.2f}s: "
        f"{result.stopped}; reached {[_t(t) for t in result.reached_at]})"
    )
    return [_violation(result, "progress", lowest + 1, tuple(late), detail)]


def _t(t: float | None) -> str:
    return "-" if t is None else f"{t:.2f}"
