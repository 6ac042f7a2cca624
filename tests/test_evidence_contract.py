"""The evidence contract, complete: facts and chunk roots on anchors, the indexes
(depositor, title, chunk), and publishing facts against the anchored root."""

from __future__ import annotations

import re
from typing import Any

import pytest

from contracts import default_registry
from contracts.evidence import chunks_of_anchor, facts_of, lookup_digest
from contracts.evidence.anchor_args import FACTS_MAX
from contracts.evidence.keys import chunk_prefix, depositor_key, title_prefix
from ledger.anchor_proof import fact_leaf
from ledger.canonical import sha256
from ledger.chunks import chunks_of, chunks_root
from ledger.merkle import root
from tests.conftest import make_consortium
from tests.test_contracts import DictView, apply, reason

C = make_consortium()
TEXT = b"Title\n\nOne paragraph.\n\nAnother paragraph.\n\nOne paragraph.\n"
FACT = {
    "doc": "d.txt",
    "start": 0,
    "end": 5,
    "text": "Title",
    "kind": "organisation",
    "value": "Title",
    "unit": None,
    "organisations": ["Title"],
}
FACTS = [FACT, FACT | {"start": 7, "end": 10, "text": "One", "kind": "count", "value": 1}]


def full_args(data: bytes = TEXT, facts: list[dict[str, Any]] = FACTS, **extra: Any) -> dict:
    leaves = [c.leaf for c in chunks_of(data)]
    return {
        "sha256": sha256(data).hex(),
        "size": len(data),
        "title": "Title",
        "media_type": "text/plain; charset=utf-8",
        "extractor": "provledger-facts/1",
        "facts_root": root([fact_leaf(f) for f in facts]).hex(),
        "facts_count": len(facts),
        "chunks": [x.hex() for x in leaves],
        "chunks_root": chunks_root(leaves).hex(),
    } | extra


def admit(args: dict[str, Any], action: str = "anchor") -> str:
    return reason(default_registry(C.genesis).admit, "evidence", action, args, ["producer"])


def test_a_full_anchor_is_admitted_and_indexed() -> None:
    view = DictView()
    args = full_args()
    tx = C.tx(0, **args)
    effects = apply(C, view, [tx], first_index=3, height=2)
    assert effects.rejected == {}
    record = lookup_digest(view, args["sha256"])
    assert record is not None
    for name in ("extractor", "facts_root", "facts_count", "chunks_root", "title"):
        assert record[name] == args[name]
    assert record["chunks_count"] == 4
    assert chunks_of_anchor(view, args["sha256"]) == args["chunks"]
    assert record["facts_published"] is False
    digest = args["sha256"]
    assert view.get("evidence", depositor_key("org0", digest)) == {
        "sha256": digest,
        "title": "Title",
        "tx_id": tx.tx_id,
        "height": 2,
        "time": record["time"],
    }
    assert view.get("evidence", title_prefix("  TITLE ") + digest) == {"sha256": digest}
    # four paragraphs, three distinct: each distinct leaf indexed once, at its first place
    chunk_keys = sorted(k for (_, k) in view.data if k.startswith("chunk/"))
    assert len(chunk_keys) == 3
    first = args["chunks"][1]
    assert view.get("evidence", chunk_prefix(first) + digest) == {"chunk": 2}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"facts_count": None}, "facts_count: expected a whole number"),
        ({"facts_count": FACTS_MAX + 1}, f"at most {FACTS_MAX} facts"),
        ({"facts_root": "AB" * 32}, "facts_root: expected a SHA-256"),
        ({"chunks_root": "00" * 32}, "chunks_root: is not the Merkle root"),
        ({"chunks": ["zz"]}, r"chunks\[0\]: expected a SHA-256"),
        ({"chunks": "ab"}, "chunks: expected a list"),
        ({"chunks": ["00" * 32] * 4097}, "at most 4096 chunks"),
        ({"extractor": ""}, "extractor: must be 1 to 64"),
    ],
)
def test_bad_anchor_args(change: dict[str, Any], expected: str) -> None:
    assert re.search(expected, admit(full_args(**change)))


@pytest.mark.parametrize("missing", ["extractor", "facts_root", "facts_count"])
def test_facts_args_go_together(missing: str) -> None:
    args = full_args()
    del args[missing]
    assert "extractor, facts_root, facts_count go together" in admit(args)


