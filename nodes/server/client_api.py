"""The client API (``/v1``): submit transactions, follow their status, read blocks,
the head with its checkpoint, receipts, consistency proofs, contract state and
history, evidence anchors by digest, and equivocation evidence.

Transaction bodies are read as bytes and judged by the mempool with the ledger's own
decoders (one refusal per item, with its kind); their models describe them in the
OpenAPI document. Large answers (blocks) are sent as built, described by their models.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from contracts.evidence import lookup_digest
from ledger.errors import NotFoundError
from ledger.store.store import Store
from nodes.mempool import Refused
from nodes.proven import document_history, state_proof
from nodes.runtime.apply import StoreView
from nodes.server.bodies import items_of, json_body
from nodes.server.deps import (
    ConsensusDep,
    DivergencesDep,
    EvidenceDep,
    LimitsDep,
    StoreDep,
    SubmitterDep,
    TxTrackerDep,
)
from nodes.server.models.blocks import (
    BlockItem,
    BlockTxIds,
    ConsistencyProof,
    Head,
    Receipt,
)
from nodes.server.models.documented import json_request
from nodes.server.models.fields import MAX_INT, DigestPath, TxIdPath
from nodes.server.models.state import (
    PROOF_QUERY,
    AnchorFound,
    ConsensusState,
    History,
    Misbehaviour,
    StateValue,
)
from nodes.server.models.transactions import (
    BatchAnswer,
    SignedTransaction,
    Submitted,
    TransactionBatch,
    TxStatus,
)
from nodes.server.problems import Problem, problem_responses, refused_problem

HeightPath = Annotated[int, Path(ge=1, le=MAX_INT, description="a block height")]
SUBMIT_ERRORS = problem_responses(400, 403, 408, 409, 413, 415, 422, 503)

router = APIRouter(prefix="/v1", tags=["client"])


@router.post(
    "/transactions",
    status_code=202,
    response_model=Submitted,
    summary="Submit one signed transaction",
    openapi_extra=json_request(SignedTransaction),
    responses={202: {"description": "admitted to the mempool"}, **SUBMIT_ERRORS},
)
async def submit_one(request: Request, submit: SubmitterDep) -> dict[str, Any]:
    _, obj = await json_body(request)
    (result,) = await submit([obj])
    if isinstance(result, Refused):
        raise result
    return {"tx_id": result, "status": "pending"}


@router.post(
    "/transactions/batch",
    response_model=BatchAnswer,
    summary="Submit a batch of signed transactions",
    description="Each is judged on its own; the answer lists, in order, its tx_id or a "
    "problem object (with the status it would have had alone).",
    openapi_extra=json_request(TransactionBatch),
    responses=problem_responses(400, 408, 413, 415),
)
async def submit_batch(request: Request, submit: SubmitterDep, limits: LimitsDep) -> JSONResponse:
    _, obj = await json_body(request)
    items = items_of(obj, "transactions", limits.max_batch)
    results = await submit(items)
    out = [
        {"problem": refused_problem(x)} if isinstance(x, Refused) else {"tx_id": x} for x in results
    ]
    refused = sum(1 for x in results if isinstance(x, Refused))
    return JSONResponse({"admitted": len(results) - refused, "refused": refused, "results": out})


@router.get(
    "/transactions/{tx_id}",
    response_model=TxStatus,
    response_model_exclude_unset=True,
    summary="Status of a transaction",
    responses=problem_responses(400, 404),
)
async def tx_status(
    tx_id: TxIdPath,
    tracker: TxTrackerDep,
    wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for commit")] = 0,
) -> dict[str, Any]:
    if wait:
        return await tracker.wait_committed(tx_id, wait)
    return tracker.status(tx_id)


@router.get(
    "/head",
    response_model=Head,
    response_model_exclude_unset=True,
    summary="The latest block header with its cosigned checkpoint",
)
def head(store: StoreDep) -> dict[str, Any]:
    header = store.head()
    if header is None:
        return {"height": 0, "block_hash": None, "log_size": 0, "header": None}
    return {
        "height": header.height,
        "block_hash": header.block_hash,
        "log_size": header.log_size,
        "header": header.to_dict(),
        "checkpoint": store.checkpoint(header.height),
    }


@router.get(
    "/blocks/{height}",
    response_model=BlockItem,
    summary="A block with its certificate and checkpoint",
    responses=problem_responses(400, 404),
)
def block(height: HeightPath, store: StoreDep) -> JSONResponse:
    return JSONResponse(block_item(store, height))


@router.get(
    "/blocks/{height}/tx-ids",
    response_model=BlockTxIds,
    summary="Ids of the transactions of a block",
    responses=problem_responses(400, 404),
)
def block_tx_ids(height: HeightPath, store: StoreDep) -> dict[str, Any]:
    header = store.header(height)
    return {"height": height, "block_hash": header.block_hash, "tx_ids": store.tx_ids_at(height)}


@router.get(
    "/receipts/{tx_id}",
    response_model=Receipt,
    summary="Offline-verifiable receipt of a committed tx",
    responses=problem_responses(400, 404),
)
def receipt(tx_id: TxIdPath, store: StoreDep) -> dict[str, Any]:
    return store.receipt(tx_id)


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProof,
    summary="RFC 9162 consistency proof between two sizes",
    responses=problem_responses(400),
)
def consistency(
    store: StoreDep,
    first: Annotated[int, Query(ge=1, le=MAX_INT, description="the older log size")],
    second: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="the newer size (default: now)")
    ] = None,
) -> dict[str, Any]:
    log_size = store.log_size()
    size = second if second is not None else log_size
    if first > size or size > log_size:
        raise Problem(
            400, "invalid request", f"need 1 <= first <= second <= {log_size} (the log size)"
        )
    proof = store.consistency_proof(first, size)
    return {
        "first": first,
        "second": size,
        "first_root": store.root(first).hex(),
        "second_root": store.root(size).hex(),
        "proof": [h.hex() for h in proof],
    }


@router.get(
    "/state/{contract}/{key:path}",
    response_model=StateValue,
    response_model_exclude_unset=True,
    summary="Contract state under a key, proven with `?proof=true`",
    description="Without `proof`: the current value (404 if there is none). With "
    "`proof=true`: the value after the head block, or after block `height`, with its state "
    "proof, header, certificate and checkpoint; an absent key answers `value: null` with a "
    "proof of its absence.",
    responses=problem_responses(400, 404),
)
def state(
    contract: str,
    key: str,
    store: StoreDep,
    proof: Annotated[bool, Query(description=PROOF_QUERY)] = False,
    height: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="The block to prove at (with proof).")
    ] = None,
) -> dict[str, Any]:
    if proof:
        doc = state_proof(store, contract, key, height)
        return {"contract": contract, "key": key, "value": doc["entries"][0]["value"], "proof": doc}
    value = store.state(contract, key)
    if value is None:
        raise NotFoundError(f"no state under {contract}/{key}")
    return {"contract": contract, "key": key, "value": value}


@router.get(
    "/history/{contract}/{key:path}",
    response_model=History,
    summary="Every write under a key, oldest first",
)
def history(contract: str, key: str, store: StoreDep) -> dict[str, Any]:
    writes = store.history(contract, key)
    return {
        "contract": contract,
        "key": key,
        "writes": [{"height": h, "log_index": i, "value": v} for h, i, v in writes],
    }


@router.get(
    "/evidence/{sha256}",
    response_model=AnchorFound,
    response_model_exclude_unset=True,
    summary="The anchor of a document digest, with its receipt",
    responses=problem_responses(400, 404),
)
def evidence(
    sha256: DigestPath,
    store: StoreDep,
    proof: Annotated[bool, Query(description="Add the document's history, proven.")] = False,
) -> dict[str, Any]:
    record = lookup_digest(StoreView(store), sha256)
    if record is None:
        raise NotFoundError(f"no document with SHA-256 {sha256[:16]}… is anchored")
    found = {"anchor": record, "receipt": store.receipt(record["tx_id"])}
    return {**found, "proof": document_history(store, sha256)} if proof else found


@router.get(
    "/misbehaviour",
    response_model=Misbehaviour,
    summary="Equivocations this node caught (verifiable evidence), and divergences: "
    "proposals whose state or results root differed from this node's execution",
)
async def misbehaviour(evidence: EvidenceDep, divergences: DivergencesDep) -> dict[str, Any]:
    return {
        "evidence": [e.to_dict() for e in evidence],
        "divergences": [d.to_dict() for d in divergences],
    }


@router.get(
    "/consensus", response_model=ConsensusState, summary="Where consensus stands on this node"
)
async def consensus(view: ConsensusDep) -> dict[str, Any]:
    return {
        "height": view.height,
        "round": view.round,
        "step": view.step,
        "locked_round": view.locked_round,
    }


def block_item(store: Store, height: int) -> dict[str, Any]:
    """Block ``height`` with its certificate and checkpoint (also what catch-up serves)."""
    return {
        "block": store.block(height).to_dict(),
        "certificate": store.certificate(height).to_dict(),
        "checkpoint": store.checkpoint(height),
    }
