"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.

A note is ``text`` (lines, each ending in ``\\n``), one blank line, then one or more
signature lines ``"— " name " " base64(key_id[4] || signature) "\\n"``. Only the text
is signed. A key is identified by (name, key id), where for Ed25519
``key_id = SHA-256(name || 0x0A || 0x01 || public key)[:4]``.

Verification policy (``verify_note``): signatures from unknown keys are ignored; a
signature from a known key that does not verify rejects the note; the note is accepted
only when at least ``threshold`` distinct known keys signed it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.canonical import b64decode_strict, sha256
from ledger.errors import NoteError, SignatureError
from ledger.keys import PUBLIC_KEY_BYTES, SigningKey, verify

ALG_ED25519 = 0x01
SIG_PREFIX = "— "
MAX_SIGNATURES = 100
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _check_name(name: str) -> str:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def note_key_id(name: str, public: bytes) -> bytes:
    """The 4-byte C2SP key id of an Ed25519 key under ``name``."""
    return sha256(_check_name(name).encode() + b"\n" + bytes([ALG_ED25519]) + public)[:4]


@dataclass(frozen=True)
class NoteVerifier:
    """A known Ed25519 note key: its name and raw public key."""

    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id."""
        return note_key_id(self.name, self.public)

    def encode(self) -> str:
        """The verifier key string ``name+hex8(id)+base64(0x01 || public)``."""
        b64 = base64.b64encode(bytes([ALG_ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    @classmethod
    def decode(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string; raise ``NoteError`` if malformed or inconsistent."""
        name, sep1, rest = vkey.partition("+")
        hash_hex, sep2, b64 = rest.partition("+")
        if not (sep1 and sep2) or len(hash_hex) != 8:
            raise NoteError("verifier key must be name+hex8+base64")
        try:
            raw = b64decode_strict(b64)
            want = bytes.fromhex(hash_hex)
        except ValueError as exc:
            raise NoteError("verifier key has bad hex or base64") from exc
        if len(raw) != 1 + PUBLIC_KEY_BYTES or raw[0] != ALG_ED25519:
            raise NoteError("verifier key is not a 32-byte Ed25519 key")
        key = cls(_check_name(name), raw[1:])
        if key.key_id != want:
            raise NoteError("verifier key id does not match its name and key")
        return key


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 note key able to sign: a name and a private key."""

    name: str
    key: SigningKey

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(self.name, self.key.public)

    @classmethod
    def decode(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)`` (golang.org/x/mod/sumdb/note)."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("signer key must be PRIVATE+KEY+name+hex8+base64")
        try:
            raw = b64decode_strict(parts[4])
        except ValueError as exc:
            raise NoteError("signer key has bad base64") from exc
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("signer key is not an Ed25519 seed")
        signer = cls(_check_name(parts[2]), SigningKey.from_seed(raw[1:]))
        if signer.verifier.key_id.hex() != parts[3].lower():
            raise NoteError("signer key id does not match its key")
        return signer

    def signature_line(self, text: str) -> str:
        """The signature line of this key over ``text``."""
        sig = self.key.sign(text.encode())
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.verifier.key_id + sig).decode()}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The line as it stands in a note."""
        return (
            f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"
        )


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text must not contain control characters other than newline")


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """A signed note of ``text`` with one signature line per signer."""
    _check_text(text)
    lines = [s.signature_line(text) for s in signers]
    if not lines:
        raise NoteError("a signed note needs at least one signature")
    return text + "\n" + "".join(lines)


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and signatures; raise ``NoteError`` if malformed."""
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    sigs: list[NoteSignature] = []
    for line in sig_block[:-1].split("\n"):  # only "\n" ends a line (not U+2028 etc.)
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {line[:40]!r}")
        name, space, b64 = line[len(SIG_PREFIX) :].partition(" ")
        try:
            raw = b64decode_strict(b64)
        except ValueError as exc:
            raise NoteError(f"signature of {name!r} is not base64") from exc
        if not space or len(raw) < 5:
            raise NoteError(f"malformed signature line {line[:40]!r}")
        sigs.append(NoteSignature(_check_name(name), raw[:4], raw[4:]))
    if not sigs:
        raise NoteError("note has no signatures")
    if len(sigs) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, sigs


def add_signatures(note: str, signers: Iterable[NoteSigner]) -> str:
    """``note`` with signature lines of ``signers`` appended (cosigning); keys already
    present are not added twice."""
    text, sigs = parse_note(note)
    have = {(s.name, s.key_id) for s in sigs}
    extra = []
    for signer in signers:
        ident = (signer.name, signer.verifier.key_id)
        if ident not in have:
            have.add(ident)
            extra.append(signer.signature_line(text))
    return note + "".join(extra)


def verify_note(
    note: str, verifiers: Sequence[NoteVerifier], threshold: int = 1
) -> tuple[str, list[NoteVerifier]]:
    """Verify ``note`` against known keys; return its text and the keys that signed.

    Raises ``NoteError`` when malformed, when a known key's signature is invalid, or
    when fewer than ``threshold`` distinct known keys signed.
    """
    text, sigs = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    signed: dict[tuple[str, bytes], NoteVerifier] = {}
    for sig in sigs:
        key = known.get((sig.name, sig.key_id))
        if key is None or (sig.name, sig.key_id) in signed:
            continue
        try:
            verify(key.public, sig.signature, text.encode())
        except SignatureError as exc:
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}") from exc
        signed[(sig.name, sig.key_id)] = key
    if len(signed) < max(threshold, 1):
        raise NoteError(
            f"note has {len(signed)} valid signature(s) from known keys, {threshold} required"
        )
    return text, list(signed.values())
