"""The ``evidence`` contract: anchor documents, and the facts extracted from them.

Action ``anchor`` (roles ``ANCHOR_ROLES``), args (``anchor_args``): ``sha256`` and
``size`` (required); ``title``, ``media_type``; ``extractor`` + ``facts_root`` +
``facts_count`` (the Merkle root and count of the document's facts, each fact a leaf);
``chunks`` + ``chunks_root`` (the leaf hashes of its paragraphs, and their root).

Action ``publish_facts`` (same roles), args ``sha256`` and ``facts``: the facts whose
root and count the first anchor of that digest committed to, published by the
organisation that made that anchor, once.

State, under contract ``evidence`` (keys in ``keys``):

- ``doc/<sha256>``: the first anchor of a digest (it wins): its args, ``depositor`` (the
  sender's organisation), ``sender``, ``tx_id``, ``log_index``, ``height``, ``time``,
  ``chunks_count``, ``redeposits`` (how many later anchors of the same digest there were) and
  ``facts_published``.
- ``redeposit/<tx_id>``: a later anchor of an already anchored digest, naming the first
  (``first_tx_id``). A later anchor whose ``size`` differs is rejected: a digest has one
  size.
- ``chunks/<sha256>``: the chunk leaf hashes of the first anchor, written once (the
  record keeps only ``chunks_count``, so a re-deposit rewrites a small record).
- ``depositor/<organisation>/<sha256>``: the organisation anchored that digest (first or
  again): title, tx id, height, time.
- ``title/<sha256 of folded title>/<sha256>`` and ``chunk/<leaf hash>/<sha256>``: indexes
  that find documents with the same title or a shared paragraph (first anchors only).
- ``facts/<sha256>``: the published facts of a document.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import Rejection, StateView, TxContext, check_action, unknown_action
from contracts.evidence.anchor_args import ANCHOR_ARGS, check_anchor_args
from contracts.evidence.fact_args import check_publish_args
from contracts.evidence.keys import (
    chunk_prefix,
    chunks_key,
    depositor_key,
    doc_key,
    facts_key,
    redeposit_key,
    title_prefix,
)
from ledger.canonical import canonical
from ledger.merkle import leaf_hash, root

CONTRACT = "evidence"
ANCHOR = "anchor"
PUBLISH_FACTS = "publish_facts"
ANCHOR_ROLES = frozenset({"producer", "processor", "carrier", "retailer", "regulator", "notary"})
_DESCRIBED = ("title", "media_type", "extractor", "facts_root", "facts_count", "chunks_root")

__all__ = [
    "ANCHOR",
    "ANCHOR_ARGS",
    "ANCHOR_ROLES",
    "CONTRACT",
    "PUBLISH_FACTS",
    "Evidence",
    "chunks_of_anchor",
    "doc_key",
    "facts_of",
    "lookup_digest",
    "lookup_redeposit",
    "redeposit_key",
]


class Evidence:
    """The ``evidence`` contract (see the package docstring)."""

    name = CONTRACT
    actions: Mapping[str, frozenset[str]] = MappingProxyType(
        {ANCHOR: ANCHOR_ROLES, PUBLISH_FACTS: ANCHOR_ROLES}
    )

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        """Validate the args of a call; raise ``Rejection`` naming the fault."""
        check_action(
            CONTRACT, {ANCHOR: check_anchor_args, PUBLISH_FACTS: check_publish_args}, action, args
        )

    def reads(self, action: str, args: dict[str, Any]) -> list[str]:
        """The keys ``apply`` may read for this call (lets a node batch its reads)."""
        if action == ANCHOR:
            return [doc_key(args["sha256"])]
        return [doc_key(args["sha256"]), facts_key(args["sha256"])]

    def apply(
        self, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        """Anchor a digest (or record a re-deposit), or publish a document's facts."""
        if action == ANCHOR:
            return _anchor(view, args, ctx)
        if action == PUBLISH_FACTS:
            return _publish(view, args, ctx)
        raise unknown_action(CONTRACT, action)


def _made_by(ctx: TxContext) -> dict[str, Any]:
    return {
        "depositor": ctx.organisation,
        "sender": ctx.sender,
        "tx_id": ctx.tx_id,
        "log_index": ctx.log_index,
        "height": ctx.height,
        "time": ctx.time,
    }


def _deposited(args: dict[str, Any], ctx: TxContext) -> tuple[str, dict[str, Any]]:
    summary = {
        "sha256": args["sha256"],
        "title": args.get("title"),
        "tx_id": ctx.tx_id,
        "height": ctx.height,
        "time": ctx.time,
    }
    return depositor_key(ctx.organisation, args["sha256"]), summary


