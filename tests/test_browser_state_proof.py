"""The browser's state-proof and history verifiers (``state_tree.js``, ``state_proof.js``)
in a real Chromium: they reach the same verdicts as ``ledger.state_proof.verify_state``
and ``ledger.history_proof.verify_history``, word for word.

Documents are real: the worked example of ``tests/vectors/state_proof_example.json``,
and a fresh chain whose blocks the contracts ran (``seal_executed``): a document
anchored then re-deposited twice, a product commissioned, shipped and received. Every
forgery must be refused by both verifiers with the same message.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.registry import default_registry
from ledger.errors import CanonicalError, StateProofError, StateProofFormatError
from ledger.history_proof import (
    ProvenHistory,
    build_history,
    document_keys,
    document_subject,
    product_key,
    product_subject,
    verify_history,
)
from ledger.model import SignedTransaction, Transaction
from ledger.state_proof import ProvenState, _parse_proof, build_state_proof, verify_state
from ledger.state_tree import state_key, value_hash, verify_membership, verify_non_membership
from ledger.store import Store
from ledger.trust import Trust
from nodes.proven import product_history
from nodes.runtime.apply import seal_executed
from tests.conftest import Consortium, make_consortium

pytest_plugins = ["tests.browser"]  # the Chromium fixtures: chromium, verifier_page...

VECTOR = json.loads(
    (Path(__file__).parent / "vectors" / "state_proof_example.json").read_text(encoding="utf-8")
)
LOT = "urn:epc:id:sgtin:4012345.011111.1001"
DOC = "d4" * 32
ABSENT = "c3" * 32

# Verify each case ({kind, doc, trust, minHeight}) in the page; report what it proves,
# or the message and whether it is a format error.
VERIFY = """async (v, cases) => {
  const sp = await import("/js/state_proof.js");
  const out = [];
  for (const { kind, doc, trust, minHeight } of cases) {
    const verify = kind === "history" ? sp.verifyHistory : sp.verifyState;
    try {
      out.push({ ok: await verify(doc, trust, { minHeight }) });
    } catch (e) {
      if (!(e instanceof sp.StateProofError)) throw e;
      out.push({ message: e.message, format: e instanceof sp.StateProofFormatError });
    }
  }
  return out;
}"""


@dataclass
class Chain:
    """A store with three executed blocks, and what the tests prove from it."""

    store: Store
    consortium: Consortium
    trust: Trust
    redeposits: list[str]

    def state(self, keys: list[tuple[str, str]], height: int | None = None) -> dict[str, Any]:
        return build_state_proof(*self.store.prove_state(keys, height))

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [
            ("evidence", f"doc/{DOC}"),
            ("evidence", f"doc/{ABSENT}"),
            ("traceability", product_key(LOT)),
        ]

    def product(self, product_id: str = LOT) -> dict[str, Any]:
        return product_history(self.store, product_id)  # what a node serves

    def document(self, sha: str = DOC, redeposits: list[str] | None = None) -> dict[str, Any]:
        record = self.store.state("evidence", f"doc/{sha}")
        tx_ids = self.redeposits if redeposits is None else redeposits
        keys = document_keys(sha, record, tx_ids if record else [])
        return build_history(*self.store.prove_state(keys), document_subject(sha))


def _tx(c: Consortium, member: int, contract: str, action: str, args: dict[str, Any]) -> Any:
    key = c.members[member]
    return Transaction.new(key, c.chain_id, contract, action, args).sign(key)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Block 1 anchors DOC and commissions LOT (org0); block 2 re-deposits DOC (org1)
    and ships LOT to org1; block 3 re-deposits DOC again (org0) and org1 receives LOT."""
    c = make_consortium(3)
    store = Store.create(str(tmp_path_factory.mktemp("state") / "s.sqlite"), c.genesis)
    registry = default_registry(c.genesis)
    anchor = {"sha256": DOC, "size": 5, "title": "Zertifikat «Ünïcødé» \u2028 ✓"}
    blocks: list[list[SignedTransaction]] = [
        [
            _tx(c, 0, "evidence", "anchor", anchor),
            _tx(c, 0, "traceability", "commission", {"ids": [LOT]}),
        ],
        [
            _tx(c, 1, "evidence", "anchor", anchor),
            _tx(c, 0, "traceability", "ship", {"ids": [LOT], "receiver": "org1"}),
        ],
        [
            _tx(c, 0, "evidence", "anchor", anchor),
            _tx(c, 1, "traceability", "receive", {"ids": [LOT]}),
        ],
    ]
    try:
        for txs in blocks:
            seal_executed(store, registry, txs, c.validator_keys)
        record = store.state("evidence", f"doc/{DOC}")
        product = store.state("traceability", product_key(LOT))
        assert record is not None and record["redeposits"] == 2, record
        assert product is not None and product["events"] == 3, product
        yield Chain(
            store, c, Trust.from_genesis(c.genesis), [blocks[1][0].tx_id, blocks[2][0].tx_id]
        )
    finally:
        store.close()


