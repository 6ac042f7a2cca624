"""Receipts verify offline with trust.json alone, and no forged byte survives."""

from __future__ import annotations

import json
import string
import subprocess
import sys
import textwrap

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import ReceiptError
from ledger.keys import SigningKey
from ledger.model import Transaction
from ledger.receipt import verify_receipt
from ledger.sealing import seal
from ledger.store import Store
from ledger.tlog_proof import TlogProof
from ledger.trust import Trust
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
