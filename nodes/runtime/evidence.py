"""The misbehaviour a node caught: equivocations, kept in memory and appended to
``evidence.jsonl``, and divergences, appended to ``divergences.jsonl`` beside it.

Promises: only evidence that verifies against the validator set is kept (a pair of
conflicting votes, both signed by one validator); each is logged as an error. A
divergence (a proposal valid in every way but whose state or results root differs from
this node's execution) is kept with both roots and logged as an error: either the
proposer or this node runs contracts that disagree, and no vote of ours goes to it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ledger.errors import LedgerError
from ledger.fault import Fault
from ledger.model.block import BlockHeader
from ledger.model.evidence import Equivocation
from ledger.model.vote import Vote
from ledger.quorum import ValidatorSet
from nodes.divergence import Divergence

log = logging.getLogger("provledger.node")


class EvidenceBook:
    """Equivocations by validators of ``validators`` on ``chain_id``, kept at ``path``."""

    def __init__(self, path: Path, validators: ValidatorSet, chain_id: str) -> None:
        self.path = path
        self.items: list[Equivocation] = []
        self.divergences: list[Divergence] = []
        self._validators, self._chain_id = validators, chain_id

    def record(self, first: Vote, second: Vote) -> bool:
        """Keep the equivocation of ``first`` and ``second`` if it verifies."""
        evidence = Equivocation(first, second)
        try:
            evidence.verify(self._validators, self._chain_id)
        except LedgerError as exc:  # cannot happen for verified votes; never store it
            log.error("evidence does not verify: %s", exc)
            return False
        self.items.append(evidence)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(evidence.to_dict()) + "\n")
        name = self._validators.names.get(first.validator, first.validator[:16])
        log.error("EQUIVOCATION by %s at height %d round %d", name, first.height, first.round)
        return True

    def diverged(
        self, height: int, round_: int, header: BlockHeader, faults: tuple[Fault, ...]
    ) -> None:
        """Keep and log the divergence of the proposal of ``header`` at ``round_``."""
        name = self._validators.names.get(header.proposer, header.proposer[:16])
        for f in faults:
            d = Divergence(
                height, round_, header.proposer, header.block_hash, f.check, f.expected, f.actual
            )
            self.divergences.append(d)
            with open(self.path.with_name("divergences.jsonl"), "a", encoding="utf-8") as out:
                out.write(json.dumps(d.to_dict()) + "\n")
            log.error(
                "DIVERGENCE at height %d round %d: the proposal of %s has %s %s, executing it "
                "here gives %s; not voting for it",
                height,
                round_,
                name,
                f.check,
                f.actual,
                f.expected,
            )
