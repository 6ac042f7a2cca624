"""C2SP tlog-checkpoints of the provledger log, cosigned by the validators.

Checkpoint text (c2sp.org/tlog-checkpoint)::

    <origin>\\n                       the chain id, lowercase hex
    <log size, decimal>\\n
    <log root, base64>\\n
    provledger-block <height> <block hash hex>\\n   (extension line)

Each validator signs it as a C2SP Ed25519 note key whose name is the validator's name
in genesis. A verifier accepts a checkpoint with valid signatures from at least a
quorum of distinct validators.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.canonical import b64decode_strict
from ledger.errors import NoteError
from ledger.keys import SigningKey
from ledger.merkle import HASH_SIZE
from ledger.model.block import BlockHeader
from ledger.note import NoteSigner, NoteVerifier, parse_note, sign_note, verify_note
from ledger.quorum import ValidatorSet

BLOCK_EXTENSION = "provledger-block"
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
_BLOCK_LINE = re.compile(rf"^{BLOCK_EXTENSION} (0|[1-9][0-9]*) ([0-9a-f]{{64}})$")


@dataclass(frozen=True)
class Checkpoint:
    """The signed statement "the log ``origin`` has ``size`` leaves and root ``root``",
    bound to the block that committed that head."""

    origin: str
    size: int
    root: bytes
    height: int
    block_hash: str

    def text(self) -> str:
        """The checkpoint body, as signed."""
        root64 = base64.b64encode(self.root).decode()
        return (
            f"{self.origin}\n{self.size}\n{root64}\n"
            f"{BLOCK_EXTENSION} {self.height} {self.block_hash}\n"
        )

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body; raise ``NoteError`` if it is not one of ours."""
        lines = text.split("\n")
        if len(lines) != 5 or lines[-1] != "":
            raise NoteError("checkpoint must have origin, size, root and block lines")
        origin, size, root64, block = lines[:4]
        if not origin or not _DECIMAL.match(size):
            raise NoteError("checkpoint origin or size is malformed")
        try:
            root = b64decode_strict(root64)
        except ValueError as exc:
            raise NoteError("checkpoint root is not base64") from exc
        match = _BLOCK_LINE.match(block)
        if len(root) != HASH_SIZE or not match:
            raise NoteError("checkpoint root or block line is malformed")
        return cls(origin, int(size), root, int(match.group(1)), match.group(2))


def validator_note_keys(validators: ValidatorSet) -> list[NoteVerifier]:
    """The note verifier key of every validator (named as in genesis)."""
    return [NoteVerifier(validators.names[k], pub) for k, pub in validators.keys.items()]


def sign_checkpoint(checkpoint: Checkpoint, signers: Iterable[tuple[str, SigningKey]]) -> str:
    """The checkpoint as a signed note, one signature per ``(validator name, key)``."""
    return sign_note(checkpoint.text(), [NoteSigner(n, k) for n, k in signers])


def verify_checkpoint(
    note: str, validators: ValidatorSet, origin: str
) -> tuple[Checkpoint, tuple[str, ...]]:
    """Parse and verify a cosigned checkpoint for ``origin``; return it with the names
    of the validators whose signatures verified.

    Raises ``NoteError`` unless at least ``validators.threshold`` distinct validators
    signed it validly, no known validator's signature is invalid, and the origin matches.
    """
    text, keys = verify_note(note, validator_note_keys(validators), validators.threshold)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != origin:
        raise NoteError(f"checkpoint is for origin {checkpoint.origin[:20]}…, not this chain")
    return checkpoint, tuple(k.name for k in keys)


def checkpoint_of_note(note: str) -> Checkpoint:
    """Parse the checkpoint in a note without checking signatures (for display only)."""
    return Checkpoint.parse(parse_note(note)[0])


def checkpoint_of_header(header: BlockHeader) -> Checkpoint:
    """The checkpoint that block ``header`` commits to."""
    return Checkpoint(
        header.chain_id,
        header.log_size,
        bytes.fromhex(header.log_root),
        header.height,
        header.block_hash,
    )


def cosign(checkpoint: Checkpoint, name: str, key: SigningKey) -> str:
    """One validator's signature line over ``checkpoint`` (what it sends with its
    precommit, so that the decided block's checkpoint can be assembled)."""
    return NoteSigner(name, key).signature_line(checkpoint.text())


def verify_cosignature(checkpoint: Checkpoint, line: str, name: str, public: bytes) -> None:
    """Raise ``NoteError`` unless ``line`` is one valid signature line of validator
    ``name`` (key ``public``) over ``checkpoint``."""
    if not line.endswith("\n") or line.count("\n") != 1:
        raise NoteError("a cosignature is exactly one signature line")
    verify_note(checkpoint.text() + "\n" + line, [NoteVerifier(name, public)], 1)


def assemble_checkpoint(checkpoint: Checkpoint, lines: Iterable[str]) -> str:
    """The cosigned note of ``checkpoint`` from validators' signature lines (sorted, so
    every node assembles the same bytes from the same lines)."""
    return checkpoint.text() + "\n" + "".join(sorted(set(lines)))
