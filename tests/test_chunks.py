"""Content chunks and tamper localisation: paragraphs, blocks, and the differences
between an anchored chunk sequence and a copy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.chunk_diff import differences, shared_fraction
from ledger.chunks import BLOCK_SIZE, chunks_of, chunks_root, paragraphs
from ledger.merkle import leaf_hash, root
from seeds.corpus import documents

TEXT = "Title line\n\nFirst paragraph,\nstill first.\n\n\nSecond one.\r\n  \r\nThird\n"


def test_paragraphs_are_runs_of_non_blank_lines() -> None:
    spans = paragraphs(TEXT)
    assert [TEXT[s:e] for s, e, _ in spans] == [
        "Title line",
        "First paragraph,\nstill first.",
        "Second one.",
        "Third",
    ]
    assert [line for _, _, line in spans] == [1, 3, 7, 9]


def test_a_paragraph_leaf_is_the_rfc9162_leaf_of_its_utf8_bytes() -> None:
    chunks = chunks_of(TEXT.encode())
    assert [c.number for c in chunks] == [1, 2, 3, 4]
    assert chunks[1].leaf == leaf_hash(b"First paragraph,\nstill first.")
    assert chunks_root([c.leaf for c in chunks]) == root([c.leaf for c in chunks])
    assert {c.kind for c in chunks} == {"paragraph"}


def test_binary_files_are_cut_into_blocks() -> None:
    data = b"\xff" + bytes(range(256)) * (BLOCK_SIZE // 128)
    chunks = chunks_of(data)
    assert [c.kind for c in chunks] == ["block"] * 3
    assert chunks[0].leaf == leaf_hash(data[:BLOCK_SIZE])
    assert (chunks[-1].start, chunks[-1].end) == (2 * BLOCK_SIZE, len(data))


def test_empty_and_blank_texts_have_no_chunks() -> None:
    assert chunks_of(b"") == []
    assert chunks_of(b"\n \n\t\n") == []


def test_every_seed_has_paragraphs() -> None:
    for doc in documents():
        assert len(chunks_of(doc.data)) >= 5, doc.name


def _anchored(text: str) -> list[bytes]:
    return [c.leaf for c in chunks_of(text.encode())]


def test_one_changed_paragraph_is_named_and_no_other() -> None:
    seed = documents()[0].data.decode()
    spans = paragraphs(seed)
    start, end, _ = spans[4]
    changed = seed[:start] + seed[start:end] + " (edited)" + seed[end:]
    found = differences(_anchored(seed), chunks_of(changed.encode()))
    assert [(d.kind, d.anchored, d.copy) for d in found] == [("changed", (5,), (5,))]


def test_removed_and_added_paragraphs() -> None:
    text = "a\n\nb\n\nc\n\nd\n"
    removed = differences(_anchored(text), chunks_of(b"a\n\nc\n\nd\n"))
    assert [(d.kind, d.anchored, d.copy) for d in removed] == [("removed", (2,), ())]
    added = differences(_anchored(text), chunks_of(b"a\n\nb\n\nnew\n\nc\n\nd\n"))
    assert [(d.kind, d.copy, d.after) for d in added] == [("added", (3,), 2)]


def test_identical_copy_has_no_differences() -> None:
    seed = documents()[1].data
    assert differences(_anchored(seed.decode()), chunks_of(seed)) == []
    assert shared_fraction(_anchored(seed.decode()), chunks_of(seed)) == 1.0


@given(st.lists(st.text(alphabet="ab \n", max_size=12), max_size=8), st.integers(0, 7))
def test_changing_one_paragraph_names_it(parts: list[str], which: int) -> None:
    # distinct paragraphs: with repeated ones, which copy changed is ambiguous
    paras = list(dict.fromkeys(p for p in ("".join(x.split()) for x in parts) if p))
    if not paras:
        return
    which %= len(paras)
    edited = list(paras)
    edited[which] = edited[which] + "Z"  # no other paragraph contains Z
    found = differences(_anchored("\n\n".join(paras)), chunks_of("\n\n".join(edited).encode()))
    named = {n for d in found for n in d.anchored}
    assert which + 1 in named
    assert all(d.kind == "changed" for d in found)


def _chunks(leaves: list[bytes]) -> list:
    from ledger.chunks import Chunk

    return [Chunk(i + 1, 0, 0, "paragraph", leaf) for i, leaf in enumerate(leaves)]


@given(
    st.lists(st.sampled_from("abcde"), max_size=30),
    st.lists(st.sampled_from("abcdef"), max_size=30),
)
def test_differences_account_for_every_chunk_once(a: list[str], b: list[str]) -> None:
    from ledger.chunk_diff import shared_count

    left, right = [x.encode() for x in a], [x.encode() for x in b]
    found = differences(left, _chunks(right))
    named_a = [n for d in found for n in d.anchored]
    named_b = [n for d in found for n in d.copy]
    kept = shared_count(left, right)
    assert len(named_a) == len(set(named_a)) and len(named_b) == len(set(named_b))
    assert len(named_a) + kept == len(a)
    assert len(named_b) + kept == len(b)
    if a == b:
        assert found == []


def test_repetitive_chunks_are_aligned_without_search() -> None:
    """Crafted sequences of two repeated leaves, which took difflib minutes: with no
    unique chunk to anchor on, the copy is one change of everything."""
    x, y, z = b"x" * 32, b"y" * 32, b"z" * 32
    found = differences([x, y] * 2048, _chunks([y, x, z] * 1365))
    assert [(d.kind, len(d.anchored), len(d.copy)) for d in found] == [("changed", 4096, 4095)]
