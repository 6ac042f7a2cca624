"""Offline proofs about anchored documents, on top of a verified receipt.

- ``verify_anchor(receipt, trust, data)``: the receipt is a valid ``evidence.anchor``
  and, when ``data`` is given, those exact bytes are what it anchors. For a copy that
  differs, the result names the chunks (paragraphs) that differ, from the chunk leaf
  hashes the anchor carries.
- ``verify_fact(proof, trust)``: one fact belongs to the facts an anchor committed to,
  without the document: the fact's leaf, its RFC 9162 inclusion proof up to the anchor's
  ``facts_root``, and the anchor's receipt.

Both need only this package and ``cryptography``, and raise ``ReceiptError`` naming the
first check that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical, sha256, unhex
from ledger.chunk_diff import Difference, differences
from ledger.chunks import chunks_of, chunks_root
from ledger.errors import LedgerError, ReceiptError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.model.fields import expect_object, get_int, get_list
from ledger.receipt import VerifiedReceipt, verify_receipt
from ledger.trust import Trust

FACT_PROOF_FORMAT = "provledger-fact-proof/v1"
_FACT_PROOF_FIELDS = {"format", "fact", "index", "count", "proof", "receipt"}


@dataclass(frozen=True)
class AnchorCheck:
    """A verified anchor receipt and how a given file compares with it.

    ``matches`` is None when no file was given; ``differences`` is empty unless the file
    differs and the anchor carries chunk hashes."""

    receipt: VerifiedReceipt
    args: dict[str, Any]
    matches: bool | None
    differences: tuple[Difference, ...] = ()


def anchor_args(result: VerifiedReceipt) -> dict[str, Any]:
    """The args of the applied ``evidence.anchor`` entry a verified receipt proves, or
    ``ReceiptError`` if the entry is something else or its result is a refusal."""
    tx = result.entry.tx
    if (tx.contract, tx.action) != ("evidence", "anchor"):
        raise ReceiptError(f"entry: a {tx.contract}.{tx.action}, not an evidence anchor")
    if result.result.status != "applied":
        raise ReceiptError(
            f"result: the anchor was refused ({result.result.code}: {result.result.reason}); "
            "it anchors nothing"
        )
    return tx.args


def anchored_chunks(args: dict[str, Any]) -> list[bytes] | None:
    """The chunk leaf hashes an anchor carries (checked against its ``chunks_root``), or
    None if it carries none."""
    if "chunks" not in args:
        return None
    try:
        leaves = [unhex(h, "chunks[]", 32) for h in get_list(args, "chunks", "anchor")]
    except LedgerError as exc:
        raise ReceiptError(f"anchor: {exc}") from exc
    if chunks_root(leaves).hex() != args.get("chunks_root"):
        raise ReceiptError("anchor: chunk hashes do not give its chunks_root")
    return leaves


def verify_anchor(receipt: Any, trust: Trust, data: bytes | None = None) -> AnchorCheck:
    """Verify an anchor receipt and, if ``data`` is given, compare the file with it."""
    result = verify_receipt(receipt, trust)
    args = anchor_args(result)
    if data is None:
        return AnchorCheck(result, args, None)
    if args.get("sha256") == sha256(data).hex() and args.get("size") == len(data):
        return AnchorCheck(result, args, True)
    leaves = anchored_chunks(args)
    found = tuple(differences(leaves, chunks_of(data))) if leaves is not None else ()
    return AnchorCheck(result, args, False, found)


@dataclass(frozen=True)
class VerifiedFact:
    """A fact proven to be leaf ``index`` of the ``count`` facts of the document
    ``document`` (hex SHA-256) that the receipt's anchor committed to."""

    fact: dict[str, Any]
    index: int
    count: int
    document: str
    receipt: VerifiedReceipt


def fact_leaf(fact: Any) -> bytes:
    """The Merkle leaf hash of one fact: RFC 9162 leaf of its RFC 8785 bytes."""
    return leaf_hash(canonical(fact))


def build_fact_proof(
    fact: dict[str, Any], index: int, count: int, proof: list[bytes], receipt: dict[str, Any]
) -> dict[str, Any]:
    """Assemble a fact proof (JSON-safe); does not verify it."""
    return {
        "format": FACT_PROOF_FORMAT,
        "fact": fact,
        "index": index,
        "count": count,
        "proof": [p.hex() for p in proof],
        "receipt": receipt,
    }


def verify_fact(proof: Any, trust: Trust) -> VerifiedFact:
    """Verify a fact proof; return what it proves or raise ``ReceiptError``."""
    try:
        expect_object(proof, "fact proof", _FACT_PROOF_FIELDS)
        if proof["format"] != FACT_PROOF_FORMAT:
            raise ReceiptError(f"format: expected {FACT_PROOF_FORMAT!r}")
        index = get_int(proof, "index", "fact proof")
        count = get_int(proof, "count", "fact proof")
        path = [unhex(h, "fact proof.proof[]", 32) for h in get_list(proof, "proof", "fact proof")]
        leaf = fact_leaf(proof["fact"])
    except ReceiptError:
        raise
    except LedgerError as exc:
        raise ReceiptError(f"structure: {exc}") from exc
    if not isinstance(proof["fact"], dict):
        raise ReceiptError("structure: fact must be a JSON object")
    result = verify_receipt(proof["receipt"], trust)
    args = anchor_args(result)
    if "facts_root" not in args:
        raise ReceiptError("anchor: carries no facts_root")
    if args.get("facts_count") != count:
        raise ReceiptError(f"count: the anchor has {args.get('facts_count')} facts, not {count}")
    try:
        verify_inclusion(leaf, index, count, path, unhex(args["facts_root"], "facts_root", 32))
    except LedgerError as exc:
        raise ReceiptError(f"fact inclusion proof: {exc}") from exc
    return VerifiedFact(proof["fact"], index, count, args["sha256"], result)
