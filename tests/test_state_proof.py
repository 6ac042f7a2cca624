"""State proofs verify offline with trust.json alone, for present and absent keys, and
every forgery is refused at the step it breaks."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import StateProofError, StateProofFormatError
from ledger.keys import SigningKey
from ledger.model import (
    BlockHeader,
    Genesis,
    Organisation,
    SignedTransaction,
    Transaction,
    Validator,
)
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.sealing import seal
from ledger.state_proof import STATE_PROOF_FORMAT, build_state_proof, verify_state
from ledger.state_tree import root_of, state_key, value_hash
from ledger.store import Store
from ledger.store.store import StateWrite
from ledger.trust import Trust
from tests.conftest import Consortium, make_consortium

VECTOR = Path(__file__).parent / "vectors" / "state_proof_example.json"
PRODUCT = "urn:epc:id:sgtin:9506000.134352.1001"


def doc_record(sha: str, tx: SignedTransaction, org: str, height: int, **changes: Any) -> dict:
    """An evidence ``doc/<sha>`` record as the evidence contract writes it."""
    record = {
        "sha256": sha,
        "size": 48213,
        "title": "Certificate of analysis, lot 2026-117",
        "media_type": "application/pdf",
        "extractor": None,
        "facts_root": None,
        "facts_count": None,
        "chunks_root": None,
        "chunks_count": 0,
        "depositor": org,
        "sender": tx.tx.sender,
        "tx_id": tx.tx_id,
        "log_index": 0,
        "height": height,
        "time": "2026-03-02T09:15:00Z",
        "redeposits": 0,
        "facts_published": False,
    }
    return record | changes


def product_record(**changes: Any) -> dict:
    """A traceability ``product/<id>`` record as the traceability contract writes it."""
    record = {
        "id": PRODUCT,
        "producer": "org0",
        "owner": "org0",
        "custodian": "org1",
        "status": "in_transit",
        "receiver": "org2",
        "parent": None,
        "children": [],
        "inputs": [],
        "outputs": [],
        "recalled_by": None,
        "last_event": "ab" * 32,
        "events": 2,
    }
    return record | changes


@dataclass
class Chain:
    """A store with three blocks of realistic state, and what was written."""

    store: Store
    trust: Trust
    consortium: Consortium
    doc_a: str
    doc_b: str
    absent: str
    txs: list[SignedTransaction]

    def proof(self, keys: list[tuple[str, str]], height: int | None = None) -> dict[str, Any]:
        return build_state_proof(*self.store.prove_state(keys, height))

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [
            ("evidence", f"doc/{self.doc_a}"),
            ("evidence", f"doc/{self.absent}"),
            ("traceability", f"product/{PRODUCT}"),
        ]


def build_chain(store: Store, consortium: Consortium) -> Chain:
    """Block 1 anchors doc A and commissions a product; block 2 re-deposits A and anchors
    B; block 3 publishes A's facts and ships the product."""
    c = consortium
    a, b, absent = (bytes([n]) * 32 for n in (0xA1, 0xB2, 0xC3))
    a, b, absent = a.hex(), b.hex(), absent.hex()
    txs = [c.tx(i % 3, sha256=a) for i in range(4)]
    first = doc_record(a, txs[0], "org0", 1)
    seal(
        store,
        txs[:1],
        c.validator_keys,
        writes=[
            StateWrite("evidence", f"doc/{a}", first, 0),
            StateWrite("traceability", f"product/{PRODUCT}", product_record(), 0),
        ],
    )
    again = {"sha256": a, "first_tx_id": txs[0].tx_id, "depositor": "org1", "tx_id": txs[1].tx_id}
    seal(
        store,
        txs[1:3],
        c.validator_keys,
        writes=[
            StateWrite("evidence", f"redeposit/{txs[1].tx_id}", again, 1),
            StateWrite("evidence", f"doc/{a}", first | {"redeposits": 1}, 1),
            StateWrite("evidence", f"doc/{b}", doc_record(b, txs[2], "org2", 2), 2),
        ],
    )
    facts = {"sha256": a, "extractor": "provledger-facts/v1", "facts": [], "tx_id": txs[3].tx_id}
    shipped = product_record(status="recalled", recalled_by="org2", events=3)
    seal(
        store,
        txs[3:],
        c.validator_keys[1:],
        writes=[
            StateWrite("evidence", f"facts/{a}", facts, 3),
            StateWrite(
                "evidence", f"doc/{a}", first | {"redeposits": 1, "facts_published": True}, 3
            ),
            StateWrite("traceability", f"product/{PRODUCT}", shipped, 3),
        ],
    )
    return Chain(store, Trust.from_genesis(c.genesis), c, a, b, absent, txs)


