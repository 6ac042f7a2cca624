"""The FastAPI application of one node.

Promise: the node's tasks start with the application and stop with it (SIGTERM or
SIGINT stop gracefully: the consensus task is cancelled between events, the store and
vote log are closed). Routes reach the node only through ``nodes.server.deps``; the
OpenAPI document is generated from the models in ``nodes.server.models``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from nodes.server import client_api, evidence_api, lookup_api, peer_api, problems, trace_api
from nodes.server.deps import (
    ChainIdDep,
    MempoolDep,
    MetricsDep,
    NameDep,
    NodeApi,
    PeersDep,
    StoreDep,
)
from nodes.server.limits import BodyLimit
from nodes.server.models.documented import add_schemas, drop_default_validation
from nodes.server.models.state import Health

VERSION = "0.1.0"


class NodeApp(FastAPI):
    """A FastAPI application whose document also holds the request models of bodies
    the routes read as bytes, and states validation failures as the 400 they are."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = drop_default_validation(add_schemas(super().openapi()))
        return self.openapi_schema


operations = APIRouter(tags=["operations"])


@operations.get("/health", response_model=Health, summary="Liveness and where the node stands")
def health(
    name: NameDep, chain_id: ChainIdDep, store: StoreDep, peers: PeersDep, mempool: MempoolDep
) -> dict[str, Any]:
    return {
        "status": "ok",
        "name": name,
        "chain_id": chain_id,
        "height": store.height(),
        "peers_up": sum(1 for p in peers if p.up),
        "peers": len(peers),
        "mempool": len(mempool),
    }


@operations.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def create_app(node: NodeApi) -> FastAPI:
    """The application serving ``node``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    app = NodeApp(
        title=f"provledger node {node.name}",
        version=VERSION,
        description="Client API (/v1), peer API (/peer), /health and /metrics of one "
        "provledger validator node. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    app.state.node = node
    problems.install(app, on_damage=node.metrics.corrupt_rows.inc)
    app.include_router(client_api.router)
    app.include_router(evidence_api.router)
    app.include_router(lookup_api.router)
    app.include_router(peer_api.router)
    app.include_router(trace_api.router)
    app.include_router(operations)
    limits = node.config.limits
    app.add_middleware(
        BodyLimit, max_bytes=limits.max_body_bytes, read_seconds=limits.body_read_seconds
    )
    return app
