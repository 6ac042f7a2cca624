"""Ed25519 identities: key pairs, key ids, and PEM key files.

Promises:
- ``key_id(public)`` is the lowercase hex SHA-256 of the 32-byte raw public key.
- Private key files are unencrypted PKCS#8 PEM written with mode 0600, never over an
  existing file unless asked; loading a missing or malformed file raises
  ``KeyFileError`` with the path in the message.
- ``verify`` raises ``SignatureError``; it never returns False.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.canonical import sha256, unhex
from ledger.errors import KeyFileError, SignatureError, ValidationError
from ledger.weak_keys import weakness

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def key_id(public: bytes) -> str:
    """Key id of a raw Ed25519 public key: hex SHA-256 of its 32 bytes."""
    if len(public) != PUBLIC_KEY_BYTES:
        raise ValidationError("an Ed25519 public key is 32 bytes")
    return sha256(public).hex()


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its raw public key and key id."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose 32-byte private seed is ``seed`` (for known-answer tests)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public(self) -> bytes:
        """The 32-byte raw public key."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the public key."""
        return key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self.private.sign(message)

    def to_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM of the private key."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def verify(public: bytes, signature: bytes, message: bytes) -> None:
    """Check an Ed25519 signature; raise ``SignatureError`` if it does not verify."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError("an Ed25519 signature is 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("signature does not verify") from exc


def public_key_from_hex(text: str, field: str = "public_key") -> bytes:
    """Raw public key from lowercase hex, checked by ``check_public_key``."""
    return check_public_key(unhex(text, field, PUBLIC_KEY_BYTES), field)


def check_public_key(public: bytes, field: str = "public_key") -> bytes:
    """Return ``public`` if it is a usable Ed25519 key: 32 bytes, a canonical point, not of
    small order; raise ``ValidationError`` otherwise."""
    if len(public) != PUBLIC_KEY_BYTES:
        raise ValidationError(f"{field}: an Ed25519 public key is 32 bytes")
    why = weakness(public)
    if why:
        raise ValidationError(f"{field}: refused, {why}")
    return public


def write_key_file(path: Path, key: SigningKey, *, overwrite: bool = False) -> None:
    """Write ``key`` as PEM to ``path`` with mode 0600, atomically.

    Refuses to replace an existing file unless ``overwrite``; creates parent folders.
    The file is never seen half-written and a replaced key is never lost half-way.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise KeyFileError(f"{path}: a key file is already there; refusing to overwrite")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot write key file ({exc.strerror})") from exc
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.to_pem())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        if overwrite:
            os.replace(tmp, path)  # the old key stays whole until the new one is
        else:
            os.link(tmp, path)  # fails if a file appeared meanwhile: never clobber
    except FileExistsError as exc:
        raise KeyFileError(f"{path}: a key file is already there; refusing to overwrite") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot write key file ({exc.strerror})") from exc
    finally:
        tmp.unlink(missing_ok=True)


def read_key_file(path: Path) -> SigningKey:
    """Load an Ed25519 private key from a PEM file; raise ``KeyFileError`` on any problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: no such key file") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read key file ({exc.strerror})") from exc
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except UnsupportedAlgorithm as exc:
        raise KeyFileError(f"{path}: the key is not Ed25519") from exc
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: the key is not Ed25519")
    return SigningKey(private)
