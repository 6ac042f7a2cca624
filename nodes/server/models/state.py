"""Contract state, its history, document anchors, misbehaviour, consensus and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from nodes.server.models.base import Answer, Record
from nodes.server.models.blocks import Receipt
from nodes.server.models.fields import Count, Hash, Height, KeyId, Name, Round, Signature, TxId


class StateValue(Answer):
    """The current value under a contract's key."""

    contract: str
    key: str
    value: Any


class Write(Answer):
    """One write under a key: where it was committed and the value written."""

    height: Height
    log_index: Count
    value: Any


class History(Answer):
    """Every write under a key, oldest first."""

    contract: str
    key: str
    writes: list[Write]


class Anchor(Record):
    """The evidence contract's record of an anchored document."""

    tx_id: TxId


class AnchorFound(Answer):
    """The anchor of a document digest, with the receipt of its transaction."""

    anchor: Anchor
    receipt: Receipt


class SignedVote(Answer):
    """A validator's signed vote."""

    chain_id: Hash
    height: Height
    round: Round
    type: Literal["prevote", "precommit"]
    block_hash: Hash | None
    validator: KeyId
    signature: Signature


class Equivocation(Answer):
    """Two conflicting votes by one validator at one height and round."""

    kind: Literal["equivocation"]
    vote_a: SignedVote
    vote_b: SignedVote


class Misbehaviour(Answer):
    """Equivocations this node caught."""

    evidence: list[Equivocation]


class ConsensusState(Answer):
    """The height being decided, its round and step, and the round locked on (-1: none)."""

    height: Height
    round: Round
    step: str = Field(description="propose, prevote or precommit")
    locked_round: int = Field(ge=-1)


class Health(Answer):
    """Liveness and where the node stands."""

    status: Literal["ok"]
    name: Name
    chain_id: Hash
    height: Count
    peers_up: Count
    peers: Count
    mempool: Count
