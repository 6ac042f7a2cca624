"""Running one node process: its node, its application, uvicorn."""

from __future__ import annotations

import logging
import os

import uvicorn

from nodes.config import NodeConfig
from nodes.runtime.node import Node
from nodes.server.app import create_app


def serve(config: NodeConfig) -> None:
    """Run the node of ``config`` until stopped (blocks)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if os.environ.get("PROVLEDGER_DEBUG"):
        logging.getLogger("provledger").setLevel(logging.DEBUG)
    app = create_app(Node(config))
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
