"""``provledger node run``: run one validator node in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nodes.cli.output import handle_errors
from nodes.config import NodeConfig

app = typer.Typer(help="Run one validator node.", no_args_is_help=True)


@app.command("run")
@handle_errors
def run(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="the node's node.json (from consortium init)")
    ],
) -> None:
    """Run the node of CONFIG until SIGTERM or Ctrl-C; logs go to stderr."""
    from nodes.runtime.serve import serve

    serve(NodeConfig.load(config))
