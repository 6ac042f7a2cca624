"""Auditing every node of a consortium folder and comparing their chains.

Promise: each node's store is fully re-verified against the folder's genesis (not the
genesis the store holds), its contracts re-executed from genesis and its state checked
against that (``audit_database``), and any two nodes must hold the same block at every
height both have; the first divergence is named. A damaged database file is that node's
finding (``database``, naming the table where known); the other nodes are still audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.audit import AuditReport, Progress, audit_store
from ledger.errors import DamagedDatabaseError, LedgerError
from ledger.model.genesis import Genesis
from ledger.store import Store
from nodes.audit_replay import AuditReplay
from nodes.bootstrap import load_genesis
from nodes.consortium.layout import Layout


@dataclass
class ConsortiumAudit:
    """Per-node reports and the cross-node comparison."""

    reports: dict[str, AuditReport] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    divergence: str | None = None

    @property
    def ok(self) -> bool:
        """True when every store is clean and all agree."""
        return (
            not self.unreadable
            and self.divergence is None
            and all(r.ok for r in self.reports.values())
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "ok": self.ok,
            "nodes": [{"name": n, **r.to_dict()} for n, r in self.reports.items()]
            + [{"name": n, "ok": False, "error": e} for n, e in self.unreadable.items()],
            "divergence": self.divergence,
        }


def audit_consortium(
    layout: Layout, progress: Callable[[str], None] | None = None
) -> ConsortiumAudit:
    """Audit every node's store in ``layout`` and compare their blocks."""
    genesis = load_genesis(layout.genesis)
    result = ConsortiumAudit()
    stores: dict[str, Store] = {}
    try:
        for config in layout.configs():
            if progress:
                progress(config.name)
            try:
                stores[config.name] = Store.open(config.database, genesis)
            except DamagedDatabaseError as exc:
                result.reports[config.name] = AuditReport.of_damage(genesis.chain_id, exc)
                continue
            except LedgerError as exc:
                result.unreadable[config.name] = str(exc)
                continue
            result.reports[config.name] = audit_database(stores[config.name], genesis)
        result.divergence = _compare(result.reports, stores)
    finally:
        for store in stores.values():
            store.close()
    return result


def audit_database(
    store: Store, trusted: Genesis | None = None, progress: Progress | None = None
) -> AuditReport:
    """Audit ``store`` against ``trusted`` (default: the genesis it holds), re-executing
    the contracts over its log from genesis (``nodes.audit_replay``) and checking every
    state root, results root and stored state, history and result row against that; a
    database file too damaged to read is a finding, not an error."""
    genesis = trusted or store.genesis
    return audit_store(store, trusted, progress, replay=AuditReplay(genesis))


def _compare(reports: dict[str, AuditReport], stores: dict[str, Store]) -> str | None:
    names = [n for n in reports if reports[n].ok]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            common = min(reports[a].head_height, reports[b].head_height)
            if common == 0:
                continue
            if stores[a].header(common).block_hash != stores[b].header(common).block_hash:
                first = _first_difference(stores[a], stores[b], common)
                return f"{a} and {b} hold different blocks from height {first}"
    return None


def _first_difference(a: Store, b: Store, top: int) -> int:
    low, high = 1, top  # the blocks differ at ``top``; hash chaining makes it monotone
    while low < high:
        mid = (low + high) // 2
        if a.header(mid).block_hash == b.header(mid).block_hash:
            low = mid + 1
        else:
            high = mid
    return low
