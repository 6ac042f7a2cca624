"""Ed25519 keys, key ids, key files (ledger.keys) and domain separation (ledger.domain)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa, x25519

from ledger.canonical import canonical
from ledger.domain import Tag, signing_message
from ledger.errors import KeyFileError, SignatureError, ValidationError
from ledger.keys import (
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    SigningKey,
    key_id,
    public_key_from_hex,
    read_key_file,
    verify,
    write_key_file,
)

# RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        b"",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
        "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        b"\x72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
        "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]

# The Go sumdb/note PeterNeumann seed and public key (see tests/vectors/README.md).
PETER_SEED = bytes.fromhex("810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173")
PETER_PUB = bytes.fromhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6")

# An EC key on secp112r1, a curve OpenSSL knows but `cryptography` does not support
# (made with `openssl ecparam -name secp112r1 -genkey -noout`; a throwaway test key).
EC_SECP112R1_PEM = b"""-----BEGIN EC PRIVATE KEY-----
MD4CAQEEDtKe7d++KzgLijG9D+uHoAcGBSuBBAAGoSADHgAEZNtt/A6M/Ot7I0AD
6yQ+R4J8UJ5/YY8Ir2EUcA==
-----END EC PRIVATE KEY-----
"""


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.from_seed(bytes(range(32)))


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 0, so a file's mode is whatever the code asked for, not what umask left."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --------------------------------------------------------------------------------------
# key ids, signing, verification


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_known_answers(seed, public, message, signature):
    k = SigningKey.from_seed(bytes.fromhex(seed))
    assert k.public == bytes.fromhex(public)
    assert k.sign(message) == bytes.fromhex(signature)
    assert verify(k.public, bytes.fromhex(signature), message) is None


def test_key_id_is_sha256_of_the_raw_public_key():
    k = SigningKey.from_seed(PETER_SEED)
    assert k.public == PETER_PUB
    assert key_id(PETER_PUB) == hashlib.sha256(PETER_PUB).hexdigest()
    assert k.key_id == hashlib.sha256(PETER_PUB).hexdigest()
    assert len(k.key_id) == 64
    assert k.key_id == k.key_id.lower()


def test_key_ids_of_different_keys_differ():
    assert SigningKey.generate().key_id != SigningKey.generate().key_id


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_key_id_refuses_a_wrong_length_key(length):
    with pytest.raises(ValidationError):
        key_id(b"\x01" * length)


def test_sizes():
    k = SigningKey.generate()
    assert len(k.public) == PUBLIC_KEY_BYTES == 32
    assert len(k.sign(b"m")) == SIGNATURE_BYTES == 64


def test_sign_is_deterministic_and_verifies(key):
    sig = key.sign(b"hello")
    assert sig == key.sign(b"hello")
    assert verify(key.public, sig, b"hello") is None


@pytest.mark.parametrize("bit", [0, 7, 100, 255, 256, 511])
def test_flipped_signature_bit_fails(key, bit):
    sig = key.sign(b"hello")
    with pytest.raises(SignatureError):
        verify(key.public, _flip(sig, bit), b"hello")


@pytest.mark.parametrize("bit", [0, 9, 39])
def test_flipped_message_bit_fails(key, bit):
    sig = key.sign(b"hello")
    with pytest.raises(SignatureError):
        verify(key.public, sig, _flip(b"hello", bit))


def test_extended_or_truncated_message_fails(key):
    sig = key.sign(b"hello")
    for message in (b"hello!", b"hell", b"", b"hello\x00"):
        with pytest.raises(SignatureError):
            verify(key.public, sig, message)


def test_wrong_key_fails(key):
    sig = key.sign(b"hello")
    with pytest.raises(SignatureError):
        verify(SigningKey.generate().public, sig, b"hello")


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_wrong_length_signature_fails(key, length):
    sig = key.sign(b"hello")
    bad = (sig * 2)[:length]
    with pytest.raises(SignatureError):
        verify(key.public, bad, b"hello")


@pytest.mark.parametrize("public", [b"", b"\x00" * 31, b"\x00" * 33])
def test_wrong_length_public_key_fails(key, public):
    with pytest.raises(SignatureError):
        verify(public, key.sign(b"hello"), b"hello")


def test_public_key_from_hex(key):
    assert public_key_from_hex(key.public.hex()) == key.public
    for bad in (key.public.hex().upper(), key.public.hex()[:-2], key.public.hex() + "00"):
        with pytest.raises(ValidationError):
            public_key_from_hex(bad)


# --------------------------------------------------------------------------------------
# key files


def test_write_key_file_mode_0600_and_round_trip(tmp_path, key, permissive_umask):
    path = tmp_path / "node.pem"
    write_key_file(path, key)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert stat.S_ISREG(os.stat(path).st_mode)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    loaded = read_key_file(path)
    assert loaded.public == key.public
    assert loaded.sign(b"x") == key.sign(b"x")


def test_write_key_file_creates_parent_folders(tmp_path, key):
    path = tmp_path / "a" / "b" / "node.pem"
    write_key_file(path, key)
    assert read_key_file(path).public == key.public


def test_write_key_file_refuses_to_overwrite(tmp_path, key):
    path = tmp_path / "node.pem"
    write_key_file(path, key)
    before = path.read_bytes()
    with pytest.raises(KeyFileError) as info:
        write_key_file(path, SigningKey.generate())
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_write_key_file_refuses_to_replace_an_unrelated_file(tmp_path, key):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"precious")
    with pytest.raises(KeyFileError):
        write_key_file(path, key)
    assert path.read_bytes() == b"precious"


def test_write_key_file_does_not_follow_a_dangling_symlink(tmp_path, key):
    target = tmp_path / "elsewhere.pem"
    link = tmp_path / "node.pem"
    link.symlink_to(target)
    with pytest.raises(KeyFileError):
        write_key_file(link, key)
    assert not target.exists()


def test_write_key_file_overwrite_true_replaces_and_tightens_mode(tmp_path, key, permissive_umask):
    path = tmp_path / "node.pem"
    path.write_bytes(b"old contents that are longer than nothing" * 100)
    os.chmod(path, 0o644)
    write_key_file(path, key, overwrite=True)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert path.read_bytes() == key.to_pem()
    assert read_key_file(path).public == key.public


def test_write_key_file_onto_a_directory_is_a_key_file_error(tmp_path, key):
    with pytest.raises(KeyFileError):
        write_key_file(tmp_path, key, overwrite=True)  # os.open raises IsADirectoryError


def test_write_key_file_where_the_parent_is_a_file_is_a_key_file_error(tmp_path, key):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(KeyFileError):
        write_key_file(blocker / "node.pem", key)


def _pem(private, encryption=None, fmt=serialization.PrivateFormat.PKCS8) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, fmt, encryption or serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: b"", id="empty"),
        pytest.param(lambda: b"this is not a key\n", id="garbage"),
        pytest.param(lambda: os.urandom(200), id="random-bytes"),
        pytest.param(
            lambda: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            id="truncated-pem",
        ),
        pytest.param(lambda: _pem(rsa.generate_private_key(65537, 2048)), id="rsa-pkcs8"),
        pytest.param(
            lambda: _pem(
                rsa.generate_private_key(65537, 2048),
                fmt=serialization.PrivateFormat.TraditionalOpenSSL,
            ),
            id="rsa-traditional",
        ),
        pytest.param(lambda: _pem(ec.generate_private_key(ec.SECP256R1())), id="ec-p256"),
        pytest.param(lambda: _pem(ed448.Ed448PrivateKey.generate()), id="ed448"),
        pytest.param(lambda: _pem(x25519.X25519PrivateKey.generate()), id="x25519"),
        pytest.param(
            lambda: _pem(
                SigningKey.generate().private,
                serialization.BestAvailableEncryption(b"secret"),
            ),
            id="encrypted-ed25519",
        ),
        pytest.param(
            lambda: (
                SigningKey.generate()
                .private.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ),
            id="public-key-pem",
        ),
        pytest.param(
            lambda: SigningKey.generate().private.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            id="der-not-pem",
        ),
        pytest.param(
            lambda: _pem(SigningKey.generate().private, fmt=serialization.PrivateFormat.OpenSSH),
            id="openssh-format",
        ),
    ],
)
def test_read_key_file_refuses_what_is_not_an_unencrypted_ed25519_pem(tmp_path, make):
    path = tmp_path / "key.pem"
    path.write_bytes(make())
    with pytest.raises(KeyFileError) as info:
        read_key_file(path)
    assert str(path) in str(info.value)


def test_read_key_file_missing(tmp_path):
    path = tmp_path / "absent.pem"
    with pytest.raises(KeyFileError) as info:
        read_key_file(path)
    assert str(path) in str(info.value)


def test_read_key_file_on_a_directory(tmp_path):
    with pytest.raises(KeyFileError):
        read_key_file(tmp_path)


def test_read_key_file_ec_key_on_an_unsupported_curve(tmp_path):
    path = tmp_path / "ec112.pem"
    path.write_bytes(EC_SECP112R1_PEM)
    with pytest.raises(KeyFileError):
        read_key_file(path)


# --------------------------------------------------------------------------------------
# domain separation


PAYLOAD = {"chain_id": "ab" * 32, "nonce": 7, "args": {"sha256": "00" * 32}}


def test_signing_message_layout():
    for tag in Tag:
        assert signing_message(tag, PAYLOAD) == tag.value.encode() + b"\x00" + canonical(PAYLOAD)


def test_tags_are_distinct():
    values = [t.value for t in Tag]
    assert len(set(values)) == len(values) == 4
    assert Tag.TRANSACTION.value == "provledger/v1/transaction"
    assert Tag.VOTE.value == "provledger/v1/vote"
    assert Tag.PROPOSAL.value == "provledger/v1/proposal"
    assert Tag.PEER_MESSAGE.value == "provledger/v1/peer-message"


def test_same_payload_different_kinds_give_different_messages():
    messages = {signing_message(tag, PAYLOAD) for tag in Tag}
    assert len(messages) == len(Tag)


def test_signature_for_one_kind_does_not_verify_as_another(key):
    sig = key.sign(signing_message(Tag.TRANSACTION, PAYLOAD))
    verify(key.public, sig, signing_message(Tag.TRANSACTION, PAYLOAD))
    with pytest.raises(SignatureError):
        verify(key.public, sig, signing_message(Tag.VOTE, PAYLOAD))
    with pytest.raises(SignatureError):
        verify(key.public, sig, signing_message(Tag.PEER_MESSAGE, PAYLOAD))


def test_signature_for_one_chain_does_not_verify_on_another(key):
    other = dict(PAYLOAD, chain_id="cd" * 32)
    assert signing_message(Tag.VOTE, PAYLOAD) != signing_message(Tag.VOTE, other)
    sig = key.sign(signing_message(Tag.VOTE, PAYLOAD))
    with pytest.raises(SignatureError):
        verify(key.public, sig, signing_message(Tag.VOTE, other))


def test_signing_message_does_not_depend_on_key_order():
    reordered = {"args": {"sha256": "00" * 32}, "nonce": 7, "chain_id": "ab" * 32}
    assert signing_message(Tag.TRANSACTION, reordered) == signing_message(Tag.TRANSACTION, PAYLOAD)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"nonce": 7},
        {"chain_id": None},
        {"chain_id": 1},
        {"chain_id": b"ab"},
        {"Chain_id": "ab"},
    ],
)
def test_payload_without_a_string_chain_id_is_refused(payload):
    for tag in Tag:
        with pytest.raises(ValidationError) as info:
            signing_message(tag, payload)
        assert tag.value in str(info.value)


def test_overwrite_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    from ledger.keys import SigningKey, read_key_file, write_key_file

    path = tmp_path / "node.pem"
    first, second = SigningKey.generate(), SigningKey.generate()
    write_key_file(path, first)
    write_key_file(path, second, overwrite=True)
    assert read_key_file(path).public == second.public
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node.pem"]
