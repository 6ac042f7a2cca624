"""The browser verifier (``nodes/explorer/static/js``) in a real Chromium: it reaches the
same verdicts as the Python core, byte for byte and step for step.

Receipts are made in process with the project's own sealing (no node processes); each
forgery must be refused at the step Python names. JCS is compared with ``rfc8785`` on
random JSON, RFC 9162 with the transparency-dev vectors, chunks and chunk differences
with ``ledger.chunks`` / ``ledger.chunk_diff``. Evaluations are batched: one Chromium,
one page, a few round trips per test.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.registry import default_registry
from ledger.canonical import canonical
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.chunk_diff import differences
from ledger.chunks import BLOCK_SIZE, chunks_of, decode_text
from ledger.errors import CanonicalError, LedgerError, ReceiptError
from ledger.keys import SigningKey
from ledger.model import SignedTransaction, Transaction
from ledger.receipt import verify_receipt
from ledger.sealing import seal
from ledger.store import Store
from ledger.tlog_proof import TlogProof
from ledger.trust import Trust
from ledger.weak_keys import weakness
from nodes.explorer import STATIC_DIR
from nodes.runtime.apply import seal_executed
from seeds.corpus import documents
from tests.conftest import Consortium, make_consortium
from tests.test_note import ENOCH_SIG, ENOCH_VKEY, PETER_SIG, PETER_VKEY, TEXT
from tests.test_weak_keys import NON_CANONICAL, SMALL_ORDER

pytest_plugins = ["tests.browser"]  # the Chromium fixtures: chromium, verifier_page...

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "merkle_rfc6962.json").read_text(encoding="utf-8")
)
SLOW_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

# Verify each case ({receipt, trust}) in the page; report what it proves or the step.
VERIFY_CASES = """async (v, cases) => {
  const out = [];
  for (const { receipt, trust } of cases) {
    try {
      out.push({ ok: await v.verifyReceipt(receipt, trust) });
    } catch (e) {
      if (!(e instanceof v.errors.ReceiptError)) throw e;
      out.push({ step: e.step, message: e.message });
    }
  }
  return out;
}"""


class Ledger:
    """A consortium's store with a few sealed blocks, and the receipts of their entries."""

    def __init__(self, consortium: Consortium, store: Store) -> None:
        self.consortium = consortium
        self.store = store
        self.trust = Trust.from_genesis(consortium.genesis)
        self.trust_json = self.trust.to_dict()
        c = consortium
        first = [c.tx(i % 3) for i in range(3)]
        unicode_args = {
            "sha256": os.urandom(32).hex(),
            "title": 'Ünïcødé 𝄞 ✓ — «quoted» "and" \\ \u2028 \x1f',
            "nested": {"z": 1, "a": [-(2**53 - 1), 0, {"😀": "x", "\ue000": "y", "": None}]},
        }
        second = [c.tx(1), c.tx(0, **unicode_args), c.tx(2), c.tx(0)]
        stranger = SigningKey.generate()
        self.stranger_tx = Transaction.new(
            stranger, c.chain_id, "evidence", "anchor", {"sha256": "00" * 32}
        ).sign(stranger)
        seal(store, first, c.validator_keys)  # all three validators cosign
        seal(store, second, c.validator_keys[1:])  # exactly a quorum
        seal(store, [self.stranger_tx], c.validator_keys[:2])
        seal(store, [c.tx(2)], c.validator_keys[::2])
        executed = self._execute_blocks()
        self.entries: list[SignedTransaction] = first + second + executed
        self.receipts = [store.receipt(t.tx_id) for t in self.entries]

    # receipts[FIRST_ANCHOR..SHIP] are of transactions the contracts really ran
    FIRST_ANCHOR, COMMISSION, REDEPOSIT, SHIP = 7, 8, 9, 10

    def _execute_blocks(self) -> list[SignedTransaction]:
        """Two blocks run through the contracts: a first anchor and a commission, then a
        re-deposit of the digest and a ship by an organisation that does not hold the
        product (refused: not_custodian)."""
        c, store = self.consortium, self.store
        registry = default_registry(c.genesis)

        def tx(member: int, contract: str, action: str, args: dict[str, Any]) -> Any:
            key = c.members[member]
            return Transaction.new(key, c.chain_id, contract, action, args).sign(key)

        anchor = {"sha256": os.urandom(32).hex(), "size": 3, "title": "executed"}
        lot = "urn:epc:class:lgtin:4012345.012345.LOTA"
        blocks = [
            [
                tx(0, "evidence", "anchor", anchor),
                tx(0, "traceability", "commission", {"ids": [lot]}),
            ],
            [
                tx(1, "evidence", "anchor", anchor),
                tx(1, "traceability", "ship", {"ids": [lot], "receiver": "org2"}),
            ],
        ]
        for txs in blocks:
            seal_executed(store, registry, txs, c.validator_keys)
        return [t for txs in blocks for t in txs]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Any:
    consortium = make_consortium(3)
    store = Store.create(str(tmp_path_factory.mktemp("browser") / "b.sqlite"), consortium.genesis)
    try:
        yield Ledger(consortium, store)
    finally:
        store.close()


