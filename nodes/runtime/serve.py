"""Running one node process: its node, its application, uvicorn.

Once the node and its application are built, everything allocated so far (modules,
classes, functions: about 50,000 objects that live as long as the process) is moved out
of the garbage collector's sight with ``gc.freeze()``, so that the collections a running
node makes scan only what it allocated since (they cost about half as much); and the
young generation is collected every ``YOUNG_COLLECTION`` allocations rather than 700: a
node allocates and frees many short-lived JSON objects, which reference counting alone
reclaims.
"""

from __future__ import annotations

import gc
import logging
import os

import uvicorn

from nodes.config import NodeConfig
from nodes.runtime.node import Node
from nodes.server.app import create_app

YOUNG_COLLECTION = 50_000


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
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, 20, 10)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