@pytest.fixture
def chain(store: Store, consortium: Consortium) -> Chain:
    return build_chain(store, consortium)


def refused(doc: Any, trust: Trust, step: str, **kw: Any) -> str:
    with pytest.raises(StateProofError) as caught:
        verify_state(doc, trust, **kw)
    message = str(caught.value)
    assert message.startswith(step), message
    return message


# ---- valid proofs -------------------------------------------------------------------


def test_present_and_absent_keys_verify(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    assert json.loads(json.dumps(doc)) == doc and doc["format"] == STATE_PROOF_FORMAT
    proven = verify_state(doc, chain.trust)
    assert proven.height == 3 and proven.chain_id == chain.trust.chain_id
    assert proven.block_hash == chain.store.header(3).block_hash
    assert proven.time == chain.store.header(3).time
    a = proven.value("evidence", f"doc/{chain.doc_a}")
    assert a["redeposits"] == 1 and a["facts_published"] is True
    assert proven.value("evidence", f"doc/{chain.absent}") is None
    assert proven.value("traceability", f"product/{PRODUCT}")["status"] == "recalled"
    assert [e.key for e in proven.entries] == [k for _, k in chain.keys]
    assert set(proven.certificate_signers) == {"org1-node", "org2-node"}
    assert set(proven.checkpoint_signers) == {"org1-node", "org2-node"}
    with pytest.raises(KeyError):
        proven.value("evidence", "doc/none")


def test_an_older_block_proves_the_state_then(chain: Chain) -> None:
    proven = verify_state(chain.proof(chain.keys, height=1), chain.trust)
    assert proven.height == 1
    assert proven.value("evidence", f"doc/{chain.doc_a}")["redeposits"] == 0
    assert proven.value("traceability", f"product/{PRODUCT}")["status"] == "in_transit"
    verify_state(chain.proof(chain.keys), chain.trust, min_height=3)


def test_every_proof_has_siblings_to_forge(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    assert all(e["proof"]["siblings"] for e in doc["entries"])
    absent = doc["entries"][1]["proof"]
    assert (
        absent["leaf"] is None
        or absent["leaf"]["key_hash"] != state_key("evidence", f"doc/{chain.absent}").hex()
    )


# ---- refusals -----------------------------------------------------------------------


def _flip(hex_text: str, at: int = 0) -> str:
    return hex_text[:at] + ("1" if hex_text[at] == "0" else "0") + hex_text[at + 1 :]


def test_a_flipped_sibling_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    for n in range(len(doc["entries"])):
        forged = copy.deepcopy(doc)
        siblings = forged["entries"][n]["proof"]["siblings"]
        siblings[-1] = _flip(siblings[-1], 7)
        entry = forged["entries"][n]
        message = refused(forged, chain.trust, f"entry {entry['contract']}/{entry['key']}:")
        assert "does not lead to the root" in message


def test_every_forged_proof_hash_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    for n, entry in enumerate(doc["entries"]):
        proof = entry["proof"]
        texts = [("siblings", i) for i in range(len(proof["siblings"]))]
        texts += [("leaf", k) for k in ("key_hash", "value_hash")] if proof["leaf"] else []
        for where, which in texts:
            for at in (0, 33, 63):
                forged = copy.deepcopy(doc)
                holder = forged["entries"][n]["proof"][where]
                holder[which] = _flip(holder[which], at)
                refused(forged, chain.trust, f"entry {entry['contract']}/")


def test_a_value_swapped_with_another_keys_value_is_refused(chain: Chain) -> None:
    doc = chain.proof([*chain.keys, ("evidence", f"doc/{chain.doc_b}")])
    doc["entries"][0]["value"], doc["entries"][3]["value"] = (
        doc["entries"][3]["value"],
        doc["entries"][0]["value"],
    )
    message = refused(doc, chain.trust, f"entry evidence/doc/{chain.doc_a}:")
    assert "value hash differs" in message
    edited = chain.proof(chain.keys)
    edited["entries"][2]["value"]["status"] = "active"  # un-recall the product
    refused(edited, chain.trust, f"entry traceability/product/{PRODUCT}:")


def test_a_membership_proof_passed_off_as_non_membership_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    doc["entries"][0]["value"] = None
    message = refused(doc, chain.trust, f"entry evidence/doc/{chain.doc_a}:")
    assert "present, not absent" in message


def test_a_non_membership_proof_passed_off_as_membership_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    doc["entries"][1]["value"] = doc["entries"][0]["value"]
    message = refused(doc, chain.trust, f"entry evidence/doc/{chain.absent}:")
    assert "the key is absent" in message
    # ... nor by moving a present key's proof onto the absent key
    moved = chain.proof(chain.keys)
    moved["entries"][1]["proof"] = moved["entries"][0]["proof"]
    moved["entries"][1]["value"] = moved["entries"][0]["value"]
    refused(moved, chain.trust, f"entry evidence/doc/{chain.absent}:")


def test_an_uncertified_header_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    few = copy.deepcopy(doc)
    few["certificate"]["signatures"] = few["certificate"]["signatures"][:1]
    refused(few, chain.trust, "certificate:")
    forged = copy.deepcopy(doc)
    signature = forged["certificate"]["signatures"][0]
    signature["signature"] = _flip(signature["signature"], 10)
    refused(forged, chain.trust, "certificate:")
    # a header stating another state root (the previous block's) has no certificate
    rooted = copy.deepcopy(doc)
    rooted["header"]["state_root"] = chain.store.header(2).state_root
    refused(rooted, chain.trust, "certificate:")


def test_a_header_signed_by_outsiders_is_refused(chain: Chain) -> None:
    """Outsiders state another state root for this chain's block and sign it with their
    own keys: their precommits are not the validators'."""
    outsiders = make_consortium(3)
    doc = chain.proof(chain.keys)
    header = BlockHeader.from_dict(doc["header"] | {"state_root": "ee" * 32})
    votes = [
        Vote.signed(key, header.chain_id, header.height, 0, VoteType.PRECOMMIT, header.block_hash)
        for _, key in outsiders.validator_keys
    ]
    doc["header"] = header.to_dict()
    doc["certificate"] = CommitCertificate.from_votes(votes).to_dict()
    refused(doc, chain.trust, "certificate:")


def test_an_older_root_is_refused_when_a_newer_is_asked_for(chain: Chain) -> None:
    old = chain.proof(chain.keys, height=2)
    message = refused(old, chain.trust, "height:", min_height=3)
    assert message == "height: proven as of height 2, older than the height 3 you asked for"
    assert verify_state(old, chain.trust, min_height=2).height == 2


def test_a_root_from_another_chain_is_refused(chain: Chain) -> None:
    other = Trust.from_genesis(make_consortium(3).genesis)
    message = refused(chain.proof(chain.keys), other, "chain:")
    assert "not of test-chain" in message


def test_a_checkpoint_for_another_block_is_refused(chain: Chain) -> None:
    doc = chain.proof(chain.keys)
    doc["checkpoint"] = chain.store.checkpoint(2)
    message = refused(doc, chain.trust, "checkpoint:")
    assert "another block" in message
    # a checkpoint naming this block but signed by too few validators
    header = chain.store.header(3)
    one = sign_checkpoint(
        Checkpoint(
            header.chain_id, header.log_size, bytes.fromhex(header.log_root), 3, header.block_hash
        ),
        chain.consortium.validator_keys[:1],
    )
    doc["checkpoint"] = one
    refused(doc, chain.trust, "checkpoint:")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("header"),
        lambda d: d.update(extra=1),
        lambda d: d.update(format="provledger-receipt/v1"),
        lambda d: d.update(entries={}),
        lambda d: d.update(checkpoint=7),
        lambda d: d["entries"][0].pop("value"),
        lambda d: d["entries"][0].update(key=3),
        lambda d: d["entries"][0]["proof"].update(siblings=["zz"]),
        lambda d: d["entries"][0]["proof"].update(leaf={"key_hash": "00"}),
        lambda d: d["entries"][0]["proof"]["siblings"].__setitem__(0, "A" * 64),
        lambda d: d["entries"][0].update(value=1.5),
        lambda d: d["entries"].append(d["entries"][0]),
        lambda d: d["header"].update(height="3"),
    ],
)
def test_a_malformed_document_fails_the_format_step(chain: Chain, change: Any) -> None:
    doc = chain.proof(chain.keys)
    change(doc)
    with pytest.raises(StateProofFormatError, match=r"^format: "):
        verify_state(doc, chain.trust)


