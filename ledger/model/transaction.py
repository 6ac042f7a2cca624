"""Transactions: what a member signs and submits.

A ``Transaction`` is ``{chain_id, contract, action, args, sender, nonce, created_at}``;
a ``SignedTransaction`` adds the sender's Ed25519 signature over
``"provledger/v1/transaction" || 0x00 || canonical(transaction)``.
``tx_id`` = SHA-256 of the canonical bytes of the signed envelope, so two different
signatures of the same content never share an id.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ledger.canonical import canonical, check_time, now_time, sha256, unhex
from ledger.domain import Tag, signing_message
from ledger.errors import CanonicalError, SignatureError, ValidationError
from ledger.keys import SIGNATURE_BYTES, SigningKey, key_id, verify
from ledger.model.fields import check_name, construct, expect_object, get_hex, get_str

_TX_FIELDS = {"chain_id", "contract", "action", "args", "sender", "nonce", "created_at"}


@dataclass(frozen=True)
class Transaction:
    """The unsigned content of a transaction."""

    chain_id: str
    contract: str
    action: str
    args: dict[str, Any]
    sender: str
    nonce: str
    created_at: str

    def __post_init__(self) -> None:
        # Keep args as their canonical JSON reading (bytes become hex, tuples lists), a
        # copy of the caller's object, so that the signed bytes are what ``to_dict`` shows.
        try:
            object.__setattr__(self, "args", json.loads(canonical(self.args)))
        except CanonicalError as exc:
            raise ValidationError(f"transaction.args: {exc}") from exc
        Transaction.from_dict(self.to_dict())  # validate once, at construction

    @classmethod
    def new(
        cls,
        key: SigningKey,
        chain_id: str,
        contract: str,
        action: str,
        args: dict[str, Any],
        *,
        created_at: str | None = None,
    ) -> Transaction:
        """A transaction from ``key`` with a fresh random nonce and the current time."""
        return cls(
            chain_id=chain_id,
            contract=contract,
            action=action,
            args=args,
            sender=key.key_id,
            nonce=os.urandom(16).hex(),
            created_at=created_at or now_time(),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "chain_id": self.chain_id,
            "contract": self.contract,
            "action": self.action,
            "args": self.args,
            "sender": self.sender,
            "nonce": self.nonce,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Transaction:
        """Decode and validate; raises ``ValidationError``."""
        where = "transaction"
        expect_object(obj, where, _TX_FIELDS)
        if not isinstance(obj["args"], dict):
            raise ValidationError(f"{where}.args: expected a JSON object")
        try:
            canonical(obj["args"])  # args must have a canonical form (no floats, etc.)
        except CanonicalError as exc:
            raise ValidationError(f"{where}.args: {exc}") from exc
        tx = construct(
            cls,
            {
                "chain_id": get_hex(obj, "chain_id", where, 32),
                "contract": check_name(get_str(obj, "contract", where), f"{where}.contract"),
                "action": check_name(get_str(obj, "action", where), f"{where}.action"),
                "args": obj["args"],
                "sender": get_hex(obj, "sender", where, 32),
                "nonce": get_hex(obj, "nonce", where),
                "created_at": check_time(obj["created_at"], f"{where}.created_at"),
            },
        )
        if not 1 <= len(tx.nonce) <= 64:
            raise ValidationError(f"{where}.nonce: expected 1 to 32 bytes of hex")
        return tx

    def signing_message(self) -> bytes:
        """The bytes the sender signs."""
        return signing_message(Tag.TRANSACTION, self.to_dict())

    def sign(self, key: SigningKey) -> SignedTransaction:
        """Sign with ``key``, which must be the sender's key."""
        if key.key_id != self.sender:
            raise SignatureError("the signing key is not the transaction's sender")
        return SignedTransaction(self, key.sign(self.signing_message()))


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction with its sender's signature; the unit the ledger commits."""

    tx: Transaction
    signature: bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ``{"tx": {...}, "signature": hex}``."""
        return {"tx": self.tx.to_dict(), "signature": self.signature.hex()}

    @classmethod
    def from_dict(cls, obj: Any) -> SignedTransaction:
        """Decode and validate the envelope (not the signature: see ``verify_signature``)."""
        expect_object(obj, "signed transaction", {"tx", "signature"})
        sig = unhex(obj["signature"], "signed transaction.signature", SIGNATURE_BYTES)
        return cls(Transaction.from_dict(obj["tx"]), sig)

    def canonical_bytes(self) -> bytes:
        """RFC 8785 bytes of the envelope; what ``tx_id`` hashes."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        return canonical(self.to_dict())

    @cached_property
    def tx_id_bytes(self) -> bytes:
        """The 32-byte transaction id: SHA-256 of the canonical envelope."""
        return sha256(self._canonical)

    @property
    def tx_id(self) -> str:
        """Hex transaction id."""
        return self.tx_id_bytes.hex()

    def verify_signature(self, public: bytes) -> None:
        """Check the signature with ``public``, which must be the sender's key."""
        if key_id(public) != self.tx.sender:
            raise SignatureError("public key does not match the transaction's sender")
        verify(public, self.signature, self._signed_message())

    def _signed_message(self) -> bytes:
        """``self.tx.signing_message()``, cut from the canonical envelope when it is at
        hand: JCS is recursive and sorts ``signature`` before ``tx``, so the envelope is
        ``{"signature":"<hex>","tx":`` + canonical(tx) + ``}``."""
        envelope: bytes | None = self.__dict__.get("_canonical")
        prefix = b'{"signature":"' + self.signature.hex().encode() + b'","tx":'
        if envelope is None or not envelope.startswith(prefix):
            return self.tx.signing_message()
        return Tag.TRANSACTION.value.encode() + b"\x00" + envelope[len(prefix) : -1]
