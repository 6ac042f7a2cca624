"""Property tests of the Merkle log.

(a) ``ledger.merkle`` against a naive RFC 9162 reference written here (§2.1.1 MTH,
    §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF, transcribed on lists of leaf data).
(b) ``ledger.merkle_log`` (stored perfect subtrees, ``Frontier``) over a dict store
    against ``ledger.merkle``.
(c) ``ledger.store.log_table.StoredLog`` over a real SQLite file against ``ledger.merkle``.
Plus: a root or proof at size n reads O(log n) stored nodes, in one batched read.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger import merkle
from ledger.errors import ProofError, StoreError
from ledger.merkle_log import (
    Frontier,
    border,
    consistency_proof_at,
    inclusion_proof_at,
    node_key,
    node_of_key,
    root_at,
)
from ledger.store.engine import open_engine
from ledger.store.log_table import StoredLog
from ledger.store.schema import merkle_nodes, metadata
from ledger.tree_ranges import NodeId

# ------------------------------------------------- naive RFC 9162 reference (on data)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1: MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0); else
    MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(d[0:k]) + ref_mth(d[k:n]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1: PATH(0, {d0}) = {}; for m < k, PATH(m, D[0:k]) : MTH(D[k:n]);
    for m >= k, PATH(m - k, D[k:n]) : MTH(D[0:k])."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[0:k]), ref_mth(d[k:n])]
    return [*ref_path(m - k, d[k:n]), ref_mth(d[0:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[0:k], b), ref_mth(d[k:n])]
    return [*ref_subproof(m - k, d[k:n], False), ref_mth(d[0:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true) for 0 < m < n;
    the proof is empty when m is 0 or n (nothing to prove)."""
    if m in (0, len(d)):
        return []
    return ref_subproof(m, d, True)


def test_reference_matches_known_root():
    # The reference itself is pinned to one RFC 6962 vector (size 8 from transparency-dev).
    data = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243"]]
    data += [bytes.fromhex("5051525354555657"), bytes.fromhex("606162636465666768696a6b6c6d6e6f")]
    want = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert ref_mth(data).hex() == want
    assert ref_mth([]) == merkle.EMPTY_ROOT


# ------------------------------------------------------------------------ strategies

leaf_lists = st.integers(min_value=0, max_value=200).flatmap(
    lambda n: st.lists(st.binary(max_size=12), min_size=n, max_size=n)
)


def _flip(h: bytes, pos: int, mask: int) -> bytes:
    assert mask != 0
    b = bytearray(h)
    b[pos] ^= mask
    return bytes(b)


def _sample_indexes(n: int, rnd: random.Random, count: int) -> list[int]:
    """Boundary indexes plus a random sample, all within 0..n-1."""
    if n <= count:
        return list(range(n))
    fixed = {0, 1, n // 2, n - 2, n - 1}
    return sorted(fixed | set(rnd.sample(range(n), count - len(fixed))))


# --------------------------------------------------------- (a) merkle.py vs reference


@settings(max_examples=80, deadline=None)
@given(data=leaf_lists, seed=st.integers(0, 2**32 - 1))
def test_merkle_matches_rfc9162_reference(data, seed):
    rnd = random.Random(seed)
    n = len(data)
    hashes = [merkle.leaf_hash(x) for x in data]
    assert hashes == [_sha256(b"\x00" + x) for x in data]
    rt = merkle.root(hashes)
    assert rt == ref_mth(data)
    for index in _sample_indexes(n, rnd, 24):
        proof = merkle.inclusion_proof(hashes, index)
        assert proof == ref_path(index, data)
        assert merkle.verify_inclusion(hashes[index], index, n, proof, rt) is None
    for old in sorted({0, n, *_sample_indexes(n, rnd, 24)}):
        proof = merkle.consistency_proof(hashes, old)
        assert proof == ref_proof(old, data)
        old_root = ref_mth(data[:old])
        assert merkle.verify_consistency(old, n, proof, old_root, rt) is None


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=0, max_value=40))
def test_merkle_matches_reference_at_every_index_and_size(n):
    data = [i.to_bytes(2, "big") for i in range(n)]
    hashes = [merkle.leaf_hash(x) for x in data]
    for index in range(n):
        assert merkle.inclusion_proof(hashes, index) == ref_path(index, data)
    for old in range(n + 1):
        assert merkle.consistency_proof(hashes, old) == ref_proof(old, data)


@settings(max_examples=100, deadline=None)
@given(data=leaf_lists.filter(lambda d: len(d) >= 2), choice=st.data())
def test_mutated_inclusion_proof_fails(data, choice):
    n = len(data)
    hashes = [merkle.leaf_hash(x) for x in data]
    rt = merkle.root(hashes)
    index = choice.draw(st.integers(0, n - 1), label="index")
    proof = merkle.inclusion_proof(hashes, index)
    merkle.verify_inclusion(hashes[index], index, n, proof, rt)
    assert proof  # n >= 2: every leaf has at least one sibling
    elem = choice.draw(st.integers(0, len(proof) - 1), label="element")
    pos = choice.draw(st.integers(0, 31), label="byte")
    mask = choice.draw(st.integers(1, 255), label="mask")
    bad = list(proof)
    bad[elem] = _flip(bad[elem], pos, mask)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(hashes[index], index, n, bad, rt)


