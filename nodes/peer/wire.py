"""Consensus messages as JSON on the wire between nodes.

- ``{"type": "proposal", "height", "round", "valid_round", "proposer", "signature",
  "tx_ids", "block"}``: the block is ``Block.to_dict()``; its block hash is the
  proposal's value id; the proposer signs ``"provledger/v1/proposal" || 0x00 ||
  JCS({chain_id, height, round, valid_round, block_hash, proposer})``, so any node may
  relay it.
- ``{"type": "vote", "vote": Vote.to_dict(), "cosignature": line | null}``: a
  precommit for a block carries its signer's C2SP signature line over that block's
  checkpoint, so the decided block's cosigned checkpoint can be assembled.
- ``{"type": "committed", "height"}``: the sender has stored block ``height`` (for
  replication tracking).

Decoding validates structure strictly (``ValidationError``); signatures are checked by
the receiver.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.canonical import unhex
from ledger.domain import Tag, signing_message
from ledger.errors import SignatureError, ValidationError
from ledger.keys import SigningKey, verify
from ledger.model.block import Block, BlockHeader
from ledger.model.fields import expect_object, get_hex, get_int, get_str
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import Vote
from ledger.quorum import ValidatorSet
from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class VoteMessage:
    """A vote and, for a precommit of a block, the checkpoint cosignature."""

    vote: Vote
    cosignature: str | None


@dataclass(frozen=True)
class ProposalMessage:
    """A proposal and its proposer's signature (so any node may relay it)."""

    proposal: Proposal
    signature: bytes


@dataclass(frozen=True)
class Committed:
    """The sender has stored block ``height``."""

    height: int


Message = ProposalMessage | VoteMessage | Committed


def _proposal_payload(chain_id: str, p: Proposal) -> dict[str, Any]:
    return {
        "chain_id": chain_id,
        "height": p.height,
        "round": p.round,
        "valid_round": p.valid_round,
        "block_hash": p.value_id,
        "proposer": p.proposer,
    }


def sign_proposal(key: SigningKey, chain_id: str, p: Proposal) -> bytes:
    """The proposer's signature over ``p`` (tag ``provledger/v1/proposal``)."""
    return key.sign(signing_message(Tag.PROPOSAL, _proposal_payload(chain_id, p)))


def verify_proposal(validators: ValidatorSet, chain_id: str, pm: ProposalMessage) -> None:
    """Raise ``SignatureError`` unless ``pm`` is signed by its proposer, a validator."""
    public = validators.keys.get(pm.proposal.proposer)
    if public is None:
        raise SignatureError("proposal's proposer is not a validator")
    verify(
        public,
        pm.signature,
        signing_message(Tag.PROPOSAL, _proposal_payload(chain_id, pm.proposal)),
    )


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def encode_proposal(p: Proposal, signature: bytes) -> bytes:
    """Wire form of a proposal (JSON bytes). The transactions are written as their
    cached canonical bytes, which are their JSON form, so a large block is not
    re-serialised."""
    block: Block = p.value
    head = _json(
        {
            "type": "proposal",
            "height": p.height,
            "round": p.round,
            "valid_round": p.valid_round,
            "proposer": p.proposer,
            "signature": signature.hex(),
            "tx_ids": [tx.tx_id for tx in block.transactions],
        }
    )
    txs = b",".join(tx.canonical_bytes() for tx in block.transactions)
    header = _json(block.header.to_dict())
    return head[:-1] + b',"block":{"header":' + header + b',"transactions":[' + txs + b"]}}"


def encode_vote(vote: Vote, cosignature: str | None) -> bytes:
    """Wire form of a vote (JSON bytes)."""
    return _json({"type": "vote", "vote": vote.to_dict(), "cosignature": cosignature})


def encode_committed(height: int) -> bytes:
    """Wire form of a committed notice (JSON bytes)."""
    return _json({"type": "committed", "height": height})


def batch_body(key: str, items: list[bytes]) -> bytes:
    """``{"<key>": [items...]}`` from already encoded items."""
    return b'{"' + key.encode() + b'":[' + b",".join(items) + b"]}"


Known = Callable[[bytes], SignedTransaction | None]


def _block(obj: Any, tx_ids: Any, known: Known | None) -> Block:
    """The proposed block; transactions whose claimed id this node already holds
    (verified, in its mempool) are taken from there instead of decoded again. A false
    claim cannot pass: the block's ``tx_root`` is then checked over the ids of the
    transactions actually used."""
    if known is None or not isinstance(tx_ids, list) or not isinstance(obj, dict):
        return Block.from_dict(obj)
    expect_object(obj, "block", {"header", "transactions"})
    items = obj["transactions"]
    if not isinstance(items, list) or len(items) != len(tx_ids):
        raise ValidationError("proposal: tx_ids do not match the block's transactions")
    txs = []
    for i, (claimed, item) in enumerate(zip(tx_ids, items, strict=True)):
        have = known(_id_bytes(claimed))
        if have is None:
            have = SignedTransaction.from_dict(item)
            if have.tx_id != claimed:
                raise ValidationError(f"proposal: transaction {i} does not have its claimed id")
        txs.append(have)
    return Block(BlockHeader.from_dict(obj["header"]), tuple(txs))


def _id_bytes(claimed: Any) -> bytes:
    try:
        return bytes.fromhex(claimed) if isinstance(claimed, str) else b""
    except ValueError:
        return b""


def decode(obj: Any, known: Known | None = None) -> Message:
    """One message from its wire form; ``known`` looks up transactions this node
    already verified (see ``_block``)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ValidationError("peer message: expected an object with a 'type'")
    kind = obj["type"]
    if kind == "proposal":
        where = "proposal"
        expect_object(
            obj,
            where,
            {"type", "height", "round", "valid_round", "proposer", "signature", "block"},
            frozenset({"tx_ids"}),
        )
        block = _block(obj["block"], obj.get("tx_ids"), known)
        valid_round = obj["valid_round"]
        if valid_round != -1:
            valid_round = get_int(obj, "valid_round", where)
        height = get_int(obj, "height", where, minimum=1)
        if block.header.height != height:
            raise ValidationError("proposal: block height differs from the proposal's")
        proposal = Proposal(
            height,
            get_int(obj, "round", where),
            block.header.block_hash,
            valid_round,
            get_hex(obj, "proposer", where, 32),
            block,
        )
        return ProposalMessage(proposal, unhex(obj["signature"], f"{where}.signature", 64))
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
