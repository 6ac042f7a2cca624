"""Small-order and non-canonical Ed25519 public keys are refused wherever keys are admitted."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ValidationError
from ledger.keys import SigningKey, check_public_key, public_key_from_hex, verify
from ledger.model import Organisation
from ledger.weak_keys import weakness

# The eight points of order dividing 8, in their canonical encodings.
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
]
NON_CANONICAL = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1
    "0100000000000000000000000000000000000000000000000000000000000080",  # x = 0, sign 1
    "0200000000000000000000000000000000000000000000000000000000000000",  # not on curve
]


def test_why_it_matters_the_identity_key_accepts_one_signature_for_everything():
    identity = bytes.fromhex(SMALL_ORDER[0])
    universal = identity + bytes(32)  # R = identity, S = 0
    for message in (b"anchor this", b"and also this"):
        verify(identity, universal, message)  # the raw primitive accepts it


@pytest.mark.parametrize("encoded", SMALL_ORDER)
def test_small_order_points_are_refused(encoded):
    assert "small-order" in weakness(bytes.fromhex(encoded))
    with pytest.raises(ValidationError, match="small-order"):
        public_key_from_hex(encoded)


@pytest.mark.parametrize("encoded", NON_CANONICAL)
def test_non_canonical_encodings_are_refused(encoded):
    with pytest.raises(ValidationError, match="not a canonical"):
        check_public_key(bytes.fromhex(encoded))


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_real_keys_pass(seed):
    public = SigningKey.from_seed(seed).public
    assert weakness(public) is None
    assert check_public_key(public) == public


def test_genesis_and_trust_refuse_a_weak_key(consortium):
    weak = Organisation("mallory", ("producer",), (bytes.fromhex(SMALL_ORDER[0]),))
    with pytest.raises(ValidationError, match="small-order"):
        dataclasses.replace(
            consortium.genesis, organisations=(*consortium.genesis.organisations, weak)
        )
    data = consortium.genesis.to_dict()
    data["validators"][0]["public_key"] = SMALL_ORDER[4]
    from ledger.model import Genesis

    with pytest.raises(ValidationError, match="small-order"):
        Genesis.from_dict(data)
