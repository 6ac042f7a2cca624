"""Histories prove a product's whole event chain, or a document's anchor with all its
re-deposits, as of a certified block; a dropped, added, reordered or edited event, a
count that does not match, or a hidden re-deposit is refused at the ``history`` step."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.errors import StateProofError, StateProofFormatError
from ledger.event_chain import event_hash
from ledger.history_proof import (
    HISTORY_FORMAT,
    build_history,
    document_keys,
    document_subject,
    product_key,
    product_subject,
    verify_history,
    walk_events,
)
from ledger.sealing import seal
from ledger.store import Store
from ledger.store.store import StateWrite
from ledger.trust import Trust
from nodes.proven import product_history
from tests.conftest import Consortium, make_consortium
from tests.test_state_proof import PRODUCT, doc_record, product_record

SHORT = "urn:epc:id:sgtin:9506000.134352.2002"  # its record counts 4 events, its chain has 3
STEPS = ("commissioning", "shipping", "receiving")


def sealed_event(product_id: str, n: int, previous: str | None, tx: Any, height: int) -> dict:
    """Event record ``n`` of ``product_id``, sealed as the traceability contract does."""
    event = {
        "step": STEPS[n % 3],
        "epcis": {"type": "ObjectEvent", "epcList": [product_id], "bizStep": STEPS[n % 3]},
        "organisation": f"org{n % 3}",
        "sender": tx.tx.sender,
        "tx_id": tx.tx_id,
        "height": height,
        "log_index": height - 1,
        "previous": {product_id: previous},
    }
    return event | {"event_id": event_hash(event)}


@dataclass
class History:
    store: Store
    trust: Trust
    doc_a: str
    redeposit_txs: list[str]

    def product(self, product_id: str = PRODUCT) -> dict[str, Any]:
        return product_history(self.store, product_id)  # what a node serves

    def document(self, sha: str, redeposits: list[str] | None = None) -> dict[str, Any]:
        record = self.store.state("evidence", f"doc/{sha}")
        tx_ids = self.redeposit_txs if redeposits is None else redeposits
        keys = document_keys(sha, record, tx_ids if record else [])
        return build_history(*self.store.prove_state(keys), document_subject(sha))


def build(store: Store, c: Consortium) -> History:
    """Three blocks: each adds one event to PRODUCT (and to SHORT, whose record
    miscounts), and anchors doc A then re-deposits it twice and publishes its facts."""
    a = "a1" * 32
    txs = [c.tx(i % 3, sha256=a) for i in range(3)]
    first = doc_record(a, txs[0], "org0", 1)
    last: dict[str, str | None] = {PRODUCT: None, SHORT: None}
    for n, tx in enumerate(txs):
        height = n + 1
        writes = []
        for pid, count in ((PRODUCT, n + 1), (SHORT, n + 2)):
            event = sealed_event(pid, n, last[pid], tx, height)
            last[pid] = event["event_id"]
            record = product_record(id=pid, last_event=event["event_id"], events=count)
            if n == 2:
                record |= {"status": "recalled", "recalled_by": "org2", "custodian": "org2"}
            writes += [
                StateWrite("traceability", f"event/{event['event_id']}", event, n),
                StateWrite("traceability", f"product/{pid}", record, n),
            ]
        if n == 0:
            writes.append(StateWrite("evidence", f"doc/{a}", first, n))
        else:
            again = {"sha256": a, "first_tx_id": txs[0].tx_id, "depositor": f"org{n}"}
            writes.append(
                StateWrite("evidence", f"redeposit/{tx.tx_id}", again | {"tx_id": tx.tx_id}, n)
            )
        if n == 2:
            facts = {
                "sha256": a,
                "extractor": "provledger-facts/v1",
                "facts": [],
                "tx_id": tx.tx_id,
            }
            writes.append(StateWrite("evidence", f"facts/{a}", facts, n))
            writes.append(
                StateWrite(
                    "evidence", f"doc/{a}", first | {"redeposits": 2, "facts_published": True}, n
                )
            )
        elif n == 1:
            writes.append(StateWrite("evidence", f"doc/{a}", first | {"redeposits": 1}, n))
        seal(store, [tx], c.validator_keys, writes=writes)
    return History(store, Trust.from_genesis(c.genesis), a, [t.tx_id for t in txs[1:]])


@pytest.fixture
def history(store: Store, consortium: Consortium) -> History:
    return build(store, consortium)


def refused(doc: Any, trust: Trust, *fragments: str, step: str = "history: ") -> str:
    with pytest.raises(StateProofError) as caught:
        verify_history(doc, trust)
    message = str(caught.value)
    assert message.startswith(step), message
    for fragment in fragments:
        assert fragment in message, message
    return message


# ---- products -----------------------------------------------------------------------


def test_a_products_whole_history_verifies(history: History) -> None:
    doc = history.product()
    assert doc["format"] == HISTORY_FORMAT and len(doc["events"]) == 3
    proven = verify_history(doc, history.trust)
    assert proven.kind == "product" and proven.subject == PRODUCT
    assert proven.record is not None and proven.record["status"] == "recalled"
    assert [e["step"] for e in proven.events] == list(STEPS)
    assert proven.state.height == 3
    assert proven.events[-1]["event_id"] == proven.record["last_event"]


def test_a_product_never_commissioned_is_proven_absent(history: History) -> None:
    proven = verify_history(history.product("urn:epc:id:sgtin:1.2.3"), history.trust)
    assert proven.record is None and proven.events == ()


def test_a_dropped_event_is_refused(history: History) -> None:
    for drop in (0, 1, 2):
        doc = history.product()
        del doc["events"][drop]
        refused(doc, history.trust)
    doc = history.product()
    del doc["events"][1]
    refused(doc, history.trust, "event 2 names", "as the previous event")
    doc = history.product()
    del doc["events"][0]
    refused(doc, history.trust, "leaves out")


def test_an_added_event_is_refused(history: History) -> None:
    doc = history.product()
    # a well-formed event appended after the last: the record names another last event
    fake = sealed_event(PRODUCT, 1, doc["events"][-1]["event_id"], _tx(history), 3)
    doc["events"].append(fake)
    refused(doc, history.trust, "the last event of")
    # a genesis event put before the first one
    doc = history.product()
    doc["events"].insert(0, sealed_event(PRODUCT, 0, None, _tx(history), 1) | {})
    doc["events"][0]["step"] = "inspecting"
    doc["events"][0]["event_id"] = event_hash(doc["events"][0])
    refused(doc, history.trust, "is not in it")
    # an event of another product slipped into the middle
    doc = history.product()
    other = history.product(SHORT)["events"][1]
    doc["events"].insert(1, other)
    refused(doc, history.trust)


def test_a_reordered_chain_is_refused(history: History) -> None:
    doc = history.product()
    doc["events"][0], doc["events"][1] = doc["events"][1], doc["events"][0]
    refused(doc, history.trust)
    doc = history.product()
    doc["events"].reverse()
    refused(doc, history.trust)


def test_a_count_mismatch_is_refused(history: History) -> None:
    doc = history.product(SHORT)
    assert len(doc["events"]) == 3
    refused(doc, history.trust, "counts 4 events", "has 3")


def test_an_edited_event_is_refused(history: History) -> None:
    doc = history.product()
    doc["events"][1]["organisation"] = "org9"
    refused(doc, history.trust, "event 2", "edited")


def test_an_entry_outside_the_history_is_refused(history: History) -> None:
    keys = [("traceability", product_key(PRODUCT)), ("evidence", f"doc/{history.doc_a}")]
    header, cert, note, entries = history.store.prove_state(keys)
    doc = build_history(
        header, cert, note, entries, product_subject(PRODUCT), history.product()["events"]
    )
    refused(doc, history.trust, "not part of the history")
    doc = build_history(header, cert, note, entries[::-1], product_subject(PRODUCT), [])
    refused(doc, history.trust, "the first entry is evidence/")


def test_state_steps_come_first(history: History) -> None:
    other = Trust.from_genesis(make_consortium(3).genesis)
    refused(history.product(), other, step="chain: ")
    doc = history.product()
    doc["entries"][0]["value"]["events"] = 3 if doc["entries"][0]["value"]["events"] != 3 else 2
    refused(doc, history.trust, step=f"entry traceability/product/{PRODUCT}: ")
    with pytest.raises(StateProofError, match=r"^height: "):
        verify_history(history.product(), history.trust, min_height=4)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(subject={"kind": "batch", "id": "x"}),
        lambda d: d.update(subject={"kind": "product"}),
        lambda d: d.update(subject={"kind": "document", "sha256": "AB"}),
        lambda d: d.update(events={}),
        lambda d: d["events"].append("event"),
        lambda d: d["events"][0].pop("previous"),
        lambda d: d.pop("events"),
        lambda d: d.update(format="provledger-state-proof/v1"),
    ],
)
def test_a_malformed_history_fails_the_format_step(history: History, change: Any) -> None:
    doc = history.product()
    change(doc)
    with pytest.raises(StateProofFormatError, match=r"^format: "):
        verify_history(doc, history.trust)


# ---- documents ----------------------------------------------------------------------


def test_a_documents_whole_history_verifies(history: History) -> None:
    proven = verify_history(history.document(history.doc_a), history.trust)
    assert proven.kind == "document" and proven.record is not None
    assert proven.record["depositor"] == "org0" and proven.record["redeposits"] == 2
    assert [r["tx_id"] for r in proven.redeposits] == history.redeposit_txs
    assert proven.facts is not None and proven.facts["extractor"] == "provledger-facts/v1"


def test_a_document_never_anchored_is_proven_absent(history: History) -> None:
    proven = verify_history(history.document("c3" * 32), history.trust)
    assert proven.record is None and proven.state.height == 3


def test_a_hidden_redeposit_is_refused(history: History) -> None:
    doc = history.document(history.doc_a, history.redeposit_txs[:1])
    refused(doc, history.trust, "counts 2 re-deposits", "proves 1")


def test_hidden_facts_are_refused(history: History) -> None:
    doc = history.document(history.doc_a)
    doc["entries"] = doc["entries"][:-1]
    refused(doc, history.trust, "facts published")


def test_a_redeposit_proven_absent_or_of_another_first_anchor_is_refused(history: History) -> None:
    doc = history.document(history.doc_a, [history.redeposit_txs[0], "00" * 32])
    refused(doc, history.trust, "proven absent")
    doc = history.document(history.doc_a, [*history.redeposit_txs, history.redeposit_txs[0]])
    with pytest.raises(StateProofFormatError, match="proven twice"):
        verify_history(doc, history.trust)


def test_an_absent_document_with_entries_is_refused(history: History) -> None:
    keys = [("evidence", f"doc/{'c3' * 32}"), ("evidence", f"redeposit/{history.redeposit_txs[0]}")]
    doc = build_history(*history.store.prove_state(keys), document_subject("c3" * 32))
    refused(doc, history.trust, "never anchored")


def test_a_document_history_with_events_is_refused(history: History) -> None:
    doc = history.document(history.doc_a)
    doc["events"] = history.product()["events"][:1]
    refused(doc, history.trust, "lists no events")


def _tx(history: History) -> Any:
    return history.store.block(1).transactions[0]


def test_walk_events_stops_on_a_missing_event(history: History) -> None:
    record = copy.deepcopy(history.store.state("traceability", product_key(PRODUCT)))
    with pytest.raises(StateProofError, match="missing"):
        walk_events(PRODUCT, record, lambda event_id: None)
