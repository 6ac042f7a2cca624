"""Answers of the lookup routes: the full ids a typed hex prefix stands for, and the
open membership proposals."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nodes.server.models.base import Answer
from nodes.server.models.evidence import MembershipProposal
from nodes.server.models.fields import Count, Hash

IdKind = Literal["tx", "block", "document", "proposal"]
PREFIX_PATTERN = "^[0-9a-f]{8,64}$"


class Match(Answer):
    """One stored id that starts with the prefix."""

    kind: IdKind = Field(
        description="tx: a transaction id; block: a block hash; document: an anchored "
        "document's SHA-256; proposal: a membership proposal (its transaction's id)"
    )
    id: Hash


class Resolved(Answer):
    """The ids that start with a prefix: at most ``limit``, by kind then id."""

    prefix: str = Field(pattern=PREFIX_PATTERN)
    matches: list[Match]
    truncated: bool = Field(description="more ids of some kind start with the prefix")


class OpenProposals(Answer):
    """The membership proposals still open as of the head, oldest first."""

    height: Count
    roster_version: Count
    proposals: list[MembershipProposal]
