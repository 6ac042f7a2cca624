"""Lookups of the client API (``/v1``) that serve people at a terminal: the full ids a
typed hex prefix stands for, and the membership proposals still open."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from contracts.evidence import CONTRACT as EVIDENCE
from contracts.evidence.keys import doc_key
from contracts.membership import CONTRACT as MEMBERSHIP
from contracts.membership import proposal_key
from ledger.store.store import Store
from nodes.server.deps import RosterDep, StoreDep
from nodes.server.models.lookup import PREFIX_PATTERN, IdKind, OpenProposals, Resolved
from nodes.server.problems import problem_responses

KINDS: tuple[IdKind, ...] = ("tx", "block", "document", "proposal")
MAX_MATCHES = 10  # per kind: enough to show an ambiguity, never a listing
PROPOSALS_PAGE = 200

router = APIRouter(prefix="/v1", tags=["client", "membership"])


@router.get(
    "/resolve/{prefix}",
    response_model=Resolved,
    summary="The full ids (tx, block, document, proposal) that start with a hex prefix",
    responses=problem_responses(400),
)
def resolve(
    prefix: Annotated[
        str, Path(description="8 to 64 lowercase hex digits", pattern=PREFIX_PATTERN)
    ],
    store: StoreDep,
    kind: Annotated[IdKind | None, Query(description="only ids of this kind")] = None,
) -> dict[str, Any]:
    matches: list[dict[str, str]] = []
    truncated = False
    for k in KINDS if kind is None else (kind,):
        found = ids_of(store, k, prefix, MAX_MATCHES + 1)
        truncated = truncated or len(found) > MAX_MATCHES
        matches += [{"kind": k, "id": i} for i in found[:MAX_MATCHES]]
    return {"prefix": prefix, "matches": matches, "truncated": truncated}


@router.get(
    "/membership/proposals",
    response_model=OpenProposals,
    summary="The membership proposals still open, with their approvals and what they need",
)
def open_proposals(store: StoreDep, roster: RosterDep) -> dict[str, Any]:
    found = []
    after = None
    while True:
        page = store.state_prefix(MEMBERSHIP, proposal_key(""), PROPOSALS_PAGE, after)
        for _, value in page:
            if value["status"] == "open":
                found.append({**value, "stale": value["base_version"] != roster.version})
        if len(page) < PROPOSALS_PAGE:
            break
        after = page[-1][0]
    found.sort(key=lambda p: (p["height"], p["id"]))
    return {"height": store.height(), "roster_version": roster.version, "proposals": found}


def ids_of(store: Store, kind: IdKind, prefix: str, limit: int) -> list[str]:
    """At most ``limit`` full ids of ``kind`` that start with ``prefix``, ascending."""
    if kind in ("tx", "block"):
        return store.ids_with_prefix(kind, prefix, limit)
    contract, key = (EVIDENCE, doc_key) if kind == "document" else (MEMBERSHIP, proposal_key)
    return [k[len(key("")) :] for k, _ in store.state_prefix(contract, key(prefix), limit)]