def _python_verdict(receipt: Any, trust: Trust) -> dict[str, Any]:
    try:
        v = verify_receipt(receipt, trust)
    except ReceiptError as exc:
        return {"step": str(exc).partition(":")[0], "message": str(exc)}
    return {
        "ok": {
            "tx_id": v.tx_id,
            "index": v.index,
            "height": v.height,
            "block_hash": v.block_hash,
            "time": v.time,
            "entry": v.entry.to_dict(),
            "organisation": v.organisation,
            "checkpoint_signers": list(v.checkpoint_signers),
            "certificate_signers": list(v.certificate_signers),
            "result": v.result.to_dict(),
        }
    }


# --- receipts ---------------------------------------------------------------------------


def test_the_page_loads_only_the_verifier_and_no_third_party_code(verifier_page):
    files = sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())
    names = [p.name for p in files]
    assert "receipt.js" in names and "index.js" in names
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name
    exported = verifier_page.run("async (v) => Object.keys(v).sort()")
    assert {"verifyReceipt", "loadTrust", "chunksOf", "differences"} <= set(exported)


def test_console_and_page_errors_are_caught(verifier_page):
    """The fixture's watch works: a console error and an uncaught page error are both
    recorded (then cleared, so that this test itself passes)."""
    verifier_page.run(
        """async () => {
          console.error("deliberate console error");
          setTimeout(() => { throw new Error("deliberate page error"); });
        }"""
    )
    deadline = time.monotonic() + 60  # only ends a hung run
    while len(verifier_page.problems) < 2 and time.monotonic() < deadline:
        verifier_page.page.wait_for_timeout(20)
    found = sorted(verifier_page.problems)
    verifier_page.problems.clear()
    assert len(found) == 2
    assert "deliberate console error" in found[0] and "deliberate page error" in found[1]


def test_real_receipts_verify_with_the_same_result_as_python(verifier_page, ledger):
    cases = [{"receipt": r, "trust": ledger.trust_json} for r in ledger.receipts]
    got = verifier_page.run(VERIFY_CASES, cases)
    want = [_python_verdict(r, ledger.trust) for r in ledger.receipts]
    assert all("ok" in w for w in want)
    assert got == want
    assert {len(w["ok"]["checkpoint_signers"]) for w in want} == {2, 3}
    # the unicode entry's keys sort by UTF-16 code units (😀 before U+E000)
    assert got[4]["ok"]["entry"] == ledger.entries[4].to_dict()


def test_results_verify_in_the_browser_as_in_python(verifier_page, ledger):
    """The results of transactions the contracts ran: a first anchor (it wrote its
    doc/<sha256>), a re-deposit (it wrote redeposit/<tx_id>) and a refusal (not_custodian,
    with its reason): the browser proves each exactly as Python does."""
    which = [Ledger.FIRST_ANCHOR, Ledger.COMMISSION, Ledger.REDEPOSIT, Ledger.SHIP]
    cases = [{"receipt": ledger.receipts[i], "trust": ledger.trust_json} for i in which]
    got = verifier_page.run(VERIFY_CASES, cases)
    want = [_python_verdict(ledger.receipts[i], ledger.trust) for i in which]
    assert got == want
    first, _, again, ship = (g["ok"]["result"] for g in got)
    digest = ledger.entries[Ledger.FIRST_ANCHOR].tx.args["sha256"]
    assert first["status"] == "applied" and ["evidence", f"doc/{digest}"] == first["writes"][0][:2]
    assert not any(w[1].startswith("redeposit/") for w in first["writes"])
    again_id = ledger.entries[Ledger.REDEPOSIT].tx_id
    assert ["evidence", f"redeposit/{again_id}"] in [w[:2] for w in again["writes"]]
    assert (ship["status"], ship["code"]) == ("refused", "not_custodian")
    assert ship["reason"].startswith("org1 cannot ship")


