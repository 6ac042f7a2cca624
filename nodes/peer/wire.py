"""Consensus messages as JSON on the wire between nodes.

- ``{"type": "proposal", "height", "round", "valid_round", "proposer", "block"}``:
  the block is ``Block.to_dict()``; its block hash is the proposal's value id.
- ``{"type": "vote", "vote": Vote.to_dict(), "cosignature": line | null}``: a
  precommit for a block carries its signer's C2SP signature line over that block's
  checkpoint, so the decided block's cosigned checkpoint can be assembled.
- ``{"type": "committed", "height"}``: the sender has stored block ``height`` (for
  replication tracking).

Decoding validates structure strictly (``ValidationError``); signatures are checked by
the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import ValidationError
from ledger.model.block import Block
from ledger.model.fields import expect_object, get_hex, get_int, get_str
from ledger.model.vote import Vote
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class VoteMessage:
    """A vote and, for a precommit of a block, the checkpoint cosignature."""

    vote: Vote
    cosignature: str | None


@dataclass(frozen=True)
class Committed:
    """The sender has stored block ``height``."""

    height: int


Message = Proposal | VoteMessage | Committed


def encode_proposal(p: Proposal) -> dict[str, Any]:
    """Wire form of a proposal."""
    return {
        "type": "proposal",
        "height": p.height,
        "round": p.round,
        "valid_round": p.valid_round,
        "proposer": p.proposer,
        "block": p.value.to_dict(),
    }


def encode_vote(vote: Vote, cosignature: str | None) -> dict[str, Any]:
    """Wire form of a vote."""
    return {"type": "vote", "vote": vote.to_dict(), "cosignature": cosignature}


def encode_committed(height: int) -> dict[str, Any]:
    """Wire form of a committed notice."""
    return {"type": "committed", "height": height}


def decode(obj: Any) -> Message:
    """One message from its wire form."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ValidationError("peer message: expected an object with a 'type'")
    kind = obj["type"]
    if kind == "proposal":
        where = "proposal"
        expect_object(obj, where, {"type", "height", "round", "valid_round", "proposer", "block"})
        block = Block.from_dict(obj["block"])
        valid_round = obj["valid_round"]
        if valid_round != -1:
            valid_round = get_int(obj, "valid_round", where)
        height = get_int(obj, "height", where, minimum=1)
        if block.header.height != height:
            raise ValidationError("proposal: block height differs from the proposal's")
        return Proposal(
            height,
            get_int(obj, "round", where),
            block.header.block_hash,
            valid_round,
            get_hex(obj, "proposer", where, 32),
            block,
        )
    if kind == "vote":
        expect_object(obj, "vote message", {"type", "vote", "cosignature"})
        cosig = obj["cosignature"]
        if cosig is not None:
            cosig = get_str(obj, "cosignature", "vote message", max_len=512)
        return VoteMessage(Vote.from_dict(obj["vote"]), cosig)
    if kind == "committed":
        expect_object(obj, "committed", {"type", "height"})
        return Committed(get_int(obj, "height", "committed", minimum=1))
    raise ValidationError(f"peer message: unknown type {kind!r}")
