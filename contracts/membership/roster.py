"""The roster: the organisations a chain has now, their roles and member keys.

It starts as genesis's organisations. Each change a quorum of organisations approves
(``contracts.membership``) writes the whole new roster under ``("membership",
"roster")``, with a ``version`` counting the changes. A change takes effect from the
block after the one that made it: nodes resolve a block's senders against the roster
stored before that block.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.base import StateView
from ledger.keys import key_id
from ledger.model.genesis import Genesis, Organisation

CONTRACT = "membership"
ROSTER_KEY = "roster"


@dataclass(frozen=True)
class Roster:
    """The organisations at roster ``version`` (0 = genesis), sorted by name, and the
    member keys (hex) that were retired by a change: a retired key never returns, so an
    old signature can never be passed off as a newcomer's."""

    version: int
    organisations: tuple[Organisation, ...]
    retired: tuple[str, ...] = ()

    def organisation(self, name: str) -> Organisation | None:
        """The organisation named ``name``, if it is a member."""
        return next((o for o in self.organisations if o.name == name), None)

    def members(self) -> dict[str, tuple[Organisation, bytes]]:
        """Member key id -> (organisation, public key), for every member key."""
        return {key_id(k): (o, k) for o in self.organisations for k in o.keys}

    def quorum(self) -> int:
        """Approvals a change needs: a majority of the organisations, ⌊n/2⌋ + 1."""
        return len(self.organisations) // 2 + 1

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "version": self.version,
            "organisations": [o.to_dict() for o in self.organisations],
            "retired": list(self.retired),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Roster:
        """Decode a stored roster (written by the contract, so trusted in shape)."""
        orgs = tuple(Organisation.from_dict(o) for o in obj["organisations"])
        return cls(obj["version"], orgs, tuple(obj.get("retired", ())))


def genesis_roster(genesis: Genesis) -> Roster:
    """The roster before any change: genesis's organisations."""
    return Roster(0, tuple(sorted(genesis.organisations, key=lambda o: o.name)))


def current_roster(view: StateView, genesis: Genesis) -> Roster:
    """The roster in ``view``: the last change stored, or genesis's."""
    stored = view.get(CONTRACT, ROSTER_KEY)
    return genesis_roster(genesis) if stored is None else Roster.from_dict(stored)


def member_lookup(
    history: Sequence[tuple[int, int, Any]], genesis: Genesis
) -> Callable[[int, str], tuple[Organisation, bytes] | None]:
    """``lookup(height, sender)``: the organisation and key of member key id ``sender``
    for a transaction in the block at ``height``, given the roster's stored history
    (``(height, log_index, value)`` oldest first, as ``Store.history`` returns it): the
    roster written before that block, else genesis's."""
    heights = [h for h, _, _ in history]
    rosters = [genesis_roster(genesis).members()]
    rosters += [Roster.from_dict(value).members() for _, _, value in history]

    def lookup(height: int, sender: str) -> tuple[Organisation, bytes] | None:
        return rosters[bisect_left(heights, height)].get(sender)

    return lookup
