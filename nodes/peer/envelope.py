"""Signed peer requests.

Every POST between nodes carries five headers:

- ``X-Provledger-Sender``: the sending validator's node key id (hex);
- ``X-Provledger-Recipient``: the receiving validator's name in genesis (the sender
  knows its peers by these names from its ``node.json``);
- ``X-Provledger-Nonce``: 16 random bytes, as 32 lowercase hex digits;
- ``X-Provledger-Time``: when it was sent (RFC 3339 UTC);
- ``X-Provledger-Signature``: hex Ed25519 signature by that node key over
  ``"provledger/v1/peer-message" || 0x00 || JCS({chain_id, sender, recipient, nonce,
  path, sent_at, body_sha256})``.

The receiver accepts the request only if it is the named recipient, the sender is a
validator of its genesis, the time is within ``window`` (5 minutes unless the node's
limits say otherwise) of its own clock, the nonce is not one it accepted from that
sender within the window, and the signature verifies. A request is thus taken once, by
the node it was sent to, within the window. The cheap checks run first; the nonce is
remembered only once the signature verified, so no one else can fill the memory.
Hashing the raw body keeps signing cheap for large blocks; the body's own objects
(votes, certificates, transactions) carry their own signatures where they are kept.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

from ledger.canonical import now_time, parse_time, sha256
from ledger.domain import Tag, signing_message
from ledger.errors import SignatureError, ValidationError
from ledger.keys import SigningKey, verify
from ledger.quorum import ValidatorSet
from nodes.peer.replay import SeenNonces

SENDER = "x-provledger-sender"
RECIPIENT = "x-provledger-recipient"
NONCE = "x-provledger-nonce"
TIME = "x-provledger-time"
SIGNATURE = "x-provledger-signature"
HEADERS = (SENDER, RECIPIENT, NONCE, TIME, SIGNATURE)
MAX_SKEW = timedelta(minutes=5)
_NONCE = re.compile(r"[0-9a-f]{32}")


class EnvelopeRefused(SignatureError):
    """A peer request refused for a reason with its own ``title``: sent to another node,
    a replay, or out of the time window."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title


def _message(
    chain_id: str, sender: str, recipient: str, nonce: str, path: str, sent_at: str, body: bytes
) -> bytes:
    return signing_message(
        Tag.PEER_MESSAGE,
        {
            "chain_id": chain_id,
            "sender": sender,
            "recipient": recipient,
            "nonce": nonce,
            "path": path,
            "sent_at": sent_at,
            "body_sha256": sha256(body).hex(),
        },
    )


def sign_request(
    key: SigningKey, chain_id: str, recipient: str, path: str, body: bytes
) -> dict[str, str]:
    """The headers that authenticate ``body`` sent by ``key`` to the validator named
    ``recipient`` at ``path``, once (a fresh random nonce each call)."""
    sent_at, nonce = now_time(), os.urandom(16).hex()
    sig = key.sign(_message(chain_id, key.key_id, recipient, nonce, path, sent_at, body))
    return {
        SENDER: key.key_id,
        RECIPIENT: recipient,
        NONCE: nonce,
        TIME: sent_at,
        SIGNATURE: sig.hex(),
    }


def check_request(
    headers: dict[str, str],
    validators: ValidatorSet,
    chain_id: str,
    me: str,
    path: str,
    body: bytes,
    seen: SeenNonces,
    window: timedelta = MAX_SKEW,
) -> str:
    """The sending validator's key id, once per nonce; otherwise ``SignatureError``
    saying why the request is not from a validator of this chain to the validator named
    ``me`` (``EnvelopeRefused`` when it is misaddressed, replayed or out of time).
    ``headers`` has lower-case names."""
    sender, recipient, nonce, sent_at, sig_hex = (headers.get(h) for h in HEADERS)
    if not sender or not recipient or not nonce or not sent_at or not sig_hex:
        raise SignatureError(f"peer request lacks one of the {', '.join(HEADERS)} headers")
    if recipient != me:
        raise EnvelopeRefused(
            "misaddressed peer request",
            f"peer request is addressed to {recipient[:64]!r}, this node is {me!r}; "
            "send it to the node it names",
        )
    public = validators.keys.get(sender)
    if public is None:
        raise SignatureError(f"peer request sender {sender[:16]}… is not a validator in genesis")
    if not _NONCE.fullmatch(nonce):
        raise SignatureError("peer request nonce is malformed (expected 32 lowercase hex digits)")
    try:
        sent, now = parse_time(sent_at), parse_time(now_time())
        signature = bytes.fromhex(sig_hex)
    except (ValueError, ValidationError) as exc:
        raise SignatureError(f"peer request time or signature is malformed ({exc})") from exc
    if abs(sent - now) > window:
        raise EnvelopeRefused(
            "peer request out of time",
            f"peer request time {sent_at} is more than {span(window)} off this node's "
            f"time {now_time()}; check the sender's clock",
        )
    when, expire_before = sent.timestamp(), (now - window).timestamp()
    _check_fresh(seen, sender, nonce, when, sent_at)
    verify(public, signature, _message(chain_id, sender, recipient, nonce, path, sent_at, body))
    if not seen.remember(sender, nonce, when, expire_before):
        _check_fresh(seen, sender, nonce, when, sent_at)  # taken meanwhile, or now too old
        raise EnvelopeRefused("replayed peer request", f"peer request nonce {nonce} was refused")
    return sender


def _check_fresh(seen: SeenNonces, sender: str, nonce: str, when: float, sent_at: str) -> None:
    """``EnvelopeRefused`` when ``nonce`` was taken, or may have been and is forgotten."""
    if seen.seen(sender, nonce):
        raise EnvelopeRefused(
            "replayed peer request",
            f"peer request nonce {nonce} was already used; sign each request anew",
        )
    if seen.too_old(sender, when):
        raise EnvelopeRefused(
            "replayed peer request",
            f"peer request sent at {sent_at} is older than the nonces this node still "
            "remembers from its sender, so it may be a replay; sign it again",
        )


def span(window: timedelta) -> str:
    """``window`` in words: ``5 minutes``, ``1 second``, ``90 seconds``."""
    seconds = int(window.total_seconds())
    if seconds % 60 == 0 and seconds >= 60:
        n, unit = seconds // 60, "minute"
    else:
        n, unit = seconds, "second"
    return f"{n} {unit}{'' if n == 1 else 's'}"
