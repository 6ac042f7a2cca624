"""Evidence of equivocation: one validator's two signed, conflicting votes.

Anyone holding the validator set can check it: same validator, chain, height, round
and vote type; different block hashes; both signatures valid. A correct validator
never produces such a pair, so valid evidence proves misbehaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import ValidationError
from ledger.model.fields import expect_object
from ledger.model.vote import Vote
from ledger.quorum import ValidatorSet


@dataclass(frozen=True)
class Equivocation:
    """Two conflicting votes by one validator."""

    vote_a: Vote
    vote_b: Vote

    def verify(self, validators: ValidatorSet, chain_id: str) -> None:
        """Raise ``ValidationError`` unless the votes conflict on chain ``chain_id``, or
        ``SignatureError`` unless both are validly signed by a member of ``validators``."""
        a, b = self.vote_a, self.vote_b
        if a.chain_id != chain_id:
            raise ValidationError("votes are for another chain")
        if (a.validator, a.chain_id, a.height, a.round, a.type) != (
            b.validator,
            b.chain_id,
            b.height,
            b.round,
            b.type,
        ):
            raise ValidationError("votes are not from one validator at one height, round and step")
        if a.block_hash == b.block_hash:
            raise ValidationError("votes agree: no equivocation")
        a.verify(validators)
        b.verify(validators)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "kind": "equivocation",
            "vote_a": self.vote_a.to_dict(),
            "vote_b": self.vote_b.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Equivocation:
        """Decode and validate the structure."""
        expect_object(obj, "evidence", {"kind", "vote_a", "vote_b"})
        if obj["kind"] != "equivocation":
            raise ValidationError("evidence.kind: expected 'equivocation'")
        return cls(Vote.from_dict(obj["vote_a"]), Vote.from_dict(obj["vote_b"]))