def test_a_receipt_given_as_json_text_verifies_and_floats_in_it_are_refused(verifier_page, ledger):
    receipt = ledger.receipts[2]
    text = json.dumps(receipt, ensure_ascii=False)
    with_float = text.replace('"tx": {', '"tx": {"x": 1.0, ', 1).replace(
        '"args": {', '"args": {"n": 1.0, ', 1
    )
    assert with_float != text
    py = _python_verdict(json.loads(with_float), ledger.trust)
    got = verifier_page.run(
        VERIFY_CASES,
        [
            {"receipt": text, "trust": ledger.trust_json},
            {"receipt": with_float, "trust": ledger.trust_json},
        ],
    )
    assert got[0] == _python_verdict(receipt, ledger.trust)
    assert got[1]["step"] == py["step"] == "structure"


def _flip_hex(text: str, at: int = 0) -> str:
    return text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :]


def _flip_proof_hash(receipt: dict[str, Any]) -> None:
    proof = TlogProof.parse(receipt["proof"])
    assert proof.proof, "the forgery needs a non-empty inclusion proof"
    first = bytes([proof.proof[0][0] ^ 0x01]) + proof.proof[0][1:]
    receipt["proof"] = TlogProof(proof.index, (first, *proof.proof[1:]), proof.checkpoint).text()


