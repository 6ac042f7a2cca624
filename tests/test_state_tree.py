"""The state tree (ledger/state_tree.py): roots against a naive full-tree transcription,
incremental updates against rebuilding, known-answer vectors, and every forgery refused.

The naive transcription below walks all 256 levels bottom-up over the positions of the
leaves, merging siblings level by level: a different algorithm from the top-down
recursion of the module, computing the same definition.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import state_tree as tree
from ledger.canonical import canonical
from ledger.errors import CanonicalError, StateProofError

VECTORS = Path(__file__).parent / "vectors" / "state_tree.json"


def naive_root(leaves: dict[bytes, bytes]) -> bytes:
    """Level by level from depth 256 up: (hash, leaf count) per occupied position."""
    level = {
        int.from_bytes(k, "big"): (
            hashlib.sha256(b"\x02" + k + v).digest(),
            1,
        )
        for k, v in leaves.items()
    }
    for _ in range(256):
        parents: dict[int, tuple[bytes, int]] = {}
        for pos in {p >> 1 for p in level}:
            left = level.get(pos << 1, (bytes(32), 0))
            right = level.get((pos << 1) | 1, (bytes(32), 0))
            count = left[1] + right[1]
            if count == 1:
                parents[pos] = left if left[1] else right
            else:
                parents[pos] = (hashlib.sha256(b"\x03" + left[0] + right[0]).digest(), count)
        level = parents
    return level[0][0] if level else bytes(32)


def h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class Nodes(dict[bytes, tree.Node]):
    """A node store in memory; reading a node it lacks is an error, as in a database."""

    def read(self, key: bytes) -> tree.Node:
        return self[key]


def grown(writes_in_blocks: list[dict[bytes, bytes | None]]) -> tuple[Nodes, list[bytes]]:
    nodes, roots, root = Nodes(), [], tree.EMPTY
    for writes in writes_in_blocks:
        root, new = tree.update(nodes.read, root, writes)
        nodes.update(new)
        roots.append(root)
    return nodes, roots


keys = st.integers(0, 40).map(lambda i: h(f"key {i}"))
values = st.one_of(st.none(), st.integers(0, 5).map(lambda i: h(f"value {i}")))
blocks = st.lists(st.dictionaries(keys, values, max_size=8), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(blocks)
def test_incremental_equals_rebuild_equals_naive(writes_in_blocks):
    nodes, roots = grown(writes_in_blocks)
    model: dict[bytes, bytes] = {}
    for writes, root in zip(writes_in_blocks, roots, strict=True):
        for k, v in writes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        assert root == tree.root_of(model) == naive_root(model)
    assert sorted(leaf.key_hash for leaf in tree.leaves_of(nodes.read, roots[-1])) == sorted(model)


@settings(max_examples=100, deadline=None)
@given(blocks, st.integers(0, 40))
def test_every_key_is_proven_present_or_absent(writes_in_blocks, probe):
    nodes, roots = grown(writes_in_blocks)
    model: dict[bytes, bytes] = {}
    for writes in writes_in_blocks:
        for k, v in writes.items():
            model.pop(k, None) if v is None else model.__setitem__(k, v)
    key = h(f"key {probe}")
    proof = tree.prove(nodes.read, roots[-1], key)
    if key in model:
        tree.verify_membership(roots[-1], key, model[key], proof)
        with pytest.raises(StateProofError):
            tree.verify_non_membership(roots[-1], key, proof)
    else:
        tree.verify_non_membership(roots[-1], key, proof)
        with pytest.raises(StateProofError):
            tree.verify_membership(roots[-1], key, h("value 0"), proof)


def test_old_roots_stay_provable_after_later_writes():
    k = h("key 1")
    nodes, roots = grown([{k: h("value 1")}, {k: h("value 2")}, {k: None}])
    tree.verify_membership(roots[0], k, h("value 1"), tree.prove(nodes.read, roots[0], k))
    tree.verify_membership(roots[1], k, h("value 2"), tree.prove(nodes.read, roots[1], k))
    tree.verify_non_membership(roots[2], k, tree.prove(nodes.read, roots[2], k))
    assert roots[2] == tree.EMPTY


def test_proof_size_grows_with_log_n():
    leaves = {h(f"key {i}"): h(f"value {i}") for i in range(4096)}
    nodes, (root,) = grown([dict(leaves)])
    depths = [len(tree.prove(nodes.read, root, k).siblings) for k in list(leaves)[:512]]
    # 4096 random paths: a leaf sits where its path first leaves every other leaf's, about
    # log2(4096) = 12 levels down; 40 would mean the tree is not collapsed at all.
    assert max(depths) < 40 and sum(depths) / len(depths) < 16


def test_update_touches_only_the_path():
    leaves = {h(f"key {i}"): h(f"value {i}") for i in range(1024)}
    nodes, (root,) = grown([dict(leaves)])
    _, new = tree.update(nodes.read, root, {h("key 7"): h("changed")})
    assert len(new) <= 1 + len(tree.prove(nodes.read, root, h("key 7")).siblings)


# ---- forgeries ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forest():
    leaves = {h(f"key {i}"): h(f"value {i}") for i in range(64)}
    nodes, roots = grown([dict(leaves), {h("key 0"): h("value 0 changed")}])
    return nodes, roots, leaves


def test_flipped_sibling_is_refused(forest):
    nodes, roots, leaves = forest
    k = h("key 5")
    proof = tree.prove(nodes.read, roots[1], k)
    bad = bytes([proof.siblings[0][0] ^ 1]) + proof.siblings[0][1:]
    forged = tree.StateProof((bad, *proof.siblings[1:]), proof.leaf)
    with pytest.raises(StateProofError, match="does not lead to the root"):
        tree.verify_membership(roots[1], k, leaves[k], forged)


def test_value_swapped_with_another_keys_is_refused(forest):
    nodes, roots, leaves = forest
    proof = tree.prove(nodes.read, roots[1], h("key 5"))
    with pytest.raises(StateProofError, match="value hash differs"):
        tree.verify_membership(roots[1], h("key 5"), leaves[h("key 6")], proof)
    other = tree.prove(nodes.read, roots[1], h("key 6"))
    with pytest.raises(StateProofError, match="another key"):
        tree.verify_membership(roots[1], h("key 5"), leaves[h("key 6")], other)


def test_membership_passed_off_as_non_membership_is_refused(forest):
    nodes, roots, _ = forest
    k = h("key 5")
    proof = tree.prove(nodes.read, roots[1], k)
    with pytest.raises(StateProofError, match="key present"):
        tree.verify_non_membership(roots[1], k, proof)
    emptied = tree.StateProof(proof.siblings, None)
    with pytest.raises(StateProofError, match="does not lead to the root"):
        tree.verify_non_membership(roots[1], k, emptied)


def test_another_leaf_off_the_path_does_not_prove_absence(forest):
    nodes, roots, _ = forest
    absent = h("never written")
    far = next(
        k for k in (h(f"key {i}") for i in range(64)) if tree.bit(k, 0) != tree.bit(absent, 0)
    )
    proof = tree.prove(nodes.read, roots[1], far)
    with pytest.raises(StateProofError):
        tree.verify_non_membership(roots[1], absent, proof)


def test_proof_against_an_older_root_is_refused(forest):
    nodes, roots, _ = forest
    k = h("key 0")
    old = tree.prove(nodes.read, roots[0], k)
    with pytest.raises(StateProofError, match="does not lead to the root"):
        tree.verify_membership(roots[1], k, h("value 0"), old)


def test_malformed_proofs_are_refused(forest):
    nodes, roots, leaves = forest
    k = h("key 5")
    proof = tree.prove(nodes.read, roots[1], k)
    short = tree.StateProof((proof.siblings[0][:31], *proof.siblings[1:]), proof.leaf)
    with pytest.raises(StateProofError, match="32-byte"):
        tree.verify_membership(roots[1], k, leaves[k], short)
    deep = tree.StateProof((bytes(32),) * 257, proof.leaf)
    with pytest.raises(StateProofError, match="deeper"):
        tree.verify_membership(roots[1], k, leaves[k], deep)


# ---- known answers --------------------------------------------------------------------


def test_known_answer_vectors():
    """Each case: leaves as (contract, key, value) triples; its root, and for each probe
    key its proof (siblings root first, the leaf the path ends at, or null)."""
    cases = json.loads(VECTORS.read_text())["cases"]
    assert len(cases) >= 5
    for case in cases:
        leaves = {tree.state_key(c, k): tree.value_hash(v) for c, k, v in case["leaves"]}
        assert tree.root_of(leaves).hex() == case["root"] == naive_root(leaves).hex()
        nodes, _ = grown([dict(leaves)])
        for probe in case["proofs"]:
            key = tree.state_key(*probe["key"])
            proof = tree.prove(nodes.read, bytes.fromhex(case["root"]), key)
            assert [s.hex() for s in proof.siblings] == probe["siblings"]
            got = (
                None
                if proof.leaf is None
                else [proof.leaf.key_hash.hex(), proof.leaf.value_hash.hex()]
            )
            assert got == probe["leaf"]


def test_empty_tree_and_key_derivation():
    assert tree.root_of({}) == tree.EMPTY == bytes(32)
    assert tree.state_key("evidence", "doc/ab") == hashlib.sha256(b'["evidence","doc/ab"]').digest()
    assert tree.value_hash({"b": 1, "a": "x"}) == hashlib.sha256(b'{"a":"x","b":1}').digest()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, st.integers(0, 5).map(lambda i: h(f"value {i}")), max_size=40))
def test_build_gives_the_root_and_every_node_of_the_tree(leaves):
    root, nodes = tree.build(leaves)
    assert root == tree.root_of(leaves) == naive_root(leaves)
    grown_nodes, _ = grown([dict(leaves)])  # the same nodes as updates make them
    assert all(grown_nodes[k] == node for k, node in nodes.items())
    # Every node is there: walking the whole tree reads nothing missing.
    assert sorted(leaf.key_hash for leaf in tree.leaves_of(nodes.__getitem__, root)) == sorted(
        leaves
    )


@given(st.text(), st.text())
def test_state_key_is_sha256_of_the_canonical_pair(contract: str, key: str) -> None:
    """The two-string fast path of ``state_key`` is exactly SHA-256 of RFC 8785 bytes."""
    try:
        expected = hashlib.sha256(canonical([contract, key])).digest()
    except CanonicalError:
        with pytest.raises(CanonicalError):
            tree.state_key(contract, key)
        return
    assert tree.state_key(contract, key) == expected
