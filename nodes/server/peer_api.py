"""The peer API (``/peer``): consensus messages, relayed transactions, block sync.

POSTs must be signed by a validator of this chain's genesis, addressed to this node,
within ``limits.peer_window_seconds`` of its clock, with a nonce not used before (see
``nodes.peer.envelope``); anything else is refused 403 and logged. The application keeps
the nonces it accepted (``SeenNonces``, bounded per sender) in ``app.state``. Bodies are read as
bytes (the envelope signs them) and decoded with the wire format's own decoders; their
models describe them in the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from ledger.errors import LedgerError, SignatureError
from ledger.quorum import ValidatorSet
from nodes.mempool import Mempool
from nodes.peer.envelope import EnvelopeRefused, check_request
from nodes.peer.replay import SeenNonces
from nodes.peer.wire import ProposalMessage, VoteMessage, decode, verify_proposal
from nodes.server.bodies import items_of, json_body
from nodes.server.client_api import block_item
from nodes.server.deps import (
    ChainIdDep,
    LimitsDep,
    NameDep,
    NodeDep,
    ReceiverDep,
    StoreDep,
    SubmitterDep,
    ValidatorsDep,
)
from nodes.server.models.blocks import SyncPage
from nodes.server.models.documented import json_request
from nodes.server.models.fields import MAX_INT
from nodes.server.models.peer import (
    MAX_MESSAGES,
    Accepted,
    ConsensusMessages,
    RelayAdmitted,
    RelayedTransactions,
)
from nodes.server.problems import Problem, problem_responses

log = logging.getLogger("provledger.peer")
MAX_SYNC_PAGE = 50
SYNC_PAGE_TXS = 8_000  # a page stops after the block that reaches this many transactions
POST_ERRORS = problem_responses(400, 403, 408, 413, 415)


class PeerContext(Protocol):
    """What judging a peer's consensus messages needs."""

    @property
    def chain_id(self) -> str: ...
    @property
    def validators(self) -> ValidatorSet: ...
    @property
    def mempool(self) -> Mempool: ...


async def _context(node: NodeDep) -> PeerContext:
    return node


def _seen_nonces(request: Request) -> SeenNonces:
    """The nonces this application accepted (one memory per application, made on first
    use; dependencies run in the event loop, so it is made once)."""
    state = request.app.state
    seen: SeenNonces | None = getattr(state, "peer_nonces", None)
    if seen is None:
        seen = state.peer_nonces = SeenNonces()
    return seen


async def signed_body(
    request: Request,
    validators: ValidatorsDep,
    chain_id: ChainIdDep,
    me: NameDep,
    limits: LimitsDep,
) -> tuple[str, Any]:
    """The key id of the validator that signed the request, and its decoded JSON body;
    ``Problem`` 403 unless a validator of this chain signed it for this node and path,
    within the window, with a nonce not used before."""
    raw, obj = await json_body(request)
    try:
        sender = check_request(
            {k.lower(): v for k, v in request.headers.items()},
            validators,
            chain_id,
            me,
            request.url.path,
            raw,
            _seen_nonces(request),
            timedelta(seconds=limits.peer_window_seconds),
        )
    except SignatureError as exc:  # EnvelopeRefused carries a title of its own
        log.warning("refused peer request to %s: %s", request.url.path, exc)
        title = exc.title if isinstance(exc, EnvelopeRefused) else "not a validator"
        raise Problem(403, title, str(exc)) from exc
    return sender, obj


SignedBody = Annotated[tuple[str, Any], Depends(signed_body)]
ContextDep = Annotated[PeerContext, Depends(_context)]

router = APIRouter(prefix="/peer", tags=["peer"])


@router.post(
    "/consensus",
    response_model=Accepted,
    summary="Consensus messages from a validator",
    openapi_extra=json_request(ConsensusMessages),
    responses=POST_ERRORS,
)
async def consensus(signed: SignedBody, context: ContextDep, receive: ReceiverDep) -> JSONResponse:
    sender, obj = signed
    items = items_of(obj, "messages", MAX_MESSAGES)
    messages = await asyncio.to_thread(_decode_all, items, context, sender)
    for message in messages:
        receive(message, sender)
    return JSONResponse({"accepted": len(messages)})


@router.post(
    "/transactions",
    response_model=RelayAdmitted,
    summary="Transactions relayed by a validator",
    openapi_extra=json_request(RelayedTransactions),
    responses=POST_ERRORS,
)
async def transactions(signed: SignedBody, submit: SubmitterDep, limits: LimitsDep) -> JSONResponse:
    _, obj = signed
    items = items_of(obj, "transactions", limits.max_batch)
    results = await submit(items, relay=False)
    return JSONResponse({"admitted": sum(1 for x in results if isinstance(x, str))})


@router.get(
    "/blocks",
    response_model=SyncPage,
    summary="Blocks with certificates and checkpoints, for catch-up",
    responses=problem_responses(400),
)
def blocks(
    store: StoreDep,
    start: Annotated[int, Query(alias="from", ge=1, le=MAX_INT)],
    limit: Annotated[int, Query(ge=1, le=MAX_SYNC_PAGE)] = 20,
) -> JSONResponse:
    top = min(store.height(), start + limit - 1)
    page, txs = [], 0
    for h in range(start, top + 1):  # at least one block; then about SYNC_PAGE_TXS
        item = block_item(store, h)
        txs += len(item["block"]["transactions"])
        page.append(item)
        if txs >= SYNC_PAGE_TXS:
            break
    return JSONResponse({"blocks": page})


def _decode_all(items: list[Any], context: PeerContext, sender: str) -> list[Any]:
    """Decode and authenticate messages; a bad one is refused with the reason."""
    out = []
    for i, item in enumerate(items):
        try:
            message = decode(item, context.mempool.get)
            if isinstance(message, VoteMessage):
                if message.vote.chain_id != context.chain_id:
                    raise LedgerError("vote is for another chain")
                message.vote.verify(context.validators)
            elif isinstance(message, ProposalMessage):
                if message.proposal.value.header.chain_id != context.chain_id:
                    raise LedgerError("proposal is for another chain")
                verify_proposal(context.validators, context.chain_id, message)
        except LedgerError as exc:
            name = context.validators.names.get(sender, sender[:16])
            log.warning("refused message %d from %s: %s", i, name, exc)
            raise Problem(
                403 if isinstance(exc, SignatureError) else 400,
                "bad peer message",
                f"message {i}: {exc}",
            ) from exc
        out.append(message)
    return out
