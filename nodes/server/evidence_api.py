"""Evidence and membership queries of the client API (``/v1``): a document's facts and
a proof of one of them, the documents an organisation deposited, anchored documents
resembling a copy (same title or shared paragraphs), the roster and its proposals, and
the trust file an offline verifier needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Path, Query

from contracts.evidence import CONTRACT as EVIDENCE
from contracts.evidence import facts_of, lookup_digest
from contracts.evidence.keys import (
    chunk_prefix,
    chunks_key,
    depositor_prefix,
    doc_key,
    title_prefix,
)
from contracts.membership import CONTRACT as MEMBERSHIP
from contracts.membership import proposal_key
from ledger.anchor_proof import build_fact_proof, fact_leaf
from ledger.chunk_diff import shared_count
from ledger.chunks import MAX_CHUNKS
from ledger.errors import NotFoundError
from ledger.merkle import inclusion_proof, root
from ledger.model.fields import check_name
from ledger.trust import Trust
from nodes.runtime.apply import StoreView
from nodes.runtime.node import Node
from nodes.server.problems import Problem


def _digest() -> Any:
    """A path parameter holding a SHA-256 (a new one per route: FastAPI binds it)."""
    return Path(description="SHA-256: 64 lowercase hex characters", pattern="^[0-9a-f]{64}$")


SIMILAR_LEAVES = 512  # chunk leaves of a copy looked up in the index
SIMILAR_MAX = 5  # candidates returned
SIMILAR_BODY: Any = Body(description='{"title": str?, "chunks": [hex leaf, ...]}')


def evidence_router(node: Node) -> APIRouter:
    """Routes of the evidence and membership queries bound to ``node``."""
    r = APIRouter(prefix="/v1", tags=["evidence", "membership"])

    def published(sha256: str) -> tuple[dict[str, Any], dict[str, Any]]:
        view = StoreView(node.store)
        record = lookup_digest(view, sha256)
        if record is None:
            raise NotFoundError(f"no document with SHA-256 {sha256[:16]}… is anchored")
        facts = facts_of(view, sha256)
        if facts is None:
            raise NotFoundError(f"the facts of {sha256[:16]}… are not published")
        return record, facts

    @r.get("/evidence/{sha256}/facts", summary="The published facts of an anchored document")
    def facts(sha256: str = _digest()) -> dict[str, Any]:
        record, found = published(sha256)
        return {
            "sha256": sha256,
            "extractor": found["extractor"],
            "facts_root": record["facts_root"],
            "facts_count": record["facts_count"],
            "published_by": found["tx_id"],
            "facts": found["facts"],
        }

    @r.get(
        "/evidence/{sha256}/facts/{index}/proof",
        summary="A fact with its Merkle proof and the anchor's receipt (verifiable offline)",
    )
    def fact_proof(sha256: str = _digest(), index: int = Path(ge=0, le=2**31)) -> dict[str, Any]:
        record, found = published(sha256)
        items = found["facts"]
        if index >= len(items):
            raise NotFoundError(f"document {sha256[:16]}… has {len(items)} facts; no fact {index}")
        leaves = [fact_leaf(f) for f in items]
        if root(leaves).hex() != record["facts_root"]:  # the contract checked; never expected
            raise Problem(500, "inconsistent state", "published facts do not match the anchor")
        receipt = node.store.receipt(record["tx_id"])
        proof = inclusion_proof(leaves, index)
        return build_fact_proof(items[index], index, len(items), proof, receipt)

    @r.get("/evidence/by-depositor/{organisation}", summary="Documents an organisation anchored")
    def by_depositor(
        organisation: str,
        after: str | None = Query(None, pattern="^[0-9a-f]{64}$", description="page after"),
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        check_name(organisation, "organisation")
        prefix = depositor_prefix(organisation)
        rows = node.store.state_prefix(
            EVIDENCE, prefix, limit, None if after is None else prefix + after
        )
        docs = [value for _, value in rows]
        return {
            "organisation": organisation,
            "documents": docs,
            "next": docs[-1]["sha256"] if len(docs) == limit else None,
        }

    @r.post("/evidence/similar", summary="Anchored documents with this title or shared chunks")
    def similar(
        body: Any = SIMILAR_BODY,
    ) -> dict[str, Any]:
        title, leaves = _similar_query(body)
        return {"candidates": _similar(node, title, leaves)}

    @r.get("/members", summary="The organisations as of the head: roles and member keys")
    def members() -> dict[str, Any]:
        roster = node.roster()
        return {"height": node.store.height(), **roster.to_dict()}

    @r.get("/membership/proposals/{tx_id}", summary="A membership proposal and its approvals")
    def proposal(tx_id: str = _digest()) -> dict[str, Any]:
        found = node.store.state(MEMBERSHIP, proposal_key(tx_id))
        if found is None:
            raise NotFoundError(f"no membership proposal {tx_id[:16]}…")
        # an open proposal made against an older roster can never be approved
        stale = found["status"] == "open" and found["base_version"] != node.roster().version
        return {**found, "stale": stale}

    @r.get("/trust", summary="trust.json: what an offline verifier needs, with today's roster")
    def trust() -> dict[str, Any]:
        t = Trust.from_genesis(node.genesis)
        return Trust(t.chain_id, t.chain_name, t.validators, node.roster().organisations).to_dict()

    return r


def _similar_query(body: Any) -> tuple[str | None, list[str]]:
    """The title and chunk leaves of a similarity query; ``Problem`` 400 if malformed."""
    if not isinstance(body, dict) or not set(body) <= {"title", "chunks"}:
        raise Problem(400, "invalid request", 'send {"title": str?, "chunks": [hex leaf, ...]}')
    title = body.get("title")
    leaves = body.get("chunks", [])
    if title is not None and (not isinstance(title, str) or not 0 < len(title) <= 512):
        raise Problem(400, "invalid request", "title: a string of 1 to 512 characters")
    if title is not None and any(0xD800 <= ord(c) <= 0xDFFF for c in title):
        raise Problem(400, "invalid request", "title: holds a lone surrogate, not text")
    if not isinstance(leaves, list) or len(leaves) > MAX_CHUNKS:
        raise Problem(400, "invalid request", f"chunks: a list of at most {MAX_CHUNKS} leaves")
    for leaf in leaves:
        if not isinstance(leaf, str) or len(leaf) != 64 or leaf.strip("0123456789abcdef"):
            raise Problem(400, "invalid request", "chunks: each a 64-character lowercase hex hash")
    return title, leaves


def _similar(node: Node, title: str | None, leaves: list[str]) -> list[dict[str, Any]]:
    """Up to ``SIMILAR_MAX`` anchored documents sharing the title or chunks of a copy,
    most shared chunks first, each with its anchor record. Linear-ish in the chunks given
    (``shared_count``), and it runs in the server's request thread pool, apart from the
    worker threads consensus uses."""
    store = node.store
    by_title: set[str] = set()
    if title:
        prefix = title_prefix(title)
        by_title = {key[len(prefix) :] for key, _ in store.state_prefix(EVIDENCE, prefix, 50)}
    hits: dict[str, int] = {}
    for leaf in dict.fromkeys(leaves[:SIMILAR_LEAVES]):
        prefix = chunk_prefix(leaf)
        for key, _ in store.state_prefix(EVIDENCE, prefix, 50):
            digest = key[len(prefix) :]
            hits[digest] = hits.get(digest, 0) + 1
    ranked = sorted(by_title | set(hits), key=lambda d: (-hits.get(d, 0), d))[: 4 * SIMILAR_MAX]
    records = store.state_many(EVIDENCE, [doc_key(d) for d in ranked])
    chunk_lists = store.state_many(EVIDENCE, [chunks_key(d) for d in ranked])
    copy = [bytes.fromhex(leaf) for leaf in leaves]
    out = []
    for digest in ranked:
        record = records.get(doc_key(digest))
        if record is None:
            continue
        anchored = chunk_lists.get(chunks_key(digest), {"chunks": []})["chunks"]
        out.append(
            {
                "sha256": digest,
                "same_title": digest in by_title,
                "shared_chunks": shared_count([bytes.fromhex(x) for x in anchored], copy),
                "anchored_chunks": len(anchored),
                "anchor": record,
            }
        )
    out.sort(key=lambda c: (-c["shared_chunks"], not c["same_title"], c["sha256"]))
    return out[:SIMILAR_MAX]
