"""A node's configuration file (``node.json``): where it binds, where its peers are,
where its keys and database live, and its limits.

Addresses are configuration, never code: a node binds to ``listen`` and reaches each
peer at the URL given here, so the same consortium runs on one machine or across
hosts. Relative paths are read relative to the configuration file's folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.errors import ValidationError
from ledger.jsonfile import read_json_file
from ledger.model.fields import expect_object, get_int, get_list, get_str

CONFIG_FORMAT = "provledger-node/v1"


@dataclass(frozen=True)
class Peer:
    """Another validator: its name in genesis and the base URL of its node."""

    name: str
    url: str


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a node's memory and work per request finite, and the time
    windows a node accepts peer requests and new transactions in."""

    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 2_000
    mempool: int = 100_000
    max_block_transactions: int = 4_000
    body_read_seconds: int = 20  # a request body not all arrived by then is answered 408
    # a signed peer request is taken within this many seconds of its time, once
    peer_window_seconds: int = 300
    # a transaction is admitted only if its created_at is this close to the node's clock
    created_at_window_seconds: int = 600


@dataclass(frozen=True)
class NodeConfig:
    """Everything one node process needs to run."""

    name: str
    host: str
    port: int
    url: str
    database: str
    genesis: Path
    node_key: Path
    votes: Path
    peers: tuple[Peer, ...]
    limits: Limits = field(default_factory=Limits)
    timeouts: dict[str, float] = field(default_factory=dict)

    def to_dict(self, base: Path) -> dict[str, Any]:
        """JSON form, with paths relative to ``base`` where they lie under it."""

        def rel(p: Path | str) -> str:
            return os.path.relpath(Path(p).resolve(), base.resolve())

        db = self.database if "://" in self.database else rel(self.database)
        return {
            "format": CONFIG_FORMAT,
            "name": self.name,
            "listen": {"host": self.host, "port": self.port},
            "url": self.url,
            "database": db,
            "genesis": rel(self.genesis),
            "node_key": rel(self.node_key),
            "votes": rel(self.votes),
            "peers": [{"name": p.name, "url": p.url} for p in self.peers],
            "limits": dict(self.limits.__dict__),
            "timeouts": dict(self.timeouts),
        }

    @classmethod
    def from_dict(cls, obj: Any, base: Path) -> NodeConfig:
        """Decode and validate; relative paths are resolved against ``base``."""
        where = "node config"
        expect_object(
            obj,
            where,
            {"format", "name", "listen", "url", "database", "genesis", "node_key", "votes"}
            | {"peers"},
            optional=frozenset({"limits", "timeouts"}),
        )
        if obj["format"] != CONFIG_FORMAT:
            raise ValidationError(f"{where}.format: expected {CONFIG_FORMAT!r}")
        listen = obj["listen"]
        expect_object(listen, f"{where}.listen", {"host", "port"})
        peers = []
        for item in get_list(obj, "peers", where):
            expect_object(item, f"{where}.peers[]", {"name", "url"})
            peers.append(Peer(get_str(item, "name", where), _url(get_str(item, "url", where))))
        limits = obj.get("limits", {})
        expect_object(limits, f"{where}.limits", set(), optional=frozenset(Limits().__dict__))
        timeouts = obj.get("timeouts", {})
        if not isinstance(timeouts, dict) or not all(
            isinstance(v, int | float) and v > 0 for v in timeouts.values()
        ):
            raise ValidationError(f"{where}.timeouts: expected positive numbers of seconds")
        database = get_str(obj, "database", where)

        def path(key: str) -> Path:
            return base / get_str(obj, key, where)

        return cls(
            name=get_str(obj, "name", where),
            host=get_str(listen, "host", f"{where}.listen"),
            port=get_int(listen, "port", f"{where}.listen", minimum=1),
            url=_url(get_str(obj, "url", where)),
            database=database if "://" in database else str(base / database),
            genesis=path("genesis"),
            node_key=path("node_key"),
            votes=path("votes"),
            peers=tuple(peers),
            limits=Limits(**{k: get_int(limits, k, f"{where}.limits", minimum=1) for k in limits}),
            timeouts={str(k): float(v) for k, v in timeouts.items()},
        )

    @classmethod
    def load(cls, path: Path) -> NodeConfig:
        """Read ``path``; errors name the file."""
        return read_json_file(path, lambda obj: cls.from_dict(obj, path.parent), "node config")


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise ValidationError(f"URL {text!r} must start with http:// or https://")
    return text.rstrip("/")
