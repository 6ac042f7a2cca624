"""Sealing a block when the validator keys are held in one place.

Given the keys of at least a quorum of validators, ``seal`` builds the block that
extends a store's head, collects their precommit votes into a commit certificate,
cosigns its checkpoint, and appends it. This is for tools, tests, benchmarks and the
single-process demo; across nodes, consensus (``nodes/consensus``) produces the same
certificate and checkpoint from votes exchanged over the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.canonical import now_time
from ledger.checkpoint import checkpoint_of_header, sign_checkpoint
from ledger.keys import SigningKey
from ledger.model.block import Block
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.results import TxResult, applied_results
from ledger.store.store import StateWrite, Store


@dataclass(frozen=True)
class Sealed:
    """What ``seal`` stored."""

    block: Block
    certificate: CommitCertificate
    checkpoint: str


def seal(
    store: Store,
    transactions: Sequence[SignedTransaction],
    validator_keys: Sequence[tuple[str, SigningKey]],
    *,
    time: str | None = None,
    writes: Sequence[StateWrite] = (),
    results: Sequence[TxResult] | None = None,
) -> Sealed:
    """Build, certify, checkpoint and append the next block; return what was stored.

    ``validator_keys`` are ``(validator name, node key)`` pairs; the first proposes.
    ``writes`` and ``results`` are what executing the transactions gave; without
    ``results``, every transaction counts as applied with its ``writes``
    (``ledger.results.applied_results``). The store refuses the block (``StoreError``)
    if the keys are not a quorum.
    """
    proposer = validator_keys[0][1].key_id
    if results is None:
        results = applied_results(transactions, writes, store.log_size())
    header = store.next_header(
        transactions, time or now_time(), proposer, writes=writes, results=results
    )
    block = Block(header, tuple(transactions))
    votes = [
        Vote.signed(key, header.chain_id, header.height, 0, VoteType.PRECOMMIT, header.block_hash)
        for _, key in validator_keys
    ]
    certificate = CommitCertificate.from_votes(votes)
    checkpoint = sign_checkpoint(checkpoint_of_header(header), validator_keys)
    store.append_block(block, certificate, checkpoint, writes=writes, results=results)
    return Sealed(block, certificate, checkpoint)
