"""Offline proofs about anchored documents: a file against its anchor receipt (with the
paragraphs that differ), and one fact against the anchor's facts root. Forged bytes
anywhere fail."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from contracts.registry import default_registry
from ledger.anchor_proof import build_fact_proof, fact_leaf, verify_anchor, verify_fact
from ledger.canonical import sha256
from ledger.chunks import chunks_of, chunks_root
from ledger.errors import ReceiptError
from ledger.merkle import inclusion_proof, root
from ledger.model import Transaction
from ledger.sealing import seal
from ledger.store import Store
from ledger.trust import Trust
from nodes.runtime.apply import seal_executed
from tests.conftest import Consortium
from tests.test_receipt import _mutations

DOC = (
    b"Quarterly shipment report\n\n"
    b"Sinochem imported 120 tonnes of crude oil in 2020.\n\n"
    b"The refinery in Quanzhou produced gasoline.\n\n"
    b"Exports reached Singapore on October 27.\n"
)
FACTS: list[dict[str, Any]] = [
    {
        "doc": "report.txt",
        "start": 36,
        "end": 46,
        "text": "120 tonnes",
        "kind": "count",
        "value": 120,
        "unit": "tonne",
        "organisations": ["Sinochem"],
    },
    {
        "doc": "report.txt",
        "start": 63,
        "end": 67,
        "text": "2020",
        "kind": "year",
        "value": 2020,
        "unit": None,
        "organisations": ["Sinochem"],
    },
    {
        "doc": "report.txt",
        "start": 27,
        "end": 35,
        "text": "Sinochem",
        "kind": "organisation",
        "value": "Sinochem",
        "unit": None,
        "organisations": ["Sinochem"],
    },
]


def anchor_args(data: bytes, facts: list[dict[str, Any]], *, with_chunks: bool = True) -> dict:
    args: dict[str, Any] = {"sha256": sha256(data).hex(), "size": len(data), "title": "report"}
    args |= {
        "extractor": "provledger-facts/test",
        "facts_root": root([fact_leaf(f) for f in facts]).hex(),
        "facts_count": len(facts),
    }
    if with_chunks:
        leaves = [c.leaf for c in chunks_of(data)]
        args |= {"chunks": [x.hex() for x in leaves], "chunks_root": chunks_root(leaves).hex()}
    return args


@pytest.fixture
def anchored(tmp_path: Path, consortium: Consortium):
    store = Store.create(str(tmp_path / "a.sqlite"), consortium.genesis)
    key = consortium.members[0]
    tx = Transaction.new(key, consortium.chain_id, "evidence", "anchor", anchor_args(DOC, FACTS))
    signed = tx.sign(key)
    other = consortium.tx(1)
    seal(store, [signed, other], consortium.validator_keys)
    yield (
        store.receipt(signed.tx_id),
        store.receipt(other.tx_id),
        Trust.from_genesis(consortium.genesis),
    )
    store.close()


def fact_proof(receipt: dict[str, Any], index: int) -> dict[str, Any]:
    leaves = [fact_leaf(f) for f in FACTS]
    return build_fact_proof(
        FACTS[index], index, len(FACTS), inclusion_proof(leaves, index), receipt
    )


def test_the_anchored_file_matches(anchored) -> None:
    receipt, _, trust = anchored
    check = verify_anchor(receipt, trust, DOC)
    assert check.matches is True
    assert check.differences == ()
    assert check.receipt.organisation == "org0"
    assert verify_anchor(receipt, trust).matches is None


def test_a_changed_copy_names_the_paragraph_that_differs(anchored) -> None:
    receipt, _, trust = anchored
    copy = DOC.replace(b"120 tonnes", b"210 tonnes")
    check = verify_anchor(receipt, trust, copy)
    assert check.matches is False
    assert [(d.kind, d.anchored, d.copy) for d in check.differences] == [("changed", (2,), (2,))]


def test_a_copy_with_a_paragraph_added_and_one_removed(anchored) -> None:
    receipt, _, trust = anchored
    paras = DOC.decode().split("\n\n")
    copy = "\n\n".join([paras[0], "A new claim.", paras[1], paras[3]]).encode()
    kinds = {(d.kind, d.anchored, d.copy) for d in verify_anchor(receipt, trust, copy).differences}
    assert kinds == {("added", (), (2,)), ("removed", (3,), ())}


def test_an_anchor_without_facts_cannot_prove_a_fact(anchored) -> None:
    _, other, trust = anchored  # an anchor of a bare digest
    with pytest.raises(ReceiptError, match="carries no facts_root"):
        verify_fact(fact_proof(other, 0), trust)


def test_a_receipt_of_another_call_is_not_an_anchor(tmp_path, consortium) -> None:
    store = Store.create(str(tmp_path / "m.sqlite"), consortium.genesis)
    key = consortium.members[0]
    args = {"organisation": "neworg", "roles": ["retailer"], "keys": []}
    tx = Transaction.new(key, consortium.chain_id, "membership", "propose", args).sign(key)
    seal(store, [tx], consortium.validator_keys)
    receipt, trust = store.receipt(tx.tx_id), Trust.from_genesis(consortium.genesis)
    store.close()
    with pytest.raises(ReceiptError, match=r"membership\.propose, not an evidence anchor"):
        verify_anchor(receipt, trust, DOC)
    with pytest.raises(ReceiptError, match="not an evidence anchor"):
        verify_fact(fact_proof(receipt, 0), trust)


def test_a_receipt_of_a_refused_anchor_anchors_nothing(tmp_path, consortium) -> None:
    """An anchor refused by the contract (a second size for an anchored digest) is logged
    and its receipt verifies, but it proves the refusal, not a deposit."""
    store = Store.create(str(tmp_path / "r.sqlite"), consortium.genesis)
    key, digest = consortium.members[0], sha256(DOC).hex()
    first = Transaction.new(
        key, consortium.chain_id, "evidence", "anchor", {"sha256": digest, "size": len(DOC)}
    ).sign(key)
    other = Transaction.new(
        key, consortium.chain_id, "evidence", "anchor", {"sha256": digest, "size": len(DOC) + 1}
    ).sign(key)
    registry = default_registry(consortium.genesis)
    seal_executed(store, registry, [first], consortium.validator_keys)
    seal_executed(store, registry, [other], consortium.validator_keys)
    trust = Trust.from_genesis(consortium.genesis)
    receipt = store.receipt(other.tx_id)
    store.close()
    with pytest.raises(ReceiptError, match=r"result: the anchor was refused \(conflict: size"):
        verify_anchor(receipt, trust, DOC)


def test_every_fact_verifies_with_its_proof(anchored) -> None:
    receipt, _, trust = anchored
    for i, fact in enumerate(FACTS):
        v = verify_fact(json.loads(json.dumps(fact_proof(receipt, i))), trust)
        assert (v.fact, v.index, v.count, v.document) == (fact, i, 3, sha256(DOC).hex())
        assert v.receipt.organisation == "org0"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p["fact"].update(value=121), "fact inclusion proof"),
        (lambda p: p["fact"].update(text="121 tonnes"), "fact inclusion proof"),
        (lambda p: p.update(fact=FACTS[1]), "fact inclusion proof"),
        (lambda p: p.update(index=1), "fact inclusion proof"),
        (lambda p: p.update(count=4), "count"),
        (lambda p: p["proof"].pop(), "fact inclusion proof"),
        (lambda p: p["proof"].append("00" * 32), "fact inclusion proof"),
        (lambda p: p.update(format="provledger-fact-proof/v0"), "format"),
        (lambda p: p.update(extra=1), "structure"),
        (lambda p: p.update(fact=[1]), "structure"),
        (lambda p: p["receipt"]["entry"]["tx"]["args"].update(facts_count=4), "entry"),
        (lambda p: p.update(fact={"value": 1.5}), "structure"),
    ],
)
def test_forged_fact_proofs_fail(anchored, change, expected: str) -> None:
    receipt, _, trust = anchored
    forged = json.loads(json.dumps(fact_proof(receipt, 0)))
    change(forged)
    with pytest.raises(ReceiptError, match=expected):
        verify_fact(forged, trust)


def test_no_single_forged_character_of_a_fact_proof_verifies(tmp_path, consortium) -> None:
    store = Store.create(str(tmp_path / "s.sqlite"), consortium.genesis)
    key = consortium.members[2]
    args = anchor_args(DOC, FACTS, with_chunks=False)
    tx = Transaction.new(key, consortium.chain_id, "evidence", "anchor", args).sign(key)
    seal(store, [tx], consortium.validator_keys[:2])
    trust = Trust.from_genesis(consortium.genesis)
    text = json.dumps(fact_proof(store.receipt(tx.tx_id), 1), sort_keys=True)
    verify_fact(json.loads(text), trust)
    tried = survivors = 0
    for _, forged in _mutations(text):
        tried += 1
        try:
            verify_fact(json.loads(forged), trust)
        except (ReceiptError, json.JSONDecodeError):
            continue
        survivors += 1
    store.close()
    assert tried > 2000
    assert survivors == 0


def test_fact_verifier_needs_only_ledger_and_cryptography(anchored, tmp_path) -> None:
    receipt, _, trust = anchored
    (tmp_path / "f.json").write_text(json.dumps(fact_proof(receipt, 2)))
    (tmp_path / "t.json").write_text(json.dumps(trust.to_dict()))
    (tmp_path / "doc.txt").write_bytes(DOC.replace(b"Singapore", b"Malaysia"))
    script = textwrap.dedent(f"""
        import json, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("nodes", "contracts", "seeds", "sqlalchemy", "httpx"):
                    raise ImportError("verifier must not import " + name)
        sys.meta_path.insert(0, Block())
        from ledger.anchor_proof import verify_anchor, verify_fact
        from ledger.trust import Trust
        trust = Trust.load({str(tmp_path / "t.json")!r})
        proof = json.load(open({str(tmp_path / "f.json")!r}))
        v = verify_fact(proof, trust)
        copy = open({str(tmp_path / "doc.txt")!r}, "rb").read()
        d = verify_anchor(proof["receipt"], trust, copy).differences
        print(v.fact["kind"], v.receipt.organisation, d[0].kind, d[0].anchored[0])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["organisation", "org0", "changed", "4"]