def _flip_checkpoint_signature(receipt: dict[str, Any]) -> None:
    proof = TlogProof.parse(receipt["proof"])
    text, _, sigs = proof.checkpoint.rpartition("\n\n")
    first, *rest = sigs.split("\n")
    prefix, _, b64 = first.rpartition(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[10] ^= 0x01  # inside the signature, after the 4-byte key id
    line = f"{prefix} {base64.b64encode(bytes(raw)).decode()}"
    note = text + "\n\n" + "\n".join([line, *rest])
    receipt["proof"] = TlogProof(proof.index, proof.proof, note).text()


def _flip_entry_signature(receipt: dict[str, Any]) -> None:
    receipt["entry"]["signature"] = _flip_hex(receipt["entry"]["signature"], 5)
    receipt["tx_id"] = SignedTransaction.from_dict(receipt["entry"]).tx_id


def _one_signer_checkpoint(ledger: Ledger) -> Callable[[dict[str, Any]], None]:
    def change(receipt: dict[str, Any]) -> None:
        h = ledger.store.header(receipt["header"]["height"])
        one = sign_checkpoint(
            Checkpoint(h.chain_id, h.log_size, bytes.fromhex(h.log_root), h.height, h.block_hash),
            ledger.consortium.validator_keys[:1],
        )
        proof = TlogProof.parse(receipt["proof"])
        receipt["proof"] = TlogProof(proof.index, proof.proof, one).text()

    return change


def _later_checkpoint(ledger: Ledger) -> Callable[[dict[str, Any]], None]:
    """The entry proven against the next block's checkpoint, with that block's header:
    every signature holds, but the entry is not in the block the header names."""

    def change(receipt: dict[str, Any]) -> None:
        head = ledger.store.header(2)
        proof = TlogProof.parse(receipt["proof"])
        path = tuple(ledger.store.inclusion_proof(proof.index, head.log_size))
        receipt.update(
            proof=TlogProof(proof.index, path, ledger.store.checkpoint(2)).text(),
            header=head.to_dict(),
            certificate=ledger.store.certificate(2).to_dict(),
        )

    return change


def _forgeries(ledger: Ledger) -> list[tuple[str, int, Callable[[dict[str, Any]], None], str]]:
    """(label, which receipt, change, the step that must refuse it)."""
    other = ledger.receipts[5]

    def args_digest(r: dict[str, Any]) -> None:
        r["entry"]["tx"]["args"]["sha256"] = _flip_hex(r["entry"]["tx"]["args"]["sha256"])

    def field(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda r: r.update({key: value})

    def header_byte(r: dict[str, Any]) -> None:
        r["header"]["tx_root"] = _flip_hex(r["header"]["tx_root"], 7)

    def below_quorum(r: dict[str, Any]) -> None:
        r["certificate"]["signatures"] = r["certificate"]["signatures"][:1]

    def certificate_byte(r: dict[str, Any]) -> None:
        sig = r["certificate"]["signatures"][0]
        sig["signature"] = _flip_hex(sig["signature"], 3)

    def index_in_block(r: dict[str, Any]) -> None:
        r["proof"] = r["proof"].replace("index 1\n", "index 2\n")

    def extra_line(r: dict[str, Any]) -> None:
        p = TlogProof.parse(r["proof"])
        r["proof"] = TlogProof(p.index, p.proof, p.checkpoint, b"hi").text()

    def status_flipped(r: dict[str, Any]) -> None:
        r["result"]["result"]["status"] = "applied"

    def status_flipped_cleanly(r: dict[str, Any]) -> None:
        for name in ("code", "reason"):
            r["result"]["result"].pop(name)
        r["result"]["result"]["status"] = "applied"

    def result_of_another(r: dict[str, Any]) -> None:
        r["result"] = json.loads(json.dumps(ledger.receipts[Ledger.REDEPOSIT]["result"]))

    def result_relabelled(r: dict[str, Any]) -> None:
        result_of_another(r)
        r["result"]["result"]["tx_id"] = r["tx_id"]

    def result_proof_byte(r: dict[str, Any]) -> None:
        r["result"]["proof"][0] = _flip_hex(r["result"]["proof"][0])

    def result_dropped(r: dict[str, Any]) -> None:
        r.pop("result")

    def version_one(r: dict[str, Any]) -> None:
        r.pop("result")
        r["format"] = "provledger-receipt/v1"

    ship = Ledger.SHIP

    return [
        ("a flipped byte in the entry", 1, args_digest, "entry"),
        (
            "a flipped byte in the entry signature, tx_id recomputed",
            1,
            _flip_entry_signature,
            "entry signature",
        ),
        ("a flipped byte in an inclusion-proof hash", 1, _flip_proof_hash, "inclusion proof"),
        ("a flipped byte in a checkpoint signature", 1, _flip_checkpoint_signature, "checkpoint"),
        ("a flipped byte in the header", 1, header_byte, "header"),
        ("the header of another block", 1, field("header", other["header"]), "header"),
        ("a certificate below quorum", 1, below_quorum, "certificate"),
        ("a flipped byte in a precommit signature", 1, certificate_byte, "certificate"),
        (
            "the certificate of another block",
            1,
            field("certificate", other["certificate"]),
            "certificate",
        ),
        ("a checkpoint signed by one validator", 1, _one_signer_checkpoint(ledger), "checkpoint"),
        ("another entry under this tx_id", 1, field("entry", other["entry"]), "entry"),
        (
            "another entry with its own tx_id",
            1,
            lambda r: r.update(entry=other["entry"], tx_id=other["tx_id"]),
            "inclusion proof",
        ),
        ("another index inside the block", 1, index_in_block, "inclusion proof"),
        ("an index outside the block", 0, _later_checkpoint(ledger), "inclusion proof"),
        ("a missing field", 1, lambda r: r.pop("certificate"), "structure"),
        ("a non-hex signature", 1, lambda r: r["entry"].update(signature="zz" * 64), "structure"),
        ("another format", 1, field("format", "provledger-receipt/v0"), "format"),
        ("an extra line in the proof", 1, extra_line, "proof"),
        ("a proof that is not text", 1, field("proof", ["c2sp.org/tlog-proof@v1"]), "proof"),
        ("a result's status flipped, refused to applied", ship, status_flipped, "structure"),
        (
            "a result's status flipped, without code and reason",
            ship,
            status_flipped_cleanly,
            "result",
        ),
        ("the result of another transaction", ship, result_of_another, "result"),
        ("another transaction's result under this tx_id", ship, result_relabelled, "result"),
        ("a flipped byte in a result-proof hash", ship, result_proof_byte, "result"),
        (
            "a result-proof hash that is not hex",
            ship,
            lambda r: r["result"].update(proof=["zz"]),
            "structure",
        ),
        ("a v2 receipt without its result", ship, result_dropped, "structure"),
        ("a v1 receipt", ship, version_one, "format"),
    ]


def test_each_forgery_is_refused_at_the_step_python_names(verifier_page, ledger):
    """Each forgery fails in the browser at the step Python names, in Python's words."""
    labels, cases, want = [], [], []
    for label, which, change, step in _forgeries(ledger):
        forged = json.loads(json.dumps(ledger.receipts[which]))
        change(forged)
        labels.append(label)
        cases.append({"receipt": forged, "trust": ledger.trust_json})
        want.append(_python_verdict(forged, ledger.trust))
        assert want[-1].get("step") == step, (label, want[-1])
    stranger = ledger.store.receipt(ledger.stranger_tx.tx_id)
    foreign = Trust.from_genesis(make_consortium().genesis)
    for label, receipt, trust, step in [
        ("a sender not in trust", stranger, ledger.trust, "entry"),
        ("a trust.json of another chain", ledger.receipts[1], foreign, "checkpoint"),
    ]:
        labels.append(label)
        cases.append({"receipt": receipt, "trust": trust.to_dict()})
        want.append(_python_verdict(receipt, trust))
        assert want[-1].get("step") == step, (label, want[-1])

    got = verifier_page.run(VERIFY_CASES, cases)
    assert list(zip(labels, got, strict=True)) == list(zip(labels, want, strict=True))
    messages = dict(zip(labels, (g["message"] for g in got), strict=True))
    assert "quorum is 2" in messages["a certificate below quorum"]
    assert "not in the block" in messages["an index outside the block"]
    assert "not a member key" in messages["a sender not in trust"]
    assert "does not hash to tx_id" in messages["another entry under this tx_id"]
    assert messages["the result of another transaction"] == (
        "result: is the result of another transaction than tx_id"
    )
    for label in (
        "a result's status flipped, without code and reason",
        "another transaction's result under this tx_id",
        "a flipped byte in a result-proof hash",
    ):
        assert messages[label] == "result: inclusion proof leads to a different root", label
    assert messages["a result's status flipped, refused to applied"] == (
        "structure: result: unknown field(s) code, reason"
    )
    assert messages["a v2 receipt without its result"] == (
        "structure: receipt: missing field(s) result"
    )
    assert messages["a v1 receipt"] == (
        "format: 'provledger-receipt/v1' is no longer accepted (it proves no transaction "
        "result); fetch the receipt again as 'provledger-receipt/v2'"
    )


def test_no_single_forged_character_verifies_in_the_browser_either(verifier_page, ledger):
    """Every one-character change of a fully cosigned receipt's text (the lowest bit of a
    hex digit, digit or base64 character): the browser accepts exactly the changes Python
    accepts (a signature line's key name or id turned into an unknown key's, which C2SP
    verifiers ignore) and refuses every other."""
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    swaps = {c: b64[i ^ 1] for i, c in enumerate(b64)} | {"=": "A"}
    text = json.dumps(ledger.receipts[0], sort_keys=True)
    forged = [text[:i] + swaps[c] + text[i + 1 :] for i, c in enumerate(text) if c in swaps]
    assert len(forged) > 2000
    want = []
    for f in forged:
        try:
            want.append(_python_verdict(json.loads(f), ledger.trust).get("ok") is not None)
        except json.JSONDecodeError:
            want.append(False)
    got = verifier_page.run(
        """async (v, { texts, trust }) => {
          const loaded = await v.loadTrust(trust);
          const out = [];
          for (const t of texts) {
            try { await v.verifyReceipt(t, loaded); out.push(true); }
            catch (e) { if (!(e instanceof v.errors.ReceiptError)) throw e; out.push(false); }
          }
          return out;
        }""",
        {"texts": forged, "trust": ledger.trust_json},
    )
    assert got == want
    assert 0 < sum(want) < 100  # only key-identity changes of a third cosignature survive


def test_trust_files_are_checked_as_python_checks_them(verifier_page, ledger):
    good = ledger.trust_json

    def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        t = json.loads(json.dumps(good))
        change(t)
        return t

    def swap_note_keys(t: dict[str, Any]) -> None:
        t["validators"][0]["note_key"] = t["validators"][1]["note_key"]

    bad = [
        changed(swap_note_keys),
        changed(lambda t: t.update(quorum=1)),
        changed(lambda t: t.update(quorum=4)),
        changed(lambda t: t["validators"][0].update(key_id="00" * 32)),
        changed(lambda t: t["organisations"][0].update(keys=[SMALL_ORDER[0]])),
        changed(lambda t: t["organisations"][1].update(keys=[NON_CANONICAL[0]])),
        changed(lambda t: t.update(format="provledger-trust/v0")),
        changed(lambda t: t.pop("chain_name")),
    ]
    for t in bad:
        with pytest.raises(LedgerError):
            Trust.from_dict(t)
    cases = [{"receipt": ledger.receipts[0], "trust": t} for t in [*bad, good]]
    got = verifier_page.run(VERIFY_CASES, cases)
    assert [g.get("step") for g in got] == ["trust"] * len(bad) + [None]
    assert "note_key does not match" in got[0]["message"]
    assert "quorum 1 is outside 2..3" in got[1]["message"]
    assert "small-order" in got[4]["message"]


def test_weak_keys_are_judged_as_python_judges_them(verifier_page, ledger):
    keys = [*SMALL_ORDER, *NON_CANONICAL, *(SigningKey.generate().public.hex() for _ in range(8))]
    keys.append(ledger.trust_json["validators"][0]["public_key"])
    got = verifier_page.run("async (v, keys) => keys.map((k) => v.weakness(v.fromHex(k)))", keys)
    assert got == [weakness(bytes.fromhex(k)) for k in keys]
    assert got.count(None) == 9


# --- C2SP notes -------------------------------------------------------------------------


def test_c2sp_note_vectors_verify_and_a_corrupted_signature_is_refused(verifier_page):
    corrupt = PETER_SIG[:20] + ("A" if PETER_SIG[20] != "A" else "B") + PETER_SIG[21:]
    got = verifier_page.run(
        """async (v, a) => {
          const keys = [];
          for (const k of [a.peter, a.enoch]) keys.push(await v.decodeVerifierKey(k));
          const both = await v.verifyNote(a.text + "\\n" + a.peterSig + a.enochSig, keys, 2);
          const again = [];
          for (const k of keys) again.push(await v.encodeVerifierKey(k.name, k.publicKey));
          let refused = null;
          try { await v.verifyNote(a.text + "\\n" + a.corrupt, keys, 1); }
          catch (e) { refused = e.name + ": " + e.message; }
          let unknownOnly = null;
          try { await v.verifyNote(a.text + "\\n" + a.enochSig, keys.slice(0, 1), 1); }
          catch (e) { unknownOnly = e.name + ": " + e.message; }
          return { text: both.text, signers: both.signers, again, refused, unknownOnly };
        }""",
        {
            "peter": PETER_VKEY,
            "enoch": ENOCH_VKEY,
            "text": TEXT,
            "peterSig": PETER_SIG,
            "enochSig": ENOCH_SIG,
            "corrupt": corrupt,
        },
    )
    assert got["text"] == TEXT
    assert got["signers"] == ["PeterNeumann", "EnochRoot"]
    assert got["again"] == [PETER_VKEY, ENOCH_VKEY]
    assert got["refused"] is not None and got["refused"].startswith("NoteError")
    assert got["unknownOnly"] == (
        "NoteError: note has 0 valid signature(s) from known keys, 1 required"
    )


# --- JCS --------------------------------------------------------------------------------

_TRICKY = st.sampled_from(
    [
        "a",
        "é",
        "\ue000",
        "😀",
        "𝄞",
        "\uffff",
        "\U0010ffff",
        "\x00",
        "\x1f",
        "\u2028",
        '"',
        "\\",
        "\x7f",
        "\ud7ff",
        "Z",
        "1",
    ]
)
_KEYS = st.one_of(st.text(max_size=6), st.text(_TRICKY, max_size=6))
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.sampled_from([0, -1, 2**53 - 1, -(2**53 - 1), 10**15, 2**31])
    | _KEYS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_KEYS, children, max_size=6),
    max_leaves=25,
)