def _state_dict(s: ProvenState) -> dict[str, Any]:
    return {
        "chain_id": s.chain_id,
        "height": s.height,
        "block_hash": s.block_hash,
        "time": s.time,
        "state_root": s.state_root,
        "entries": [{"contract": e.contract, "key": e.key, "value": e.value} for e in s.entries],
        "checkpoint_signers": list(s.checkpoint_signers),
        "certificate_signers": list(s.certificate_signers),
    }


def _history_dict(h: ProvenHistory) -> dict[str, Any]:
    return {
        "state": _state_dict(h.state),
        "kind": h.kind,
        "subject": h.subject,
        "record": h.record,
        "events": list(h.events),
        "redeposits": list(h.redeposits),
        "facts": h.facts,
    }


def _python(kind: str, doc: Any, trust: Trust, min_height: int | None = None) -> dict[str, Any]:
    try:
        if kind == "history":
            return {"ok": _history_dict(verify_history(doc, trust, min_height=min_height))}
        return {"ok": _state_dict(verify_state(doc, trust, min_height=min_height))}
    except StateProofError as exc:
        return {"message": str(exc), "format": isinstance(exc, StateProofFormatError)}


Case = tuple[str, Any, Trust, int | None]


def _both(page: Any, cases: list[Case]) -> tuple[list[Any], list[Any]]:
    """What the browser and Python say of each case ``(kind, doc, trust, min_height)``."""
    sent = [{"kind": k, "doc": d, "trust": t.to_dict(), "minHeight": m} for k, d, t, m in cases]
    got = page.run(VERIFY, sent)
    want = [_python(k, d, t, m) for k, d, t, m in cases]
    return got, want


# --- state_tree.js ----------------------------------------------------------------------


def test_state_keys_and_value_hashes_match_python(verifier_page):
    leaves = VECTOR["leaves"]
    got = verifier_page.run(
        """async (v, leaves) => {
          const t = await import("/js/state_tree.js");
          const out = [];
          for (const [contract, key, value] of leaves) {
            out.push([v.toHex(await t.stateKey(contract, key)), v.toHex(await t.valueHash(value))]);
          }
          return out;
        }""",
        leaves,
    )
    assert got == [[state_key(c, k).hex(), value_hash(v).hex()] for c, k, v in leaves]


TRICKY = [
    ("evidence", "doc/Ünïcødé 日本語 😀 \ue000"),
    ('trace"ability', "product/\"quoted\" 'single'"),
    ("back\\slash", "a\\b\\\\c\\u0041"),
    ("ctl", "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x9f"),
    ("sep", "line\u2028para\u2029end"),
    ("", ""),
    ("bom", "\ufeffx\u200b\U0010ffff"),
]


