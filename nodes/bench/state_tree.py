"""Benchmark of the state tree (``ledger.state_tree`` stored by ``ledger.store.state_nodes``).

At ``keys`` keys in a real SQLite file, measures: key writes per second applied in
blocks of 1,000 (``updated_root`` through a ``NodeSource``, then ``store_update``, one
write transaction per block, as a node commits a block); state proofs served (prefetch
then ``prove`` through a fresh ``NodeSource``, with a cold and with a warm node cache)
and verified, for keys present and absent; and proof size. Every proof measured is
verified, else the bench raises. Each figure is printed beside a limit measured in the
same run: the raw SHA-256 rate for hashing work, one SQLite primary-key read for reads.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from ledger.canonical import canonical
from ledger.state_proof import proof_to_dict
from ledger.state_tree import (
    StateProof,
    build,
    prove,
    state_key,
    value_hash,
    verify_membership,
    verify_non_membership,
)
from ledger.state_write import StateWrite
from ledger.store.engine import open_engine
from ledger.store.schema import metadata, state_nodes
from ledger.store.state_nodes import NodeCache, NodeSource, TreeUpdate, store_update, updated_root
from nodes.bench.core import Figure, Tick, p, timings_ms

CONTRACT = "bench"
BLOCK = 1_000
_INSERT = 50_000


def run_state_tree_bench(
    folder: Path, keys: int, sha_rate: float, tick: Tick | None = None
) -> list[Figure]:
    """Build a tree of ``keys`` keys in ``folder/state.sqlite`` and measure it;
    ``sha_rate`` is this run's raw SHA-256 rate of 65-byte inputs."""
    engine = open_engine(str(folder / "state.sqlite"))
    metadata.create_all(engine, tables=[state_nodes])
    try:
        return _run(engine, keys, sha_rate, tick)
    finally:
        engine.dispose()


