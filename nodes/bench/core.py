"""Benchmark of the verifiable core.

Measures, on this machine: raw SHA-256 and Ed25519 rates (the limits); Merkle appends
per second into SQLite; inclusion and consistency proofs served from the store and
verified, at ``leaves`` leaves; proof size; the state tree's writes, proofs and proof
size (``nodes.bench.state_tree``); transaction signing and verification; and signed
blocks stored per second. Each figure is printed with its target and limit.
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger.canonical import now_time
from ledger.keys import SigningKey, verify
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.merkle_log import Frontier
from ledger.model.genesis import Genesis, Organisation, Validator
from ledger.model.transaction import Transaction
from ledger.sealing import seal
from ledger.store import Store
from ledger.store.engine import open_engine
from ledger.store.log_table import StoredLog
from ledger.store.schema import metadata
from ledger.tlog_proof import TlogProof

Tick = Callable[[int, int], None]


@dataclass(frozen=True)
class Figure:
    """One measured figure with what it is compared to."""

    name: str
    value: float
    unit: str
    target: str = ""
    limit: float | None = None
    limit_note: str = ""

    def ratio(self) -> float | None:
        """How much of the machine's bound this figure reaches (1.0 = at the limit):
        value / limit for rates, limit / value for times. None without a limit."""
        if not self.limit:
            return None
        return self.limit / self.value if self.unit == "ms" else self.value / self.limit


def rate(fn: Callable[[], object], seconds: float = 0.5) -> float:
    """Calls per second of ``fn``, measured for about ``seconds``."""
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            fn()
        n += 100
    return n / elapsed


def timings_ms(fn: Callable[[int], object], args: list[int]) -> list[float]:
    """Milliseconds of ``fn(a)`` for each ``a``."""
    out = []
    for a in args:
        start = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def run_core_bench(
    folder: Path,
    leaves: int,
    tick: Tick | None = None,
    state_keys: int = 1_000_000,
    state_tick: Tick | None = None,
) -> list[Figure]:
    """Run every measurement with a fresh SQLite store in ``folder``, the state tree's
    (``nodes.bench.state_tree``) at ``state_keys`` keys."""
    from nodes.bench.state_tree import run_state_tree_bench  # it imports this module

    figures: list[Figure] = []
    msg65 = os.urandom(65)
    sha_rate = rate(lambda: hashlib.sha256(msg65).digest())
    key = SigningKey.generate()
    msg = os.urandom(200)
    sig = key.sign(msg)
    sign_rate = rate(lambda: key.sign(msg))
    verify_rate = rate(lambda: verify(key.public, sig, msg))
    figures += [
        Figure("raw SHA-256 (65-byte input)", sha_rate, "hash/s", limit_note="machine"),
        Figure("raw Ed25519 sign (200 B)", sign_rate, "sig/s", limit_note="machine"),
        Figure("raw Ed25519 verify (200 B)", verify_rate, "verify/s", limit_note="machine"),
    ]

    engine = open_engine(str(folder / "merkle.sqlite"))
    metadata.create_all(engine)
    frontier, batch, done = Frontier(0, []), 10_000, 0
    start = time.perf_counter()
    while done < leaves:
        n = min(batch, leaves - done)
        hashes = [leaf_hash(i.to_bytes(32, "big")) for i in range(done, done + n)]
        with engine.connect() as conn, conn.execution_options(write=True).begin():
            StoredLog(conn).append(frontier, hashes)
        done += n
        if tick:
            tick(done, leaves)
    append_rate = leaves / (time.perf_counter() - start)
    figures.append(
        Figure(
            f"Merkle appends into SQLite ({leaves:,} leaves)",
            append_rate,
            "leaf/s",
            ">= 50,000",
            sha_rate / 2,
            "SHA-256 rate / 2 hashes per leaf",
        )
    )

    rng = random.Random(7)
    sample = [rng.randrange(leaves) for _ in range(2_000)]
    root = frontier.root()
    proofs: dict[int, list[bytes]] = {}

    def serve(i: int) -> None:
        with engine.connect() as conn:
            proofs[i] = StoredLog(conn).inclusion_proof(i, leaves)

    served = timings_ms(serve, sample)
    checked = timings_ms(
        lambda i: verify_inclusion(leaf_hash(i.to_bytes(32, "big")), i, leaves, proofs[i], root),
        sample,
    )
    depth = statistics.mean(len(v) for v in proofs.values())
    figures += [
        Figure("inclusion proof served, p50", p(served, 0.5), "ms"),
        Figure("inclusion proof served, p99", p(served, 0.99), "ms", "<= 2 ms"),
        Figure("inclusion proof verified, p50", p(checked, 0.5), "ms"),
        Figure(
            "inclusion proof verified, p99",
            p(checked, 0.99),
            "ms",
            "<= 0.2 ms",
            depth / sha_rate * 1000,
            f"{depth:.0f} hashes at the raw SHA-256 rate",
        ),
        Figure("inclusion proof size", depth * 32, "bytes", limit_note=f"{depth:.1f} hashes"),
        Figure(
            "tlog-proof text size (no checkpoint)",
            len(TlogProof(sample[0], tuple(proofs[sample[0]]), "").text()),
            "bytes",
        ),
    ]
    olds = [rng.randrange(1, leaves) for _ in range(500)]
    cons: dict[int, list[bytes]] = {}

    def serve_consistency(old: int) -> None:
        with engine.connect() as conn:
            log = StoredLog(conn)
            cons[old] = log.consistency_proof(old, leaves)
            cons[-old] = [log.root(old)]

    cserved = timings_ms(serve_consistency, olds)
    for old in olds[:50]:
        verify_consistency(old, leaves, cons[old], cons[-old][0], root)
    figures.append(Figure("consistency proof + old root served, p99", p(cserved, 0.99), "ms"))
    engine.dispose()

    figures += run_state_tree_bench(folder, state_keys, sha_rate, state_tick)
    figures += _transactions_and_blocks(folder, sign_rate, verify_rate)
    return figures


def _transactions_and_blocks(folder: Path, sign_rate: float, verify_rate: float) -> list[Figure]:
    member, nodes = SigningKey.generate(), [SigningKey.generate() for _ in range(3)]
    genesis = Genesis(
        "bench",
        now_time(),
        (Organisation("org", ("producer",), (member.public,)),),
        tuple(Validator(f"n{i}", "org", k.public) for i, k in enumerate(nodes)),
    )
    chain = genesis.chain_id

    def make() -> Transaction:
        return Transaction.new(member, chain, "evidence", "anchor", {"sha256": "ab" * 32})

    unsigned = make()
    tx_sign = rate(lambda: unsigned.sign(member))
    signed = unsigned.sign(member)
    tx_verify = rate(lambda: signed.verify_signature(member.public))
    txs = [make().sign(member) for _ in range(10_000)]
    store = Store.create(str(folder / "blocks.sqlite"), genesis)
    keys = [(f"n{i}", k) for i, k in enumerate(nodes)]
    start = time.perf_counter()
    for i in range(0, len(txs), 1_000):
        seal(store, txs[i : i + 1_000], keys[:2])
    stored = len(txs) / (time.perf_counter() - start)
    store.close()
    return [
        Figure(
            "transaction signed (canonical + Ed25519)",
            tx_sign,
            "tx/s",
            limit=sign_rate,
            limit_note="raw Ed25519 sign",
        ),
        Figure(
            "transaction signature verified",
            tx_verify,
            "tx/s",
            limit=verify_rate,
            limit_note="raw Ed25519 verify",
        ),
        Figure(
            "signed blocks of 1,000 tx stored in SQLite",
            stored,
            "tx/s",
            limit_note="includes certificate + checkpoint checks",
        ),
    ]
