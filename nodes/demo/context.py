"""What every chapter of the demo shares: the consortium folder, its genesis and keys,
a client of its nodes, the console, and a record of checks that did not come out as
expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console

from ledger.keys import SigningKey, read_key_file
from ledger.model.genesis import Genesis
from ledger.model.transaction import SignedTransaction, Transaction
from ledger.trust import Trust
from nodes.bootstrap import key_paths
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout

COMMIT_TIMEOUT = 60.0


@dataclass
class Step:
    """One call of a flow: who makes it, which contract action, its args, and whether
    the ledger must apply it (False: the demo shows a rule refusing it)."""

    org: str
    contract: str
    action: str
    args: dict[str, Any]
    label: str
    applied: bool = True


@dataclass
class Demo:
    """The running demo."""

    layout: Layout
    genesis: Genesis
    client: ConsortiumClient
    console: Console
    failures: list[str] = field(default_factory=list)
    _keys: dict[str, SigningKey] = field(default_factory=dict, repr=False)

    @property
    def out(self) -> Path:
        """The folder the demo writes into."""
        return self.layout.root

    def trust(self) -> Trust:
        """DIR/trust.json as it stands."""
        return Trust.load(self.layout.trust)

    def key(self, org: str) -> SigningKey:
        """The member key of ``org`` in DIR/keys (read once)."""
        if org not in self._keys:
            self._keys[org] = read_key_file(key_paths(self.out, org)[0])
        return self._keys[org]

    def expect(self, ok: bool, what: str) -> None:
        """Record ``what`` as a failure unless ``ok``."""
        if not ok:
            self.failures.append(what)
            self.console.print(f"[bold red]unexpected:[/] {what}", highlight=False)

    def sign(self, step: Step) -> SignedTransaction:
        """The transaction of ``step``, signed by its organisation's member key."""
        key = self.key(step.org)
        tx = Transaction.new(key, self.genesis.chain_id, step.contract, step.action, step.args)
        return tx.sign(key)

    def run(self, steps: list[Step]) -> list[dict[str, Any]]:
        """Submit ``steps`` in order as one batch to one node (its mempool keeps the
        order, and contracts apply them in that order), wait for each, and check each
        was applied or refused as the step expects. One row per step."""
        txs = [self.sign(s) for s in steps]
        answer = self.client.submit_batch(txs)
        rows = []
        for step, tx, item in zip(steps, txs, answer["results"], strict=True):
            if "tx_id" not in item:
                problem = item.get("problem", {})
                status: dict[str, Any] = {"status": "refused", "reason": problem.get("detail")}
            else:
                status = self.client.wait_committed(tx, COMMIT_TIMEOUT)
            outcome = status.get("outcome", {})
            applied = status["status"] == "committed" and bool(outcome.get("applied"))
            reason = outcome.get("reason") or status.get("reason")
            self.expect(applied == step.applied, f"{step.label}: {reason or 'applied'}")
            rows.append(
                {"step": step, "tx": tx, "status": status, "applied": applied, "reason": reason}
            )
        return rows

    def get(self, path: str) -> Any:
        """GET ``path`` from any live node."""
        return self.client.request("GET", path)

    def product(self, product_id: str, view: str | None = None) -> Any:
        """``/v1/trace/products/{id}[/{view}]``."""
        suffix = f"/{view}" if view else ""
        return self.get(f"/v1/trace/products/{quote(product_id, safe='')}{suffix}")