@settings(max_examples=100, deadline=None)
@given(data=leaf_lists.filter(lambda d: len(d) >= 2), choice=st.data())
def test_mutated_consistency_proof_fails(data, choice):
    n = len(data)
    hashes = [merkle.leaf_hash(x) for x in data]
    old = choice.draw(st.integers(1, n - 1), label="old_size")
    old_root, new_root = merkle.root(hashes[:old]), merkle.root(hashes)
    proof = merkle.consistency_proof(hashes, old)
    merkle.verify_consistency(old, n, proof, old_root, new_root)
    assert proof  # 0 < old < n: never empty
    elem = choice.draw(st.integers(0, len(proof) - 1), label="element")
    pos = choice.draw(st.integers(0, 31), label="byte")
    mask = choice.draw(st.integers(1, 255), label="mask")
    bad = list(proof)
    bad[elem] = _flip(bad[elem], pos, mask)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, n, bad, old_root, new_root)


# ------------------------------------------------------- (b) Frontier over a dict store


def dict_reader(store: dict):
    return lambda ids: {i: store[i] for i in ids if i in store}


def check_log_against_merkle(hashes: list[bytes], read) -> None:
    """root_at / inclusion_proof_at / consistency_proof_at equal ledger.merkle at every
    size up to len(hashes) and every index and old size below it."""
    for size in range(len(hashes) + 1):
        prefix = hashes[:size]
        assert root_at(size, read) == merkle.root(prefix)
        for index in range(size):
            assert inclusion_proof_at(index, size, read) == merkle.inclusion_proof(prefix, index)
        for old in range(size + 1):
            assert consistency_proof_at(old, size, read) == merkle.consistency_proof(prefix, old)


batch_plans = st.lists(st.integers(min_value=0, max_value=13), min_size=1, max_size=4)


@settings(max_examples=50, deadline=None)
@given(batches=batch_plans, seed=st.integers(0, 2**32 - 1), reload=st.booleans())
def test_frontier_dict_store_matches_merkle(batches, seed, reload):
    rnd = random.Random(seed)
    store: dict = {}
    read = dict_reader(store)
    frontier = Frontier(0, [])
    hashes: list[bytes] = []
    for count in batches:
        if reload:  # as after a restart: rebuild the frontier from the stored nodes
            frontier = Frontier.load(len(hashes), read)
        new = [merkle.leaf_hash(rnd.randbytes(rnd.randrange(0, 9))) for _ in range(count)]
        written = frontier.append(new)
        for node, h in written:
            assert node not in store, f"node {node} written twice"
            store[node] = h
        hashes += new
        assert frontier.size == len(hashes)
        assert frontier.root() == merkle.root(hashes)
        assert [n for n, _ in frontier.nodes] == border(len(hashes))
        # Every perfect subtree is stored exactly once: 2n - popcount(n) nodes.
        n = len(hashes)
        assert len(store) == 2 * n - n.bit_count()
    check_log_against_merkle(hashes, read)
    # Beyond the stored size the nodes are missing: a StoreError, not a wrong answer.
    with pytest.raises(StoreError):
        root_at(len(hashes) + 1, read)


def test_frontier_stored_nodes_are_perfect_subtree_roots():
    store: dict = {}
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(37)]
    for node, h in Frontier(0, []).append(hashes):
        store[node] = h
    assert len(store) == 2 * 37 - (37).bit_count()
    for node, h in store.items():
        start = node.position << node.level
        assert start + (1 << node.level) <= 37
        assert h == merkle.root(hashes[start : start + (1 << node.level)])
        assert node_of_key(node_key(node)) == node


def test_log_rejects_out_of_range_requests():
    store: dict = {}
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    for node, h in Frontier(0, []).append(hashes):
        store[node] = h
    read = dict_reader(store)
    assert root_at(0, read) == merkle.EMPTY_ROOT
    for index, size in [(5, 5), (-1, 5), (0, 0)]:
        with pytest.raises(ProofError):
            inclusion_proof_at(index, size, read)
    for old, size in [(6, 5), (-1, 5)]:
        with pytest.raises(ProofError):
            consistency_proof_at(old, size, read)
    # A lost node is reported, never papered over. The border of size 5 is node (2, 0)
    # (leaves 0..3, in the proof of leaf 4) and node (0, 4) (in the proof of leaf 0).
    assert border(5) == [NodeId(2, 0), NodeId(0, 4)]
    for node, index_needing_it in [(NodeId(2, 0), 4), (NodeId(0, 4), 0)]:
        saved = store.pop(node)
        with pytest.raises(StoreError):
            root_at(5, read)
        with pytest.raises(StoreError):
            inclusion_proof_at(index_needing_it, 5, read)
        store[node] = saved
    assert root_at(5, read) == merkle.root(hashes)


# --------------------------------------------------------------- (c) SQLite StoredLog

