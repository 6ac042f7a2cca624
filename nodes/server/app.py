"""The FastAPI application of one node, and running it under uvicorn.

Promise: the node's tasks start with the application and stop with it (SIGTERM or
SIGINT stop gracefully: the consensus task is cancelled between events, the store and
vote log are closed).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from nodes.config import NodeConfig
from nodes.runtime.node import Node
from nodes.server import problems
from nodes.server.client_api import client_router
from nodes.server.evidence_api import evidence_router
from nodes.server.limits import BodyLimit
from nodes.server.peer_api import peer_router
from nodes.server.trace_api import trace_router

VERSION = "0.1.0"


def create_app(node: Node) -> FastAPI:
    """The application serving ``node``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    app = FastAPI(
        title=f"provledger node {node.name}",
        version=VERSION,
        description="Client API (/v1), peer API (/peer), /health and /metrics of one "
        "provledger validator node. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(client_router(node))
    app.include_router(evidence_router(node))
    app.include_router(peer_router(node))
    app.include_router(trace_router(node))

    @app.get("/health", tags=["operations"], summary="Liveness and where the node stands")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "name": node.name,
            "chain_id": node.chain_id,
            "height": node.store.height(),
            "peers_up": sum(1 for p in node.peers if p.up),
            "peers": len(node.peers),
            "mempool": len(node.mempool),
        }

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
    )
    def metrics() -> PlainTextResponse:
        text = node.metrics.render(node.gauges())
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    app.add_middleware(BodyLimit, max_bytes=node.config.limits.max_body_bytes)
    return app


def serve(config: NodeConfig) -> None:
    """Run the node of ``config`` until stopped (blocks)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if os.environ.get("PROVLEDGER_DEBUG"):
        logging.getLogger("provledger").setLevel(logging.DEBUG)
    node = Node(config)
    app = create_app(node)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