def test_not_an_object_fails_the_format_step(chain: Chain) -> None:
    for doc in (None, [], "x"):
        with pytest.raises(StateProofFormatError, match=r"^format: "):
            verify_state(doc, chain.trust)


# ---- the worked example (tests/vectors/state_proof_example.json) ---------------------


def example() -> dict[str, Any]:
    """A deterministic small chain and a proof of two present keys and one absent key:
    fixed keys, times and nonces, so every byte (Ed25519 signatures included) repeats."""
    members = [SigningKey.from_seed(bytes([0x10 + i]) * 32) for i in range(3)]
    nodes = [SigningKey.from_seed(bytes([0x20 + i]) * 32) for i in range(3)]
    roles = [("producer", "processor"), ("notary", "carrier"), ("regulator",)]
    genesis = Genesis(
        "example-chain",
        "2026-01-01T00:00:00Z",
        tuple(Organisation(f"org{i}", roles[i], (members[i].public,)) for i in range(3)),
        tuple(Validator(f"org{i}-node", f"org{i}", nodes[i].public) for i in range(3)),
    )
    validators = [(f"org{i}-node", nodes[i]) for i in range(3)]
    a, absent = "a1" * 32, "c3" * 32
    tx = Transaction(
        chain_id=genesis.chain_id,
        contract="evidence",
        action="anchor",
        args={"sha256": a, "size": 48213},
        sender=members[0].key_id,
        nonce="00" * 16,
        created_at="2026-01-01T00:01:00Z",
    ).sign(members[0])
    record = doc_record(a, tx, "org0", 1) | {"time": "2026-01-01T00:01:00Z"}
    product = product_record(status="active", custodian="org0", receiver=None, events=1)
    leaves = [
        ["evidence", f"doc/{a}", record],
        ["evidence", f"depositor/org0/{a}", {"sha256": a, "tx_id": tx.tx_id, "height": 1}],
        ["traceability", f"product/{PRODUCT}", product],
    ]
    with tempfile.TemporaryDirectory() as folder:
        store = Store.create(str(Path(folder) / "example.sqlite"), genesis)
        try:
            seal(
                store,
                [tx],
                validators,
                time="2026-01-01T00:01:05Z",
                writes=[StateWrite(c, k, v, 0) for c, k, v in leaves],
            )
            keys = [("evidence", f"doc/{a}"), ("evidence", f"doc/{absent}"), tuple(leaves[2][:2])]
            proof = build_state_proof(*store.prove_state(keys))
        finally:
            store.close()
    root = root_of({state_key(c, k): value_hash(v) for c, k, v in leaves}).hex()
    return {
        "about": (
            "A worked provledger-state-proof/v1 example. 'leaves' is the whole state after "
            "block 1 and 'state_root' its root (ledger/state_tree.py rules); 'proof' proves "
            "two present keys and one absent key (value null) against trust; 'proven' is "
            "what verify_state returns. Keys, times and nonces are fixed, so every byte "
            "repeats (Ed25519 signatures are deterministic)."
        ),
        "trust": Trust.from_genesis(genesis).to_dict(),
        "leaves": leaves,
        "state_root": root,
        "proof": proof,
        "proven": {
            "height": 1,
            "block_hash": BlockHeader.from_dict(proof["header"]).block_hash,
            "entries": [[c, k, v] for (c, k), v in zip(keys, [record, None, product], strict=True)],
        },
    }