JCS_HEX = """async (v, texts) => texts.map((t) => v.toHex(v.canonicalBytes(v.parseJson(t))))"""


@settings(max_examples=6, deadline=None, suppress_health_check=SLOW_CHECKS)
@given(st.lists(_JSON, min_size=50, max_size=60), st.booleans())
def test_jcs_bytes_equal_rfc8785_on_random_json(verifier_page, values, ascii_only):
    texts = [json.dumps(v, ensure_ascii=ascii_only) for v in values]
    got = verifier_page.run(JCS_HEX, texts)
    want = [rfc8785.dumps(v).hex() for v in values]
    assert got == want
    assert [canonical(v).hex() for v in values] == want


def test_jcs_refuses_what_the_python_core_refuses(verifier_page):
    refused = [
        "1.5",
        "1.0",
        "1e3",
        "-0.0",
        "9007199254740992",
        "-9007199254740992",
        "123456789012345678901234567890",
        '"\\ud800"',
        '{"\\udc00": 1}',
        "[0.5]",
        '{"a": [1, {"b": 2E1}]}',
    ]
    accepted = ["9007199254740991", "-9007199254740991", "-0", '{"b": [], "a": {}}', '"\\u00e9"']
    for text in refused:
        with pytest.raises(CanonicalError):
            canonical(json.loads(text))
    got = verifier_page.run(
        """async (v, { refused, accepted }) => {
          const why = (f) => { try { f(); return null; } catch (e) { return e.name; } };
          return {
            refused: refused.map((t) => why(() => v.canonicalize(v.parseJson(t)))),
            accepted: accepted.map((t) => v.canonicalize(v.parseJson(t))),
            values: [undefined, NaN, Infinity, 0.5, 2 ** 53, new Date(0), () => 1, "\\ud800"].map(
              (x) => why(() => v.canonicalize({ x }))),
          };
        }""",
        {"refused": refused, "accepted": accepted},
    )
    assert got["refused"] == ["CanonicalError"] * len(refused)
    assert got["accepted"] == [canonical(json.loads(t)).decode() for t in accepted]
    assert got["values"] == ["CanonicalError"] * 8


