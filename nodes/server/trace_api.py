"""The traceability API (``/v1/trace``): a product with its verified history, and its
derivation graph (upstream, downstream, recall impact, lineage), read from this node's
committed state.

Routes: ``GET /v1/trace/products/{id}`` and ``GET /v1/trace/products/{id}/{view}`` with
``view`` one of ``VIEWS``. Product ids hold ':' and '/', so the id is the rest of the path
(percent-encoded or not); a trailing ``/<view>`` is a view only when what precedes it is
a valid product id, which is never ambiguous: a Digital Link id is AI/value pairs, and an
EPC URI holds no '/'. Errors are problem details: 400 for a malformed id, 404 for an
unknown product, 422 when a stored history does not verify.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.base import StateView
from contracts.traceability.ids import PRODUCT_SHAPE, is_product_id
from contracts.traceability.queries import (
    downstream,
    history,
    lineage,
    product,
    recall_impact,
    upstream,
)
from nodes.proven import product_history
from nodes.runtime.apply import StoreView
from nodes.server.deps import StoreDep
from nodes.server.models.trace import TraceAnswer
from nodes.server.problems import Problem, problem_responses

VIEWS = ("upstream", "downstream", "recall-impact", "lineage")


def split_path(tail: str) -> tuple[str, str | None]:
    """The product id and the view (None: the product itself) that ``tail`` names;
    ``Problem`` 400 if the id is not a product id."""
    for view in VIEWS:
        suffix = "/" + view
        if tail.endswith(suffix) and is_product_id(tail[: -len(suffix)]):
            return tail[: -len(suffix)], view
    if not is_product_id(tail):
        raise Problem(
            400, "invalid request", f"{tail[:80]!r} is not a product id; use {PRODUCT_SHAPE}"
        )
    return tail, None


def answer(view: StateView, product_id: str, name: str | None) -> dict[str, Any]:
    """The answer of view ``name`` (None: product and history) for ``product_id``."""
    if name is None:
        return {"product": product(view, product_id), "history": history(view, product_id)}
    if name == "upstream":
        return {"product": product_id, "upstream": upstream(view, product_id)}
    if name == "downstream":
        return {"product": product_id, "downstream": downstream(view, product_id)}
    if name == "recall-impact":
        impact = recall_impact(view, product_id)
        recalled = sum(1 for p in impact if p["status"] == "recalled")
        return {"product": product_id, "impact": impact, "recalled": recalled, "total": len(impact)}
    return lineage(view, product_id)


router = APIRouter(prefix="/v1/trace", tags=["traceability"])


@router.get(
    "/products/{tail:path}",
    response_model=TraceAnswer,
    response_model_exclude_unset=True,
    summary="A product and its verified history, or one view of its graph",
    description="`/v1/trace/products/{id}`: the product record and its events oldest "
    "first, each hash-checked and linked (every event carries the `tx_id` whose receipt "
    "`/v1/receipts/{tx_id}` serves). Append `/upstream` (every input, transitively), "
    "`/downstream` (every output and packed product, transitively), `/recall-impact` "
    "(the product and its downstream with statuses) or `/lineage` (the product, "
    "upstream and downstream records with all their events, for exporters).",
    responses=problem_responses(400, 404, 422),
)
def products(
    tail: str,
    store: StoreDep,
    proof: Annotated[
        bool, Query(description="Add the record proven current and its events (the product only).")
    ] = False,
) -> dict[str, Any]:
    product_id, name = split_path(tail)
    if proof and name is not None:
        raise Problem(400, "invalid request", f"proof applies to the product, not to /{name}")
    found = answer(StoreView(store), product_id, name)
    return {**found, "proof": product_history(store, product_id)} if proof else found