def test_the_worked_example_verifies() -> None:
    vector = json.loads(VECTOR.read_text(encoding="utf-8"))
    trust = Trust.from_dict(vector["trust"])
    proven = verify_state(vector["proof"], trust)
    leaves = {state_key(c, k): value_hash(v) for c, k, v in vector["leaves"]}
    assert root_of(leaves).hex() == vector["state_root"] == proven.state_root
    assert proven.height == vector["proven"]["height"]
    assert proven.block_hash == vector["proven"]["block_hash"]
    assert [list(e) for e in proven.entries] == vector["proven"]["entries"]
    forged = copy.deepcopy(vector["proof"])
    forged["entries"][1]["value"] = {"depositor": "org0"}
    with pytest.raises(StateProofError, match=r"^entry evidence/doc/"):
        verify_state(forged, trust)


def test_the_worked_example_is_reproduced_byte_for_byte() -> None:
    """Rebuilt from its fixed keys, the example is the stored file (set
    PROVLEDGER_WRITE_VECTORS=1 to rewrite it after a deliberate format change)."""
    text = json.dumps(example(), indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("PROVLEDGER_WRITE_VECTORS"):
        VECTOR.write_text(text, encoding="utf-8")
    assert VECTOR.read_text(encoding="utf-8") == text
