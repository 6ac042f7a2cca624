"""The demo of the verifiable core, in one process and without nodes
(``provledger demo --core``).

It creates a three-organisation identity, anchors the SHA-256 of every seed document
as a signed transaction, seals one block per document with the validators' keys held
locally, writes a receipt per document, verifies one offline against trust.json,
shows that a forged receipt fails, and audits the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts.registry import default_registry
from ledger.audit import audit_store
from ledger.errors import ReceiptError
from ledger.keys import read_key_file
from ledger.model.transaction import SignedTransaction, Transaction
from ledger.receipt import verify_receipt
from ledger.store import Store
from ledger.trust import Trust
from nodes.bootstrap import OrgSpec, create_identity, key_paths, write_json
from nodes.runtime.apply import seal_executed
from seeds.corpus import documents

DEMO_ORGS = [
    OrgSpec("sinochem", ("producer", "processor")),
    OrgSpec("cetc", ("notary", "carrier")),
    OrgSpec("sasac", ("regulator",)),
]


def run_core_demo(out: Path, console: Console) -> bool:
    """Run the demo into ``out``; return True when every check came out as expected."""
    console.rule("[bold]provledger: the verifiable core")
    genesis = create_identity(out, DEMO_ORGS, "provledger-demo", force=True)
    trust = Trust.load(out / "trust.json")
    console.print(
        f"chain id {genesis.chain_id}\nquorum {trust.validators.threshold} of "
        f"{len(trust.validators)} validators; trust anchor {out / 'trust.json'}",
        highlight=False,
    )
    validator_keys = [
        (v.name, read_key_file(key_paths(out, v.organisation)[1])) for v in genesis.validators
    ]
    db = out / "ledger.sqlite"
    for stale in out.glob("ledger.sqlite*"):
        stale.unlink()
    store = Store.create(str(db), genesis)

    table = Table(
        "height",
        "document",
        "sha256",
        "bytes",
        "depositor",
        "tx id",
        title="seed documents anchored (one block each)",
    )
    receipts = out / "receipts"
    receipts.mkdir(exist_ok=True)
    registry = default_registry(genesis)
    with store:
        for i, doc in enumerate(documents()):
            org = DEMO_ORGS[i % len(DEMO_ORGS)].name
            member = read_key_file(key_paths(out, org)[0])
            args = {
                "sha256": doc.sha256,
                "size": len(doc.data),
                "title": doc.title[:200],
                "media_type": "text/plain; charset=utf-8",
            }
            tx = Transaction.new(member, genesis.chain_id, "evidence", "anchor", args).sign(member)
            sealed, _ = seal_executed(store, registry, [tx], validator_keys[:2])
            write_json(receipts / f"{Path(doc.name).stem}.json", store.receipt(tx.tx_id))
            table.add_row(
                str(sealed.block.header.height),
                doc.name,
                doc.sha256[:16] + "…",
                str(len(doc.data)),
                org,
                tx.tx_id[:16] + "…",
            )
        console.print(table)
        head = store.head()
        assert head is not None
        console.print("[bold]latest cosigned checkpoint[/] (C2SP tlog-checkpoint):")
        console.print(store.checkpoint(head.height), highlight=False, markup=False, soft_wrap=True)
        report = audit_store(store, genesis)

    ok = True
    first = sorted(receipts.glob("*.json"))[0]
    receipt = json.loads(first.read_text(encoding="utf-8"))
    verified = verify_receipt(receipt, trust)
    console.print(
        f"[bold green]receipt verified offline[/] {first.name}: anchored by "
        f"[bold]{verified.organisation}[/] at height {verified.height}, time "
        f"{verified.time}, certified by {', '.join(verified.certificate_signers)}",
        highlight=False,
    )
    for label, forged in _forgeries(receipt):
        try:
            verify_receipt(forged, trust)
            console.print(f"[bold red]a forged receipt verified ({label}): this is a bug[/]")
            ok = False
        except ReceiptError as exc:
            console.print(f"[bold]forged receipt refused[/] ({label}): {exc}", highlight=False)
    if report.ok:
        console.print(
            f"[green]audit clean[/]: {report.blocks} blocks, {report.transactions} "
            f"transactions, {report.merkle_nodes} Merkle nodes re-verified from genesis"
        )
    else:
        console.print(f"[bold red]audit fault[/]: {report.finding}")
        ok = False
    return ok


def _forgeries(receipt: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Two forged copies of a receipt: a changed digest, and a changed digest whose
    transaction id is recomputed so that the forgery is self-consistent."""
    changed = json.loads(json.dumps(receipt))
    digest = changed["entry"]["tx"]["args"]["sha256"]
    changed["entry"]["tx"]["args"]["sha256"] = ("0" if digest[0] != "0" else "1") + digest[1:]
    rehashed = json.loads(json.dumps(changed))
    rehashed["tx_id"] = SignedTransaction.from_dict(rehashed["entry"]).tx_id
    return [
        ("one digest character changed", changed),
        ("digest changed and tx_id recomputed", rehashed),
    ]
