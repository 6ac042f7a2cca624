"""Receipts verify offline with trust.json alone, and no forged byte survives; a receipt
proves what its transaction did (its committed result)."""

from __future__ import annotations

import hashlib
import json
import string
import subprocess
import sys
import textwrap

import pytest

from contracts.registry import default_registry
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import ReceiptError
from ledger.keys import SigningKey
from ledger.model import SignedTransaction, Transaction
from ledger.receipt import verify_receipt
from ledger.sealing import seal
from ledger.store import Store
from ledger.tlog_proof import TlogProof
from ledger.trust import Trust
from nodes.cli.verdict import FIRST_ANCHOR, REDEPOSIT, anchor_kind, outcome
from nodes.runtime.apply import seal_executed
from tests.conftest import make_consortium


@pytest.fixture
def setup(tmp_path, consortium):
    store = Store.create(str(tmp_path / "r.sqlite"), consortium.genesis)
    txs = [consortium.tx(i % 3) for i in range(7)]
    seal(store, txs[:3], consortium.validator_keys)
    seal(store, txs[3:], consortium.validator_keys[1:])
    yield store, txs, Trust.from_genesis(consortium.genesis)
    store.close()


def test_valid_receipt_says_who_when_and_which_validators(setup, consortium):
    store, txs, trust = setup
    v = verify_receipt(store.receipt(txs[4].tx_id), trust)
    assert (v.index, v.height, v.organisation) == (4, 2, "org1")
    assert v.time == store.header(2).time
    assert set(v.certificate_signers) == {"org1-node", "org2-node"}
    assert set(v.checkpoint_signers) == {"org1-node", "org2-node"}
    assert v.entry == txs[4]


def test_trust_json_round_trip_and_checks(consortium, tmp_path):
    trust = Trust.from_genesis(consortium.genesis)
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(trust.to_dict()))
    loaded = Trust.load(path)
    assert loaded.chain_id == trust.chain_id
    assert dict(loaded.validators.keys) == dict(trust.validators.keys)
    bad = trust.to_dict()
    bad["validators"][0]["note_key"] = bad["validators"][1]["note_key"]
    path.write_text(json.dumps(bad))
    with pytest.raises(Exception, match="note_key does not match"):
        Trust.load(path)
    bad = trust.to_dict() | {"quorum": 1}
    path.write_text(json.dumps(bad))
    with pytest.raises(Exception, match="quorum 1 is outside"):
        Trust.load(path)
    path.write_text("{not json")
    with pytest.raises(Exception, match="not JSON"):
        Trust.load(path)


B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"


def _mutations(text: str):
    """Every single-character change that flips the lowest bit of the character's
    base64 value: a hex digit stays a hex digit, a digit a digit, and in base64 it
    reaches the padding bits that a lenient decoder would ignore."""
    swaps = {c: B64[i ^ 1] for i, c in enumerate(B64)} | {"=": "A"}
    for i, c in enumerate(text):
        if c in swaps:
            yield i, text[:i] + swaps[c] + text[i + 1 :]


def _survivors(text: str, trust: Trust) -> tuple[int, list[tuple[int, object]]]:
    """Single-character forgeries of a receipt's JSON text that still verify."""
    tried, survivors = 0, []
    for i, forged in _mutations(text):
        tried += 1
        try:
            data = json.loads(forged)
        except json.JSONDecodeError:
            continue
        try:
            survivors.append((i, verify_receipt(data, trust)))
        except ReceiptError:
            continue
    return tried, survivors


def test_no_single_forged_character_verifies(setup):
    """A receipt whose checkpoint carries exactly a quorum of signatures (2 of 3)."""
    store, txs, trust = setup
    text = json.dumps(store.receipt(txs[5].tx_id), sort_keys=True)
    verify_receipt(json.loads(text), trust)
    tried, survivors = _survivors(text, trust)
    assert tried > 2000
    assert survivors == []


