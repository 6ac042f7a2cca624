"""Checkpoints cosigned by validators (ledger.checkpoint), the quorum rule
(ledger.quorum) and C2SP tlog-proof text (ledger.tlog_proof).

Spec examples: see tests/vectors/README.md.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import (
    BLOCK_EXTENSION,
    Checkpoint,
    checkpoint_of_note,
    sign_checkpoint,
    validator_note_keys,
    verify_checkpoint,
)
from ledger.errors import NoteError, ProofError, ValidationError
from ledger.keys import SigningKey, key_id
from ledger.note import NoteSigner, NoteVerifier, parse_note, sign_note
from ledger.quorum import ValidatorSet, max_faulty, quorum
from ledger.tlog_proof import HEADER, TlogProof

ORIGIN = hashlib.sha256(b"test chain").hexdigest()
ROOT = hashlib.sha256(b"root").digest()
BLOCK_HASH = hashlib.sha256(b"block").hexdigest()
NAMES = ("alpha.example", "beta.example", "gamma.example")

SOFA = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Z"
    "hcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SOFA_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

SPEC_PROOF = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
"""


def _key(label: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(label.encode()).digest())


@pytest.fixture
def keys() -> list[tuple[str, SigningKey]]:
    return [(name, _key(name)) for name in NAMES]


@pytest.fixture
def validators(keys) -> ValidatorSet:
    return ValidatorSet.of([(name, k.public) for name, k in keys])


@pytest.fixture
def checkpoint() -> Checkpoint:
    return Checkpoint(ORIGIN, 1234, ROOT, 57, BLOCK_HASH)


def _replace_in_text(note: str, old: str, new: str) -> str:
    """Change the signed text of ``note`` but keep its signature lines."""
    text, _ = parse_note(note)
    assert old in text
    return text.replace(old, new, 1) + note[len(text) :]


# --------------------------------------------------------------------------------------
# Checkpoint text


def test_checkpoint_text_layout(checkpoint):
    root64 = base64.b64encode(ROOT).decode()
    assert checkpoint.text() == f"{ORIGIN}\n1234\n{root64}\nprovledger-block 57 {BLOCK_HASH}\n"
    assert BLOCK_EXTENSION == "provledger-block"


def test_checkpoint_text_parse_round_trip(checkpoint):
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


@given(
    origin=st.text(
        st.characters(codec="ascii", min_codepoint=0x21, max_codepoint=0x7E), min_size=1
    ),
    size=st.integers(0, 2**64),
    root=st.binary(min_size=32, max_size=32),
    height=st.integers(0, 2**64),
    block=st.binary(min_size=32, max_size=32),
)
def test_checkpoint_round_trip_property(origin, size, root, height, block):
    cp = Checkpoint(origin, size, root, height, block.hex())
    assert Checkpoint.parse(cp.text()) == cp


def test_empty_log_checkpoint_round_trip():
    cp = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest(), 0, BLOCK_HASH)
    assert cp.text().split("\n")[1] == "0"
    assert Checkpoint.parse(cp.text()) == cp


def test_spec_checkpoint_without_our_block_line_is_refused():
    # It is a valid C2SP checkpoint, but provledger requires its block extension line.
    text, sigs = parse_note(SOFA)
    assert text == SOFA_BODY
    assert sigs[0].key_id == bytes.fromhex("033de0ae")
    with pytest.raises(NoteError):
        Checkpoint.parse(SOFA_BODY)
    with pytest.raises(NoteError):
        checkpoint_of_note(SOFA)


def test_spec_checkpoint_with_a_block_line_parses():
    cp = Checkpoint.parse(SOFA_BODY + f"provledger-block 9 {BLOCK_HASH}\n")
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert (cp.height, cp.block_hash) == (9, BLOCK_HASH)


