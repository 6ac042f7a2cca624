"""Chapter: deposit evidence. The five seed documents are anchored with their facts and
paragraph hashes, each receipt is written, one document is verified offline, a tampered
copy is traced to the paragraph that differs, and one fact is proven without the
document."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.table import Table

from ledger.anchor_proof import verify_anchor, verify_fact
from nodes.bootstrap import write_json
from nodes.cli.anchor_cmd import anchor_files
from nodes.cli.diff_view import print_differences
from nodes.cli.receipt_cmd import fetch_anchor
from nodes.demo.context import COMMIT_TIMEOUT, Demo
from nodes.documents import describe
from seeds.corpus import Document, documents

# Which organisation deposits which seed (by position): each holds a role that may anchor.
DEPOSITORS = ("cetc", "sasac", "cetc", "sinochem", "sinochem")
TAMPER = ("On October 27", "On October 28")  # a date changed in one paragraph of seed 0


def anchor_seeds(demo: Demo) -> list[Document]:
    """Anchor every seed document and publish its facts; write DIR/receipts/*.json."""
    docs = documents()
    receipts = demo.out / "receipts"
    receipts.mkdir(exist_ok=True)
    rows = []
    for org in dict.fromkeys(DEPOSITORS):
        mine = [
            (Path(d.name), describe(Path(d.name), d.data))
            for d, o in zip(docs, DEPOSITORS, strict=True)
            if o == org
        ]
        rows += [
            (org, r)
            for r in anchor_files(
                demo.client, org, demo.key(org), demo.genesis.chain_id, mine, COMMIT_TIMEOUT
            )
        ]
    table = Table(title="the seed documents, anchored with their facts and paragraphs")
    for col in ("document", "title", "bytes", "facts", "¶", "depositor", "height"):
        table.add_column(col)
    by_name = {d.name: d for d in docs}
    for org, r in sorted(rows, key=lambda row: row[1]["file"]):
        doc = by_name[Path(r["file"]).name]
        demo.expect(r["applied"] and r["facts_published"], f"anchor of {doc.name}: {r['reason']}")
        answer = demo.get(f"/v1/evidence/{doc.sha256}")
        write_json(receipts / f"{Path(doc.name).stem}.json", answer["receipt"])
        title = doc.title if len(doc.title) <= 48 else doc.title[:47] + "…"
        table.add_row(
            doc.name,
            title,
            str(len(doc.data)),
            str(r["facts"]),
            str(r["chunks"]),
            org,
            str(r["height"]),
        )
    demo.console.print(table)
    _facts_table(demo, docs)
    return docs


def _facts_table(demo: Demo, docs: list[Document]) -> None:
    counts = {
        d.name: Counter(f["kind"] for f in demo.get(f"/v1/evidence/{d.sha256}/facts")["facts"])
        for d in docs
    }
    kinds = sorted({k for c in counts.values() for k in c})
    table = Table(
        title="facts extracted per document (published on the ledger, each a Merkle leaf)"
    )
    table.add_column("document")
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("total", justify="right")
    for name, c in counts.items():
        table.add_row(name, *(str(c.get(k, 0)) for k in kinds), str(sum(c.values())))
    demo.console.print(table)


def verify_one(demo: Demo, doc: Document) -> None:
    """Verify a seed offline from its receipt and trust.json alone."""
    receipt = demo.out / "receipts" / f"{Path(doc.name).stem}.json"
    check = verify_anchor(json.loads(receipt.read_text(encoding="utf-8")), demo.trust(), doc.data)
    r = check.receipt
    demo.expect(check.matches is True, f"{doc.name} does not match its receipt")
    demo.console.print(
        f"[bold green]VERIFIED offline[/] {doc.name} with {receipt.name} and trust.json only: "
        f"deposited by [bold]{r.organisation}[/] at height {r.height}, consensus time {r.time}, "
        f"certified by {', '.join(r.certificate_signers)}",
        highlight=False,
    )


def tamper(demo: Demo, doc: Document) -> None:
    """Change one date in a copy; show it is not anchored and which paragraph differs."""
    copy = doc.data.decode("utf-8").replace(*TAMPER, 1).encode("utf-8")
    path = demo.out / "tampered" / doc.name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(copy)
    args = describe(path, copy, with_facts=False).args
    if fetch_anchor(demo.client, args["sha256"]) is not None:
        demo.expect(False, "a tampered copy was found anchored")
        return
    found = demo.client.request(
        "POST", "/v1/evidence/similar", json={"title": args["title"], "chunks": args["chunks"]}
    )["candidates"]
    demo.expect(
        bool(found) and found[0]["sha256"] == doc.sha256,
        "the tampered copy's original was not found",
    )
    if not found:
        return
    receipt = demo.get(f"/v1/evidence/{found[0]['sha256']}")["receipt"]
    check = verify_anchor(receipt, demo.trust(), copy)
    demo.console.print(
        f"[bold red]NOT ANCHORED[/] {path.relative_to(demo.out)} ({TAMPER[0]!r} → {TAMPER[1]!r}); "
        f"it shares {found[0]['shared_chunks']} of {found[0]['anchored_chunks']} paragraphs with "
        f"the anchored {doc.name}, whose receipt verifies:",
        highlight=False,
    )
    demo.expect(
        [d.anchored for d in check.differences] == [(3,)],
        "the changed paragraph was not named alone",
    )
    print_differences(copy, check.differences, path.name)


def prove_fact(demo: Demo, doc: Document) -> None:
    """Prove one fact of ``doc`` without the document; write DIR/proofs/*.json."""
    facts = demo.get(f"/v1/evidence/{doc.sha256}/facts")["facts"]
    index = next((i for i, f in enumerate(facts) if f["kind"] == "count"), 0)
    proof = demo.get(f"/v1/evidence/{doc.sha256}/facts/{index}/proof")
    path = demo.out / "proofs" / f"{Path(doc.name).stem}-fact-{index}.json"
    write_json(path, proof)
    v = verify_fact(proof, demo.trust())
    demo.console.print(
        f"[bold green]fact proven offline[/] ({path.relative_to(demo.out)}): {v.fact['kind']} "
        f"“{v.fact['text']}” = {v.fact['value']} {v.fact['unit'] or ''} is fact {v.index} of "
        f"{v.count} anchored for {doc.name} by {v.receipt.organisation}; "
        f"Merkle proof of {len(proof['proof'])} hashes",
        highlight=False,
    )