def test_forgeries_of_a_fully_cosigned_receipt(setup):
    """With all three validators cosigning, changing one signature line's key identity
    (its name or 4-byte key id) turns it into an unknown key's signature, which C2SP
    verifiers must ignore: the receipt still proves the same facts with two cosigners.
    Nothing else survives."""
    store, txs, trust = setup
    text = json.dumps(store.receipt(txs[1].tx_id), sort_keys=True)
    assert len(verify_receipt(json.loads(text), trust).checkpoint_signers) == 3
    tried, survivors = _survivors(text, trust)
    assert tried > 2000
    for i, result in survivors:
        line_start = text.rfind("\\n", 0, i) + 2
        prefix = "\\u2014 "  # a signature line: em dash (escaped in JSON), space, name
        assert text.startswith(prefix + "org", line_start), text[line_start : i + 5]
        name_start = line_start + len(prefix)
        key_id_end = text.find(" ", name_start) + 1 + 6  # 4 key-id bytes: 6 base64 chars
        assert name_start <= i < key_id_end  # the change is in the name or key id
        assert len(result.checkpoint_signers) == 2
        assert result.entry == txs[1] and result.index == 1


def test_an_extra_line_is_refused(setup):
    store, txs, trust = setup
    receipt = store.receipt(txs[0].tx_id)
    proof = TlogProof.parse(receipt["proof"])
    receipt["proof"] = TlogProof(proof.index, proof.proof, proof.checkpoint, b"hi").text()
    with pytest.raises(ReceiptError, match="extra"):
        verify_receipt(receipt, trust)


def test_targeted_forgeries_fail_at_the_right_check(setup, consortium):
    store, txs, trust = setup
    good = store.receipt(txs[1].tx_id)

    def fails(change, match):
        forged = json.loads(json.dumps(good))
        change(forged)
        with pytest.raises(ReceiptError, match=match):
            verify_receipt(forged, trust)

    other = store.receipt(txs[5].tx_id)
    fails(lambda r: r.update(header=other["header"]), "header")
    fails(lambda r: r.update(certificate=other["certificate"]), "certificate")
    fails(lambda r: r.update(entry=other["entry"]), "tx_id")
    fails(lambda r: r.update(entry=other["entry"], tx_id=other["tx_id"]), "inclusion proof")
    fails(lambda r: r.pop("certificate"), "missing field")
    fails(lambda r: r.update(format="provledger-receipt/v0"), "format")
    fails(lambda r: r.update(proof=r["proof"].replace("index 1", "index 2")), "inclusion")
    cert = good["certificate"]
    fails(lambda r: r["certificate"].update(signatures=cert["signatures"][:1]), "quorum is 2")
    # another chain's trust: nothing checks
    with pytest.raises(ReceiptError, match="checkpoint"):
        verify_receipt(good, Trust.from_genesis(make_consortium().genesis))


def test_a_non_member_entry_is_refused_even_if_committed(tmp_path, consortium):
    """Validators who certify a stranger's transaction do not make it a member's."""
    store = Store.create(str(tmp_path / "x.sqlite"), consortium.genesis)
    stranger = SigningKey.generate()
    tx = Transaction.new(stranger, consortium.chain_id, "evidence", "anchor", {}).sign(stranger)
    seal(store, [tx], consortium.validator_keys)
    with pytest.raises(ReceiptError, match="not a member key"):
        verify_receipt(store.receipt(tx.tx_id), Trust.from_genesis(consortium.genesis))
    store.close()


def test_a_checkpoint_of_a_later_block_does_not_date_an_earlier_entry(setup, consortium):
    store, txs, trust = setup
    receipt = store.receipt(txs[0].tx_id)
    head = store.header(2)
    later = TlogProof(0, tuple(store.inclusion_proof(0, head.log_size)), store.checkpoint(2))
    receipt.update(
        proof=later.text(), header=head.to_dict(), certificate=store.certificate(2).to_dict()
    )
    with pytest.raises(ReceiptError, match="not in the block"):
        verify_receipt(receipt, trust)