# --- RFC 9162 ---------------------------------------------------------------------------


def test_rfc9162_vectors_verify_and_corrupted_proofs_do_not(verifier_page):
    got = verifier_page.run(
        """async (v, vec) => {
          const h = (x) => v.fromHex(x);
          const leaves = vec.leaf_inputs.map(h);
          const leafHashes = [];
          for (const x of leaves) leafHashes.push(v.toHex(await v.leafHash(x)));
          const roots = {};
          for (const r of vec.roots) {
            roots[r.size] = v.toHex(await v.rootOf(vec.leaf_hashes.slice(0, r.size).map(h)));
          }
          const refuses = async (f) => {
            try { await f(); return false; } catch (e) { return e.name === "ProofError"; }
          };
          const rootOf = (n) => h(vec.roots.find((r) => r.size === n).root);
          const inclusion = [];
          for (const p of vec.inclusion_proofs) {
            const leaf = await v.leafHash(leaves[p.index]);
            const proof = p.proof.map(h);
            const root = rootOf(p.size);
            await v.verifyInclusion(leaf, p.index, p.size, proof, root);
            const flip = (i) =>
              proof.map((x, j) => (j === i ? x.map((b, k) => (k ? b : b ^ 8)) : x));
            const someHash = h(vec.probe_constants.sha256SomeHash);
            const probes = [
              () => v.verifyInclusion(leaf, p.index + 1, p.size, proof, root),
              () => v.verifyInclusion(leaf, p.index ^ 2, p.size, proof, root),
              () => v.verifyInclusion(leaf, p.index, p.size * 2, proof, root),
              () => v.verifyInclusion(leaf, p.index, Math.floor(p.size / 2), proof, root),
              () => v.verifyInclusion(leaf, p.index, p.size, [...proof, root], root),
              () => v.verifyInclusion(leaf, p.index, p.size, [root, ...proof], root),
              () => v.verifyInclusion(leaf, p.index, p.size, proof, someHash),
              ...proof.map((_, i) => () => v.verifyInclusion(leaf, p.index, p.size, flip(i), root)),
            ];
            if (proof.length) {
              probes.push(() => v.verifyInclusion(leaf, p.index, p.size, proof.slice(0, -1), root));
            }
            const refused = [];
            for (const probe of probes) refused.push(await refuses(probe));
            inclusion.push(refused);
          }
          const consistency = [];
          for (const c of vec.consistency_proofs) {
            const proof = c.proof.map(h);
            const [r1, r2] = [rootOf(c.size1), rootOf(c.size2)];
            await v.verifyConsistency(c.size1, c.size2, proof, r1, r2);
            const probes = !proof.length ? [] : [
              () => v.verifyConsistency(c.size1 + 1, c.size2, proof, r1, r2),
              () => v.verifyConsistency(c.size1, c.size2 * 2, proof, r1, r2),
              () => v.verifyConsistency(c.size1, c.size2, proof, r2, r1),
              () => v.verifyConsistency(c.size1, c.size2, [], r1, r2),
              () => v.verifyConsistency(c.size1, c.size2, [...proof, r2], r1, r2),
              () => v.verifyConsistency(c.size1, c.size2, proof.slice(0, -1), r1, r2),
            ];
            const refused = [];
            for (const probe of probes) refused.push(await refuses(probe));
            consistency.push(refused);
          }
          return { leafHashes, roots, inclusion, consistency };
        }""",
        VECTORS,
    )
    assert got["leafHashes"] == VECTORS["leaf_hashes"]
    assert got["roots"] == {str(r["size"]): r["root"] for r in VECTORS["roots"]}
    assert len(got["inclusion"]) == len(VECTORS["inclusion_proofs"])
    assert len(got["consistency"]) == len(VECTORS["consistency_proofs"])
    assert all(all(refused) and refused for refused in got["inclusion"])
    assert all(all(refused) for refused in got["consistency"])
    assert sum(len(r) for r in got["consistency"]) > 0


