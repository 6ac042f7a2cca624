"""Benchmark of a running local consortium: committed transactions per second and
commit latency, driven over HTTP from this process (the nodes are separate processes).

A transaction counts as committed when its block is stored on a quorum of nodes (the
durability rule), observed by polling every node's head. Latency is from just before
its batch was sent to when that was observed. The limit printed beside the figure is
this machine's Ed25519 verifications per second x cores / nodes: every node must
verify every transaction's signature once.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger.keys import SigningKey, read_key_file, verify
from ledger.model.transaction import Transaction
from ledger.quorum import quorum
from nodes.bench.core import rate
from nodes.bootstrap import key_paths, load_genesis
from nodes.consortium import processes
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.consortium.status import consortium_status

Tick = Callable[[float, int], None]


@dataclass(frozen=True)
class ConsortiumFigures:
    """What one run measured."""

    nodes: int
    seconds: float
    submitted: int
    committed: int
    tx_per_s: float
    p50_s: float
    p99_s: float
    verify_per_s: float
    cores: int
    refused: int

    @property
    def limit(self) -> float:
        """Ed25519 verifications/s x cores / nodes."""
        return self.verify_per_s * self.cores / self.nodes

    @property
    def ratio(self) -> float:
        """Committed tx/s as a share of the limit."""
        return self.tx_per_s / self.limit


def ed25519_verify_rate() -> float:
    """Single-core Ed25519 verifications per second on this machine."""
    key = SigningKey.generate()
    msg = b"provledger bench" * 8
    sig = key.sign(msg)
    return rate(lambda: verify(key.public, sig, msg), 1.0)


def start_consortium(folder: Path, nodes: int, base_port: int) -> Layout:
    """Create and start a consortium in ``folder``; wait until every node answers."""
    init_consortium(folder, nodes, base_port=base_port, force=True)
    layout = Layout(folder)
    for name in layout.node_names():
        processes.start(layout, name)
    deadline = time.monotonic() + 60
    while not all(r["up"] for r in consortium_status(layout)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nodes not ready after 60 s; see {folder}/logs")
        time.sleep(0.2)
    return layout


def stop_consortium(layout: Layout) -> None:
    """Stop every node."""
    for name in layout.node_names():
        processes.stop(layout, name)


def signed_batches(layout: Layout, count: int, batch: int) -> list[tuple[list[str], bytes]]:
    """``count`` signed anchors in batches: (tx ids, request body) each."""
    genesis = load_genesis(layout.genesis)
    keys = [read_key_file(key_paths(layout.root, o.name)[0]) for o in genesis.organisations]
    out = []
    for start in range(0, count, batch):
        ids, items = [], []
        for i in range(start, min(count, start + batch)):
            key = keys[i % len(keys)]
            args = {"sha256": os.urandom(32).hex(), "size": i}
            tx = Transaction.new(key, genesis.chain_id, "evidence", "anchor", args).sign(key)
            ids.append(tx.tx_id)
            items.append(tx.to_dict())
        out.append((ids, json.dumps({"transactions": items}).encode()))
    return out


async def _drive(
    urls: list[str],
    batches: list[tuple[list[str], bytes]],
    seconds: float,
    in_flight_limit: int,
    tick: Tick | None,
) -> tuple[dict[str, float], dict[str, float], int, float, float]:
    sent: dict[str, float] = {}
    done: dict[str, float] = {}
    refused = 0
    q = quorum(len(urls))
    queue = list(reversed(batches))
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        start = time.monotonic()
        end = start + seconds

        async def submitter(url: str) -> None:
            nonlocal refused
            while queue and time.monotonic() < end:
                if len(sent) - len(done) >= in_flight_limit:
                    await asyncio.sleep(0.01)
                    continue
                ids, body = queue.pop()
                t0 = time.monotonic()
                for tx_id in ids:
                    sent[tx_id] = t0
                resp = await http.post(
                    f"{url}/v1/transactions/batch",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                if resp.status_code == 200:
                    refused += resp.json()["refused"]
                else:
                    refused += len(ids)

        async def watcher() -> None:
            seen = 0
            while True:
                heads = await asyncio.gather(
                    *(http.get(f"{u}/v1/head") for u in urls), return_exceptions=True
                )
                heights = sorted(
                    (h.json()["height"] for h in heads if isinstance(h, httpx.Response)),
                    reverse=True,
                )
                committed = heights[q - 1] if len(heights) >= q else 0
                for height in range(seen + 1, committed + 1):
                    got = await http.get(f"{urls[0]}/v1/blocks/{height}/tx-ids")
                    if got.status_code != 200:  # not on this node yet: ask the others
                        for u in urls[1:]:
                            got = await http.get(f"{u}/v1/blocks/{height}/tx-ids")
                            if got.status_code == 200:
                                break
                    now = time.monotonic()
                    for tx_id in got.json()["tx_ids"]:
                        if tx_id in sent:
                            done[tx_id] = now
                    seen = height
                if tick:
                    tick(min(now_s := time.monotonic() - start, seconds), len(done))
                    del now_s
                await asyncio.sleep(0.05)

        watch = asyncio.create_task(watcher())
        await asyncio.gather(*(submitter(u) for u in urls))
        drain_until = time.monotonic() + 15
        while len(done) < len(sent) - refused and time.monotonic() < drain_until:
            await asyncio.sleep(0.05)
        watch.cancel()
        return sent, done, refused, start, end


def run_consortium_bench(
    folder: Path,
    *,
    nodes: int = 3,
    seconds: float = 20.0,
    batch: int = 250,
    base_port: int = 7401,
    in_flight: int = 1_000,
    tick: Tick | None = None,
    presign: Callable[[int], None] | None = None,
) -> ConsortiumFigures:
    """Start a consortium in ``folder``, drive it for ``seconds``, stop it; the figures."""
    verify_rate = ed25519_verify_rate()
    layout = start_consortium(folder, nodes, base_port)
    try:
        count = int(min(160_000, 3_500 * seconds))
        if presign:
            presign(count)
        batches = signed_batches(layout, count, batch)
        urls = [c.url for c in layout.configs()]
        sent, done, refused, start, end = asyncio.run(
            _drive(urls, batches, seconds, in_flight, tick)
        )
    finally:
        stop_consortium(layout)
    in_window = [t for t in done.values() if start <= t <= end]
    latencies = sorted(done[i] - sent[i] for i in done)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    return ConsortiumFigures(
        nodes=nodes,
        seconds=seconds,
        submitted=len(sent),
        committed=len(done),
        tx_per_s=len(in_window) / seconds,
        p50_s=p50,
        p99_s=p99,
        verify_per_s=verify_rate,
        cores=os.cpu_count() or 1,
        refused=refused,
    )
