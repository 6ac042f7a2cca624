"""Domain separation for every signature in provledger.

A signature is always over ``tag || 0x00 || canonical(payload)``. Each object kind
has its own tag, so a signature made for one kind can never be replayed as another;
and every signed payload carries ``chain_id``, so it can never be replayed on another
chain. (C2SP signed notes are the one exception: their own format fixes the message,
and their origin line names the chain.)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ledger.canonical import canonical
from ledger.errors import ValidationError


class Tag(StrEnum):
    """The domain tag of each kind of signed object."""

    TRANSACTION = "provledger/v1/transaction"
    VOTE = "provledger/v1/vote"
    PROPOSAL = "provledger/v1/proposal"
    PEER_MESSAGE = "provledger/v1/peer-message"


def signing_message(tag: Tag, payload: dict[str, Any]) -> bytes:
    """The exact bytes a signer signs for ``payload`` of kind ``tag``.

    Raises ``ValidationError`` when the payload does not name a chain id.
    """
    if not isinstance(payload.get("chain_id"), str):
        raise ValidationError(f"{tag.value}: signed payload must carry chain_id")
    return tag.value.encode("ascii") + b"\x00" + canonical(payload)
