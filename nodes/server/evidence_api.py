"""Evidence and membership queries of the client API (``/v1``): a document's facts and
a proof of one of them, the documents an organisation deposited, anchored documents
resembling a copy (same title or shared paragraphs), the roster and its proposals, and
the trust file an offline verifier needs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import ValidationError as ModelError
from starlette.concurrency import run_in_threadpool

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
from contracts.membership.roster import ROSTER_KEY
from ledger.anchor_proof import build_fact_proof, fact_leaf
from ledger.chunk_diff import shared_count
from ledger.errors import NotFoundError
from ledger.merkle import inclusion_proof, root
from ledger.model.fields import check_name
from ledger.store.store import Store
from ledger.trust import Trust
from nodes.proven import state_proof
from nodes.runtime.apply import StoreView
from nodes.server.bodies import json_body
from nodes.server.deps import GenesisDep, RosterDep, StoreDep
from nodes.server.models.documented import json_request
from nodes.server.models.evidence import (
    Deposits,
    FactProof,
    Facts,
    Members,
    MembershipProposal,
    Similar,
    SimilarQuery,
    TrustFile,
)
from nodes.server.models.fields import HASH_PATTERN, DigestPath, TxIdPath
from nodes.server.problems import Problem, problem_responses

SIMILAR_LEAVES = 512  # chunk leaves of a copy looked up in the index
SIMILAR_MAX = 5  # candidates returned

router = APIRouter(prefix="/v1", tags=["evidence", "membership"])


def published(store: Store, sha256: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The anchor record and published facts of ``sha256``; ``NotFoundError`` if either
    is missing."""
    view = StoreView(store)
    record = lookup_digest(view, sha256)
    if record is None:
        raise NotFoundError(f"no document with SHA-256 {sha256[:16]}… is anchored")
    facts = facts_of(view, sha256)
    if facts is None:
        raise NotFoundError(f"the facts of {sha256[:16]}… are not published")
    return record, facts


@router.get(
    "/evidence/{sha256}/facts",
    response_model=Facts,
    summary="The published facts of an anchored document",
    responses=problem_responses(400, 404),
)
def facts(sha256: DigestPath, store: StoreDep) -> dict[str, Any]:
    record, found = published(store, sha256)
    return {
        "sha256": sha256,
        "extractor": found["extractor"],
        "facts_root": record["facts_root"],
        "facts_count": record["facts_count"],
        "published_by": found["tx_id"],
        "facts": found["facts"],
    }


@router.get(
    "/evidence/{sha256}/facts/{index}/proof",
    response_model=FactProof,
    summary="A fact with its Merkle proof and the anchor's receipt (verifiable offline)",
    responses=problem_responses(400, 404),
)
def fact_proof(
    sha256: DigestPath, index: Annotated[int, Path(ge=0, le=2**31)], store: StoreDep
) -> dict[str, Any]:
    record, found = published(store, sha256)
    items = found["facts"]
    if index >= len(items):
        raise NotFoundError(f"document {sha256[:16]}… has {len(items)} facts; no fact {index}")
    leaves = [fact_leaf(f) for f in items]
    if root(leaves).hex() != record["facts_root"]:  # the contract checked; never expected
        raise Problem(500, "inconsistent state", "published facts do not match the anchor")
    receipt = store.receipt(record["tx_id"])
    proof = inclusion_proof(leaves, index)
    return build_fact_proof(items[index], index, len(items), proof, receipt)


@router.get(
    "/evidence/by-depositor/{organisation}",
    response_model=Deposits,
    summary="Documents an organisation anchored",
    responses=problem_responses(400),
)
def by_depositor(
    organisation: str,
    store: StoreDep,
    after: Annotated[
        str | None, Query(pattern=HASH_PATTERN, description="the page after this SHA-256")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    check_name(organisation, "organisation")
    prefix = depositor_prefix(organisation)
    rows = store.state_prefix(EVIDENCE, prefix, limit, None if after is None else prefix + after)
    docs = [value for _, value in rows]
    return {
        "organisation": organisation,
        "documents": docs,
        "next": docs[-1]["sha256"] if len(docs) == limit else None,
    }


@router.post(
    "/evidence/similar",
    response_model=Similar,
    summary="Anchored documents with this title or shared chunks",
    openapi_extra=json_request(SimilarQuery),
    responses=problem_responses(400, 408, 413, 415),
)
async def similar(request: Request, store: StoreDep) -> dict[str, Any]:
    _, obj = await json_body(request)
    query = similar_query(obj)
    found = await run_in_threadpool(_similar, store, query.title, query.chunks)
    return {"candidates": found}


@router.get(
    "/members",
    response_model=Members,
    response_model_exclude_unset=True,
    summary="The organisations as of the head: roles and member keys",
    description="With `proof=true`, also the membership contract's roster entry proven at "
    "the head (absent: the roster is still genesis's).",
    responses=problem_responses(400, 404),
)
def members(
    store: StoreDep,
    roster: RosterDep,
    proof: Annotated[bool, Query(description="Add the roster's state proof.")] = False,
) -> dict[str, Any]:
    found = {"height": store.height(), **roster.to_dict()}
    return {**found, "proof": state_proof(store, MEMBERSHIP, ROSTER_KEY)} if proof else found


@router.get(
    "/membership/proposals/{tx_id}",
    response_model=MembershipProposal,
    summary="A membership proposal and its approvals",
    responses=problem_responses(400, 404),
)
def proposal(tx_id: TxIdPath, store: StoreDep, roster: RosterDep) -> dict[str, Any]:
    found = store.state(MEMBERSHIP, proposal_key(tx_id))
    if found is None:
        raise NotFoundError(f"no membership proposal {tx_id[:16]}…")
    # an open proposal made against an older roster can never be approved
    stale = found["status"] == "open" and found["base_version"] != roster.version
    return {**found, "stale": stale}


@router.get(
    "/trust",
    response_model=TrustFile,
    summary="trust.json: what an offline verifier needs, with today's roster",
)
def trust(genesis: GenesisDep, roster: RosterDep) -> dict[str, Any]:
    t = Trust.from_genesis(genesis)
    return Trust(t.chain_id, t.chain_name, t.validators, roster.organisations).to_dict()


def similar_query(obj: Any) -> SimilarQuery:
    """The similarity query in ``obj``; ``Problem`` 400 naming the first fault."""
    try:
        return SimilarQuery.model_validate(obj)
    except ModelError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise Problem(
            400, "invalid request", f'{detail}; send {{"title": str?, "chunks": [hex, ...]}}'
        ) from exc


def _similar(store: Store, title: str | None, leaves: list[str]) -> list[dict[str, Any]]:
    """Up to ``SIMILAR_MAX`` anchored documents sharing the title or chunks of a copy,
    most shared chunks first, each with its anchor record. Linear-ish in the chunks given
    (``shared_count``), and it runs in the server's request thread pool, apart from the
    worker threads consensus uses."""
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
