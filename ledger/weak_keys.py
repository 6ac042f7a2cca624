"""Refusing Ed25519 public keys that cannot bind a signer.

A public key of small order (one of the eight points P with [8]P = identity) lets a
single fixed signature verify for every message under common verifiers; a key whose
encoding is not canonical or not on the curve is no key at all. Genesis and trust files
must never admit either. The check decodes the point as RFC 8032 §5.1.3 does and
multiplies it by the cofactor 8 in affine twisted-Edwards arithmetic (fine for a
one-off check when a key is admitted; never on a hot path).
"""

from __future__ import annotations

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _decode(encoded: bytes) -> tuple[int, int] | None:
    """The affine point of a 32-byte encoding, or None if it is not a canonical point."""
    if len(encoded) != 32:
        return None
    n = int.from_bytes(encoded, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    if (v * x * x - u) % P != 0:
        if (v * x * x + u) % P != 0:
            return None
        x = (x * SQRT_M1) % P
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x, y


def _double(x: int, y: int) -> tuple[int, int]:
    xy = x * y % P
    t = D * xy * xy % P
    return (2 * xy * pow(1 + t, P - 2, P)) % P, ((y * y + x * x) * pow(1 - t, P - 2, P)) % P


def weakness(public: bytes) -> str | None:
    """Why ``public`` is unusable as an Ed25519 key, or None if it is fine."""
    point = _decode(public)
    if point is None:
        return "not a canonical Ed25519 point"
    x, y = point
    for _ in range(3):
        x, y = _double(x, y)
    if (x, y) == (0, 1):
        return "a small-order point (one signature would verify every message)"
    return None
