"""The validators' keys, the chain id and the validator set of one seeded run.

Promises:
- ``Identities.for_seed(seed, n)`` is a pure function: the same seed gives the same
  Ed25519 keys (from 32 seeded bytes each), key ids and chain id everywhere.
- The key ids are real, so a vote signed with ``keys[i]`` verifies against
  ``validator_set``, and ``Equivocation.verify`` works on it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache

from ledger.keys import SigningKey
from ledger.quorum import ValidatorSet

FAKE_SIGNATURE = bytes(64)
"""What correct simulated validators put in their votes' signature: 64 zero bytes, so the
hot path signs and verifies nothing. Only the Byzantine validator signs for real."""


@dataclass(frozen=True)
class Identities:
    """Keys of validators ``0..n-1`` (in proposer order), their ids, and the chain."""

    chain_id: str
    keys: tuple[SigningKey, ...]
    ids: tuple[str, ...]
    validator_set: ValidatorSet

    @classmethod
    def for_seed(cls, seed: int, n: int) -> Identities:
        """The identities of run ``seed`` with ``n`` validators (cached)."""
        return _identities(seed, n)

    def index_of(self, key_id: str) -> int:
        """The validator index of ``key_id``."""
        return self.ids.index(key_id)


@lru_cache(maxsize=64)
def _identities(seed: int, n: int) -> Identities:
    keys = tuple(
        SigningKey.from_seed(random.Random(f"provledger-sim/key/{seed}/{n}/{i}").randbytes(32))
        for i in range(n)
    )
    chain_id = hashlib.sha256(f"provledger-sim/chain/{seed}/{n}".encode()).hexdigest()
    validator_set = ValidatorSet.of((f"validator-{i}", k.public) for i, k in enumerate(keys))
    return Identities(chain_id, keys, tuple(k.key_id for k in keys), validator_set)
