"""Genesis: the consortium's root of trust; its hash is the chain id.

Genesis lists the organisations (name, roles, member public keys) and the validators
(name, organisation, node public key). ``chain_id`` = hex SHA-256 of its canonical
bytes, so any change to genesis makes a different chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical, check_time, sha256
from ledger.errors import ValidationError
from ledger.keys import check_public_key, key_id, public_key_from_hex
from ledger.model.fields import check_name, expect_object, get_list, get_str
from ledger.quorum import ValidatorSet

GENESIS_FORMAT = "provledger-genesis/v1"


@dataclass(frozen=True)
class Organisation:
    """A member organisation, its roles and its client (member) public keys."""

    name: str
    roles: tuple[str, ...]
    keys: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"name": self.name, "roles": list(self.roles), "keys": [k.hex() for k in self.keys]}

    @classmethod
    def from_dict(cls, obj: Any) -> Organisation:
        """Decode and validate."""
        expect_object(obj, "organisation", {"name", "roles", "keys"})
        name = check_name(get_str(obj, "name", "organisation"), "organisation.name")
        where = f"organisation {name!r}"
        roles = get_list(obj, "roles", where)
        for role in roles:
            if not isinstance(role, str):
                raise ValidationError(f"{where}.roles: expected strings")
            check_name(role, f"{where}.roles")
        if len(set(roles)) != len(roles):
            raise ValidationError(f"{where}.roles: a role is listed twice")
        keys = [public_key_from_hex(k, f"{where}.keys") for k in get_list(obj, "keys", where)]
        return cls(name, tuple(roles), tuple(keys))


@dataclass(frozen=True)
class Validator:
    """A validator node: its name, its organisation and its node public key."""

    name: str
    organisation: str
    public_key: bytes

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the node public key."""
        return key_id(self.public_key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "name": self.name,
            "organisation": self.organisation,
            "public_key": self.public_key.hex(),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Validator:
        """Decode and validate."""
        expect_object(obj, "validator", {"name", "organisation", "public_key"})
        name = check_name(get_str(obj, "name", "validator"), "validator.name")
        org = get_str(obj, "organisation", f"validator {name!r}")
        public = public_key_from_hex(obj["public_key"], f"validator {name!r}.public_key")
        return cls(name, org, public)


@dataclass(frozen=True)
class Genesis:
    """The first, unsigned, document of a chain."""

    chain_name: str
    created_at: str
    organisations: tuple[Organisation, ...]
    validators: tuple[Validator, ...]

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        orgs = [o.name for o in self.organisations]
        if len(set(orgs)) != len(orgs):
            raise ValidationError("genesis: an organisation name appears twice")
        if not self.validators:
            raise ValidationError("genesis: at least one validator is needed")
        names = [v.name for v in self.validators]
        if len(set(names)) != len(names):
            raise ValidationError("genesis: a validator name appears twice")
        all_keys = [k for o in self.organisations for k in o.keys]
        all_keys += [v.public_key for v in self.validators]
        for public in all_keys:
            check_public_key(public, "genesis key " + public.hex()[:16])
        if len(set(all_keys)) != len(all_keys):
            raise ValidationError("genesis: a public key is used twice (one key, one job)")
        for v in self.validators:
            if v.organisation not in orgs:
                raise ValidationError(
                    f"genesis: validator {v.name!r} names unknown organisation {v.organisation!r}"
                )
        check_time(self.created_at, "genesis.created_at")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; what ``chain_id`` hashes."""
        return {
            "format": GENESIS_FORMAT,
            "chain_name": self.chain_name,
            "created_at": self.created_at,
            "organisations": [o.to_dict() for o in self.organisations],
            "validators": [v.to_dict() for v in self.validators],
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Genesis:
        """Decode and validate."""
        fields = {"format", "chain_name", "created_at", "organisations", "validators"}
        expect_object(obj, "genesis", fields)
        if obj["format"] != GENESIS_FORMAT:
            raise ValidationError(f"genesis.format: expected {GENESIS_FORMAT!r}")
        return cls(
            chain_name=get_str(obj, "chain_name", "genesis", max_len=200),
            created_at=get_str(obj, "created_at", "genesis"),
            organisations=tuple(
                Organisation.from_dict(o) for o in get_list(obj, "organisations", "genesis")
            ),
            validators=tuple(
                Validator.from_dict(v) for v in get_list(obj, "validators", "genesis")
            ),
        )

    @property
    def chain_id(self) -> str:
        """Hex SHA-256 of the canonical genesis."""
        return sha256(canonical(self.to_dict())).hex()

    def validator_set(self) -> ValidatorSet:
        """The validators with the quorum of DESIGN.md."""
        return ValidatorSet.of((v.name, v.public_key) for v in self.validators)

    def member(self, sender: str) -> tuple[Organisation, bytes] | None:
        """The organisation and public key of member key id ``sender``, if admitted."""
        return find_member(self.organisations, sender)


def find_member(
    organisations: Iterable[Organisation], sender: str
) -> tuple[Organisation, bytes] | None:
    """The organisation holding member key id ``sender`` and that public key, if any."""
    for org in organisations:
        for public in org.keys:
            if key_id(public) == sender:
                return org, public
    return None