def test_checkpoint_signed_by_too_few_validators_is_refused(setup, consortium):
    store, txs, trust = setup
    receipt = store.receipt(txs[0].tx_id)
    h = store.header(1)
    one = sign_checkpoint(
        Checkpoint(h.chain_id, h.log_size, bytes.fromhex(h.log_root), 1, h.block_hash),
        consortium.validator_keys[:1],
    )
    proof = TlogProof.parse(receipt["proof"])
    receipt["proof"] = TlogProof(proof.index, proof.proof, one).text()
    with pytest.raises(ReceiptError, match="checkpoint"):
        verify_receipt(receipt, trust)


def test_verifier_needs_only_ledger_and_cryptography(setup, tmp_path):
    """Verify in a fresh interpreter that refuses to import anything else of ours."""
    store, txs, trust = setup
    (tmp_path / "r.json").write_text(json.dumps(store.receipt(txs[2].tx_id)))
    (tmp_path / "t.json").write_text(json.dumps(trust.to_dict()))
    script = textwrap.dedent(f"""
        import json, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                root = name.split(".")[0]
                if root in ("nodes", "contracts", "seeds", "sqlalchemy", "fastapi", "httpx"):
                    raise ImportError("verifier must not import " + name)
        sys.meta_path.insert(0, Block())
        from ledger.receipt import verify_receipt
        from ledger.trust import Trust
        v = verify_receipt(json.load(open({str(tmp_path / "r.json")!r})),
                           Trust.load({str(tmp_path / "t.json")!r}))
        print(v.index, v.organisation)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "org2"]


# --- the result step --------------------------------------------------------------------

LOT = "urn:epc:class:lgtin:4012345.012345.LOTA"


class Executed:
    """Blocks whose transactions really ran through the contracts: a first anchor and a
    commission, then a re-deposit of the same digest and a ship by an organisation that
    does not hold the product (refused: ``not_custodian``)."""

    def __init__(self, store: Store, consortium) -> None:
        self.store, self.consortium = store, consortium
        self.registry = default_registry(consortium.genesis)
        self.trust = Trust.from_genesis(consortium.genesis)
        self.digest = hashlib.sha256(b"a document").hexdigest()
        anchor = {"sha256": self.digest, "size": 10, "title": "A document"}
        self.first = self._tx(0, "evidence", "anchor", anchor)
        commission = self._tx(0, "traceability", "commission", {"ids": [LOT]})
        self.again = self._tx(1, "evidence", "anchor", anchor)
        self.ship = self._tx(1, "traceability", "ship", {"ids": [LOT], "receiver": "org2"})
        self.run([self.first, commission])
        self.run([self.again, self.ship])

    def _tx(self, member: int, contract: str, action: str, args: dict) -> SignedTransaction:
        key = self.consortium.members[member]
        return Transaction.new(key, self.consortium.chain_id, contract, action, args).sign(key)

    def run(self, txs: list[SignedTransaction]) -> None:
        seal_executed(self.store, self.registry, txs, self.consortium.validator_keys)

    def receipt(self, tx: SignedTransaction) -> dict:
        return self.store.receipt(tx.tx_id)


@pytest.fixture
def executed(tmp_path, consortium):
    store = Store.create(str(tmp_path / "e.sqlite"), consortium.genesis)
    yield Executed(store, consortium)
    store.close()


def test_a_receipt_proves_a_first_anchor_and_its_writes(executed):
    e = executed
    receipt = e.receipt(e.first)
    assert receipt["format"] == "provledger-receipt/v2"
    v = verify_receipt(receipt, e.trust)
    assert v.result == e.store.results(1)[0]
    assert (v.result.tx_id, v.result.status) == (e.first.tx_id, "applied")
    keys = [(w.contract, w.key) for w in v.result.writes]
    assert ("evidence", f"doc/{e.digest}") in keys
    assert not any(k.startswith("redeposit/") for _, k in keys)
    assert anchor_kind(v.entry.tx, v.tx_id, v.result) == FIRST_ANCHOR
    line = outcome(v.entry.tx, v.tx_id, v.result)
    assert line.startswith(f"applied ({len(keys)} writes: evidence/doc/{e.digest[:16]}…)")
    assert line.endswith("; first anchor of this digest")


def test_a_receipt_proves_a_redeposit(executed):
    e = executed
    v = verify_receipt(e.receipt(e.again), e.trust)
    keys = [(w.contract, w.key) for w in v.result.writes]
    assert ("evidence", f"redeposit/{e.again.tx_id}") in keys
    assert ("evidence", f"doc/{e.digest}") in keys  # the first anchor's count, bumped
    assert anchor_kind(v.entry.tx, v.tx_id, v.result) == REDEPOSIT
    assert outcome(v.entry.tx, v.tx_id, v.result).endswith("; re-deposit of an anchored digest")


def test_a_receipt_proves_a_refusal_with_its_code_and_reason(executed):
    e = executed
    v = verify_receipt(e.receipt(e.ship), e.trust)
    assert (v.result.status, v.result.code) == ("refused", "not_custodian")
    assert v.result.reason == (
        f"org1 cannot ship {LOT}: it is held by org0, and only its custodian may ship it"
    )
    assert outcome(v.entry.tx, v.tx_id, v.result) == f"refused (not_custodian): {v.result.reason}"
    assert anchor_kind(v.entry.tx, v.tx_id, v.result) is None


def _refused_with(receipt: dict, trust: Trust, message: str) -> None:
    with pytest.raises(ReceiptError) as info:
        verify_receipt(receipt, trust)
    assert str(info.value) == message


def test_result_forgeries_fail_at_the_result_step(executed):
    e = executed
    refused = e.receipt(e.ship)

    # refused -> applied: as the receipt carries it, and as a forger would write it
    flipped = json.loads(json.dumps(refused))
    flipped["result"]["result"]["status"] = "applied"
    _refused_with(flipped, e.trust, "structure: result: unknown field(s) code, reason")
    for field in ("code", "reason"):
        flipped["result"]["result"].pop(field)
    _refused_with(flipped, e.trust, "result: inclusion proof leads to a different root")

    # the result of another transaction of the same block, with its own proof
    other = e.receipt(e.again)
    forged = json.loads(json.dumps(refused))
    forged["result"] = other["result"]
    _refused_with(forged, e.trust, "result: is the result of another transaction than tx_id")
    # ... or relabelled with this tx_id
    forged["result"]["result"]["tx_id"] = refused["tx_id"]
    _refused_with(forged, e.trust, "result: inclusion proof leads to a different root")

    # a flipped byte in a proof hash
    forged = json.loads(json.dumps(refused))
    first = forged["result"]["proof"][0]
    forged["result"]["proof"][0] = ("1" if first[0] == "0" else "0") + first[1:]
    _refused_with(forged, e.trust, "result: inclusion proof leads to a different root")

    # a proof too short, a hash not hex
    forged = json.loads(json.dumps(refused))
    forged["result"]["proof"] = []
    _refused_with(forged, e.trust, "result: inclusion proof is shorter than the tree is deep")
    forged["result"]["proof"] = ["zz"]
    _refused_with(forged, e.trust, "structure: receipt.result.proof[0]: expected lowercase hex")

    # v2 without a result; v1 (which had none) is refused by name
    dropped = json.loads(json.dumps(refused))
    dropped.pop("result")
    _refused_with(dropped, e.trust, "structure: receipt: missing field(s) result")
    dropped["format"] = "provledger-receipt/v1"
    _refused_with(
        dropped,
        e.trust,
        "format: 'provledger-receipt/v1' is no longer accepted (it proves no transaction "
        "result); fetch the receipt again as 'provledger-receipt/v2'",
    )

    # the reason reworded
    forged = json.loads(json.dumps(refused))
    forged["result"]["result"]["reason"] = "org1 may ship it"
    _refused_with(forged, e.trust, "result: inclusion proof leads to a different root")


def test_a_writes_list_is_part_of_what_the_result_proves(executed):
    e = executed
    forged = e.receipt(e.first)
    forged["result"]["result"]["writes"].pop()
    _refused_with(forged, e.trust, "result: inclusion proof leads to a different root")
