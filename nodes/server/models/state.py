"""Contract state, its history, document anchors, misbehaviour, consensus and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from nodes.server.models.base import Answer, Record
from nodes.server.models.blocks import Receipt
from nodes.server.models.fields import Count, Hash, Height, KeyId, Name, Round, Signature, TxId


class StateProof(Record):
    """A state proof (``provledger-state-proof/v1``) or a history
    (``provledger-history/v1``): entries with their proofs from a certified block's
    ``state_root``, with that block's header, certificate and cosigned checkpoint;
    ``provledger verify-state`` checks it offline against trust.json."""

    format: Literal["provledger-state-proof/v1", "provledger-history/v1"]
    entries: list[dict[str, Any]]
    header: dict[str, Any]
    certificate: dict[str, Any]
    checkpoint: str


PROOF_QUERY = "Add the value's state proof from a certified block (verifiable offline)."


class StateValue(Answer):
    """The value under a contract's key (null: absent, with a proof asked for), and its
    proof when asked for."""

    contract: str
    key: str
    value: Any
    proof: StateProof | None = Field(None, description=PROOF_QUERY)


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
    proof: StateProof | None = Field(
        None, description="The document's history, proven (with `?proof=true`)"
    )


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


class Divergence(Answer):
    """A proposal refused because executing it here gave another root than its header's."""

    kind: Literal["divergence"]
    height: Height
    round: Round
    proposer: KeyId
    block_hash: Hash
    check: str = Field(description="the header field that differs: state_root or results_root")
    ours: Hash | None = Field(description="the root this node's execution gives")
    theirs: Hash | None = Field(description="the root the proposal's header names")


class Misbehaviour(Answer):
    """Equivocations this node caught, and proposals whose roots it disagreed with."""

    evidence: list[Equivocation]
    divergences: list[Divergence]


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
