"""A genesis whose organisations are given by name and roles, with fresh keys, for
contract tests that need a roster but no real consortium."""

from __future__ import annotations

from collections.abc import Mapping

from ledger.canonical import now_time
from ledger.keys import SigningKey
from ledger.model import Genesis, Organisation, Validator


def genesis_of(organisations: Mapping[str, tuple[str, ...]]) -> Genesis:
    """A genesis of ``organisations`` (name -> roles), one member key each, and one
    validator run by the first organisation."""
    orgs = tuple(
        Organisation(name, roles, (SigningKey.generate().public,))
        for name, roles in organisations.items()
    )
    first = next(iter(organisations))
    validator = Validator(f"{first}-node", first, SigningKey.generate().public)
    return Genesis("test-chain", now_time(), orgs, (validator,))
