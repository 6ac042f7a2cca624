"""Transactions as clients submit them, and what the node answers about them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from nodes.server.models.base import Answer, Record
from nodes.server.models.fields import Count, Hash, Height, KeyId, Name, Signature, Time, TxId
from nodes.server.problems import ProblemDetails


class Transaction(Answer):
    """The signed content of a transaction (``ledger.model.transaction.Transaction``)."""

    chain_id: Hash = Field(description="the chain id (SHA-256 of genesis) it is signed for")
    contract: Name
    action: Name
    args: dict[str, Any] = Field(description="the action's arguments (no floats)")
    sender: KeyId
    nonce: str = Field(pattern="^(?:[0-9a-f]{2}){1,32}$", description="1 to 32 bytes of hex")
    created_at: Time


class SignedTransaction(Answer):
    """A transaction and its sender's Ed25519 signature; its id is the SHA-256 of its
    RFC 8785 canonical bytes."""

    tx: Transaction
    signature: Signature


class TransactionBatch(Answer):
    """Transactions judged one by one (at most the node's ``max_batch``: 413 beyond)."""

    transactions: list[SignedTransaction]


class Submitted(Answer):
    """A transaction admitted to the mempool."""

    tx_id: TxId
    status: Literal["pending"]


class Admitted(Answer):
    """One admitted item of a batch."""

    tx_id: TxId


class Refusal(Answer):
    """One refused item of a batch, with why (the status it would have alone)."""

    problem: ProblemDetails


class BatchAnswer(Answer):
    """Per item of a batch, in order, its id or why it was refused."""

    admitted: Count
    refused: Count
    results: list[Admitted | Refusal]


class Outcome(Record):
    """What the contract made of a committed transaction (a rejection says why)."""

    applied: bool


class TxStatus(Answer):
    """Where a transaction stands: ``pending`` (in the mempool, or stored on fewer than a
    quorum of nodes), ``committed`` (with its outcome) or ``rejected`` (never admitted
    to a block, with the reason)."""

    tx_id: TxId
    height: Height | None = None
    log_index: Count | None = None
    stored_on: Count | None = Field(None, description="nodes known to store its block")
    status: Literal["pending", "committed", "rejected"]
    detail: str | None = None
    reason: str | None = None
    outcome: Outcome | None = None