# --- chunks -----------------------------------------------------------------------------

CHUNKS = """async (v, docs) => {
  const out = [];
  for (const d of docs) {
    const chunks = await v.chunksOf(v.fromBase64(d));
    out.push({ chunks, root: await v.chunksRoot(chunks.map((c) => c.leaf)) });
  }
  return out;
}"""


def _python_chunks(data: bytes) -> dict[str, Any]:
    """Python's chunks, with a paragraph's offsets in UTF-16 code units as JS gives them."""
    from ledger.chunks import chunks_root

    text = decode_text(data)

    def units(at: int) -> int:
        return at if text is None else len(text[:at].encode("utf-16-le")) // 2

    chunks = chunks_of(data)
    return {
        "chunks": [
            {
                "number": c.number,
                "start": units(c.start),
                "end": units(c.end),
                "kind": c.kind,
                "leaf": c.leaf.hex(),
                "line": c.line,
            }
            for c in chunks
        ],
        "root": chunks_root([c.leaf for c in chunks]).hex(),
    }


EDGE_DOCUMENTS = [
    b"",
    b"no trailing newline",
    b"one\n\ntwo\n\n\n three  \n",
    b"crlf\r\nlines\r\n\r\nand more\r\n",
    b"lone\rcarriage\r\rreturns\r",
    b"\n\n \n\t\n\r\n",
    "\ufeffa BOM stays a character\n\n\ufeff\n\nafter".encode(),
    "python space \x1c\x1d\x85 lines\n\x1c\x85\u3000\u2028\n\nnext".encode(),
    "astral 😀 𝄞 text\n\n\U0010ffff\n".encode(),
    b"\xff\xfe not utf-8",
    b"\xed\xa0\x80 a surrogate in utf-8",
    b"\xc0\xaf overlong",
    bytes(range(256)) * (BLOCK_SIZE // 128) + b"\x80",
]


def test_chunk_leaves_equal_python_for_seeds_and_edge_cases(verifier_page):
    docs = [d.data for d in documents()] + EDGE_DOCUMENTS
    assert len(docs) > len(EDGE_DOCUMENTS)
    got = verifier_page.run(CHUNKS, [base64.b64encode(d).decode() for d in docs])
    want = [_python_chunks(d) for d in docs]
    assert got == want
    assert [c["kind"] for c in got[-1]["chunks"]] == ["block"] * 3
    assert got[len(docs) - len(EDGE_DOCUMENTS)]["chunks"] == []  # the empty file


_LINE_PARTS = st.sampled_from(
    [
        "a",
        "b",
        "é",
        "😀",
        " ",
        "\t",
        "\r",
        "\n",
        "\r\n",
        "\x1c",
        "\x85",
        "\ufeff",
        "\u2028",
        "\u3000",
        "\xa0",
        "\x0b",
        "\x0c",
    ]
)


@settings(max_examples=3, deadline=None, suppress_health_check=SLOW_CHECKS)
@given(st.lists(st.lists(_LINE_PARTS, max_size=40).map("".join), min_size=60, max_size=80))
def test_chunk_leaves_equal_python_on_random_texts(verifier_page, texts):
    docs = [t.encode() for t in texts]
    got = verifier_page.run(CHUNKS, [base64.b64encode(d).decode() for d in docs])
    assert got == [_python_chunks(d) for d in docs]


_PARAGRAPHS = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta"]), max_size=12
)