def _body(origin=ORIGIN, size="1234", root=None, block=None, tail="\n") -> str:
    root = base64.b64encode(ROOT).decode() if root is None else root
    block = f"provledger-block 57 {BLOCK_HASH}" if block is None else block
    return f"{origin}\n{size}\n{root}\n{block}{tail}"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_body(origin=""), id="empty-origin"),
        pytest.param(_body(size="01"), id="size-leading-zero"),
        pytest.param(_body(size="-1"), id="size-negative"),
        pytest.param(_body(size="+1"), id="size-plus"),
        pytest.param(_body(size=""), id="size-empty"),
        pytest.param(_body(size="1e3"), id="size-not-decimal"),
        pytest.param(_body(size="\u0661\u0662"), id="size-arabic-digits"),
        pytest.param(_body(root=base64.b64encode(ROOT[:31]).decode()), id="root-31-bytes"),
        pytest.param(_body(root=base64.b64encode(ROOT + b"\0").decode()), id="root-33-bytes"),
        pytest.param(_body(root="not base64!"), id="root-not-base64"),
        pytest.param(_body(root=base64.b64encode(ROOT).decode()[:-1]), id="root-no-padding"),
        pytest.param(_body(root=ROOT.hex()), id="root-hex"),
        pytest.param(_body(block=f"provledger-block 57 {BLOCK_HASH.upper()}"), id="block-upper"),
        pytest.param(_body(block=f"provledger-block 57 {BLOCK_HASH[:-2]}"), id="block-short"),
        pytest.param(_body(block=f"provledger-block 057 {BLOCK_HASH}"), id="height-zero-pad"),
        pytest.param(_body(block=f"provledger-block -1 {BLOCK_HASH}"), id="height-negative"),
        pytest.param(_body(block=f"provledger-block  57 {BLOCK_HASH}"), id="double-space"),
        pytest.param(_body(block=f"provledger-block 57 {BLOCK_HASH} "), id="trailing-space"),
        pytest.param(_body(block=f"other-ext 57 {BLOCK_HASH}"), id="other-extension"),
        pytest.param(_body(block=""), id="empty-block-line"),
        pytest.param(_body(tail=""), id="no-final-newline"),
        pytest.param(_body(tail="\nextra line\n"), id="extra-line"),
        pytest.param(_body(tail="\n\n"), id="trailing-blank"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_checkpoint_bodies_refused(text):
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


# --------------------------------------------------------------------------------------
# quorum arithmetic and validator sets


@pytest.mark.parametrize(
    ("n", "q"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (10, 7)]
)
def test_quorum_values(n, q):
    assert quorum(n) == q


@pytest.mark.parametrize(("n", "f"), [(1, 0), (3, 0), (4, 1), (6, 1), (7, 2), (10, 3)])
def test_max_faulty_values(n, f):
    assert max_faulty(n) == f


@pytest.mark.parametrize("n", range(1, 40))
def test_two_quorums_share_an_honest_validator(n):
    q, f = quorum(n), max_faulty(n)
    assert q <= n
    assert 2 * q - n >= f + 1


@pytest.mark.parametrize("n", [0, -1])
def test_quorum_of_nobody_is_refused(n):
    with pytest.raises(ValidationError):
        quorum(n)


def test_validator_set_of(keys, validators):
    assert len(validators) == 3
    assert validators.threshold == 2
    assert dict(validators.keys) == {k.key_id: k.public for _, k in keys}
    assert dict(validators.names) == {k.key_id: name for name, k in keys}
    assert all(kid == key_id(pub) for kid, pub in validators.keys.items())


def test_validator_set_is_read_only(validators):
    with pytest.raises(TypeError):
        validators.keys["x"] = b"y"  # type: ignore[index]
    with pytest.raises(TypeError):
        validators.names["x"] = "y"  # type: ignore[index]


def test_validator_set_threshold_may_be_raised(keys):
    pairs = [(n, k.public) for n, k in keys]
    assert ValidatorSet.of(pairs, threshold=3).threshold == 3
    assert ValidatorSet.of(pairs, threshold=2).threshold == 2


@pytest.mark.parametrize(("count", "threshold"), [(3, 1), (3, 0), (4, 2), (7, 4), (3, 4), (1, 2)])
def test_validator_set_refuses_threshold_outside_quorum_to_n(count, threshold):
    pairs = [(f"v{i}", _key(f"v{i}").public) for i in range(count)]
    with pytest.raises(ValidationError):
        ValidatorSet.of(pairs, threshold=threshold)


def test_validator_set_refuses_duplicate_keys():
    k = _key("dup")
    with pytest.raises(ValidationError):
        ValidatorSet.of([("a", k.public), ("b", k.public), ("c", _key("c").public)])


def test_validator_set_refuses_empty():
    with pytest.raises(ValidationError):
        ValidatorSet.of([])


def test_validator_set_refuses_bad_public_key():
    with pytest.raises(ValidationError):
        ValidatorSet.of([("a", b"\x00" * 31)])


def test_validator_note_keys(keys, validators):
    notes = validator_note_keys(validators)
    assert sorted(notes, key=lambda v: v.name) == [NoteVerifier(n, k.public) for n, k in keys]


# --------------------------------------------------------------------------------------
# signing and verifying checkpoints


def test_three_signatures_verify(checkpoint, keys, validators):
    note = sign_checkpoint(checkpoint, keys)
    got, names = verify_checkpoint(note, validators, ORIGIN)
    assert got == checkpoint
    assert names == NAMES
    assert checkpoint_of_note(note) == checkpoint


@pytest.mark.parametrize("pick", [(0, 1), (0, 2), (2, 1)])
def test_two_of_three_is_a_quorum(checkpoint, keys, validators, pick):
    note = sign_checkpoint(checkpoint, [keys[i] for i in pick])
    got, names = verify_checkpoint(note, validators, ORIGIN)
    assert got == checkpoint
    assert names == tuple(NAMES[i] for i in pick)


@pytest.mark.parametrize("i", [0, 1, 2])
def test_one_of_three_is_not_a_quorum(checkpoint, keys, validators, i):
    note = sign_checkpoint(checkpoint, [keys[i]])
    with pytest.raises(NoteError):
        verify_checkpoint(note, validators, ORIGIN)


def test_raised_threshold_needs_all_three(checkpoint, keys):
    strict = ValidatorSet.of([(n, k.public) for n, k in keys], threshold=3)
    with pytest.raises(NoteError):
        verify_checkpoint(sign_checkpoint(checkpoint, keys[:2]), strict, ORIGIN)
    assert verify_checkpoint(sign_checkpoint(checkpoint, keys), strict, ORIGIN)[1] == NAMES


def test_unknown_signer_is_ignored_and_does_not_count(checkpoint, keys, validators):
    outsider = ("outsider.example", _key("outsider"))
    with pytest.raises(NoteError):
        verify_checkpoint(sign_checkpoint(checkpoint, [keys[0], outsider]), validators, ORIGIN)
    got, names = verify_checkpoint(
        sign_checkpoint(checkpoint, [keys[0], outsider, keys[1]]), validators, ORIGIN
    )
    assert got == checkpoint
    assert names == (NAMES[0], NAMES[1])


def test_outsider_using_a_validator_name_does_not_count(checkpoint, keys, validators):
    impostor = (NAMES[1], _key("impostor"))
    with pytest.raises(NoteError):
        verify_checkpoint(sign_checkpoint(checkpoint, [keys[0], impostor]), validators, ORIGIN)


def test_validator_key_under_another_name_does_not_count(checkpoint, keys, validators):
    renamed = ("renamed.example", keys[1][1])
    with pytest.raises(NoteError):
        verify_checkpoint(sign_checkpoint(checkpoint, [keys[0], renamed]), validators, ORIGIN)


def test_same_validator_twice_counts_once(checkpoint, keys, validators):
    one = sign_checkpoint(checkpoint, [keys[0]])
    line = one[len(checkpoint.text()) + 1 :]
    with pytest.raises(NoteError):
        verify_checkpoint(one + line, validators, ORIGIN)


def test_one_bad_validator_signature_rejects_even_with_a_quorum(checkpoint, keys, validators):
    note = sign_checkpoint(checkpoint, keys)
    other = Checkpoint(ORIGIN, 1235, ROOT, 57, BLOCK_HASH)
    # gamma's line signed over different text: valid base64, right key id, wrong signature.
    bad_line = NoteSigner(NAMES[2], keys[2][1]).signature_line(other.text())
    good_two = sign_checkpoint(checkpoint, keys[:2])
    assert verify_checkpoint(good_two, validators, ORIGIN)[1] == NAMES[:2]
    with pytest.raises(NoteError):
        verify_checkpoint(good_two + bad_line, validators, ORIGIN)
    assert verify_checkpoint(note, validators, ORIGIN)[1] == NAMES


@pytest.mark.parametrize("field", ["root", "size", "origin", "height", "block_hash"])
def test_tampered_signed_text_fails(checkpoint, keys, validators, field):
    note = sign_checkpoint(checkpoint, keys)
    changed = {
        "root": (base64.b64encode(ROOT).decode(), base64.b64encode(b"\x01" * 32).decode()),
        "size": ("\n1234\n", "\n1235\n"),
        "origin": (ORIGIN, "f" * 64),
        "height": (" 57 ", " 58 "),
        "block_hash": (BLOCK_HASH, "0" * 64),
    }[field]
    tampered = _replace_in_text(note, *changed)
    assert tampered != note
    assert Checkpoint.parse(parse_note(tampered)[0]) != checkpoint  # still well-formed
    with pytest.raises(NoteError):
        verify_checkpoint(tampered, validators, ORIGIN)
    if field == "origin":
        with pytest.raises(NoteError):
            verify_checkpoint(tampered, validators, "f" * 64)


def test_wrong_origin_fails(checkpoint, keys, validators):
    note = sign_checkpoint(checkpoint, keys)
    with pytest.raises(NoteError) as info:
        verify_checkpoint(note, validators, "e" * 64)
    assert "origin" in str(info.value)


def test_validly_signed_checkpoint_for_another_chain_fails(keys, validators):
    other = Checkpoint("e" * 64, 1234, ROOT, 57, BLOCK_HASH)
    note = sign_checkpoint(other, keys)
    assert verify_checkpoint(note, validators, "e" * 64)[0] == other
    with pytest.raises(NoteError):
        verify_checkpoint(note, validators, ORIGIN)


def test_signed_note_that_is_not_a_checkpoint_fails(keys, validators):
    note = sign_note("hello\n", [NoteSigner(n, k) for n, k in keys])
    with pytest.raises(NoteError):
        verify_checkpoint(note, validators, ORIGIN)


def test_sign_checkpoint_needs_a_signer(checkpoint):
    with pytest.raises(NoteError):
        sign_checkpoint(checkpoint, [])


# --------------------------------------------------------------------------------------
# tlog-proof


def _hashes(n: int) -> tuple[bytes, ...]:
    return tuple(hashlib.sha256(bytes([i])).digest() for i in range(n))


@pytest.mark.parametrize("extra", [None, b"", b"\x00\xffsome opaque data"])
@pytest.mark.parametrize("n", [0, 1, 5])
def test_tlog_proof_round_trip(checkpoint, keys, extra, n):
    note = sign_checkpoint(checkpoint, keys)
    proof = TlogProof(41, _hashes(n), note, extra)
    text = proof.text()
    assert text.startswith(HEADER + "\n")
    assert text.endswith("\n\n" + note)
    assert ("\nextra " in text) == (extra is not None)
    assert TlogProof.parse(text) == proof


def test_tlog_proof_text_layout():
    h = _hashes(2)
    proof = TlogProof(7, h, "CP\n", b"hi")
    b64 = [base64.b64encode(x).decode() for x in h]
    assert proof.text() == (
        f"c2sp.org/tlog-proof@v1\nextra aGk=\nindex 7\n{b64[0]}\n{b64[1]}\n\nCP\n"
    )


@given(
    index=st.integers(0, 2**64),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=8).map(tuple),
    extra=st.none() | st.binary(max_size=64),
)
def test_tlog_proof_round_trip_property(index, proof, extra):
    p = TlogProof(index, proof, "origin\n1\nAAAA\n\n— x AAAAAAA=\n", extra)
    assert TlogProof.parse(p.text()) == p


