"""Why a node refuses a transaction, as a kind the domain names; the HTTP status of each
kind is chosen at the API's edge (``nodes.server.problems``), never here."""

from __future__ import annotations

from enum import Enum


class RefusalKind(Enum):
    """What was wrong with a submitted transaction."""

    MALFORMED = "malformed"
    """Not a signed transaction at all (shape, encoding, field syntax)."""
    WRONG_CHAIN = "wrong chain"
    """Signed for another chain id."""
    NOT_MEMBER = "not a member"
    """The sender key belongs to no organisation of the roster."""
    NOT_PERMITTED = "not permitted"
    """The sender's roles may not call this action."""
    BAD_SIGNATURE = "bad signature"
    """The signature does not verify under the sender's key."""
    REJECTED = "rejected"
    """The contract refuses the arguments."""
    DUPLICATE = "duplicate"
    """Already pending, already committed, or twice in one batch."""
    OUT_OF_TIME = "out of time"
    """Its ``created_at`` lies outside the node's admission window around its clock."""
    FULL = "full"
    """The mempool is at capacity; retry later."""
