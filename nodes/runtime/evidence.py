"""The equivocations a node caught, kept in memory and appended to ``evidence.jsonl``.

Promise: only evidence that verifies against the validator set is kept (a pair of
conflicting votes, both signed by one validator); each is logged as an error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ledger.errors import LedgerError
from ledger.model.evidence import Equivocation
from ledger.model.vote import Vote
from ledger.quorum import ValidatorSet

log = logging.getLogger("provledger.node")


class EvidenceBook:
    """Equivocations by validators of ``validators`` on ``chain_id``, kept at ``path``."""

    def __init__(self, path: Path, validators: ValidatorSet, chain_id: str) -> None:
        self.path = path
        self.items: list[Equivocation] = []
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