def test_state_key_of_tricky_strings_matches_python(verifier_page):
    got = verifier_page.run(
        """async (v, pairs) => {
          const t = await import("/js/state_tree.js");
          const out = [];
          for (const [contract, key] of pairs) out.push(v.toHex(await t.stateKey(contract, key)));
          let lone;
          try {
            await t.stateKey("evidence", "x" + String.fromCharCode(0xd800));
            lone = "accepted";
          } catch (e) {
            lone = e instanceof v.errors.CanonicalError ? "refused" : String(e);
          }
          return { keys: out, lone };
        }""",
        [list(p) for p in TRICKY],
    )
    assert got["keys"] == [state_key(c, k).hex() for c, k in TRICKY]
    with pytest.raises(CanonicalError):
        state_key("evidence", "x\ud800")
    assert got["lone"] == "refused"


def test_state_tree_verifiers_throw_python_s_messages(verifier_page):
    """``verifyMembership`` / ``verifyNonMembership`` called directly on the example's
    proofs: the genuine ones pass, the wrong ones throw the Python messages."""
    doc = VECTOR["proof"]
    root = VECTOR["state_root"]
    cases = [
        [e["contract"], e["key"], e["value"], e["proof"], absent]
        for e in doc["entries"]
        for absent in (False, True)
    ]
    got = verifier_page.run(
        """async (v, { root, cases }) => {
          const t = await import("/js/state_tree.js");
          const sp = await import("/js/state_proof.js");
          const out = [];
          for (const [contract, key, value, proofJson, absent] of cases) {
            const proof = sp.decodeStateProof(proofJson);
            const path = await t.stateKey(contract, key);
            try {
              if (absent) await t.verifyNonMembership(v.fromHex(root), path, proof);
              else {
                const vh = await t.valueHash(value ?? "something");
                await t.verifyMembership(v.fromHex(root), path, vh, proof);
              }
              out.push("ok");
            } catch (e) {
              if (!(e instanceof t.StateProofError)) throw e;
              out.push(e.message);
            }
          }
          return out;
        }""",
        {"root": root, "cases": cases},
    )
    want = []
    for contract, key, value, proof_json, absent in cases:
        proof = _parse_proof(proof_json, "proof")
        path = state_key(contract, key)
        try:
            if absent:
                verify_non_membership(bytes.fromhex(root), path, proof)
            else:
                vh = value_hash("something" if value is None else value)
                verify_membership(bytes.fromhex(root), path, vh, proof)
            want.append("ok")
        except StateProofError as exc:
            want.append(str(exc))
    assert got == want
    assert want.count("ok") == 3 and len(set(want)) >= 3, want


# --- same results -----------------------------------------------------------------------


def test_the_example_verifies_as_in_python(verifier_page):
    trust = Trust.from_dict(VECTOR["trust"])
    got, want = _both(verifier_page, [("state", VECTOR["proof"], trust, None)])
    assert got == want and "ok" in want[0]
    proven = VECTOR["proven"]
    ok = got[0]["ok"]
    assert (ok["height"], ok["block_hash"]) == (proven["height"], proven["block_hash"])
    assert [[e["contract"], e["key"], e["value"]] for e in ok["entries"]] == proven["entries"]
    assert ok["state_root"] == VECTOR["state_root"]


def test_membership_non_membership_and_histories_verify_as_in_python(verifier_page, chain):
    cases: list[Case] = [
        ("state", chain.state(chain.keys), chain.trust, None),
        ("state", chain.state(chain.keys, 1), chain.trust, 1),
        ("state", chain.state([("evidence", f"doc/{ABSENT}")]), chain.trust, None),
        ("history", chain.product(), chain.trust, 3),
        ("history", chain.product("urn:epc:id:sgtin:4012345.011111.9"), chain.trust, None),
        ("history", chain.document(), chain.trust, None),
        ("history", chain.document(ABSENT), chain.trust, None),
    ]
    got, want = _both(verifier_page, cases)
    assert all("ok" in w for w in want), want
    assert got == want
    state, _, absent, product, never, document, unanchored = (g["ok"] for g in got)
    assert [e["value"] is None for e in state["entries"]] == [False, True, False]
    assert absent["entries"][0]["value"] is None
    assert [e["step"] for e in product["events"]] == ["commission", "ship", "receive"]
    assert product["record"]["custodian"] == "org1" and never["record"] is None
    assert [r["tx_id"] for r in document["redeposits"]] == chain.redeposits
    assert unanchored["record"] is None and document["kind"] == "document"


