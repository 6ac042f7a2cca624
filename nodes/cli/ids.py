"""Ids a person can type: a transaction id, block hash, document SHA-256 or proposal id
given in full or as a unique prefix of at least 8 hex digits.

Promises: ``resolve_id(client, text, kind)`` is the full id (64 lowercase hex digits).
A full id passes through without a request; a prefix of 8 to 63 hex digits (either
case) is resolved by the node (``GET /v1/resolve/{prefix}?kind=...``). No match exits 1
("no transaction starts with ..."); several exit 2 listing them; fewer than 8 hex digits
or anything else exits 2 saying what to type.
"""

from __future__ import annotations

import re

from nodes.cli.output import EXIT_FAILED, EXIT_UNUSABLE, fail
from nodes.client import ConsortiumClient

MIN_PREFIX = 8
NOUNS = {
    "tx": "transaction",
    "block": "block",
    "document": "anchored document",
    "proposal": "membership proposal",
}
_HEX = re.compile(r"[0-9a-f]{1,64}")


def is_full_id(text: str) -> bool:
    """``text`` is a full id: 64 lowercase hex digits."""
    return len(text) == 64 and _HEX.fullmatch(text) is not None


def is_prefix(text: str) -> bool:
    """``text`` (either case) is a hex prefix long enough to resolve: 8 to 64 digits."""
    return len(text) >= MIN_PREFIX and _HEX.fullmatch(text.lower()) is not None


def resolve_id(client: ConsortiumClient, text: str, kind: str) -> str:
    """The one full id of ``kind`` that ``text`` names (see the module's promises)."""
    noun = NOUNS[kind]
    if is_full_id(text):
        return text
    if not is_prefix(text):
        fail(
            f"{text!r} is not a {noun} id: give its 64 hex digits or a unique prefix of at "
            f"least {MIN_PREFIX}",
            EXIT_UNUSABLE,
        )
    prefix = text.lower()
    found = client.request("GET", f"/v1/resolve/{prefix}", params={"kind": kind})
    ids = [m["id"] for m in found["matches"] if m["kind"] == kind]
    if not ids:
        fail(f"no {noun} starts with {prefix}", EXIT_FAILED)
    if len(ids) > 1:
        more = " and more" if found.get("truncated") else ""
        fail(
            f"{prefix} is ambiguous: {len(ids)}{more} {noun}s start with it: "
            f"{', '.join(ids)}; type more digits",
            EXIT_UNUSABLE,
        )
    return str(ids[0])
