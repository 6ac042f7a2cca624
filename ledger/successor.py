"""Successor blocks: the one statement of what a valid next block is.

Promises, for a candidate ``block`` and the ``tip`` it claims to extend:

- ``link_faults``: the header names the tip's chain; its height is the tip's + 1; its
  ``prev_hash`` is the tip's block hash (the chain id before the first block); its
  ``log_size`` is the tip's + ``tx_count``; its time is not before the tip's; its
  proposer is a validator.
- ``Block.body_faults`` (``ledger.model.block``): ``tx_count`` and ``tx_root`` match
  the transactions.
- ``log_faults``: ``log_root`` is the root of the log after the block's transactions.
- ``successor_faults``: all of these; an empty list means the block extends the tip
  exactly.
- ``outcome_faults``: the block's results are one per transaction, in order, and hash
  to its ``results_root``; the state root after its writes (as the caller computed it
  from the tip's ``state_root``) is its ``state_root``. Only a node that executed the
  block can know these; a block is valid only with them.

Every function returns faults and raises nothing, so the validator (a reason), the
store (``StoreError``), the audit (a finding) and any verifier word them their own way.
Checks that need a clock, a mempool or transaction signatures are the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.canonical import parse_time
from ledger.fault import Fault
from ledger.model.block import Block, BlockHeader
from ledger.quorum import ValidatorSet
from ledger.results import TxResult, results_root
from ledger.state_tree import EMPTY


@dataclass(frozen=True)
class Tip:
    """The head a successor extends. Before the first block: height 0, the chain id as
    its block hash, no time, an empty log."""

    chain_id: str
    height: int
    block_hash: str
    time: str | None
    log_size: int
    state_root: str = EMPTY.hex()

    @classmethod
    def genesis(cls, chain_id: str) -> Tip:
        """The tip of a chain without blocks (its state is empty)."""
        return cls(chain_id, 0, chain_id, None, 0, EMPTY.hex())

    @classmethod
    def of(cls, header: BlockHeader) -> Tip:
        """The tip that block ``header`` makes."""
        return cls(
            header.chain_id,
            header.height,
            header.block_hash,
            header.time,
            header.log_size,
            header.state_root,
        )


def link_faults(tip: Tip, header: BlockHeader, validators: ValidatorSet) -> list[Fault]:
    """The faults of ``header`` as the successor of ``tip`` (see the module promises)."""
    faults = []
    if header.chain_id != tip.chain_id:
        faults.append(
            Fault("chain_id", "block is for another chain", tip.chain_id, header.chain_id)
        )
    if header.height != tip.height + 1:
        faults.append(
            Fault(
                "height",
                f"height {header.height} does not follow {tip.height}",
                str(tip.height + 1),
                str(header.height),
            )
        )
    if header.prev_hash != tip.block_hash:
        faults.append(
            Fault(
                "prev_hash",
                "prev_hash is not the block hash of the block before",
                tip.block_hash,
                header.prev_hash,
            )
        )
    size = tip.log_size + header.tx_count
    if header.log_size != size:
        faults.append(
            Fault(
                "log_size",
                f"log_size {header.log_size} is not {tip.log_size} + {header.tx_count}",
                str(size),
                str(header.log_size),
            )
        )
    if tip.time is not None and parse_time(header.time) < parse_time(tip.time):
        faults.append(
            Fault("time", "block time is before the head's", f">= {tip.time}", header.time)
        )
    if header.proposer not in validators.keys:
        faults.append(
            Fault("proposer", "block proposer is not a validator", actual=header.proposer)
        )
    return faults


def log_faults(header: BlockHeader, log_root: str) -> list[Fault]:
    """The fault of ``header`` if ``log_root`` (hex root of the log after its
    transactions, as the caller computed it) is not its ``log_root``."""
    if header.log_root == log_root:
        return []
    return [
        Fault(
            "log_root",
            "log_root is not the root of the log after this block",
            log_root,
            header.log_root,
        )
    ]


def successor_faults(
    tip: Tip, block: Block, validators: ValidatorSet, log_root: str | None = None
) -> list[Fault]:
    """Every fault of ``block`` as the successor of ``tip``: link, body and, when the
    caller gives the log's root after the block's transactions, ``log_root``."""
    faults = link_faults(tip, block.header, validators) + block.body_faults()
    if log_root is not None:
        faults += log_faults(block.header, log_root)
    return faults


def outcome_faults(
    block: Block, results: Sequence[TxResult], state_root: str, found_root: str | None = None
) -> list[Fault]:
    """The faults of ``block`` against its executed outcome: ``results`` (one per
    transaction, whose root is ``found_root`` when the caller has it) and ``state_root``
    (hex, the root after its writes)."""
    header = block.header
    faults: list[Fault] = []
    ids = [tx.tx_id for tx in block.transactions]
    if [r.tx_id for r in results] != ids:
        faults.append(
            Fault(
                "results",
                "the results are not one per transaction of the block, in order",
                str(len(ids)),
                str(len(results)),
            )
        )
    else:
        found = found_root or results_root(results)
        if header.results_root != found:
            faults.append(
                Fault(
                    "results_root",
                    "results_root is not the root of this block's transaction results",
                    found,
                    header.results_root,
                )
            )
    if header.state_root != state_root:
        faults.append(
            Fault(
                "state_root",
                "state_root is not the root of the state after this block",
                state_root,
                header.state_root,
            )
        )
    return faults
