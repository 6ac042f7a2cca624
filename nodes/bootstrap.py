"""Creating a consortium's identity files: member and node keys, genesis, trust.json.

Layout written into a folder::

    keys/<org>.member.pem   the organisation's client key (signs transactions), 0600
    keys/<org>.node.pem     the organisation's validator key (signs votes), 0600
    genesis.json            organisations, roles, public keys, validators
    trust.json              what an outside verifier needs (public keys, quorum)

Existing key files are reused, so re-running after adding an organisation keeps the
others' keys. An existing genesis.json is never replaced unless asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ledger.canonical import now_time
from ledger.errors import KeyFileError, ValidationError
from ledger.jsonfile import read_json_file
from ledger.keys import SigningKey, read_key_file, write_key_file
from ledger.model.fields import check_name
from ledger.model.genesis import Genesis, Organisation, Validator
from ledger.trust import Trust


@dataclass(frozen=True)
class OrgSpec:
    """An organisation to create: its name, roles, and whether it runs a validator."""

    name: str
    roles: tuple[str, ...]
    validator: bool = True

    @classmethod
    def parse(cls, text: str) -> OrgSpec:
        """Parse ``NAME:ROLE[,ROLE...]``, e.g. ``sinochem:producer,processor``."""
        name, sep, roles = text.partition(":")
        if not sep or not roles:
            raise ValidationError(f"--org {text!r}: expected NAME:ROLE[,ROLE...]")
        check_name(name, f"--org {text!r}")
        parsed = tuple(check_name(r.strip(), f"--org {text!r}") for r in roles.split(","))
        return cls(name, parsed)


def key_paths(folder: Path, org: str) -> tuple[Path, Path]:
    """Paths of an organisation's member key and node key under ``folder``."""
    return folder / "keys" / f"{org}.member.pem", folder / "keys" / f"{org}.node.pem"


def load_or_create_key(path: Path) -> SigningKey:
    """The key at ``path``, generated (mode 0600) if the file does not exist."""
    if path.exists():
        return read_key_file(path)
    key = SigningKey.generate()
    write_key_file(path, key)
    return key


def create_identity(
    folder: Path, orgs: list[OrgSpec], chain_name: str, *, force: bool = False
) -> Genesis:
    """Write keys, genesis.json and trust.json for ``orgs`` into ``folder``."""
    genesis_path = folder / "genesis.json"
    if genesis_path.exists() and not force:
        raise KeyFileError(f"{genesis_path}: already exists; pass --force to replace it")
    if not orgs:
        raise ValidationError("name at least one organisation (--org NAME:ROLE)")
    organisations, validators = [], []
    for spec in orgs:
        member_path, node_path = key_paths(folder, spec.name)
        member = load_or_create_key(member_path)
        organisations.append(Organisation(spec.name, spec.roles, (member.public,)))
        if spec.validator:
            node = load_or_create_key(node_path)
            validators.append(Validator(f"{spec.name}-node", spec.name, node.public))
    genesis = Genesis(chain_name, now_time(), tuple(organisations), tuple(validators))
    write_json(genesis_path, genesis.to_dict())
    write_json(folder / "trust.json", Trust.from_genesis(genesis).to_dict())
    return genesis


def write_json(path: Path, obj: object) -> None:
    """Write ``obj`` as indented JSON (atomically: temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_genesis(path: Path) -> Genesis:
    """Read and validate a genesis.json; errors name the path."""
    return read_json_file(path, Genesis.from_dict, "genesis file")