def _anchor(view: StateView, args: dict[str, Any], ctx: TxContext) -> list[tuple[str, Any]]:
    digest: str = args["sha256"]
    described = {name: args.get(name) for name in _DESCRIBED}
    first = view.get(CONTRACT, doc_key(digest))
    if first is None:
        chunks = args.get("chunks", [])
        record = {
            "sha256": digest,
            "size": args["size"],
            **described,
            "chunks_count": len(chunks),
            **_made_by(ctx),
            "redeposits": 0,
            "facts_published": False,
        }
        writes: list[tuple[str, Any]] = [(doc_key(digest), record), _deposited(args, ctx)]
        if chunks:
            writes.append((chunks_key(digest), {"sha256": digest, "chunks": chunks}))
        if args.get("title"):
            writes.append((title_prefix(args["title"]) + digest, {"sha256": digest}))
        first_at: dict[str, int] = {}
        for number, leaf in enumerate(chunks, start=1):
            first_at.setdefault(leaf, number)
        for leaf, number in sorted(first_at.items()):
            writes.append((chunk_prefix(leaf) + digest, {"chunk": number}))
        return writes
    if first["size"] != args["size"]:
        raise Rejection(
            f"size {args['size']} differs from the first anchor's {first['size']} for this "
            f"digest (anchored by transaction {first['tx_id']}); a digest has one size",
            "conflict",
        )
    redeposit = {"sha256": digest, "first_tx_id": first["tx_id"], **_made_by(ctx), **described}
    bumped = {**first, "redeposits": first["redeposits"] + 1}
    writes = [(redeposit_key(ctx.tx_id), redeposit), (doc_key(digest), bumped)]
    key, summary = _deposited(args, ctx)
    if view.get(CONTRACT, key) is None:
        writes.append((key, summary))
    return writes


def _publish(view: StateView, args: dict[str, Any], ctx: TxContext) -> list[tuple[str, Any]]:
    digest: str = args["sha256"]
    first = view.get(CONTRACT, doc_key(digest))
    if first is None:
        raise Rejection(
            f"document {digest[:16]}… is not anchored; anchor it before its facts", "not_found"
        )
    if first.get("facts_root") is None:
        raise Rejection(
            f"the anchor of {digest[:16]}… (transaction {first['tx_id']}) committed to no "
            "facts; anchor with facts_root and facts_count to publish facts",
            "conflict",
        )
    if first["depositor"] != ctx.organisation:
        raise Rejection(
            f"only {first['depositor']!r}, which anchored {digest[:16]}…, may publish its facts",
            "not_permitted",
        )
    if first["facts_published"]:
        raise Rejection(f"the facts of {digest[:16]}… are already published", "already_exists")
    facts = args["facts"]
    if len(facts) != first["facts_count"]:
        raise Rejection(
            f"the anchor committed to {first['facts_count']} facts, not {len(facts)}", "conflict"
        )
    found = root([leaf_hash(canonical(f)) for f in facts]).hex()
    if found != first["facts_root"]:
        raise Rejection(
            f"these facts have Merkle root {found}, not the anchored facts_root "
            f"{first['facts_root']}; publish exactly the facts the anchor committed to",
            "conflict",
        )
    record = {"sha256": digest, "extractor": first["extractor"], "facts": facts, "tx_id": ctx.tx_id}
    return [(facts_key(digest), record), (doc_key(digest), {**first, "facts_published": True})]


def lookup_digest(view: StateView, sha256: str) -> dict[str, Any] | None:
    """The record of the first anchor of ``sha256``, or None if it was never anchored."""
    return view.get(CONTRACT, doc_key(sha256))


def lookup_redeposit(view: StateView, tx_id: str) -> dict[str, Any] | None:
    """The re-deposit made by transaction ``tx_id`` (hex), or None if it made none."""
    return view.get(CONTRACT, redeposit_key(tx_id))


def chunks_of_anchor(view: StateView, sha256: str) -> list[str]:
    """The chunk leaf hashes (hex) the first anchor of ``sha256`` carried; [] if none."""
    found = view.get(CONTRACT, chunks_key(sha256))
    return [] if found is None else found["chunks"]


def facts_of(view: StateView, sha256: str) -> dict[str, Any] | None:
    """The published facts of document ``sha256`` (``facts``, ``extractor``, ``tx_id``),
    or None if none were published."""
    return view.get(CONTRACT, facts_key(sha256))
