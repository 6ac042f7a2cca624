"""Bodies of the peer API: consensus messages, relayed transactions, their answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nodes.server.models.base import Answer
from nodes.server.models.blocks import Block
from nodes.server.models.fields import Count, Height, KeyId, Round, Signature, TxId
from nodes.server.models.state import SignedVote
from nodes.server.models.transactions import SignedTransaction

MAX_MESSAGES = 4_096
"""The most consensus messages one request may carry (413 beyond)."""


class ProposalWire(Answer):
    """A proposer's signed block for a height and round; ``tx_ids`` lets the receiver take
    transactions it already verified from its mempool."""

    type: Literal["proposal"]
    height: Height
    round: Round
    valid_round: int = Field(ge=-1)
    proposer: KeyId
    signature: Signature
    tx_ids: list[TxId] | None = None
    block: Block


class VoteWire(Answer):
    """A vote; a precommit for a block carries its signer's checkpoint cosignature."""

    type: Literal["vote"]
    vote: SignedVote
    cosignature: str | None = Field(max_length=512)


class CommittedWire(Answer):
    """The sender has stored block ``height``."""

    type: Literal["committed"]
    height: Height


class ConsensusMessages(Answer):
    """Consensus messages from one validator (the request is signed: see the envelope)."""

    messages: list[ProposalWire | VoteWire | CommittedWire] = Field(max_length=MAX_MESSAGES)


class Accepted(Answer):
    """How many messages were taken."""

    accepted: Count


class RelayedTransactions(Answer):
    """Transactions another validator admitted (at most the node's ``max_batch``)."""

    transactions: list[SignedTransaction]


class RelayAdmitted(Answer):
    """How many relayed transactions this node admitted."""

    admitted: Count
