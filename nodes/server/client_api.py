"""The client API (``/v1``): submit transactions, follow their status, read blocks,
the head with its checkpoint, receipts, consistency proofs, contract state and
history, evidence anchors by digest, and equivocation evidence."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request

from contracts.evidence import lookup_digest
from ledger.canonical import check_hex
from ledger.errors import NotFoundError, ValidationError
from nodes.mempool import Refused
from nodes.runtime.apply import StoreView
from nodes.runtime.node import Node
from nodes.server.bodies import items_of, json_body
from nodes.server.problems import Problem, refused_problem

MAX_INT = 2**53 - 1  # heights and sizes beyond this cannot exist (and overflow SQLite)
TX_ID = Path(description="transaction id: 64 lowercase hex characters", pattern="^[0-9a-f]{64}$")
SIGNED_TX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["tx", "signature"],
    "properties": {
        "tx": {
            "type": "object",
            "required": ["chain_id", "contract", "action", "args", "sender", "nonce", "created_at"],
        },
        "signature": {"type": "string", "description": "hex Ed25519 signature"},
    },
}

SIGNED_TX_BODY = {"schema": SIGNED_TX_SCHEMA}


def client_router(node: Node) -> APIRouter:
    """Routes of the client API bound to ``node``."""
    r = APIRouter(prefix="/v1", tags=["client"])

    @r.post(
        "/transactions",
        status_code=202,
        summary="Submit one signed transaction",
        openapi_extra={"requestBody": {"content": {"application/json": SIGNED_TX_BODY}}},
        responses={202: {"description": "admitted to the mempool"}},
    )
    async def submit_one(request: Request) -> dict[str, Any]:
        _, obj = await json_body(request)
        (result,) = await node.submit([obj])
        if isinstance(result, Refused):
            raise result
        return {"tx_id": result, "status": "pending"}

    @r.post(
        "/transactions/batch",
        summary="Submit a batch of signed transactions",
        description='Body: {"transactions": [signed transaction, ...]}. Each is judged on '
        "its own; the answer lists, in order, its tx_id or a problem object.",
    )
    async def submit_batch(request: Request) -> dict[str, Any]:
        _, obj = await json_body(request)
        items = items_of(obj, "transactions", node.config.limits.max_batch)
        results = await node.submit(items)
        out = [
            {"problem": refused_problem(x)} if isinstance(x, Refused) else {"tx_id": x}
            for x in results
        ]
        refused = sum(1 for x in results if isinstance(x, Refused))
        return {"admitted": len(results) - refused, "refused": refused, "results": out}

    @r.get("/transactions/{tx_id}", summary="Status of a transaction")
    async def tx_status(
        tx_id: str = TX_ID,
        wait: float = Query(0, ge=0, le=60, description="seconds to wait for commit"),
    ) -> dict[str, Any]:
        if wait:
            return await node.wait_committed(tx_id, wait)
        return node.status(tx_id)

    @r.get("/head", summary="The latest block header with its cosigned checkpoint")
    def head() -> dict[str, Any]:
        header = node.store.head()
        if header is None:
            return {"height": 0, "block_hash": None, "log_size": 0, "header": None}
        return {
            "height": header.height,
            "block_hash": header.block_hash,
            "log_size": header.log_size,
            "header": header.to_dict(),
            "checkpoint": node.store.checkpoint(header.height),
        }

    @r.get("/blocks/{height}", summary="A block with its certificate and checkpoint")
    def block(height: int = Path(ge=1, le=MAX_INT)) -> dict[str, Any]:
        return block_item(node, height)

    @r.get("/blocks/{height}/tx-ids", summary="Ids of the transactions of a block")
    def block_tx_ids(height: int = Path(ge=1, le=MAX_INT)) -> dict[str, Any]:
        header = node.store.header(height)
        return {
            "height": height,
            "block_hash": header.block_hash,
            "tx_ids": node.store.tx_ids_at(height),
        }

    @r.get("/receipts/{tx_id}", summary="Offline-verifiable receipt of a committed tx")
    def receipt(tx_id: str = TX_ID) -> dict[str, Any]:
        return node.store.receipt(tx_id)

    @r.get("/proofs/consistency", summary="RFC 9162 consistency proof between two sizes")
    def consistency(
        first: int = Query(ge=1, le=MAX_INT, description="the older log size"),
        second: int | None = Query(
            None, ge=1, le=MAX_INT, description="the newer size (default: now)"
        ),
    ) -> dict[str, Any]:
        size = second if second is not None else node.store.log_size()
        if first > size or size > node.store.log_size():
            raise Problem(
                400,
                "invalid request",
                f"need 1 <= first <= second <= {node.store.log_size()} (the log size)",
            )
        proof = node.store.consistency_proof(first, size)
        return {
            "first": first,
            "second": size,
            "first_root": node.store.root(first).hex(),
            "second_root": node.store.root(size).hex(),
            "proof": [h.hex() for h in proof],
        }

    @r.get("/state/{contract}/{key:path}", summary="Current contract state under a key")
    def state(contract: str, key: str) -> dict[str, Any]:
        value = node.store.state(contract, key)
        if value is None:
            raise NotFoundError(f"no state under {contract}/{key}")
        return {"contract": contract, "key": key, "value": value}

    @r.get("/history/{contract}/{key:path}", summary="Every write under a key, oldest first")
    def history(contract: str, key: str) -> dict[str, Any]:
        writes = node.store.history(contract, key)
        return {
            "contract": contract,
            "key": key,
            "writes": [{"height": h, "log_index": i, "value": v} for h, i, v in writes],
        }

    @r.get("/evidence/{sha256}", summary="The anchor of a document digest, with its receipt")
    def evidence(sha256: str = Path(pattern="^[0-9a-f]{64}$")) -> dict[str, Any]:
        try:
            check_hex(sha256, "sha256", 32)
        except ValidationError as exc:
            raise Problem(400, "invalid request", str(exc)) from exc
        record = lookup_digest(StoreView(node.store), sha256)
        if record is None:
            raise NotFoundError(f"no document with SHA-256 {sha256[:16]}… is anchored")
        return {"anchor": record, "receipt": node.store.receipt(record["tx_id"])}

    @r.get("/misbehaviour", summary="Equivocations this node caught (verifiable evidence)")
    def misbehaviour() -> dict[str, Any]:
        return {"evidence": [e.to_dict() for e in node.evidence]}

    @r.get("/consensus", summary="Where consensus stands on this node")
    def consensus() -> dict[str, Any]:
        m = node.machine
        return {
            "height": m.height if m else None,
            "round": m.round if m else None,
            "step": (["propose", "prevote", "precommit"][m.step] if m else None),
            "locked_round": m.locked_round if m else None,
        }

    return r


def block_item(node: Node, height: int) -> dict[str, Any]:
    """Block ``height`` with its certificate and checkpoint (also what catch-up serves)."""
    return {
        "block": node.store.block(height).to_dict(),
        "certificate": node.store.certificate(height).to_dict(),
        "checkpoint": node.store.checkpoint(height),
    }