def test_documents_given_as_json_text_verify(verifier_page, chain):
    doc = chain.state(chain.keys)
    got = verifier_page.run(
        """async (v, { text, trust }) => {
          const sp = await import("/js/state_proof.js");
          return await sp.verifyState(text, trust);
        }""",
        {"text": json.dumps(doc, ensure_ascii=False), "trust": chain.trust.to_dict()},
    )
    assert got == _state_dict(verify_state(doc, chain.trust))


def test_the_step_names_are_exported(verifier_page):
    got = verifier_page.run(
        """async () => {
          const sp = await import("/js/state_proof.js");
          return [sp.STATE_STEPS.map((s) => s.name), sp.HISTORY_STEPS.map((s) => s.name)];
        }"""
    )
    steps = ["format", "chain", "certificate", "checkpoint", "height", "entry"]
    assert got == [steps, [*steps, "history"]]


# --- forgeries --------------------------------------------------------------------------


def _flip(text: str) -> str:
    return ("0" if text[0] != "0" else "1") + text[1:]


def _flip_sibling(doc: dict[str, Any]) -> None:
    siblings = doc["entries"][0]["proof"]["siblings"]
    assert siblings, "the forgery needs a non-empty proof"
    siblings[-1] = _flip(siblings[-1])


def _swap_value(doc: dict[str, Any]) -> None:
    doc["entries"][0]["value"] = doc["entries"][0]["value"] | {"size": 6}


def _present_as_absent(doc: dict[str, Any]) -> None:
    doc["entries"][0]["value"] = None


def _absent_as_present(doc: dict[str, Any]) -> None:
    doc["entries"][1]["value"] = doc["entries"][0]["value"]


def _trim_certificate(doc: dict[str, Any]) -> None:
    doc["certificate"]["signatures"] = doc["certificate"]["signatures"][:1]


def _drop_event(index: int) -> Callable[[dict[str, Any]], None]:
    def drop(doc: dict[str, Any]) -> None:
        del doc["events"][index]

    return drop


