"""A proposer's proposal: the value (a block) it puts to the vote at one height and round.

A proposal is authenticated by the signed peer message that carries it (see
``nodes.peer.envelope``); the machine only checks that it comes from the proposer of
its height and round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Proposal:
    """``value`` (opaque to the machine; a ``Block`` in a node) identified by
    ``value_id`` (its block hash), proposed at ``height``/``round`` by ``proposer``
    (validator key id). ``valid_round`` is the round in which the proposer saw a quorum
    of prevotes for it, or -1."""

    height: int
    round: int
    value_id: str
    valid_round: int
    proposer: str
    value: Any = field(compare=False, repr=False)
