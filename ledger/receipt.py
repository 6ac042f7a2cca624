"""Receipts: everything needed to prove one ledger entry offline.

A receipt is a JSON object::

    {
      "format": "provledger-receipt/v2",
      "tx_id": "<hex SHA-256 of the canonical entry>",
      "entry": { "tx": {...}, "signature": "<hex>" },        the signed transaction
      "proof": "c2sp.org/tlog-proof@v1\\nindex N\\n...",   RFC 9162 inclusion proof and
                                                           the cosigned checkpoint
      "header": { ...block header that committed the entry... },
      "certificate": { ...precommit signatures of a quorum over the block hash... },
      "result": {
        "result": { "tx_id": ..., "status": "applied" | "refused", "writes": [...],
                    "code": ..., "reason": ... (refused only) },    what the entry did
        "proof": ["<hex>", ...]       RFC 9162 inclusion proof of the result, position
      }                               index - header.first_index of header.tx_count,
    }                                 under header.results_root

``result`` is a ``ledger.results.TxResult``: the transaction was applied (with every
state write it made, each as contract, key and value hash) or refused (with a code and
a reason). Version 1 receipts (without ``result``) are refused.

``verify_receipt(receipt, trust)`` needs only this module's package and
``cryptography``: no server and no database. It raises ``ReceiptError`` naming the
first check that failed; a forged byte anywhere makes one of them fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.canonical import unhex
from ledger.certified import certificate_faults, head_faults
from ledger.checkpoint import verify_checkpoint
from ledger.errors import LedgerError, ReceiptError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.model.block import BlockHeader
from ledger.model.fields import expect_object, get_list
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate
from ledger.results import TxResult, verify_result
from ledger.tlog_proof import TlogProof
from ledger.trust import Trust

RECEIPT_FORMAT = "provledger-receipt/v2"
_RETIRED = "provledger-receipt/v1"
_FIELDS = {"format", "tx_id", "entry", "proof", "header", "certificate", "result"}
_RESULT_FIELDS = {"result", "proof"}


def build_receipt(
    entry: SignedTransaction,
    index: int,
    proof: list[bytes],
    checkpoint_note: str,
    header: BlockHeader,
    certificate: CommitCertificate,
    result: TxResult,
    result_proof: list[bytes],
) -> dict[str, Any]:
    """Assemble a receipt (JSON-safe dict) from its parts; does not verify them.
    ``result_proof`` is the RFC 9162 proof of ``result`` among the block's results."""
    return {
        "format": RECEIPT_FORMAT,
        "tx_id": entry.tx_id,
        "entry": entry.to_dict(),
        "proof": TlogProof(index, tuple(proof), checkpoint_note).text(),
        "header": header.to_dict(),
        "certificate": certificate.to_dict(),
        "result": {"result": result.to_dict(), "proof": [h.hex() for h in result_proof]},
    }


@dataclass(frozen=True)
class VerifiedReceipt:
    """What a valid receipt proves."""

    tx_id: str
    index: int
    height: int
    block_hash: str
    time: str
    entry: SignedTransaction
    organisation: str
    checkpoint_signers: tuple[str, ...]
    certificate_signers: tuple[str, ...]
    result: TxResult


def _step(name: str, exc: LedgerError) -> ReceiptError:
    return ReceiptError(f"{name}: {exc}")


def verify_receipt(receipt: Any, trust: Trust) -> VerifiedReceipt:
    """Verify a receipt against ``trust``; return what it proves or raise ``ReceiptError``.

    Checks, in order: structure; the checkpoint carries a quorum of validator
    signatures for this chain; the header hashes to the checkpoint's block hash and
    states the same log size and root; the certificate holds a quorum of precommits for
    that block; the entry is for this chain, signed by a member key, and hashes to
    ``tx_id``; the RFC 9162 inclusion proof leads from the entry to the log root; the
    entry's index falls inside the block that committed it; the result is this entry's
    and its RFC 9162 proof leads to the header's ``results_root`` (step ``result``).
    """
    try:
        if isinstance(receipt, dict) and receipt.get("format") == _RETIRED:
            raise ReceiptError(
                f"format: {_RETIRED!r} is no longer accepted (it proves no transaction "
                f"result); fetch the receipt again as {RECEIPT_FORMAT!r}"
            )
        expect_object(receipt, "receipt", _FIELDS)
        if receipt["format"] != RECEIPT_FORMAT:
            raise ReceiptError(f"format: expected {RECEIPT_FORMAT!r}")
        entry = SignedTransaction.from_dict(receipt["entry"])
        header = BlockHeader.from_dict(receipt["header"])
        certificate = CommitCertificate.from_dict(receipt["certificate"])
        if not isinstance(receipt["proof"], str):
            raise ReceiptError("proof: expected tlog-proof text")
        proof = TlogProof.parse(receipt["proof"])
        if proof.extra is not None:
            raise ReceiptError("proof: a provledger receipt carries no 'extra' line")
        carried = expect_object(receipt["result"], "receipt.result", _RESULT_FIELDS)
        result = TxResult.from_dict(carried["result"])
        result_path = [
            unhex(h, f"receipt.result.proof[{i}]", 32)
            for i, h in enumerate(get_list(carried, "proof", "receipt.result"))
        ]
    except ReceiptError:
        raise
    except LedgerError as exc:
        raise _step("structure", exc) from exc

    chain_id = trust.chain_id
    try:
        checkpoint, signers_note = verify_checkpoint(proof.checkpoint, trust.validators, chain_id)
    except LedgerError as exc:
        raise _step("checkpoint", exc) from exc

    for fault in head_faults(header, checkpoint):
        raise ReceiptError(f"header: {fault}")
    for fault in certificate_faults(header, certificate, trust.validators):
        raise ReceiptError(f"certificate: {fault}")

    if entry.tx_id != receipt["tx_id"]:
        raise ReceiptError("entry: does not hash to tx_id")
    if entry.tx.chain_id != chain_id:
        raise ReceiptError("entry: transaction is for another chain")
    member = trust.member(entry.tx.sender)
    if member is None:
        raise ReceiptError("entry: sender is not a member key of this consortium")
    try:
        entry.verify_signature(member[1])
    except LedgerError as exc:
        raise _step("entry signature", exc) from exc

    try:
        verify_inclusion(
            leaf_hash(entry.tx_id_bytes),
            proof.index,
            checkpoint.size,
            list(proof.proof),
            checkpoint.root,
        )
    except LedgerError as exc:
        raise _step("inclusion proof", exc) from exc
    if not header.first_index <= proof.index < header.log_size:
        raise ReceiptError("inclusion proof: entry is not in the block that the header names")

    if result.tx_id != entry.tx_id:
        raise ReceiptError("result: is the result of another transaction than tx_id")
    try:
        verify_result(
            result,
            proof.index - header.first_index,
            header.tx_count,
            result_path,
            header.results_root,
        )
    except LedgerError as exc:
        raise _step("result", exc) from exc

    return VerifiedReceipt(
        tx_id=entry.tx_id,
        index=proof.index,
        height=header.height,
        block_hash=header.block_hash,
        time=header.time,
        entry=entry,
        organisation=member[0].name,
        checkpoint_signers=signers_note,
        certificate_signers=tuple(
            trust.validators.names[s.validator] for s in certificate.signatures
        ),
        result=result,
    )