def test_tlog_proof_spec_example_parses():
    proof = TlogProof.parse(SPEC_PROOF)
    assert proof.index == 73894
    assert proof.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert len(proof.proof) == 5
    assert proof.proof[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert proof.proof[-1] == base64.b64decode("AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=")
    assert proof.checkpoint.startswith("example.com/fancylog\n109482\n")
    assert proof.checkpoint.endswith("— witness3.example S4X82uH5[...]3oEcROGLFQ==\n")
    assert proof.text() == SPEC_PROOF


def test_tlog_proof_checkpoint_kept_verbatim(checkpoint, keys, validators):
    note = sign_checkpoint(checkpoint, keys)
    parsed = TlogProof.parse(TlogProof(3, _hashes(2), note).text())
    assert parsed.checkpoint == note
    assert verify_checkpoint(parsed.checkpoint, validators, ORIGIN)[0] == checkpoint


def test_tlog_proof_without_extra_and_hashes():
    proof = TlogProof.parse(f"{HEADER}\nindex 0\n\ncp\n")
    assert proof == TlogProof(0, (), "cp\n", None)


H = base64.b64encode(_hashes(1)[0]).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(f"index 0\n{H}\n\ncp\n", id="no-header"),
        pytest.param("c2sp.org/tlog-proof@v2\nindex 0\n\ncp\n", id="wrong-header"),
        pytest.param(f"{HEADER} \nindex 0\n\ncp\n", id="header-trailing-space"),
        pytest.param(f"{HEADER}\n{H}\n\ncp\n", id="no-index-line"),
        pytest.param(f"{HEADER}\n\ncp\n", id="header-only"),
        pytest.param(f"{HEADER}\nextra AAAA\n\ncp\n", id="extra-but-no-index"),
        pytest.param(f"{HEADER}\nindex 0\nextra AAAA\n\ncp\n", id="extra-after-index"),
        pytest.param(f"{HEADER}\nindex 01\n\ncp\n", id="index-leading-zero"),
        pytest.param(f"{HEADER}\nindex -1\n\ncp\n", id="index-negative"),
        pytest.param(f"{HEADER}\nindex  1\n\ncp\n", id="index-double-space"),
        pytest.param(f"{HEADER}\nindex\n\ncp\n", id="index-no-number"),
        pytest.param(f"{HEADER}\nindex 1\n{H}\nnot base64!\n\ncp\n", id="non-base64-hash"),
        pytest.param(f"{HEADER}\nindex 1\n{H[:-1]}\n\ncp\n", id="hash-bad-padding"),
        pytest.param(f"{HEADER}\nextra A!AA\nindex 1\n\ncp\n", id="non-base64-extra"),
        pytest.param(
            f"{HEADER}\nindex 1\n{base64.b64encode(b'x' * 31).decode()}\n\ncp\n", id="hash-31"
        ),
        pytest.param(
            f"{HEADER}\nindex 1\n{base64.b64encode(b'x' * 33).decode()}\n\ncp\n", id="hash-33"
        ),
        pytest.param(f"{HEADER}\nindex 1\n{bytes(32).hex()}\n\ncp\n", id="hash-as-hex"),
        pytest.param(f"{HEADER}\nindex 1\n{H}\n", id="no-blank-line"),
    ],
)
def test_malformed_tlog_proofs_raise_proof_error(text):
    with pytest.raises(ProofError):
        TlogProof.parse(text)
