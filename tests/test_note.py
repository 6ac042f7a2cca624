"""C2SP signed notes (ledger.note) against the Go sumdb/note and C2SP spec vectors.

Vectors: see tests/vectors/README.md.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.errors import NoteError
from ledger.keys import SigningKey
from ledger.note import (
    MAX_SIGNATURES,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    note_key_id,
    parse_note,
    sign_note,
    verify_note,
)

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_PUB = bytes.fromhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6")
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwn"
    "WLox33WWd1RvMc+QQ=\n"
)
MSG = TEXT + "\n" + PETER_SIG
BOTH = TEXT + "\n" + PETER_SIG + ENOCH_SIG

POEM = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJ"
    "KONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


@pytest.fixture
def peter() -> NoteVerifier:
    return NoteVerifier.decode(PETER_VKEY)


@pytest.fixture
def enoch() -> NoteVerifier:
    return NoteVerifier.decode(ENOCH_VKEY)


def _other_signer(name: str = "witness.example/w1") -> NoteSigner:
    return NoteSigner(name, SigningKey.from_seed(hashlib.sha256(name.encode()).digest()))


# --------------------------------------------------------------------------------------
# Go sumdb/note known answers


def test_signature_line_starts_with_em_dash_and_space_bytes():
    line = NoteSigner.decode(PETER_SKEY).signature_line(TEXT)
    assert line.encode()[:4] == b"\xe2\x80\x94 "
    assert line.endswith("=\n")


def test_peter_sign_known_answer():
    signer = NoteSigner.decode(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key.public == PETER_PUB
    assert signer.verifier.key_id == bytes.fromhex("c74f20a3")
    assert sign_note(TEXT, [signer]) == MSG
    assert signer.signature_line(TEXT) == PETER_SIG


def test_peter_vkey_round_trip(peter):
    assert peter.name == "PeterNeumann"
    assert peter.public == PETER_PUB
    assert peter.key_id == bytes.fromhex("c74f20a3")
    assert peter.encode() == PETER_VKEY
    assert NoteSigner.decode(PETER_SKEY).verifier.encode() == PETER_VKEY


def test_note_key_id_formula():
    want = hashlib.sha256(b"PeterNeumann\n\x01" + PETER_PUB).digest()[:4]
    assert note_key_id("PeterNeumann", PETER_PUB) == want == bytes.fromhex("c74f20a3")


def test_enoch_vkey_round_trip(enoch):
    assert enoch.name == "EnochRoot"
    assert enoch.key_id == bytes.fromhex("af0cfe78")
    assert enoch.encode() == ENOCH_VKEY


def test_vkey_hex_id_is_case_insensitive_on_input():
    upper = PETER_VKEY.replace("c74f20a3", "C74F20A3")
    assert NoteVerifier.decode(upper) == NoteVerifier.decode(PETER_VKEY)


def test_verify_peter_note(peter):
    text, signers = verify_note(MSG, [peter])
    assert text == TEXT
    assert signers == [peter]


def test_parse_peter_note():
    text, sigs = parse_note(MSG)
    assert text == TEXT
    assert len(sigs) == 1
    sig = sigs[0]
    assert sig.name == "PeterNeumann"
    assert sig.key_id == bytes.fromhex("c74f20a3")
    assert sig.signature == bytes.fromhex(
        "f64992e052f541bf49f7dcbc8010c5506d885ba92cbafca40704959227348b86"
        "52060dd451580b6a5948d5e02afa9fa9d9e0a2da5165be8a13a472c81c099c03"
    )
    assert sig.line() == PETER_SIG


def test_double_signed_only_peter_known(peter):
    text, signers = verify_note(BOTH, [peter])
    assert text == TEXT
    assert signers == [peter]


def test_double_signed_only_peter_known_cannot_meet_threshold_two(peter):
    with pytest.raises(NoteError):
        verify_note(BOTH, [peter], threshold=2)


def test_double_signed_only_enoch_known(enoch):
    assert verify_note(BOTH, [enoch])[1] == [enoch]


def test_double_signed_both_known_threshold_two(peter, enoch):
    text, signers = verify_note(BOTH, [peter, enoch], threshold=2)
    assert text == TEXT
    assert signers == [peter, enoch]


def test_double_signed_threshold_three_with_two_known_fails(peter, enoch):
    with pytest.raises(NoteError):
        verify_note(BOTH, [peter, enoch], threshold=3)


def test_double_signed_none_known(peter, enoch):
    with pytest.raises(NoteError):
        verify_note(BOTH, [])
    with pytest.raises(NoteError):
        verify_note(BOTH, [NoteVerifier.decode(_other_signer().verifier.encode())])


@pytest.mark.parametrize("threshold", [0, -1])
def test_threshold_below_one_still_needs_one_signature(threshold):
    with pytest.raises(NoteError):
        verify_note(MSG, [], threshold=threshold)


def test_corrupted_peter_signature_rejected(peter):
    # Go's test inserts "ABCD" at byte 60 of the line (the em dash is 3 bytes).
    raw = PETER_SIG.encode()
    corrupted = (raw[:60] + b"ABCD" + raw[60:]).decode()
    with pytest.raises(NoteError) as info:
        verify_note(TEXT + "\n" + corrupted, [peter])
    assert "PeterNeumann+c74f20a3" in str(info.value)


def test_flipped_bit_in_known_signature_rejected(peter):
    raw = bytearray(base64.b64decode(PETER_SIG.split(" ")[2]))
    raw[10] ^= 0x01
    line = f"— PeterNeumann {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError):
        verify_note(TEXT + "\n" + line, [peter])


def test_bad_known_signature_rejects_even_when_another_known_key_verifies(peter, enoch):
    raw = PETER_SIG.encode()
    corrupted = (raw[:60] + b"ABCD" + raw[60:]).decode()
    note = TEXT + "\n" + ENOCH_SIG + corrupted
    assert verify_note(TEXT + "\n" + ENOCH_SIG, [peter, enoch])[1] == [enoch]
    with pytest.raises(NoteError):
        verify_note(note, [peter, enoch])


def test_repeated_known_key_is_verified_only_the_first_time(peter):
    # As in Go: a later line with the same (name, id) is skipped, not verified.
    raw = bytearray(base64.b64decode(PETER_SIG.split(" ")[2]))
    raw[10] ^= 0x01
    bad_copy = f"— PeterNeumann {base64.b64encode(bytes(raw)).decode()}\n"
    assert verify_note(TEXT + "\n" + PETER_SIG + bad_copy, [peter])[1] == [peter]
    with pytest.raises(NoteError):
        verify_note(TEXT + "\n" + bad_copy + PETER_SIG, [peter])


def test_bad_signature_from_unknown_key_is_ignored(peter):
    raw = ENOCH_SIG.encode()
    corrupted = (raw[:60] + b"ABCD" + raw[60:]).decode()
    assert verify_note(TEXT + "\n" + PETER_SIG + corrupted, [peter])[1] == [peter]


def test_changed_text_does_not_verify(peter):
    note = TEXT.replace("problem", "pr0blem", 1) + "\n" + PETER_SIG
    with pytest.raises(NoteError):
        verify_note(note, [peter])


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(TEXT, id="text-only"),
        pytest.param(TEXT + "\n", id="text-and-blank-line"),
        pytest.param(TEXT + "\n" + PETER_SIG[:-1], id="no-final-newline"),
        pytest.param("\x01" + MSG, id="leading-0x01"),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), id="name-with-space"
        ),
        pytest.param(MSG + "Unexpected line.\n", id="trailing-unexpected-line"),
        pytest.param(MSG + "\n", id="trailing-blank-line"),
        pytest.param(TEXT + "\n" + PETER_SIG.replace("— ", "-- "), id="ascii-dashes"),
        pytest.param(TEXT + "\n" + PETER_SIG.replace("— ", "—"), id="no-space-after-dash"),
        pytest.param(TEXT + "\n— PeterNeumann\n", id="no-payload"),
        pytest.param(TEXT + "\n— PeterNeumann \n", id="empty-payload"),
        pytest.param(TEXT + "\n— PeterNeumann AAAAAA==\n", id="payload-4-bytes"),
        pytest.param(TEXT + "\n— PeterNeumann x08go!ZJ\n", id="payload-not-base64"),
        pytest.param(TEXT + "\n— PeterNeumann AAAAAAA\n", id="payload-bad-padding"),
        pytest.param(TEXT + "\n—  AAAAAAA=\n", id="empty-name"),
        pytest.param(TEXT + "\n— Peter+Neumann AAAAAAA=\n", id="name-with-plus"),
        pytest.param(TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG, id="crlf-in-text"),
        pytest.param("a\tb\n\n" + PETER_SIG, id="tab-in-text"),
        pytest.param(PETER_SIG, id="signatures-only"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_notes_rejected(note, peter):
    with pytest.raises(NoteError):
        parse_note(note)
    with pytest.raises(NoteError):
        verify_note(note, [peter])


def test_five_byte_payload_parses_but_unknown_so_ignored():
    # Go requires at least 5 bytes (4-byte id + something); it is a parse-level minimum.
    text, sigs = parse_note(TEXT + "\n— PeterNeumann AAAAAAA=\n")
    assert text == TEXT
    assert sigs == [NoteSignature("PeterNeumann", b"\x00\x00\x00\x00", b"\x00")]


def test_101_signatures_rejected(peter):
    with pytest.raises(NoteError):
        parse_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1))
    with pytest.raises(NoteError):
        verify_note(TEXT + "\n" + PETER_SIG * 101, [peter])


def test_100_signatures_accepted_and_duplicates_count_once(peter):
    assert MAX_SIGNATURES == 100
    note = TEXT + "\n" + PETER_SIG * 100
    assert len(parse_note(note)[1]) == 100
    assert verify_note(note, [peter])[1] == [peter]
    with pytest.raises(NoteError):
        verify_note(note, [peter], threshold=2)


# --------------------------------------------------------------------------------------
# verifier and signer keys


@pytest.mark.parametrize(
    "vkey",
    [
        # note_test.go: key of the wrong length, hash adjusted to match.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # note_test.go: unknown algorithm byte 0x65, hash adjusted to match.
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20zz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",
        "peterneumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_vkeys_rejected(vkey):
    with pytest.raises(NoteError):
        NoteVerifier.decode(vkey)


def test_every_proper_prefix_and_suffix_of_the_vkey_is_rejected():
    for i in range(len(PETER_VKEY)):
        with pytest.raises(NoteError):
            NoteVerifier.decode(PETER_VKEY[:i])
        with pytest.raises(NoteError):
            NoteVerifier.decode(PETER_VKEY[i + 1 :])


def test_every_single_character_increment_of_the_vkey_is_rejected():
    for i, ch in enumerate(PETER_VKEY):
        bumped = PETER_VKEY[:i] + chr(ord(ch) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(NoteError):
            NoteVerifier.decode(bumped)


@pytest.mark.parametrize(
    "skey",
    [
        "",
        PETER_VKEY,
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
        PETER_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"),
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),
        PETER_SKEY.replace("+AYEK", "+AoEK"),  # algorithm byte 0x02
        PETER_SKEY[:-4],  # seed too short
        PETER_SKEY.replace("AYEK", "AYE!"),  # not base64
        PETER_SKEY.replace("PeterNeumann", "Peter Neumann"),
    ],
)
def test_bad_skeys_rejected(skey):
    with pytest.raises(NoteError):
        NoteSigner.decode(skey)


# --------------------------------------------------------------------------------------
# C2SP spec example: an empty line inside the text


def test_spec_poem_parses():
    text, sigs = parse_note(POEM)
    assert text == (
        "Ognuno sta solo sul cuor della terra\n"
        "trafitto da un raggio di sole:\n"
        "\n"
        "ed è subito sera.\n"
    )
    assert len(sigs) == 1
    assert sigs[0].name == "quasimodo.example/salvatore"
    assert sigs[0].key_id == bytes.fromhex("367ba04b")
    assert len(sigs[0].signature) == 64
    assert sigs[0].line() == POEM.split("\n\n")[-1]


def test_spec_poem_is_unverified_without_its_key(peter):
    with pytest.raises(NoteError):
        verify_note(POEM, [peter])


def test_text_with_empty_lines_round_trips_through_our_signer():
    signer = _other_signer()
    text = "a\n\nb\n\n\nc\n"
    note = sign_note(text, [signer])
    assert verify_note(note, [signer.verifier]) == (text, [signer.verifier])


# --------------------------------------------------------------------------------------
# names, unknown keys, signing


@pytest.mark.parametrize("name", ["a b", "a+b", "", "tab\tname", "nbsp\u00a0name", "em\u2003sp"])
def test_bad_names_rejected_everywhere(name):
    key = SigningKey.generate()
    with pytest.raises(NoteError):
        note_key_id(name, key.public)
    with pytest.raises(NoteError):
        sign_note(TEXT, [NoteSigner(name, key)])
    with pytest.raises(NoteError):
        NoteVerifier(name, key.public).key_id  # noqa: B018


@pytest.mark.parametrize("name", ["a b", "a+b", "nbsp\u00a0name"])
def test_signature_line_with_bad_name_rejected(name):
    line = PETER_SIG.replace("PeterNeumann", name)
    with pytest.raises(NoteError):
        parse_note(TEXT + "\n" + line)


def test_good_names():
    for name in ("example.com/log42", "PeterNeumann", "ü.example", "a—b"):
        signer = NoteSigner(name, SigningKey.generate())
        assert verify_note(sign_note(TEXT, [signer]), [signer.verifier])[1] == [signer.verifier]
        assert NoteVerifier.decode(signer.verifier.encode()) == signer.verifier


def test_unknown_key_sharing_name_or_id_is_ignored(peter):
    raw = base64.b64decode(PETER_SIG.split(" ")[2])
    other_id = base64.b64encode(bytes.fromhex("00000001") + raw[4:]).decode()
    same_name_other_id = f"— PeterNeumann {other_id}\n"
    same_id_other_name = f"— PeterNewman {base64.b64encode(raw).decode()}\n"
    note = TEXT + "\n" + same_name_other_id + same_id_other_name + PETER_SIG
    text, signers = verify_note(note, [peter])
    assert text == TEXT
    assert signers == [peter]
    # Without the real signature, the look-alikes alone do not verify anything.
    with pytest.raises(NoteError):
        verify_note(TEXT + "\n" + same_name_other_id + same_id_other_name, [peter])


def test_key_with_same_name_but_other_public_key_does_not_count(peter):
    impostor = NoteSigner("PeterNeumann", SigningKey.generate())
    note = sign_note(TEXT, [impostor])
    with pytest.raises(NoteError):
        verify_note(note, [peter])


def test_sign_note_text_must_end_in_newline():
    with pytest.raises(NoteError):
        sign_note(TEXT[:-1], [NoteSigner.decode(PETER_SKEY)])


def test_sign_note_refuses_control_characters():
    with pytest.raises(NoteError):
        sign_note("a\x00b\n", [NoteSigner.decode(PETER_SKEY)])


def test_sign_note_needs_a_signer():
    with pytest.raises(NoteError):
        sign_note(TEXT, [])


def test_sign_note_with_several_signers_orders_lines():
    a, b = _other_signer("a.example"), _other_signer("b.example")
    note = sign_note(TEXT, [a, b])
    assert note == TEXT + "\n" + a.signature_line(TEXT) + b.signature_line(TEXT)
    assert verify_note(note, [b.verifier, a.verifier], threshold=2)[1] == [
        a.verifier,
        b.verifier,
    ]


# --------------------------------------------------------------------------------------
# cosigning


def test_add_signatures_cosigns(peter):
    w = _other_signer()
    note = add_signatures(MSG, [w])
    assert note == MSG + w.signature_line(TEXT)
    text, signers = verify_note(note, [peter, w.verifier], threshold=2)
    assert text == TEXT
    assert signers == [peter, w.verifier]


def test_add_signatures_does_not_duplicate_present_keys(peter):
    w = _other_signer()
    once = add_signatures(MSG, [w])
    twice = add_signatures(once, [NoteSigner.decode(PETER_SKEY), w])
    assert twice == once
    assert len(parse_note(twice)[1]) == 2


def test_add_signatures_of_an_unsigned_text_is_refused():
    with pytest.raises(NoteError):
        add_signatures(TEXT, [_other_signer()])


def test_add_signatures_with_a_repeated_signer_adds_it_once():
    w = _other_signer()
    note = add_signatures(MSG, [w, w])
    assert note == MSG + w.signature_line(TEXT)


# --------------------------------------------------------------------------------------
# Spec divergences (see report)


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_do_not_split_signature_lines(sep, peter):
    note = TEXT + "\n" + PETER_SIG[:-1] + sep + PETER_SIG
    with pytest.raises(NoteError):
        parse_note(note)


def test_note_that_is_not_valid_utf8_is_a_note_error(peter):
    with pytest.raises(NoteError):
        verify_note("\udcff" + MSG, [peter])
