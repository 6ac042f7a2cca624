"""Storing a decided block: apply its transactions through the contracts, then append
the block, certificate, checkpoint and state writes in one database transaction.

Promise: every node that applies the same blocks in the same order stores the same
state (contracts are pure), and a block is stored with its effects or not at all.
"""

from __future__ import annotations

from typing import Any

from contracts.base import TxContext
from contracts.membership import current_roster
from contracts.registry import BlockEffects, Registry
from ledger.model.block import Block
from ledger.model.vote import CommitCertificate
from ledger.store.store import Store


class StoreView:
    """Contract state read from the store (what contracts see before a block); reads
    announced with ``prefetch`` are fetched in batches and kept."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: dict[tuple[str, str], Any] = {}

    def prefetch(self, wanted: dict[str, list[str]]) -> None:
        """Fetch the values of ``wanted`` keys (by contract) in a few queries."""
        for contract, keys in wanted.items():
            found = self._store.state_many(contract, keys)
            for key in keys:
                self._known[(contract, key)] = found.get(key)

    def get(self, contract: str, key: str) -> Any | None:
        """The stored value under ``(contract, key)``, or None."""
        if (contract, key) in self._known:
            return self._known[(contract, key)]
        return self._store.state(contract, key)


def contexts(store: Store, block: Block) -> list[TxContext]:
    """The context each transaction of ``block`` is applied in: its sender resolved
    against the roster stored before the block (a membership change takes effect from
    the next block)."""
    header = block.header
    members = current_roster(StoreView(store), store.genesis).members()
    out = []
    for i, tx in enumerate(block.transactions):
        member = members.get(tx.tx.sender)
        org = member[0] if member else None
        out.append(
            TxContext(
                tx_id=tx.tx_id,
                log_index=header.first_index + i,
                height=header.height,
                time=header.time,
                sender=tx.tx.sender,
                organisation=org.name if org else "",
                roles=org.roles if org else (),
            )
        )
    return out


def store_block(
    store: Store,
    registry: Registry,
    block: Block,
    certificate: CommitCertificate,
    checkpoint: str,
) -> BlockEffects:
    """Apply and append ``block``; return the contracts' effects."""
    items = list(zip(block.transactions, contexts(store, block), strict=True))
    effects = registry.apply_block(StoreView(store), items)
    store.append_block(block, certificate, checkpoint, effects.writes)
    return effects
