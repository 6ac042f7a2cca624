"""Votes and commit certificates.

A ``Vote`` is a validator's signed prevote or precommit for a block hash (or for
nothing, ``block_hash = None``) at one height and round. A ``CommitCertificate`` is the
precommit signatures of at least a quorum of distinct validators for one block hash;
each signature is exactly the signature of the corresponding precommit ``Vote``, so a
certificate can be checked one signature at a time and split back into votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ledger.canonical import unhex
from ledger.domain import Tag, signing_message
from ledger.errors import QuorumError, SignatureError, ValidationError
from ledger.keys import SIGNATURE_BYTES, SigningKey, verify
from ledger.model.fields import expect_object, get_hex, get_int, get_list
from ledger.quorum import ValidatorSet


class VoteType(StrEnum):
    """The two voting steps of Tendermint."""

    PREVOTE = "prevote"
    PRECOMMIT = "precommit"


@dataclass(frozen=True)
class Vote:
    """A signed vote of one validator."""

    chain_id: str
    height: int
    round: int
    type: VoteType
    block_hash: str | None
    validator: str
    signature: bytes = b""

    @classmethod
    def signed(
        cls,
        key: SigningKey,
        chain_id: str,
        height: int,
        round: int,
        type: VoteType,
        block_hash: str | None,
    ) -> Vote:
        """A vote by ``key`` for ``block_hash`` (None: nil vote)."""
        unsigned = cls(chain_id, height, round, type, block_hash, key.key_id)
        return cls(**{**unsigned.__dict__, "signature": key.sign(unsigned.signing_message())})

    def payload(self) -> dict[str, Any]:
        """The signed fields."""
        return {
            "chain_id": self.chain_id,
            "height": self.height,
            "round": self.round,
            "type": self.type.value,
            "block_hash": self.block_hash,
            "validator": self.validator,
        }

    def signing_message(self) -> bytes:
        """The bytes the validator signs."""
        return signing_message(Tag.VOTE, self.payload())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {**self.payload(), "signature": self.signature.hex()}

    @classmethod
    def from_dict(cls, obj: Any) -> Vote:
        """Decode and validate (not the signature: see ``verify``)."""
        where = "vote"
        fields = {"chain_id", "height", "round", "type", "block_hash", "validator", "signature"}
        expect_object(obj, where, fields)
        try:
            vtype = VoteType(obj["type"])
        except ValueError as exc:
            raise ValidationError(f"{where}.type: expected 'prevote' or 'precommit'") from exc
        block_hash = obj["block_hash"]
        if block_hash is not None:
            block_hash = get_hex(obj, "block_hash", where, 32)
        return cls(
            chain_id=get_hex(obj, "chain_id", where, 32),
            height=get_int(obj, "height", where, minimum=1),
            round=get_int(obj, "round", where),
            type=vtype,
            block_hash=block_hash,
            validator=get_hex(obj, "validator", where, 32),
            signature=unhex(obj["signature"], f"{where}.signature", SIGNATURE_BYTES),
        )

    def verify(self, validators: ValidatorSet) -> None:
        """Check the signer is a validator and the signature verifies."""
        public = validators.keys.get(self.validator)
        if public is None:
            raise SignatureError(f"vote signer {self.validator[:16]}… is not a validator")
        verify(public, self.signature, self.signing_message())


@dataclass(frozen=True)
class VoteSignature:
    """One validator's precommit signature inside a certificate."""

    validator: str
    signature: bytes


@dataclass(frozen=True)
class CommitCertificate:
    """Precommit signatures of a quorum of validators over one block hash."""

    chain_id: str
    height: int
    round: int
    block_hash: str
    signatures: tuple[VoteSignature, ...]

    @classmethod
    def from_votes(cls, votes: list[Vote]) -> CommitCertificate:
        """Collect precommits for one block into a certificate (signers sorted, unique)."""
        if not votes:
            raise ValidationError("a certificate needs at least one vote")
        first = votes[0]
        if first.block_hash is None:
            raise ValidationError("a certificate cannot certify a nil vote")
        by_signer: dict[str, bytes] = {}
        for v in votes:
            same = (v.chain_id, v.height, v.round, v.type, v.block_hash)
            if same != (
                first.chain_id,
                first.height,
                first.round,
                VoteType.PRECOMMIT,
                first.block_hash,
            ):
                raise ValidationError("a certificate's votes must be precommits for one block")
            by_signer[v.validator] = v.signature
        sigs = tuple(VoteSignature(k, by_signer[k]) for k in sorted(by_signer))
        return cls(first.chain_id, first.height, first.round, first.block_hash, sigs)

    def votes(self) -> list[Vote]:
        """The precommit votes this certificate is made of."""
        return [
            Vote(
                self.chain_id,
                self.height,
                self.round,
                VoteType.PRECOMMIT,
                self.block_hash,
                s.validator,
                s.signature,
            )
            for s in self.signatures
        ]

    def verify(
        self, validators: ValidatorSet, *, chain_id: str, height: int, block_hash: str
    ) -> None:
        """Check the certificate is for this block and carries a quorum of valid,
        distinct validator signatures; raise ``QuorumError`` or ``SignatureError``."""
        if (self.chain_id, self.height, self.block_hash) != (chain_id, height, block_hash):
            raise SignatureError(
                f"certificate is for height {self.height} block {self.block_hash[:16]}…, "
                f"not height {height} block {block_hash[:16]}…"
            )
        seen: set[str] = set()
        for vote in self.votes():
            if vote.validator in seen:
                raise QuorumError(f"validator {vote.validator[:16]}… signed twice")
            vote.verify(validators)
            seen.add(vote.validator)
        if len(seen) < validators.threshold:
            raise QuorumError(
                f"{len(seen)} validator signature(s), quorum is {validators.threshold}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "chain_id": self.chain_id,
            "height": self.height,
            "round": self.round,
            "block_hash": self.block_hash,
            "signatures": [
                {"validator": s.validator, "signature": s.signature.hex()} for s in self.signatures
            ],
        }

    @classmethod
    def from_dict(cls, obj: Any) -> CommitCertificate:
        """Decode and validate the structure (not the signatures: see ``verify``)."""
        where = "certificate"
        expect_object(obj, where, {"chain_id", "height", "round", "block_hash", "signatures"})
        sigs = []
        for item in get_list(obj, "signatures", where):
            expect_object(item, f"{where}.signatures[]", {"validator", "signature"})
            sigs.append(
                VoteSignature(
                    get_hex(item, "validator", f"{where}.signatures[]", 32),
                    unhex(item["signature"], f"{where}.signatures[].signature", SIGNATURE_BYTES),
                )
            )
        return cls(
            chain_id=get_hex(obj, "chain_id", where, 32),
            height=get_int(obj, "height", where, minimum=1),
            round=get_int(obj, "round", where),
            block_hash=get_hex(obj, "block_hash", where, 32),
            signatures=tuple(sigs),
        )