def _forged(doc: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


def test_forgeries_are_refused_with_python_s_message(verifier_page, chain):
    state = chain.state(chain.keys)
    other = Trust.from_genesis(make_consortium(3).genesis)
    older = chain.state(chain.keys, 2)
    older["checkpoint"] = state["checkpoint"]  # a genuine checkpoint, of another block
    product, document = chain.product(), chain.document()
    cases: list[Case] = [
        ("state", _forged(state, _flip_sibling), chain.trust, None),
        ("state", _forged(state, _swap_value), chain.trust, None),
        ("state", _forged(state, _present_as_absent), chain.trust, None),
        ("state", _forged(state, _absent_as_present), chain.trust, None),
        ("state", _forged(state, _trim_certificate), chain.trust, None),
        ("state", state, other, None),
        ("state", chain.state(chain.keys, 2), chain.trust, 3),
        ("state", older, chain.trust, None),
        ("history", _forged(product, _drop_event(0)), chain.trust, None),
        ("history", _forged(product, _drop_event(1)), chain.trust, None),
        ("history", _forged(product, _drop_event(2)), chain.trust, None),
        ("history", chain.document(DOC, chain.redeposits[:1]), chain.trust, None),
        ("history", product, chain.trust, 4),
        ("history", product, other, None),
        ("history", _forged(document, _trim_certificate), chain.trust, None),
    ]
    got, want = _both(verifier_page, cases)
    assert all("message" in w for w in want), want
    assert got == want
    messages = [w["message"] for w in want]
    entry = f"entry evidence/doc/{DOC}: "
    assert messages[0] == entry + "the proof does not lead to the root"
    assert messages[1] == entry + "the proven value hash differs from the expected value's"
    assert messages[2] == entry + "the proof shows the key present, not absent"
    assert messages[3].startswith(f"entry evidence/doc/{ABSENT}: the proof ends at ")
    assert messages[4] == "certificate: 1 validator signature(s), quorum is 2"
    assert messages[5].startswith("chain: the header is of chain ")
    assert messages[6].startswith("height: proven as of height 2, older than the height 3")
    assert messages[7] == "checkpoint: checkpoint does not match the block: another block"
    assert "leaves out" in messages[8] and "as the previous event" in messages[9]
    assert messages[10].startswith(f"history: the last event of {LOT} is ")
    assert (
        messages[11] == f"history: the record of {DOC} counts 2 re-deposits, the history proves 1"
    )
    assert messages[12].startswith("height: ") and messages[13].startswith("chain: ")
    assert messages[14].startswith("certificate: ")


def _edit_event(doc: dict[str, Any]) -> None:
    doc["events"][1]["organisation"] = "org9"


def _swap_events(doc: dict[str, Any]) -> None:
    doc["events"][0], doc["events"][1] = doc["events"][1], doc["events"][0]


def _hide_entry(doc: dict[str, Any]) -> None:
    doc["entries"] = doc["entries"][:1]


def _repeat_first_event(doc: dict[str, Any]) -> None:
    doc["events"].append(doc["events"][0])


def _events_on_document(doc: dict[str, Any]) -> None:
    doc["events"] = [{"event_id": "ab" * 32, "previous": {}}]


def test_more_history_forgeries_are_refused_alike(verifier_page, chain):
    product, document = chain.product(), chain.document()
    extra = build_history(
        *chain.store.prove_state(chain.keys), product_subject(LOT), product["events"]
    )
    reversed_entries = copy.deepcopy(extra)
    reversed_entries["entries"].reverse()
    absent_redeposit = chain.document(DOC, [chain.redeposits[0], "00" * 32])
    cases: list[Case] = [
        ("history", _forged(product, _edit_event), chain.trust, None),
        ("history", _forged(product, _swap_events), chain.trust, None),
        ("history", _forged(document, _hide_entry), chain.trust, None),
        ("history", _forged(document, _events_on_document), chain.trust, None),
        ("history", extra, chain.trust, None),
        ("history", reversed_entries, chain.trust, None),
        ("history", absent_redeposit, chain.trust, None),
        ("history", _forged(product, _repeat_first_event), chain.trust, None),
    ]
    got, want = _both(verifier_page, cases)
    assert all(w.get("message", "").startswith("history: ") for w in want), want
    assert got == want


def test_malformed_documents_fail_the_format_step_alike(verifier_page, chain):
    state, product = chain.state(chain.keys), chain.product()

    def upper_sibling(d: dict[str, Any]) -> None:
        d["entries"][0]["proof"]["siblings"][0] = d["entries"][0]["proof"]["siblings"][0].upper()

    changes: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], None]]] = [
        ("state", state, lambda d: d.pop("checkpoint")),
        ("state", state, lambda d: d.update(extra=1)),
        ("state", state, lambda d: d.update(format="provledger-state-proof/v0")),
        ("state", state, lambda d: d.update(format=7)),
        ("state", state, upper_sibling),
        ("state", state, lambda d: d["entries"].append(copy.deepcopy(d["entries"][0]))),
        ("state", state, lambda d: d["entries"][0]["proof"].update(leaf={"key_hash": "00"})),
        ("state", state, lambda d: d.update(checkpoint=None)),
        ("history", product, lambda d: d.update(subject={"kind": "batch", "id": "x"})),
        ("history", product, lambda d: d.update(subject={"kind": "product"})),
        ("history", product, lambda d: d.update(subject={"kind": "document", "sha256": "AB"})),
        ("history", product, lambda d: d.update(events={})),
        ("history", product, lambda d: d["events"].append("event")),
        ("history", product, lambda d: d["events"][0].pop("previous")),
        ("history", product, lambda d: d["events"][0].pop("event_id")),
        ("history", product, lambda d: d.update(format="provledger-state-proof/v1")),
    ]
    cases: list[Case] = [(k, _forged(d, change), chain.trust, None) for k, d, change in changes]
    got, want = _both(verifier_page, cases)
    assert all(w.get("format") is True for w in want), want
    assert got == want