@settings(max_examples=3, deadline=None, suppress_health_check=SLOW_CHECKS)
@given(st.lists(st.tuples(_PARAGRAPHS, _PARAGRAPHS), min_size=40, max_size=50))
def test_chunk_differences_equal_python(verifier_page, pairs):
    docs = [("\n\n".join(a).encode(), "\n\n".join(b).encode()) for a, b in pairs]
    got = verifier_page.run(
        """async (v, pairs) => {
          const out = [];
          for (const [a, b] of pairs) {
            const anchored = (await v.chunksOf(v.fromBase64(a))).map((c) => c.leaf);
            out.push(v.differences(anchored, await v.chunksOf(v.fromBase64(b))));
          }
          return out;
        }""",
        [[base64.b64encode(a).decode(), base64.b64encode(b).decode()] for a, b in docs],
    )
    want = [
        [
            {"kind": d.kind, "anchored": list(d.anchored), "copy": list(d.copy), "after": d.after}
            for d in differences([c.leaf for c in chunks_of(a)], chunks_of(b))
        ]
        for a, b in docs
    ]
    assert got == want


# --- benchmark --------------------------------------------------------------------------


def test_benchmark_in_browser_receipt_verification(verifier_page, ledger, capsys):
    """Printed, not asserted: the median time of one receipt's verification in the page
    (trust loaded once, as a page pins it)."""
    runs = 50
    got = verifier_page.run(
        """async (v, { receipt, trust, runs }) => {
          const loaded = await v.loadTrust(trust);
          const t0 = performance.now();
          await v.verifyReceipt(receipt, loaded);
          const first = performance.now() - t0;
          const times = [];
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            await v.verifyReceipt(receipt, loaded);
            times.push(performance.now() - t);
          }
          return { first, times };
        }""",
        {"receipt": ledger.receipts[1], "trust": ledger.trust_json, "runs": runs},
    )
    assert len(got["times"]) == runs
    with capsys.disabled():
        print(
            f"\nin-browser receipt verification: median {statistics.median(got['times']):.2f} ms"
            f" over {runs} runs (first run in this page {got['first']:.2f} ms; target <= 50 ms)"
        )
