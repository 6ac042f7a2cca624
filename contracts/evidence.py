"""The ``evidence`` contract: anchor a document's SHA-256 digest on the ledger.

Action ``anchor`` (roles ``ANCHOR_ROLES``), args:

- ``sha256``: the document's SHA-256, 64 lowercase hex characters (required);
- ``size``: its length in bytes, 0..2^53-1 (required);
- ``title``: 1 to 512 characters without control characters (optional);
- ``media_type``: ``type/subtype``, optionally with ``; name=value`` parameters, at most
  127 characters (optional).

No other argument is accepted. To add one, add an entry to ``ANCHOR_ARGS`` and copy it
into the records in ``_anchor``.

State, under contract ``evidence``:

- ``doc/<sha256>``: the first anchor of a digest (it wins): the args, ``depositor`` (the
  sender's organisation), ``sender``, ``tx_id``, ``log_index``, ``height``, ``time`` and
  ``redeposits`` (how many later anchors of the same digest there were).
- ``redeposit/<tx_id>``: a later anchor of an already anchored digest; it names the
  first (``first_tx_id``). A later anchor whose ``size`` differs from the first's is
  rejected: the same digest cannot have two sizes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import (
    Arg,
    Rejection,
    StateView,
    TxContext,
    check_count,
    check_fields,
    check_hex_digest,
    text_checker,
)

CONTRACT = "evidence"
ANCHOR = "anchor"
ANCHOR_ROLES = frozenset({"producer", "processor", "carrier", "retailer", "regulator", "notary"})
TITLE_MAX = 512
MEDIA_TYPE_MAX = 127

# RFC 6838 type and subtype names; RFC 9110 parameters (token or quoted string).
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE_RE = re.compile(
    rf"{_NAME}/{_NAME}(?: *; *{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\x00-\x1f\x7f]*\"))*"
)


def _check_media_type(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected a string like 'application/pdf'")
    if len(value) > MEDIA_TYPE_MAX:
        raise Rejection(f"{where}: longer than {MEDIA_TYPE_MAX} characters")
    if not _MEDIA_TYPE_RE.fullmatch(value):
        raise Rejection(
            f"{where}: {value!r} is not a media type of the form type/subtype "
            "(e.g. 'application/pdf' or 'text/plain; charset=utf-8')"
        )


ANCHOR_ARGS: Mapping[str, Arg] = MappingProxyType(
    {
        "sha256": Arg(True, check_hex_digest),
        "size": Arg(True, check_count),
        "title": Arg(False, text_checker(TITLE_MAX)),
        "media_type": Arg(False, _check_media_type),
    }
)


def doc_key(sha256: str) -> str:
    """The state key of the first anchor of ``sha256``."""
    return f"doc/{sha256}"


def redeposit_key(tx_id: str) -> str:
    """The state key of the re-deposit made by transaction ``tx_id``."""
    return f"redeposit/{tx_id}"


class Evidence:
    """The ``evidence`` contract (see the module docstring)."""

    name = CONTRACT
    actions: Mapping[str, frozenset[str]] = MappingProxyType({ANCHOR: ANCHOR_ROLES})

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        """Validate the args of ``anchor``; raise ``Rejection`` naming the fault."""
        if action != ANCHOR:
            raise Rejection(f"unknown action {action!r} of contract {CONTRACT!r}")
        check_fields(args, ANCHOR_ARGS, f"{CONTRACT}.{ANCHOR}")

    def reads(self, action: str, args: dict[str, Any]) -> list[str]:
        """The keys ``apply`` may read for this call (lets a node batch its reads)."""
        return [doc_key(args["sha256"])] if action == ANCHOR else []

    def apply(
        self, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        """Anchor a digest, or record a re-deposit of one already anchored."""
        if action != ANCHOR:
            raise Rejection(f"unknown action {action!r} of contract {CONTRACT!r}")
        return _anchor(view, args, ctx)


def _anchor(view: StateView, args: dict[str, Any], ctx: TxContext) -> list[tuple[str, Any]]:
    digest: str = args["sha256"]
    size: int = args["size"]
    described = {"title": args.get("title"), "media_type": args.get("media_type")}
    made_by = {
        "depositor": ctx.organisation,
        "sender": ctx.sender,
        "tx_id": ctx.tx_id,
        "log_index": ctx.log_index,
        "height": ctx.height,
        "time": ctx.time,
    }
    first = view.get(CONTRACT, doc_key(digest))
    if first is None:
        record = {"sha256": digest, "size": size, **described, **made_by, "redeposits": 0}
        return [(doc_key(digest), record)]
    if first["size"] != size:
        raise Rejection(
            f"size {size} differs from the first anchor's {first['size']} for this digest "
            f"(anchored by transaction {first['tx_id']}); a digest has one size"
        )
    redeposit = {"sha256": digest, "first_tx_id": first["tx_id"], **made_by, **described}
    bumped = {**first, "redeposits": first["redeposits"] + 1}
    return [(redeposit_key(ctx.tx_id), redeposit), (doc_key(digest), bumped)]


def lookup_digest(view: StateView, sha256: str) -> dict[str, Any] | None:
    """The record of the first anchor of ``sha256``, or None if it was never anchored."""
    return view.get(CONTRACT, doc_key(sha256))


def lookup_redeposit(view: StateView, tx_id: str) -> dict[str, Any] | None:
    """The re-deposit made by transaction ``tx_id`` (hex), or None if it made none."""
    return view.get(CONTRACT, redeposit_key(tx_id))
