"""Certified blocks: a header's commit certificate and cosigned checkpoint, checked.

Promises, for a block ``header`` and the validator set in force:

- ``certificate_faults`` is empty only if the certificate holds a quorum of valid,
  distinct validator precommits for the header's chain, height and block hash.
- ``head_faults`` is empty only if a (parsed) checkpoint states the header's head: its
  chain, height and block hash, its log size and root.
- ``checkpoint_faults`` is empty only if the note is a checkpoint of the header's chain
  cosigned by a quorum of validators, with no invalid validator signature, and states
  the header's head.

The store (before it stores a block and at start), the audit and the receipt verifier
all hold blocks to these same checks and word the faults their own way.
"""

from __future__ import annotations

from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.errors import LedgerError
from ledger.fault import Fault
from ledger.model.block import BlockHeader
from ledger.model.vote import CommitCertificate
from ledger.quorum import ValidatorSet


def certificate_faults(
    header: BlockHeader, certificate: CommitCertificate, validators: ValidatorSet
) -> list[Fault]:
    """The fault of ``certificate`` as the commit certificate of ``header``, if any."""
    try:
        certificate.verify(
            validators,
            chain_id=header.chain_id,
            height=header.height,
            block_hash=header.block_hash,
        )
    except LedgerError as exc:
        return [Fault("certificate", str(exc))]
    return []


def head_faults(header: BlockHeader, checkpoint: Checkpoint) -> list[Fault]:
    """The ways ``checkpoint`` does not state the head that ``header`` makes."""
    pairs = [
        ("another chain", header.chain_id, checkpoint.origin),
        (
            "another block",
            f"height {header.height} block {header.block_hash}",
            f"height {checkpoint.height} block {checkpoint.block_hash}",
        ),
        (
            "another log size or root",
            f"size {header.log_size} root {header.log_root}",
            f"size {checkpoint.size} root {checkpoint.root.hex()}",
        ),
    ]
    return [
        Fault("checkpoint", f"checkpoint does not match the block: {what}", want, got)
        for what, want, got in pairs
        if want != got
    ]


def checkpoint_faults(header: BlockHeader, note: str, validators: ValidatorSet) -> list[Fault]:
    """The faults of ``note`` as the cosigned checkpoint of ``header``."""
    try:
        checkpoint, _ = verify_checkpoint(note, validators, header.chain_id)
    except LedgerError as exc:
        return [Fault("checkpoint", str(exc))]
    return head_faults(header, checkpoint)
