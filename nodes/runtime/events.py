"""Events only the node runtime has, beside the driver's: they become driver events once
the runtime has done the I/O they need."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from nodes.consensus.events import Event


@dataclass(frozen=True)
class Pending:
    """Transactions were admitted, or the node resumed: tell the driver the backlog and
    the peers' heights."""


@dataclass(frozen=True)
class Fetched:
    """Catch-up fetched ``items`` (blocks with certificates and checkpoints) from peer
    ``peer``; ``done`` is set once they are verified and stored, or refused."""

    peer: str
    items: list[Any]
    done: asyncio.Future[None]


RuntimeEvent = Event | Pending | Fetched
"""What the node's consensus queue carries."""
