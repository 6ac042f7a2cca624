"""State proofs: what some keys of contract state held after a certified block, offline.

A state-proof document is a JSON object::

    {
      "format": "provledger-state-proof/v1",
      "entries": [
        {"contract": "<name>", "key": "<key>", "value": <JSON, or null: the key is absent>,
         "proof": {"siblings": ["<hex>", ...],                 root first
                   "leaf": {"key_hash": "<hex>", "value_hash": "<hex>"} | null}},
        ...
      ],
      "header": { ...the block header whose state_root the proofs lead to... },
      "certificate": { ...precommit signatures of a quorum over the block hash... },
      "checkpoint": "<the block's cosigned checkpoint note>"
    }

Each proof is a ``ledger.state_tree.StateProof`` from the header's ``state_root`` toward
``state_key(contract, key)``: a membership proof of ``value_hash(value)`` where ``value``
is given, a non-membership proof where it is null.

Promises:
- ``verify_state(doc, trust)`` needs only ``ledger`` and ``cryptography``: no server and
  no database. It returns what the document proves or raises ``StateProofError`` whose
  message starts with the failed step: ``format`` (``StateProofFormatError``: a missing,
  unknown or mistyped field, a key proven twice), ``chain``, ``certificate``,
  ``checkpoint``, ``height`` (only with ``min_height``), ``entry <contract>/<key>``.
- A forged byte anywhere makes one of these steps fail; a proof from a block older
  than ``min_height`` is refused even though it is genuine.
- ``build_state_proof`` of ``Store.prove_state``'s output verifies against the trust of
  the store's chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ledger.certified import certificate_faults, head_faults
from ledger.checkpoint import verify_checkpoint
from ledger.errors import LedgerError, StateProofError, StateProofFormatError
from ledger.model.block import BlockHeader
from ledger.model.fields import expect_object, get_list, get_str
from ledger.model.vote import CommitCertificate
from ledger.state_tree import (
    KEY_BITS,
    Leaf,
    StateProof,
    state_key,
    value_hash,
    verify_membership,
    verify_non_membership,
)
from ledger.trust import Trust

STATE_PROOF_FORMAT = "provledger-state-proof/v1"
STATE_FIELDS = frozenset({"format", "entries", "header", "certificate", "checkpoint"})
_ENTRY_FIELDS = {"contract", "key", "value", "proof"}
_PROOF_FIELDS = {"siblings", "leaf"}
_LEAF_FIELDS = {"key_hash", "value_hash"}


class ProvableEntry(Protocol):
    """One key with its value (None: absent) and proof, as ``Store.prove_state`` gives."""

    @property
    def contract(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def proof(self) -> StateProof: ...


class ProvenValue(NamedTuple):
    """One proven key: its value after the block, or None where it is proven absent."""

    contract: str
    key: str
    value: Any


@dataclass(frozen=True)
class ProvenState:
    """What a valid state proof proves."""

    chain_id: str
    height: int
    block_hash: str
    time: str
    state_root: str
    entries: tuple[ProvenValue, ...]
    checkpoint_signers: tuple[str, ...]
    certificate_signers: tuple[str, ...]

    def value(self, contract: str, key: str) -> Any:
        """The proven value of ``(contract, key)`` (None: proven absent); ``KeyError`` if
        the document proves nothing about that key."""
        for entry in self.entries:
            if (entry.contract, entry.key) == (contract, key):
                return entry.value
        raise KeyError(f"{contract}/{key}")


def proof_to_dict(proof: StateProof) -> dict[str, Any]:
    """JSON-safe form of a state proof."""
    leaf = proof.leaf
    return {
        "siblings": [s.hex() for s in proof.siblings],
        "leaf": None
        if leaf is None
        else {"key_hash": leaf.key_hash.hex(), "value_hash": leaf.value_hash.hex()},
    }


def entry_to_dict(entry: ProvableEntry) -> dict[str, Any]:
    """JSON-safe form of one proven entry."""
    return {
        "contract": entry.contract,
        "key": entry.key,
        "value": entry.value,
        "proof": proof_to_dict(entry.proof),
    }


def build_state_proof(
    header: BlockHeader,
    certificate: CommitCertificate,
    checkpoint: str,
    entries: Sequence[ProvableEntry],
) -> dict[str, Any]:
    """Assemble a state-proof document (JSON-safe dict) from ``Store.prove_state``'s
    output; does not verify it."""
    return {
        "format": STATE_PROOF_FORMAT,
        "entries": [entry_to_dict(e) for e in entries],
        "header": header.to_dict(),
        "certificate": certificate.to_dict(),
        "checkpoint": checkpoint,
    }


@dataclass(frozen=True)
class StateFields:
    """The decoded fields common to the state-proof and history formats."""

    header: BlockHeader
    certificate: CommitCertificate
    checkpoint: str
    entries: tuple[tuple[ProvenValue, StateProof], ...]


def _hash32(obj: dict[str, Any], name: str, where: str) -> bytes:
    value = obj[name]
    if not isinstance(value, str):
        raise StateProofFormatError(f"format: {where}.{name}: expected 32 bytes of hex")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 32 or raw.hex() != value:
        raise StateProofFormatError(f"format: {where}.{name}: expected 32 bytes of lowercase hex")
    return raw


def _parse_proof(obj: Any, where: str) -> StateProof:
    expect_object(obj, where, _PROOF_FIELDS)
    siblings = get_list(obj, "siblings", where)
    if len(siblings) > KEY_BITS:
        raise StateProofFormatError(f"format: {where}.siblings: more than {KEY_BITS}")
    hashes = tuple(_hash32({"s": s}, "s", f"{where}.siblings[{i}]") for i, s in enumerate(siblings))
    leaf_obj = obj["leaf"]
    leaf = None
    if leaf_obj is not None:
        expect_object(leaf_obj, f"{where}.leaf", _LEAF_FIELDS)
        leaf = Leaf(
            _hash32(leaf_obj, "key_hash", f"{where}.leaf"),
            _hash32(leaf_obj, "value_hash", f"{where}.leaf"),
        )
    return StateProof(hashes, leaf)


def _parse_entry(obj: Any, i: int) -> tuple[ProvenValue, StateProof]:
    where = f"entries[{i}]"
    expect_object(obj, where, _ENTRY_FIELDS)
    contract = get_str(obj, "contract", where, max_len=200)
    key = get_str(obj, "key", where)
    proof = _parse_proof(obj["proof"], f"{where}.proof")
    value = obj["value"]
    if value is not None:
        value_hash(value)  # a value must have canonical form (CanonicalError otherwise)
    return ProvenValue(contract, key, value), proof


def parse_state_fields(doc: dict[str, Any]) -> StateFields:
    """Decode the fields common to the state-proof and history formats (``format`` step)."""
    try:
        entries = tuple(
            _parse_entry(e, i) for i, e in enumerate(get_list(doc, "entries", "document"))
        )
        header = BlockHeader.from_dict(doc["header"])
        certificate = CommitCertificate.from_dict(doc["certificate"])
        checkpoint = doc["checkpoint"]
        if not isinstance(checkpoint, str):
            raise StateProofFormatError("format: checkpoint: expected the checkpoint note text")
    except StateProofFormatError:
        raise
    except LedgerError as exc:
        raise StateProofFormatError(f"format: {exc}") from exc
    seen: set[tuple[str, str]] = set()
    for value, _ in entries:
        if (value.contract, value.key) in seen:
            raise StateProofFormatError(f"format: {value.contract}/{value.key} is proven twice")
        seen.add((value.contract, value.key))
    return StateFields(header, certificate, checkpoint, entries)


def check_format(doc: Any, expected: str, fields: frozenset[str]) -> dict[str, Any]:
    """``doc`` if it is an object of format ``expected`` with exactly ``fields``."""
    if not isinstance(doc, dict):
        raise StateProofFormatError("format: expected a JSON object")
    if doc.get("format") != expected:
        found = doc.get("format")
        shown = repr(found)[:60] if isinstance(found, str) else "none"
        raise StateProofFormatError(f"format: expected {expected!r}, found {shown}")
    try:
        return expect_object(doc, "document", set(fields))
    except LedgerError as exc:
        raise StateProofFormatError(f"format: {exc}") from exc


def verify_state(doc: Any, trust: Trust, *, min_height: int | None = None) -> ProvenState:
    """Verify a state-proof document against ``trust``; return what it proves or raise
    ``StateProofError`` naming the failed step.

    Checks, in order: structure; the header is of the trust's chain; the certificate
    holds a quorum of valid validator precommits over the header's block hash; the
    checkpoint is cosigned by a quorum and names this header's height, block hash, log
    size and root; the block is at least ``min_height``; every entry's proof leads from
    the header's ``state_root`` to its value (or shows it absent).
    """
    parsed = parse_state_fields(check_format(doc, STATE_PROOF_FORMAT, STATE_FIELDS))
    return verify_parsed(parsed, trust, min_height=min_height)


def verify_parsed(
    parsed: StateFields, trust: Trust, *, min_height: int | None = None
) -> ProvenState:
    """The checks of ``verify_state`` after the ``format`` step."""
    header, chain_id = parsed.header, trust.chain_id
    if header.chain_id != chain_id:
        raise StateProofError(
            f"chain: the header is of chain {header.chain_id[:16]}…, not of "
            f"{trust.chain_name} ({chain_id[:16]}…) that the trust file names"
        )
    for fault in certificate_faults(header, parsed.certificate, trust.validators):
        raise StateProofError(f"certificate: {fault}")
    try:
        checkpoint, checkpoint_signers = verify_checkpoint(
            parsed.checkpoint, trust.validators, chain_id
        )
    except LedgerError as exc:
        raise StateProofError(f"checkpoint: {exc}") from exc
    for fault in head_faults(header, checkpoint):
        raise StateProofError(f"checkpoint: {fault}")
    if min_height is not None and header.height < min_height:
        raise StateProofError(
            f"height: proven as of height {header.height}, older than the height "
            f"{min_height} you asked for"
        )
    root = bytes.fromhex(header.state_root)
    for entry, proof in parsed.entries:
        path = state_key(entry.contract, entry.key)
        try:
            if entry.value is None:
                verify_non_membership(root, path, proof)
            else:
                verify_membership(root, path, value_hash(entry.value), proof)
        except LedgerError as exc:
            raise StateProofError(f"entry {entry.contract}/{entry.key}: {exc}") from exc
    return ProvenState(
        chain_id=chain_id,
        height=header.height,
        block_hash=header.block_hash,
        time=header.time,
        state_root=header.state_root,
        entries=tuple(entry for entry, _ in parsed.entries),
        checkpoint_signers=checkpoint_signers,
        certificate_signers=tuple(
            trust.validators.names[s.validator] for s in parsed.certificate.signatures
        ),
    )
