"""The peer API (``/peer``): consensus messages, relayed transactions, block sync.

POSTs must be signed by a validator of this chain's genesis (see
``nodes.peer.envelope``); anything else is refused 403 and logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Query, Request

from ledger.errors import LedgerError, SignatureError
from nodes.peer.envelope import check_request
from nodes.peer.wire import ProposalMessage, VoteMessage, decode, verify_proposal
from nodes.runtime.node import Node
from nodes.server.bodies import items_of, json_body
from nodes.server.client_api import MAX_INT, block_item
from nodes.server.problems import Problem

log = logging.getLogger("provledger.peer")
MAX_MESSAGES = 4_096
MAX_SYNC_PAGE = 50
SYNC_PAGE_TXS = 8_000  # a page stops after the block that reaches this many transactions


def peer_router(node: Node) -> APIRouter:
    """Routes of the peer API bound to ``node``."""
    r = APIRouter(prefix="/peer", tags=["peer"])

    async def authenticated(request: Request) -> tuple[str, Any]:
        raw, obj = await json_body(request)
        try:
            sender = check_request(
                {k.lower(): v for k, v in request.headers.items()},
                node.validators,
                node.chain_id,
                request.url.path,
                raw,
            )
        except SignatureError as exc:
            log.warning("refused peer request to %s: %s", request.url.path, exc)
            raise Problem(403, "not a validator", str(exc)) from exc
        return sender, obj

    @r.post("/consensus", summary="Consensus messages from a validator")
    async def consensus(request: Request) -> dict[str, Any]:
        sender, obj = await authenticated(request)
        items = items_of(obj, "messages", MAX_MESSAGES)
        messages = await asyncio.to_thread(_decode_all, items, node, sender)
        for message in messages:
            node.receive(message, sender)
        return {"accepted": len(messages)}

    @r.post("/transactions", summary="Transactions relayed by a validator")
    async def transactions(request: Request) -> dict[str, Any]:
        _, obj = await authenticated(request)
        items = items_of(obj, "transactions", node.config.limits.max_batch)
        results = await node.submit(items, relay=False)
        return {"admitted": sum(1 for x in results if isinstance(x, str))}

    @r.get("/blocks", summary="Blocks with certificates and checkpoints, for catch-up")
    def blocks(
        start: int = Query(alias="from", ge=1, le=MAX_INT),
        limit: int = Query(20, ge=1, le=MAX_SYNC_PAGE),
    ) -> dict[str, Any]:
        top = min(node.store.height(), start + limit - 1)
        blocks, txs = [], 0
        for h in range(start, top + 1):  # at least one block; then about SYNC_PAGE_TXS
            item = block_item(node, h)
            txs += len(item["block"]["transactions"])
            blocks.append(item)
            if txs >= SYNC_PAGE_TXS:
                break
        return {"blocks": blocks}

    return r


def _decode_all(items: list[Any], node: Node, sender: str) -> list[Any]:
    """Decode and authenticate messages; a bad one is refused with the reason."""
    out = []
    for i, item in enumerate(items):
        try:
            message = decode(item, node.mempool.get)
            if isinstance(message, VoteMessage):
                if message.vote.chain_id != node.chain_id:
                    raise LedgerError("vote is for another chain")
                message.vote.verify(node.validators)
            elif isinstance(message, ProposalMessage):
                if message.proposal.value.header.chain_id != node.chain_id:
                    raise LedgerError("proposal is for another chain")
                verify_proposal(node.validators, node.chain_id, message)
        except LedgerError as exc:
            name = node.validators.names.get(sender, sender[:16])
            log.warning("refused message %d from %s: %s", i, name, exc)
            raise Problem(
                403 if isinstance(exc, SignatureError) else 400,
                "bad peer message",
                f"message {i}: {exc}",
            ) from exc
        out.append(message)
    return out