_db_counter = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_stored_log_sqlite_matches_merkle(tmp_path, batches, seed):
    rnd = random.Random(seed)
    path = tmp_path / f"log-{next(_db_counter)}.db"
    assert not path.exists()
    engine = open_engine(str(path))
    try:
        metadata.create_all(engine)
        hashes: list[bytes] = []
        for count in batches:
            new = [merkle.leaf_hash(rnd.randbytes(rnd.randrange(0, 9))) for _ in range(count)]
            with engine.connect() as conn:
                conn = conn.execution_options(write=True)
                with conn.begin():
                    log = StoredLog(conn)
                    frontier = log.frontier(len(hashes))
                    assert frontier.root() == merkle.root(hashes)
                    got_root = log.append(frontier, new)
            hashes += new
            assert got_root == merkle.root(hashes)
    finally:
        engine.dispose()

    # A fresh engine sees only what was committed.
    engine = open_engine(str(path))
    try:
        with engine.connect() as conn, conn.begin():
            n = len(hashes)
            count = conn.execute(select(func.count()).select_from(merkle_nodes)).scalar_one()
            assert count == 2 * n - n.bit_count()
            log = StoredLog(conn)
            for size in range(n + 1):
                prefix = hashes[:size]
                assert log.root(size) == merkle.root(prefix)
                for index in range(size):
                    assert log.inclusion_proof(index, size) == merkle.inclusion_proof(prefix, index)
                for old in range(size + 1):
                    assert log.consistency_proof(old, size) == merkle.consistency_proof(prefix, old)
            with pytest.raises(StoreError):
                log.root(n + 1)
    finally:
        engine.dispose()


def test_stored_log_rolled_back_batch_leaves_no_nodes(tmp_path):
    engine = open_engine(str(tmp_path / "rollback.db"))
    try:
        metadata.create_all(engine)
        hashes = [merkle.leaf_hash(bytes([i])) for i in range(6)]
        with engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                log = StoredLog(conn)
                log.append(log.frontier(0), hashes[:3])
            tx = conn.begin()
            log = StoredLog(conn)
            log.append(log.frontier(3), hashes[3:])
            tx.rollback()
        with engine.connect() as conn, conn.begin():
            log = StoredLog(conn)
            assert log.root(3) == merkle.root(hashes[:3])
            with pytest.raises(StoreError):
                log.root(4)
            with pytest.raises(StoreError):
                log.frontier(6)
    finally:
        engine.dispose()


# ------------------------------------------------------------ O(log n) stored reads

BIG_N = 5000


@pytest.fixture(scope="module")
def big_log():
    store: dict = {}
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(BIG_N)]
    for node, h in Frontier(0, []).append(hashes):
        store[node] = h
    return hashes, store


class CountingReader:
    def __init__(self, store: dict) -> None:
        self.store = store
        self.calls = 0
        self.ids = 0

    def __call__(self, ids):
        self.calls += 1
        self.ids += len(ids)
        return {i: self.store[i] for i in ids if i in self.store}


def _bound(n: int) -> int:
    return 2 * math.ceil(math.log2(n)) + 2


SIZES = sorted(
    {1, 2, 3, 5, 7, 100, 1000, 4095, 4096, 4097, 4999, BIG_N}
    | {2**k - 1 for k in range(2, 13)}
    | {2**k + 1 for k in range(2, 12)}
)


@pytest.mark.parametrize("n", SIZES)
def test_reads_are_logarithmic(big_log, n):
    _hashes, store = big_log
    rnd = random.Random(n)
    indexes = _sample_indexes(n, rnd, 12)
    olds = sorted({0, 1, n // 3, n - 1, n} | set(_sample_indexes(n, rnd, 8)))
    checked = 0
    for kind, arg in itertools.chain(
        [("root", None)], (("incl", i) for i in indexes), (("cons", m) for m in olds)
    ):
        reader = CountingReader(store)
        if kind == "root":
            root_at(n, reader)
        elif kind == "incl":
            inclusion_proof_at(arg, n, reader)
        else:
            consistency_proof_at(arg, n, reader)
        assert reader.calls == 1, (kind, arg, n)  # one batched read
        assert reader.ids <= _bound(n), (kind, arg, n, reader.ids)
        checked += 1
    assert checked == 1 + len(indexes) + len(olds)


def test_big_log_proofs_match_merkle(big_log):
    # The nodes counted above are also the right ones, at the largest size.
    hashes, store = big_log
    read = dict_reader(store)
    rt = merkle.root(hashes)
    assert root_at(BIG_N, read) == rt
    for index in (0, 1, 2047, 4095, 4096, BIG_N - 1):
        proof = inclusion_proof_at(index, BIG_N, read)
        assert proof == merkle.inclusion_proof(hashes, index)
        merkle.verify_inclusion(hashes[index], index, BIG_N, proof, rt)
    for old in (1, 3, 4096, 4097, BIG_N - 1):
        proof = consistency_proof_at(old, BIG_N, read)
        assert proof == merkle.consistency_proof(hashes, old)
        merkle.verify_consistency(old, BIG_N, proof, root_at(old, read), rt)
