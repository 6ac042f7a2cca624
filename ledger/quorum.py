"""Quorum arithmetic and the validator set a certificate is checked against.

``q = floor((n + f) / 2) + 1`` with ``f = floor((n - 1) / 3)``: n=3 gives q=2,
n=4 gives q=3. Any two quorums of distinct validators then share at least f+1 members.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ledger.errors import ValidationError
from ledger.keys import key_id


def max_faulty(n: int) -> int:
    """f: how many Byzantine validators ``n`` validators tolerate."""
    return (n - 1) // 3


def quorum(n: int) -> int:
    """q: the number of distinct validator signatures a commit needs."""
    if n < 1:
        raise ValidationError("a validator set needs at least one validator")
    return (n + max_faulty(n)) // 2 + 1


@dataclass(frozen=True)
class ValidatorSet:
    """Validator public keys by key id, with their names and the quorum in force."""

    keys: Mapping[str, bytes]
    names: Mapping[str, str]
    threshold: int

    @classmethod
    def of(
        cls, validators: Iterable[tuple[str, bytes]], threshold: int | None = None
    ) -> ValidatorSet:
        """A set from ``(name, public key)`` pairs; ``threshold`` defaults to ``quorum(n)``
        and may be raised, never lowered, below it."""
        keys: dict[str, bytes] = {}
        names: dict[str, str] = {}
        for name, public in validators:
            kid = key_id(public)
            if kid in keys:
                raise ValidationError(f"validator key of {name!r} appears twice")
            if name in names.values():
                raise ValidationError(f"validator name {name!r} appears twice")
            keys[kid], names[kid] = public, name
        minimum = quorum(len(keys))
        threshold = minimum if threshold is None else threshold
        if not minimum <= threshold <= len(keys):
            raise ValidationError(
                f"quorum {threshold} is outside {minimum}..{len(keys)} for {len(keys)} validators"
            )
        return cls(MappingProxyType(keys), MappingProxyType(names), threshold)

    def __len__(self) -> int:
        return len(self.keys)
