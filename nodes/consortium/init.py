"""Creating a consortium folder: organisations, keys, genesis, trust.json and one node
configuration per validator, on loopback ports with SQLite files.

The default organisations come from the seed articles: Sinochem (producer and
processor: the crude-oil import and refining at Quanzhou), CETC (notary and carrier:
the blockchain platform and logistics) and SASAC (regulator). A fourth and later
organisations are a port operator and retailers.
"""

from __future__ import annotations

from pathlib import Path

from ledger.errors import KeyFileError, ValidationError
from nodes.bootstrap import OrgSpec, create_identity, key_paths, write_json
from nodes.config import Limits, NodeConfig, Peer
from nodes.consortium.layout import Layout

DEFAULT_ORGS = (
    OrgSpec("sinochem", ("producer", "processor")),
    OrgSpec("cetc", ("notary", "carrier")),
    OrgSpec("sasac", ("regulator",)),
    OrgSpec("quanzhou-port", ("carrier", "retailer")),
)
DEFAULT_BASE_PORT = 7101
STALE_FILES = (
    "ledger.sqlite",
    "ledger.sqlite-wal",
    "ledger.sqlite-shm",
    "votes.jsonl",
    "lock.json",
    "evidence.jsonl",
)
"""A node's data, removed when a consortium is created again (``--force``)."""


def default_orgs(n: int) -> list[OrgSpec]:
    """``n`` organisations: the seed articles' first, then ``retailer-<i>``."""
    extra = [OrgSpec(f"retailer-{i}", ("retailer",)) for i in range(len(DEFAULT_ORGS) + 1, n + 1)]
    return [*DEFAULT_ORGS, *extra][:n]


def init_consortium(
    root: Path,
    nodes: int = 3,
    *,
    host: str = "127.0.0.1",
    base_port: int = DEFAULT_BASE_PORT,
    orgs: list[OrgSpec] | None = None,
    chain_name: str = "provledger-local",
    force: bool = False,
) -> list[NodeConfig]:
    """Write a consortium of ``nodes`` validators into ``root``; return the configs."""
    if nodes < 1:
        raise ValidationError("--nodes must be at least 1")
    if not 1 <= base_port <= 65535 - nodes:
        raise ValidationError(f"--base-port {base_port} leaves no room for {nodes} ports")
    layout = Layout(root)
    if (root / "nodes").exists() and not force:
        raise KeyFileError(f"{root}: already holds a consortium; pass --force to recreate it")
    specs = orgs or default_orgs(nodes)
    if len(specs) != nodes:
        raise ValidationError(f"{len(specs)} organisations named for {nodes} nodes")
    root.mkdir(parents=True, exist_ok=True)
    genesis = create_identity(root, specs, chain_name, force=force)
    urls = {v.name: f"http://{host}:{base_port + i}" for i, v in enumerate(genesis.validators)}
    configs = []
    for i, v in enumerate(genesis.validators):
        folder = layout.node_dir(v.name)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in STALE_FILES:
            (folder / stale).unlink(missing_ok=True)
        config = NodeConfig(
            name=v.name,
            host=host,
            port=base_port + i,
            url=urls[v.name],
            database=str(folder / "ledger.sqlite"),
            genesis=layout.genesis,
            node_key=key_paths(root, v.organisation)[1],
            votes=folder / "votes.jsonl",
            peers=tuple(Peer(n, u) for n, u in urls.items() if n != v.name),
            limits=Limits(),
        )
        write_json(layout.config(v.name), config.to_dict(folder))
        configs.append(NodeConfig.load(layout.config(v.name)))
    (root / "logs").mkdir(exist_ok=True)
    (root / "run").mkdir(exist_ok=True)
    return configs
