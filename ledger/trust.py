"""trust.json: what an outside verifier needs to check receipts and checkpoints.

It names the chain id, the quorum, every validator's public key (with its C2SP note
verifier key) and every member organisation's keys and roles. It is derived from
genesis and contains nothing secret. Loading checks it is self-consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import ValidationError
from ledger.jsonfile import read_json_file
from ledger.keys import key_id, public_key_from_hex
from ledger.model.fields import expect_object, get_hex, get_int, get_list, get_str
from ledger.model.genesis import Genesis, Organisation, find_member
from ledger.note import NoteVerifier
from ledger.quorum import ValidatorSet

TRUST_FORMAT = "provledger-trust/v1"


@dataclass(frozen=True)
class Trust:
    """The public trust anchor of one chain."""

    chain_id: str
    chain_name: str
    validators: ValidatorSet
    organisations: tuple[Organisation, ...]

    @classmethod
    def from_genesis(cls, genesis: Genesis) -> Trust:
        """The trust anchor implied by ``genesis``."""
        return cls(
            genesis.chain_id, genesis.chain_name, genesis.validator_set(), genesis.organisations
        )

    def member(self, sender: str) -> tuple[Organisation, bytes] | None:
        """The organisation and public key of member key id ``sender``, if any."""
        return find_member(self.organisations, sender)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "format": TRUST_FORMAT,
            "chain_id": self.chain_id,
            "chain_name": self.chain_name,
            "quorum": self.validators.threshold,
            "validators": [
                {
                    "name": self.validators.names[kid],
                    "key_id": kid,
                    "public_key": pub.hex(),
                    "note_key": NoteVerifier(self.validators.names[kid], pub).encode(),
                }
                for kid, pub in self.validators.keys.items()
            ],
            "organisations": [o.to_dict() for o in self.organisations],
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Trust:
        """Decode and check: formats, key ids and note keys agree with the public keys,
        and the quorum is at least DESIGN.md's q for this many validators."""
        w = "trust"
        fields = {"format", "chain_id", "chain_name", "quorum", "validators", "organisations"}
        expect_object(obj, w, fields)
        if obj["format"] != TRUST_FORMAT:
            raise ValidationError(f"trust.format: expected {TRUST_FORMAT!r}")
        pairs = []
        for v in get_list(obj, "validators", w):
            expect_object(v, "trust.validators[]", {"name", "key_id", "public_key", "note_key"})
            name = get_str(v, "name", "trust.validators[]")
            public = public_key_from_hex(v["public_key"], f"trust validator {name!r}")
            if v["key_id"] != key_id(public):
                raise ValidationError(f"trust validator {name!r}: key_id does not match key")
            if v["note_key"] != NoteVerifier(name, public).encode():
                raise ValidationError(f"trust validator {name!r}: note_key does not match key")
            pairs.append((name, public))
        orgs = tuple(Organisation.from_dict(o) for o in get_list(obj, "organisations", w))
        return cls(
            chain_id=get_hex(obj, "chain_id", w, 32),
            chain_name=get_str(obj, "chain_name", w, max_len=200),
            validators=ValidatorSet.of(pairs, get_int(obj, "quorum", w, minimum=1)),
            organisations=orgs,
        )

    @classmethod
    def load(cls, path: Path) -> Trust:
        """Read and check a trust.json file; errors name the path."""
        return read_json_file(path, cls.from_dict, "trust file")
