"""Storing blocks: decided here (with the precommits the driver collected), or fetched
by catch-up; then what follows a stored block.

Promises:
- A decided block is stored with its commit certificate and a checkpoint cosigned by
  every precommit's signer; a block already stored (by catch-up) is skipped.
- A fetched block is stored only after full verification (transactions' signatures and
  admission, then the store's checks of chain, roots, certificate and checkpoint); the
  first one that fails stops the batch and is returned as the reason.
- After a block is stored: its transactions leave the mempool, the metrics count it,
  a block that changed the roster admits the new roster's senders before the next
  height, the vote log is pruned now and then, peers are told (``committed``), and
  waiters on transaction status are woken.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from contracts.membership import CONTRACT as MEMBERSHIP
from contracts.registry import BlockEffects, Registry
from ledger.checkpoint import assemble_checkpoint, checkpoint_of_header
from ledger.errors import StoreError, ValidationError
from ledger.model.block import Block
from ledger.model.vote import CommitCertificate
from ledger.store.store import Store
from nodes.consensus.events import Synced
from nodes.consensus.ready import Decision
from nodes.mempool import Mempool
from nodes.peer.wire import encode_committed
from nodes.runtime.apply import Executed, store_block
from nodes.runtime.metrics import Metrics
from nodes.runtime.outbox import CONSENSUS_PATH, Outbox
from nodes.runtime.tx_status import TxStatus
from nodes.vote_log import VoteLog

log = logging.getLogger("provledger.node")

PRUNE_EVERY = 16
"""Heights between two prunings of the vote log."""


class Committer:
    """Stores blocks in ``store`` and does what follows."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        mempool: Mempool,
        vote_log: VoteLog,
        outbox: Outbox,
        metrics: Metrics,
        txs: TxStatus,
        refresh_members: Callable[[], None],
        executed: Executed,
    ) -> None:
        self._store, self._registry, self._mempool = store, registry, mempool
        self._executed = executed
        self._vote_log, self._outbox, self._metrics = vote_log, outbox, metrics
        self._txs, self._refresh_members = txs, refresh_members

    async def decided(self, d: Decision) -> None:
        """Store the decided block of ``d``."""
        block: Block = d.value
        header = block.header
        if header.height <= self._store.height():
            return  # already stored by catch-up
        certificate = CommitCertificate.from_votes([sv.vote for sv in d.precommits])
        lines = [sv.cosignature for sv in d.precommits if sv.cosignature is not None]
        note = assemble_checkpoint(checkpoint_of_header(header), lines)
        t0 = time.monotonic()
        effects = await asyncio.to_thread(
            self._store_block, block, certificate, note, self._executed.take(header.block_hash)
        )
        log.debug(
            "decided h=%d r=%d; stored in %.0f ms",
            header.height,
            d.round,
            1000 * (time.monotonic() - t0),
        )
        await self._after(block, effects, synced=False)

    async def synced(self, items: list[Any]) -> tuple[list[Synced], Exception | None]:
        """Verify and store fetched ``items`` in order: the blocks stored, and why the
        first refused one was refused (None: none was)."""
        out: list[Synced] = []
        for item in items:
            try:
                block, certificate, note = _decode_synced(item)
                if block.header.height <= self._store.height():
                    continue
                reason = await asyncio.to_thread(
                    self._mempool.check_block, list(block.transactions)
                )
                if reason is not None:
                    raise StoreError(f"block {block.header.height} refused: {reason}")
                effects = await asyncio.to_thread(self._store_block, block, certificate, note)
            except Exception as exc:  # whatever a bad block raises, it is refused
                self._metrics.refused_sync_blocks.inc()
                return out, exc
            await self._after(block, effects, synced=True)
            out.append(Synced(block.header.height, block.header.block_hash))
        return out, None

    def _store_block(
        self,
        block: Block,
        certificate: CommitCertificate,
        note: str,
        effects: BlockEffects | None = None,
    ) -> BlockEffects:
        """Store a block (in a worker thread), executing it unless ``effects`` are
        those of executing it here already; if it changed the roster, admit the new
        roster's senders in the same call, before consensus moves to the next height."""
        effects = store_block(self._store, self._registry, block, certificate, note, effects)
        if any(w.contract == MEMBERSHIP for w in effects.writes):
            self._refresh_members()
        return effects

    async def _after(self, block: Block, effects: BlockEffects, *, synced: bool) -> None:
        header = block.header
        ids = [tx.tx_id_bytes for tx in block.transactions]
        self._mempool.remove(ids)
        for seconds in self._txs.stored(ids, time.monotonic()):
            self._metrics.commit_latency.observe(seconds)
        self._metrics.committed_blocks.inc()
        self._metrics.committed_transactions.inc(len(ids))
        if synced:
            self._metrics.synced_blocks.inc()
        if header.height % PRUNE_EVERY == 0:
            await asyncio.to_thread(self._vote_log.prune, header.height + 1)
        self._outbox.broadcast(CONSENSUS_PATH, [encode_committed(header.height)])
        self._txs.changed()
        log.info(
            "stored block %d (%d txs, %d rejected by contracts)%s",
            header.height,
            header.tx_count,
            len(effects.rejected),
            " from catch-up" if synced else "",
        )


def _decode_synced(item: Any) -> tuple[Block, CommitCertificate, str]:
    note = item["checkpoint"]
    if not isinstance(note, str):
        raise ValidationError("checkpoint: expected a string")
    return Block.from_dict(item["block"]), CommitCertificate.from_dict(item["certificate"]), note
