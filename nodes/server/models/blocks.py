"""Blocks, their certificates and checkpoints, the head, receipts and log proofs."""

from __future__ import annotations

from pydantic import Field

from nodes.server.models.base import Answer, Record
from nodes.server.models.fields import Count, Hash, Height, KeyId, Round, Signature, Time, TxId
from nodes.server.models.transactions import SignedTransaction

CHECKPOINT = "C2SP tlog-checkpoint signed note, cosigned by validators"


class BlockHeader(Answer):
    """What validators sign; ``block_hash`` is the SHA-256 of its canonical bytes."""

    chain_id: Hash
    height: Height
    log_root: Hash
    log_size: Count
    prev_hash: Hash
    proposer: KeyId
    results_root: Hash = Field(
        description="RFC 9162 root over the block's transaction results, in log order"
    )
    state_root: Hash = Field(description="root of the state tree after applying the block")
    time: Time
    tx_count: Count
    tx_root: Hash


class Block(Answer):
    """A header and its transactions, in log order."""

    header: BlockHeader
    transactions: list[SignedTransaction]


class CertificateSignature(Answer):
    """One validator's precommit signature."""

    validator: KeyId
    signature: Signature


class CommitCertificate(Answer):
    """Precommit signatures of at least a quorum of validators over the block hash."""

    chain_id: Hash
    height: Height
    round: Round
    block_hash: Hash
    signatures: list[CertificateSignature]


class BlockItem(Answer):
    """A block with its certificate and checkpoint."""

    block: Block
    certificate: CommitCertificate
    checkpoint: str = Field(description=CHECKPOINT)


class Head(Answer):
    """The latest block header and its checkpoint (before the first block: height 0 and
    nulls, and no checkpoint member)."""

    height: Count
    block_hash: Hash | None
    log_size: Count
    header: BlockHeader | None
    checkpoint: str | None = Field(None, description=CHECKPOINT)


class BlockTxIds(Answer):
    """The ids of a block's transactions, in log order."""

    height: Height
    block_hash: Hash
    tx_ids: list[TxId]


class Receipt(Record):
    """Everything needed to prove one entry offline (see the README's receipt format)."""

    format: str
    tx_id: TxId
    entry: SignedTransaction
    proof: str = Field(description="C2SP tlog-proof: index, inclusion path and checkpoint")
    header: BlockHeader
    certificate: CommitCertificate


class ConsistencyProof(Answer):
    """An RFC 9162 consistency proof between two log sizes, with both roots."""

    first: Height
    second: Height
    first_root: Hash
    second_root: Hash
    proof: list[Hash]


class SyncPage(Answer):
    """Consecutive blocks from the height asked, for catch-up."""

    blocks: list[BlockItem]
