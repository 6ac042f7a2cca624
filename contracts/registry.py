"""The registry: which contracts a chain runs, who may call what, and applying a block.

Promises:
- ``admit`` is the stateless admission check of one call: known contract, known
  action, a role allowed to call it, valid args. It raises ``Rejection`` (or its
  subclass ``NotPermitted`` for the role) with a reason a person can act on.
- ``apply_block`` applies a block's transactions in order, each seeing the writes of
  those before it. A transaction that fails admission or that its contract rejects
  writes nothing of its own; its reason is written instead under
  ``("ledger", "rejected/<tx_id>")``, so every node stores the same outcome. Each
  transaction gets a ``ledger.results.TxResult``: applied with its writes, or refused
  with the refusal's code and reason. Any other exception from a contract is a bug and
  propagates.
- The same view and the same transactions give the same effects, on every node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.base import Contract, NotPermitted, Rejection, StateView, TxContext
from contracts.evidence import Evidence
from contracts.membership import Membership
from contracts.traceability import Traceability
from ledger.canonical import canonical
from ledger.model.genesis import Genesis
from ledger.model.transaction import SignedTransaction
from ledger.results import APPLIED, REFUSED, TxResult, Written
from ledger.state_write import StateWrite

LEDGER = "ledger"  # the reserved contract name under which rejections are recorded


def rejected_key(tx_id: str) -> str:
    """The ``ledger`` state key recording why transaction ``tx_id`` (hex) was rejected."""
    return f"rejected/{tx_id}"


@dataclass(frozen=True)
class BlockEffects:
    """What applying a block does: its state writes in order, the transactions
    rejected (tx id hex -> reason), and every transaction's result in log order."""

    writes: tuple[StateWrite, ...]
    rejected: dict[str, str]
    results: tuple[TxResult, ...]


class _Overlay:
    """A view of ``base`` with a block's earlier writes on top. Values are kept as
    canonical JSON, so a contract can neither store a value that is not JSON-safe nor
    change a stored value through an object it was handed."""

    def __init__(self, base: StateView) -> None:
        self._base = base
        self._written: dict[tuple[str, str], bytes] = {}

    def get(self, contract: str, key: str) -> Any | None:
        text = self._written.get((contract, key))
        return self._base.get(contract, key) if text is None else json.loads(text)

    def put(self, contract: str, key: str, value: Any) -> tuple[Any, bytes]:
        """Record a write; return the value as it reads back and its canonical JSON."""
        if not isinstance(key, str) or not key:
            raise TypeError(f"contract {contract!r} wrote under a key that is not a string")
        if value is None:  # a state proof tells null from absent by the value: never store it
            raise TypeError(f"contract {contract!r} wrote null under {key!r}")
        text = canonical(value)
        self._written[(contract, key)] = text
        return json.loads(text), text


class Registry:
    """The contracts of a chain, by name."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._contracts: dict[str, Contract] = {}
        for contract in contracts:
            if contract.name == LEDGER:
                raise ValueError(f"contract name {LEDGER!r} is reserved")
            if contract.name in self._contracts:
                raise ValueError(f"two contracts are named {contract.name!r}")
            self._contracts[contract.name] = contract

    def names(self) -> list[str]:
        """The contract names, sorted."""
        return sorted(self._contracts)

    def _contract(self, contract: str) -> Contract:
        found = self._contracts.get(contract)
        if found is None:
            raise Rejection(
                f"unknown contract {contract!r} (known: {', '.join(self.names()) or 'none'})",
                "unknown_call",
            )
        return found

    def roles_allowed(self, contract: str, action: str) -> frozenset[str]:
        """The roles that may call ``contract.action``; ``Rejection`` if either is unknown."""
        actions = self._contract(contract).actions
        allowed = actions.get(action)
        if allowed is None:
            raise Rejection(
                f"unknown action {action!r} of contract {contract!r} "
                f"(known: {', '.join(sorted(actions)) or 'none'})",
                "unknown_call",
            )
        return allowed

    def admit(self, contract: str, action: str, args: Any, roles: Sequence[str]) -> None:
        """The stateless admission check of a call by a sender holding ``roles``; a
        refusal of the arguments without a more specific code has ``invalid_args``."""
        allowed = self.roles_allowed(contract, action)
        if not allowed.intersection(roles):
            held = ", ".join(roles) or "none"
            raise NotPermitted(
                f"role(s) {held} may not call {contract}.{action} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        try:
            self._contracts[contract].check_args(action, args)
        except Rejection as refusal:
            if refusal.code != "refused":
                raise
            raise Rejection(refusal.reason, "invalid_args") from refusal

    def apply_block(
        self, view: StateView, items: Sequence[tuple[SignedTransaction, TxContext]]
    ) -> BlockEffects:
        """Apply ``items`` in order over ``view``; see the module promises. Each context's
        ``tx_id`` must be its transaction's (``ValueError`` otherwise)."""
        _prefetch(view, self._contracts, items)
        overlay = _Overlay(view)
        writes: list[StateWrite] = []
        results: list[TxResult] = []
        rejected: dict[str, str] = {}
        for signed, ctx in items:
            if ctx.tx_id != signed.tx_id:
                raise ValueError(f"context of transaction {signed.tx_id} names {ctx.tx_id}")
            tx = signed.tx
            refusal: Rejection | None = None
            try:
                self.admit(tx.contract, tx.action, tx.args, ctx.roles)
                made = self._contracts[tx.contract].apply(overlay, tx.action, tx.args, ctx)
                contract = tx.contract
            except Rejection as exc:
                refusal = exc
                rejected[ctx.tx_id] = exc.reason
                made = [(rejected_key(ctx.tx_id), {"reason": exc.reason})]
                contract = LEDGER
            written: list[Written] = []
            for key, value in made:
                stored, text = overlay.put(contract, key, value)
                digest = hashlib.sha256(text).digest()
                writes.append(
                    StateWrite(contract, key, stored, ctx.log_index, text.decode(), digest)
                )
                written.append(Written(contract, key, digest.hex()))
            if refusal is None:
                results.append(TxResult(ctx.tx_id, APPLIED, tuple(written)))
            else:
                results.append(
                    TxResult(ctx.tx_id, REFUSED, tuple(written), refusal.code, refusal.reason)
                )
        return BlockEffects(tuple(writes), rejected, tuple(results))


def _prefetch(
    view: StateView,
    contracts: Mapping[str, Contract],
    items: Sequence[tuple[SignedTransaction, TxContext]],
) -> None:
    """Tell a view that can batch its reads (``prefetch``) which keys the block's
    transactions will read, as their contracts' optional ``reads`` declare: a key of the
    contract itself, or ``(contract, key)`` of another contract's state."""
    prefetch = getattr(view, "prefetch", None)
    if prefetch is None:
        return
    wanted: dict[str, list[str]] = {}
    for signed, _ in items:
        tx = signed.tx
        reads = getattr(contracts.get(tx.contract), "reads", None)
        if reads is None:
            continue
        try:
            declared = list(reads(tx.action, tx.args))
        except (Rejection, KeyError, TypeError):
            continue  # the transaction will be refused when applied
        for read in declared:
            contract, key = read if isinstance(read, tuple) else (tx.contract, read)
            wanted.setdefault(contract, []).append(key)
    prefetch(wanted)


def default_registry(genesis: Genesis) -> Registry:
    """The contracts this release ships, for the chain ``genesis`` starts: ``evidence``,
    ``membership`` (which needs genesis's organisations and validators) and
    ``traceability``."""
    return Registry([Evidence(), Membership(genesis), Traceability(genesis)])