def _run(engine: Engine, keys: int, sha_rate: float, tick: Tick | None) -> list[Figure]:
    load = os.getloadavg()[0]
    rng = random.Random(11)
    start = time.perf_counter()
    root, root_id, stored, sample_nodes = _load(engine, keys, rng, tick)
    load_rate = keys / (time.perf_counter() - start)
    load_hashes = 2 + stored / keys  # the key's path, its value, then the tree's nodes
    read_ms = _primary_key_read_ms(engine, sample_nodes)

    # Key writes: blocks of 1,000, 90% to existing keys, 10% to new ones, through the
    # node's default cache (warmed by a few blocks first, as a running node's is).
    cache = NodeCache()
    blocks = max(3, min(20, keys // 20_000))
    warmup, created, next_key = max(2, blocks // 4), 0, keys
    spent = [0.0, 0.0]  # seconds computing roots; seconds storing nodes and committing
    values: dict[int, int] = {}
    for b in range(warmup + blocks):
        writes = []
        for n in range(BLOCK):
            if n % 10 == 9:
                i, next_key = next_key, next_key + 1
            else:
                i = rng.randrange(keys)
            values[i] = rng.randrange(1 << 30)
            writes.append(_write(i, values[i], b * BLOCK + n))
        began = time.perf_counter()
        with engine.connect() as conn, conn.execution_options(write=True).begin():
            change = updated_root(NodeSource(conn, cache), root, root_id, writes)
            computed = time.perf_counter()
            root_id = store_update(conn, change, cache)
        root = change.root
        if b >= warmup:
            spent[0] += computed - began
            spent[1] += time.perf_counter() - computed
            created += len(change.nodes)
    write_rate = blocks * BLOCK / sum(spent)
    per_write = created / (blocks * BLOCK)

    # Proofs: as many keys present as absent, each served twice, cold then warm cache.
    present = [rng.randrange(next_key) for _ in range(500)]
    probes: list[tuple[bytes, bytes | None]] = [
        (state_key(CONTRACT, f"k{i}"), value_hash(values.get(i, i))) for i in present
    ]
    probes += [(state_key(CONTRACT, f"absent{i}"), None) for i in range(500)]
    proofs: dict[int, StateProof] = {}

    def serve(cache_of: Callable[[], NodeCache]) -> Callable[[int], None]:
        def one(n: int) -> None:
            key = probes[n][0]
            with engine.connect() as conn, conn.begin():
                source = NodeSource(conn, cache_of())
                source.prefetch(root, root_id, [key])
                proofs[n] = prove(source.read, root, key)

        return one

    order = list(range(len(probes)))
    cold = timings_ms(serve(NodeCache), order)
    warm = timings_ms(serve(lambda: cache), order)

    def check(n: int) -> None:
        key, expected = probes[n]
        if expected is None:
            verify_non_membership(root, key, proofs[n])
        else:
            verify_membership(root, key, expected, proofs[n])

    checked = timings_ms(check, order)
    sizes = [len(proofs[n].siblings) for n in order]
    json_bytes = [len(canonical(proof_to_dict(proofs[n]))) for n in order]
    depth = statistics.mean(sizes)
    served_limit = (depth + 1) * read_ms
    at = f"{keys:,} keys"
    return [
        Figure(
            "machine load (1-minute average) at the start",
            load,
            "runnable",
            limit=os.cpu_count() or 1,
            limit_note="cores",
        ),
        Figure(
            f"state tree built + bulk-stored ({at})",
            load_rate,
            "key/s",
            limit=sha_rate / load_hashes,
            limit_note=f"SHA-256 rate / {load_hashes:.1f} hashes per key",
        ),
        Figure(
            f"state-tree key writes into SQLite ({at}, blocks of 1,000)",
            write_rate,
            "write/s",
            ">= 10,000",
            sha_rate / per_write,
            f"SHA-256 rate / {per_write:.1f} new nodes per write",
        ),
        Figure(
            "  of which roots computed (reads + hashes)",
            spent[0] / blocks * 1000,
            "ms/block",
            limit_note=f"{spent[0] / sum(spent):.0%} of the time",
        ),
        Figure(
            "  of which nodes inserted + committed",
            spent[1] / blocks * 1000,
            "ms/block",
            limit_note=f"{per_write * BLOCK:,.0f} rows appended, fsync'd",
        ),
        Figure(
            "state proof served, cold cache, p99",
            p(cold, 0.99),
            "ms",
            "<= 2 ms",
            served_limit,
            f"{depth + 1:.0f} levels x {read_ms:.3f} ms SQLite key read",
        ),
        Figure("state proof served, warm cache, p50", p(warm, 0.5), "ms"),
        Figure(
            "state proof served, warm cache, p99",
            p(warm, 0.99),
            "ms",
            "<= 2 ms",
            served_limit,
            "as cold",
        ),
        Figure("state proof verified, p50", p(checked, 0.5), "ms"),
        Figure(
            "state proof verified, p99",
            p(checked, 0.99),
            "ms",
            "<= 0.2 ms",
            (depth + 1) / sha_rate * 1000,
            f"{depth + 1:.0f} hashes at the raw SHA-256 rate",
        ),
        Figure(
            "state proof siblings, mean",
            depth,
            "hashes",
            limit_note=f"max {max(sizes)}",
        ),
        Figure(
            "state proof JSON size, mean",
            statistics.mean(json_bytes),
            "bytes",
            limit_note=f"max {max(json_bytes):,} bytes",
        ),
        Figure(
            "state proofs verified (present + absent)",
            len(checked),
            "proofs",
            limit_note=f"{len(present)} present, {len(probes) - len(present)} absent",
        ),
    ]


def _write(i: int, value: int, log_index: int) -> StateWrite:
    return StateWrite(CONTRACT, f"k{i}", value, log_index, str(value))


def _load(
    engine: Engine, keys: int, rng: random.Random, tick: Tick | None
) -> tuple[bytes, int, int, list[int]]:
    """Build the tree of keys ``k0..`` (value i) in one pass and append its nodes; its
    root, the root's id, the number of nodes and a sample of their ids."""
    leaves: dict[bytes, bytes] = {}
    for i in range(keys):
        leaves[state_key(CONTRACT, f"k{i}")] = value_hash(i)
        if tick and i % 50_000 == 0:
            tick(i // 2, keys)
    root, nodes = build(leaves)
    del leaves
    count = len(nodes)
    with engine.connect() as conn, conn.execution_options(write=True).begin():
        root_id = store_update(conn, TreeUpdate(root, nodes))
    del nodes
    if tick:
        tick(keys, keys)
    return root, root_id, count, rng.sample(range(1, count + 1), min(2_000, count))


def _primary_key_read_ms(engine: Engine, ids: list[int]) -> float:
    """Mean milliseconds of one ``SELECT body ... WHERE id = ?`` through the driver."""
    with engine.connect() as conn, conn.begin():
        cursor = _driver(conn).cursor()
        start = time.perf_counter()
        for i in ids:
            cursor.execute("SELECT body FROM state_nodes WHERE id = ?", (i,)).fetchone()
        took = time.perf_counter() - start
        cursor.close()
    return took / len(ids) * 1000


def _driver(conn: Connection) -> Any:
    return conn.connection.dbapi_connection
