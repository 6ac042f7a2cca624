"""The roster a node's store records, for the audit: which organisation held a sender
key at each height (genesis's members plus every approved membership change)."""

from __future__ import annotations

from contracts.membership.roster import CONTRACT, ROSTER_KEY, member_lookup
from ledger.audit import MemberLookup
from ledger.model.genesis import Genesis
from ledger.store.store import Store


def stored_members(store: Store, genesis: Genesis) -> MemberLookup:
    """``lookup(height, sender)`` over the roster history stored in ``store``."""
    return member_lookup(store.history(CONTRACT, ROSTER_KEY), genesis)
