"""Executing blocks: apply a block's transactions through the contracts, over the state
the store holds before it; then store the block with what executing it gave.

Promises:
- ``execute`` is pure given the store's state: every node that executes the same
  transactions at the same place reaches the same writes and results (contracts are
  deterministic), from which the block's ``state_root`` and ``results_root`` follow.
- ``store_block`` stores a block with its effects or not at all; the store refuses it
  (``StoreError``) if those effects do not give the roots its header names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from contracts.base import TxContext
from contracts.membership import current_roster
from contracts.registry import BlockEffects, Registry
from ledger.canonical import now_time
from ledger.keys import SigningKey
from ledger.model.block import Block
from ledger.model.genesis import Organisation
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate
from ledger.sealing import Sealed, seal
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


def contexts(
    store: Store,
    transactions: Sequence[SignedTransaction],
    *,
    height: int,
    time: str,
    first_index: int,
) -> list[TxContext]:
    """The context each of ``transactions`` is applied in, in a block at ``height`` with
    consensus ``time`` whose first transaction has log index ``first_index``: its sender
    resolved against the roster stored before the block (a membership change takes
    effect from the next block)."""
    members = current_roster(StoreView(store), store.genesis).members()
    return contexts_for(members, transactions, height=height, time=time, first_index=first_index)


def contexts_for(
    members: Mapping[str, tuple[Organisation, bytes]],
    transactions: Sequence[SignedTransaction],
    *,
    height: int,
    time: str,
    first_index: int,
) -> list[TxContext]:
    """``contexts`` given the roster's ``members`` (key id -> organisation and key, as
    ``Roster.members`` gives them) in force before the block; pure."""
    out = []
    for i, tx in enumerate(transactions):
        member = members.get(tx.tx.sender)
        org = member[0] if member else None
        out.append(
            TxContext(
                tx_id=tx.tx_id,
                log_index=first_index + i,
                height=height,
                time=time,
                sender=tx.tx.sender,
                organisation=org.name if org else "",
                roles=org.roles if org else (),
            )
        )
    return out


def execute(
    store: Store,
    registry: Registry,
    transactions: Sequence[SignedTransaction],
    *,
    height: int,
    time: str,
    first_index: int,
) -> BlockEffects:
    """Apply ``transactions`` as the block at ``height`` over the store's current state."""
    ctxs = contexts(store, transactions, height=height, time=time, first_index=first_index)
    return registry.apply_block(StoreView(store), list(zip(transactions, ctxs, strict=True)))


def execute_block(store: Store, registry: Registry, block: Block) -> BlockEffects:
    """Apply ``block``'s transactions over the store's current state (its head must be
    the block's parent)."""
    header = block.header
    return execute(
        store,
        registry,
        block.transactions,
        height=header.height,
        time=header.time,
        first_index=header.first_index,
    )


class Executed:
    """The effects of the last few blocks this node executed, by block hash: a block is
    executed once when built or judged, and its effects reused when it is stored."""

    def __init__(self, keep: int = 16) -> None:
        self._effects: OrderedDict[str, BlockEffects] = OrderedDict()
        self._keep = keep

    def put(self, block_hash: str, effects: BlockEffects) -> None:
        """Remember the effects of block ``block_hash``."""
        self._effects[block_hash] = effects
        while len(self._effects) > self._keep:
            self._effects.popitem(last=False)

    def take(self, block_hash: str) -> BlockEffects | None:
        """The effects of block ``block_hash`` if remembered (forgotten after)."""
        return self._effects.pop(block_hash, None)


def store_block(
    store: Store,
    registry: Registry,
    block: Block,
    certificate: CommitCertificate,
    checkpoint: str,
    effects: BlockEffects | None = None,
) -> BlockEffects:
    """Append ``block`` with the effects of executing it (``effects`` if this node
    already executed it on the same head, else executed now); return the effects."""
    if effects is None:
        effects = execute_block(store, registry, block)
    store.append_block(
        block, certificate, checkpoint, writes=effects.writes, results=effects.results
    )
    return effects


def seal_executed(
    store: Store,
    registry: Registry,
    transactions: Sequence[SignedTransaction],
    validator_keys: Sequence[tuple[str, SigningKey]],
    *,
    time: str | None = None,
) -> tuple[Sealed, BlockEffects]:
    """Execute ``transactions`` as the next block and seal it with ``validator_keys``
    (``ledger.sealing.seal``): for tools, demos, benchmarks and tests that hold the keys
    in one place and must still produce the roots the contracts give. What was stored,
    and the effects."""
    at = time or now_time()
    effects = execute(
        store,
        registry,
        transactions,
        height=store.height() + 1,
        time=at,
        first_index=store.log_size(),
    )
    sealed = seal(
        store,
        transactions,
        validator_keys,
        time=at,
        writes=effects.writes,
        results=effects.results,
    )
    return sealed, effects
