"""Where everything of a consortium folder lives::

DIR/genesis.json, DIR/trust.json, DIR/keys/*.pem      identity (nodes.bootstrap)
DIR/nodes/<validator>/node.json                        a node's configuration
DIR/nodes/<validator>/ledger.sqlite, votes.jsonl       its store and vote log
DIR/logs/<validator>.log                               its log (stdout and stderr)
DIR/run/<validator>.pid                                its process id while up
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.errors import ValidationError
from nodes.config import NodeConfig


@dataclass(frozen=True)
class Layout:
    """The paths of consortium folder ``root``."""

    root: Path

    @property
    def genesis(self) -> Path:
        """genesis.json."""
        return self.root / "genesis.json"

    @property
    def trust(self) -> Path:
        """trust.json, what outside verifiers need."""
        return self.root / "trust.json"

    def node_dir(self, name: str) -> Path:
        """The folder of node ``name``."""
        return self.root / "nodes" / name

    def config(self, name: str) -> Path:
        """node.json of node ``name``."""
        return self.node_dir(name) / "node.json"

    def log(self, name: str) -> Path:
        """The log file of node ``name``."""
        return self.root / "logs" / f"{name}.log"

    def pid(self, name: str) -> Path:
        """The pid file of node ``name``."""
        return self.root / "run" / f"{name}.pid"

    def node_names(self) -> list[str]:
        """Names of the nodes configured here, sorted; ``ValidationError`` if none."""
        base = self.root / "nodes"
        names = sorted(p.parent.name for p in base.glob("*/node.json")) if base.is_dir() else []
        if not names:
            raise ValidationError(
                f"{self.root}: not a consortium folder (no nodes/*/node.json); "
                f"create one with: provledger consortium init {self.root}"
            )
        return names

    def configs(self) -> list[NodeConfig]:
        """Every node's configuration."""
        return [NodeConfig.load(self.config(n)) for n in self.node_names()]
