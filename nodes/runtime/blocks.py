"""Making and judging blocks: what the proposer proposes and what every validator
accepts as a valid value.

Promises:
- ``build_block`` takes at most ``limit`` pending transactions, oldest first, executes
  them, and returns the block that extends the store's head, its header naming the
  state and results roots of that execution, with the effects.
- ``judge_block`` accepts a block only if it has at most ``limit`` transactions, is a
  valid successor of the store's head (``ledger.successor``, as the store checks it:
  chain, height, prev_hash, time, proposer, body, log size and root), its time is not
  more than ``MAX_CLOCK_AHEAD`` ahead of ours, every transaction passes admission
  (member signature, chain, role, args, not committed, no duplicate), and executing it
  here gives the ``state_root`` and ``results_root`` its header names. A block that
  passes everything but the roots is a *divergence*: the verdict carries both roots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.registry import BlockEffects, Registry
from ledger.canonical import now_time, parse_time
from ledger.errors import LedgerError
from ledger.fault import Fault
from ledger.model.block import Block
from ledger.model.transaction import SignedTransaction
from ledger.store.store import Store
from nodes.mempool import Mempool
from nodes.runtime.apply import execute, execute_block

MAX_CLOCK_AHEAD = timedelta(seconds=30)
WIRE_OVERHEAD = 72  # per transaction in a proposal: its quoted hex id and separators


def block_time(store_head_time: str | None) -> str:
    """Now, or the head's time if our clock is behind it (times never go back)."""
    now = now_time()
    if store_head_time is not None and parse_time(now) < parse_time(store_head_time):
        return store_head_time
    return now


@dataclass(frozen=True)
class Verdict:
    """A validator's judgement of a proposed block: ``reason`` is None when it is valid
    (then ``effects`` is what executing it gave); ``divergence`` lists the root faults
    when the block is valid in every other way but our execution disagrees."""

    reason: str | None
    effects: BlockEffects | None = None
    divergence: tuple[Fault, ...] = ()


def build_block(
    store: Store,
    registry: Registry,
    mempool: Mempool,
    proposer: str,
    limit: int,
    max_bytes: int,
) -> tuple[Block, BlockEffects]:
    """The next block of pending transactions, oldest first, proposed by ``proposer``:
    at most ``limit`` of them and at most ``max_bytes`` of encoded transactions (so the
    proposal fits in a peer's request limit); executed, with its effects."""
    head = store.head()
    txs: list[SignedTransaction] = []
    size = 0
    for tx in mempool.take(limit):
        size += len(tx.canonical_bytes()) + WIRE_OVERHEAD
        if size > max_bytes and txs:
            break
        txs.append(tx)
    time = block_time(head.time if head else None)
    effects = execute(
        store,
        registry,
        txs,
        height=(head.height if head else 0) + 1,
        time=time,
        first_index=head.log_size if head else 0,
    )
    header = store.next_header(txs, time, proposer, writes=effects.writes, results=effects.results)
    return Block(header, tuple(txs)), effects


def judge_block(
    store: Store, registry: Registry, mempool: Mempool, block: Block, limit: int
) -> Verdict:
    """The verdict on ``block`` as the next block (see the module promises)."""
    header = block.header
    if header.tx_count > limit:
        return Verdict(f"block has {header.tx_count} transactions, the limit is {limit}")
    try:
        faults = store.successor_faults(block, results=None)
    except LedgerError as exc:
        return Verdict(str(exc))
    if faults:
        return Verdict(str(faults[0]))
    if parse_time(header.time) > parse_time(now_time()) + MAX_CLOCK_AHEAD:
        return Verdict("block time is too far in the future")
    reason = mempool.check_block(list(block.transactions))
    if reason is not None:
        return Verdict(reason)
    effects = execute_block(store, registry, block)
    faults = store.outcome_faults(block, writes=effects.writes, results=effects.results)
    if faults:
        return Verdict(str(faults[0]), divergence=tuple(faults))
    return Verdict(None, effects)
