"""Making and judging blocks: what the proposer proposes and what every validator
accepts as a valid value.

Promises:
- ``build_block`` takes at most ``limit`` pending transactions, oldest first, and
  returns the block that extends the store's head.
- ``judge_block`` returns None only if the block has at most ``limit`` transactions, is
  a valid successor of the store's head (``ledger.successor``, as the store checks it:
  chain, height, prev_hash, time, proposer, body, log size and root), its time is not
  more than ``MAX_CLOCK_AHEAD`` ahead of ours, and every transaction passes admission
  (member signature, chain, role, args, not committed, no duplicate); otherwise a reason.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.canonical import now_time, parse_time
from ledger.errors import LedgerError
from ledger.model.block import Block
from ledger.model.transaction import SignedTransaction
from ledger.store.store import Store
from nodes.mempool import Mempool

MAX_CLOCK_AHEAD = timedelta(seconds=30)
WIRE_OVERHEAD = 72  # per transaction in a proposal: its quoted hex id and separators


def block_time(store_head_time: str | None) -> str:
    """Now, or the head's time if our clock is behind it (times never go back)."""
    now = now_time()
    if store_head_time is not None and parse_time(now) < parse_time(store_head_time):
        return store_head_time
    return now


def build_block(store: Store, mempool: Mempool, proposer: str, limit: int, max_bytes: int) -> Block:
    """The next block of pending transactions, oldest first, proposed by ``proposer``:
    at most ``limit`` of them and at most ``max_bytes`` of encoded transactions (so the
    proposal fits in a peer's request limit)."""
    head = store.head()
    txs: list[SignedTransaction] = []
    size = 0
    for tx in mempool.take(limit):
        size += len(tx.canonical_bytes()) + WIRE_OVERHEAD
        if size > max_bytes and txs:
            break
        txs.append(tx)
    header = store.next_header(txs, block_time(head.time if head else None), proposer)
    return Block(header, tuple(txs))


def judge_block(store: Store, mempool: Mempool, block: Block, limit: int) -> str | None:
    """None if ``block`` is a valid next block; else why not."""
    header = block.header
    if header.tx_count > limit:
        return f"block has {header.tx_count} transactions, the limit is {limit}"
    try:
        faults = store.successor_faults(block)
    except LedgerError as exc:
        return str(exc)
    if faults:
        return str(faults[0])
    if parse_time(header.time) > parse_time(now_time()) + MAX_CLOCK_AHEAD:
        return "block time is too far in the future"
    return mempool.check_block(list(block.transactions))
