"""Signed peer requests.

Every POST between nodes carries three headers:

- ``X-Provledger-Sender``: the sending validator's node key id (hex);
- ``X-Provledger-Time``: when it was sent (RFC 3339 UTC);
- ``X-Provledger-Signature``: hex Ed25519 signature by that node key over
  ``"provledger/v1/peer-message" || 0x00 || JCS({chain_id, sender, path, sent_at,
  body_sha256})``.

The receiver accepts the request only if the sender is a validator of its genesis, the
signature verifies, and the time is within ``MAX_SKEW`` of its own clock. Hashing the
raw body keeps signing cheap for large blocks; the body's own objects (votes,
certificates, transactions) carry their own signatures where they are kept.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.canonical import now_time, parse_time, sha256
from ledger.domain import Tag, signing_message
from ledger.errors import SignatureError, ValidationError
from ledger.keys import SigningKey, verify
from ledger.quorum import ValidatorSet

SENDER = "x-provledger-sender"
TIME = "x-provledger-time"
SIGNATURE = "x-provledger-signature"
MAX_SKEW = timedelta(minutes=5)


def _message(chain_id: str, sender: str, path: str, sent_at: str, body: bytes) -> bytes:
    return signing_message(
        Tag.PEER_MESSAGE,
        {
            "chain_id": chain_id,
            "sender": sender,
            "path": path,
            "sent_at": sent_at,
            "body_sha256": sha256(body).hex(),
        },
    )


def sign_request(key: SigningKey, chain_id: str, path: str, body: bytes) -> dict[str, str]:
    """The headers that authenticate ``body`` sent by ``key`` to ``path``."""
    sent_at = now_time()
    sig = key.sign(_message(chain_id, key.key_id, path, sent_at, body))
    return {SENDER: key.key_id, TIME: sent_at, SIGNATURE: sig.hex()}


def check_request(
    headers: dict[str, str], validators: ValidatorSet, chain_id: str, path: str, body: bytes
) -> str:
    """The sending validator's key id, or ``SignatureError`` saying why the request is
    not from a validator of this chain."""
    sender, sent_at, sig_hex = headers.get(SENDER), headers.get(TIME), headers.get(SIGNATURE)
    if not sender or not sent_at or not sig_hex:
        raise SignatureError(f"peer request lacks the {SENDER}, {TIME} and {SIGNATURE} headers")
    public = validators.keys.get(sender)
    if public is None:
        raise SignatureError(f"peer request sender {sender[:16]}… is not a validator in genesis")
    try:
        skew = abs(parse_time(sent_at) - parse_time(now_time()))
        signature = bytes.fromhex(sig_hex)
    except (ValueError, ValidationError) as exc:
        raise SignatureError(f"peer request time or signature is malformed ({exc})") from exc
    if skew > MAX_SKEW:
        raise SignatureError(f"peer request time {sent_at} is more than 5 minutes off")
    verify(public, signature, _message(chain_id, sender, path, sent_at, body))
    return sender