def test_chunks_args_go_together() -> None:
    args = full_args()
    del args["chunks_root"]
    assert "missing chunks_root" in admit(args)


def publish(member: int, digest: str, facts: list[dict[str, Any]]):
    return C.tx(member, action="publish_facts", sha256=digest, facts=facts)


def test_publish_facts_matching_the_anchor() -> None:
    view = DictView()
    args = full_args()
    apply(C, view, [C.tx(0, **args)])
    tx = publish(0, args["sha256"], FACTS)
    effects = apply(C, view, [tx], first_index=1, height=2)
    assert effects.rejected == {}
    found = facts_of(view, args["sha256"])
    assert found == {
        "sha256": args["sha256"],
        "extractor": "provledger-facts/1",
        "facts": FACTS,
        "tx_id": tx.tx_id,
    }
    assert lookup_digest(view, args["sha256"])["facts_published"] is True  # type: ignore[index]


@pytest.mark.parametrize(
    ("member", "facts", "expected"),
    [
        (1, FACTS, "only 'org0', which anchored"),
        (0, FACTS[:1], "committed to 2 facts, not 1"),
        (0, [FACTS[1], FACTS[0]], "not the anchored facts_root"),
        (0, [FACTS[0], FACTS[1] | {"value": 2}], "not the anchored facts_root"),
    ],
)
def test_publish_facts_refusals(member: int, facts: list[dict[str, Any]], expected: str) -> None:
    view = DictView()
    args = full_args()
    apply(C, view, [C.tx(0, **args)])
    tx = publish(member, args["sha256"], facts)
    effects = apply(C, view, [tx], first_index=1)
    assert expected in effects.rejected[tx.tx_id]
    assert facts_of(view, args["sha256"]) is None


def test_publish_needs_an_anchor_with_facts_and_only_once() -> None:
    view = DictView()
    bare = C.tx(0, sha256="ab" * 32, size=1)
    apply(C, view, [bare])
    tx = publish(0, "ab" * 32, FACTS)
    assert "committed to no facts" in apply(C, view, [tx], 1).rejected[tx.tx_id]
    tx = publish(0, "cd" * 32, FACTS)
    assert "is not anchored" in apply(C, view, [tx], 2).rejected[tx.tx_id]
    args = full_args()
    apply(C, view, [C.tx(0, **args)], 3)
    apply(C, view, [publish(0, args["sha256"], FACTS)], 4)
    again = publish(0, args["sha256"], FACTS)
    assert "already published" in apply(C, view, [again], 5).rejected[again.tx_id]


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        ({k: v for k, v in FACT.items() if k != "unit"}, "exactly doc, start, end"),
        (FACT | {"extra": 1}, "exactly doc, start, end"),
        (FACT | {"start": 9, "end": 2}, "start 9 is after end 2"),
        (FACT | {"value": True}, "value: expected a string or null"),
        (FACT | {"organisations": "x"}, "organisations: expected a list"),
        (FACT | {"text": 5}, "text: expected a string"),
        (FACT | {"start": -1}, "outside 0..2"),
        ("a fact", "exactly doc"),
    ],
)
def test_malformed_facts_are_refused_at_admission(fact: Any, expected: str) -> None:
    assert expected in admit({"sha256": "ab" * 32, "facts": [fact]}, "publish_facts")


def test_too_many_facts_in_one_call() -> None:
    why = admit({"sha256": "ab" * 32, "facts": [FACT] * (FACTS_MAX + 1)}, "publish_facts")
    assert f"at most {FACTS_MAX} facts per call" in why


def test_redeposit_indexes_the_new_depositor_once() -> None:
    view = DictView()
    args = full_args()
    apply(C, view, [C.tx(0, **args)])
    again = C.tx(1, **args)
    effects = apply(C, view, [again], 1, 2)
    assert {w.key for w in effects.writes} >= {depositor_key("org1", args["sha256"])}
    third = C.tx(1, **(args | {"title": "Copy"}))
    effects = apply(C, view, [third], 2, 3)
    # a re-deposit rewrites the small record only, never the chunk list
    assert not any(w.key.startswith("chunks/") for w in effects.writes)
    assert len(effects.writes[1].encoded or "") < 2000
    assert depositor_key("org1", args["sha256"]) not in {w.key for w in effects.writes}
    # indexes of title and chunks belong to the first anchor only
    assert view.get("evidence", title_prefix("Copy") + args["sha256"]) is None
