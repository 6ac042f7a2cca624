"""The data model: canonical round trips, strict validation, signatures, quorums."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import now_time
from ledger.errors import QuorumError, SignatureError, ValidationError
from ledger.keys import SigningKey
from ledger.model import (
    Block,
    BlockHeader,
    CommitCertificate,
    Equivocation,
    Genesis,
    Organisation,
    SignedTransaction,
    Transaction,
    Validator,
    Vote,
    VoteType,
)
from ledger.model.block import tx_root
from ledger.quorum import ValidatorSet, quorum


def test_transaction_round_trip_and_id(consortium):
    stx = consortium.tx(0, sha256="ab" * 32, size=10)
    again = SignedTransaction.from_dict(stx.to_dict())
    assert again == stx
    assert again.tx_id == stx.tx_id
    assert len(stx.tx_id) == 64
    stx.verify_signature(consortium.members[0].public)


def test_tx_id_covers_the_signature(consortium):
    stx = consortium.tx(0)
    other = dataclasses.replace(stx, signature=consortium.members[0].sign(b"something else"))
    assert other.tx_id != stx.tx_id
    with pytest.raises(SignatureError):
        other.verify_signature(consortium.members[0].public)


def test_transaction_signature_checks(consortium):
    stx = consortium.tx(0)
    with pytest.raises(SignatureError, match="does not match"):
        stx.verify_signature(consortium.members[1].public)
    with pytest.raises(SignatureError, match="sender"):
        stx.tx.sign(consortium.members[1])
    body = stx.to_dict()
    body["tx"]["args"] = {"sha256": "cd" * 32}
    with pytest.raises(SignatureError):
        SignedTransaction.from_dict(body).verify_signature(consortium.members[0].public)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(contract="evidence\n"), "must be 1-63"),
        (lambda d: d.pop("nonce"), "missing field"),
        (lambda d: d.update(extra=1), "unknown field"),
        (lambda d: d.update(chain_id="AB" * 32), "lowercase hex"),
        (lambda d: d.update(chain_id="ab" * 31), "32 bytes"),
        (lambda d: d.update(args={"x": 1.5}), "floats"),
        (lambda d: d.update(args={"x": 2**60}), "2\\^53"),
        (lambda d: d.update(args=[1]), "JSON object"),
        (lambda d: d.update(action="Anchor!"), "must be 1-63"),
        (lambda d: d.update(created_at="2026-01-01T00:00:00+01:00"), "RFC 3339"),
        (lambda d: d.update(nonce=""), "1 to 32 bytes"),
        (lambda d: d.update(sender=7), "lowercase hex"),
    ],
)
def test_transaction_validation(consortium, change, message):
    body = consortium.tx(0).to_dict()
    change(body["tx"])
    with pytest.raises(ValidationError, match=message):
        SignedTransaction.from_dict(body)


def test_signed_transaction_envelope_validation(consortium):
    body = consortium.tx(0).to_dict()
    with pytest.raises(ValidationError, match="64 bytes"):
        SignedTransaction.from_dict({**body, "signature": "00" * 10})
    with pytest.raises(ValidationError, match="JSON object"):
        SignedTransaction.from_dict([body])


def test_genesis_round_trip_and_chain_id(consortium):
    g = consortium.genesis
    again = Genesis.from_dict(g.to_dict())
    assert again == g and again.chain_id == g.chain_id
    renamed = dataclasses.replace(g, chain_name="other")
    assert renamed.chain_id != g.chain_id
    assert g.validator_set().threshold == 2
    org, public = g.member(consortium.members[1].key_id)
    assert org.name == "org1" and public == consortium.members[1].public
    assert g.member(consortium.nodes[0].key_id) is None  # a node key is not a member key


def test_genesis_refuses_inconsistent_contents(consortium):
    g = consortium.genesis
    orgs, vals = g.organisations, g.validators
    with pytest.raises(ValidationError, match="organisation name appears twice"):
        dataclasses.replace(g, organisations=(*orgs, orgs[0]))
    with pytest.raises(ValidationError, match="at least one validator"):
        dataclasses.replace(g, validators=())
    with pytest.raises(ValidationError, match="unknown organisation"):
        dataclasses.replace(g, validators=(Validator("x", "nobody", SigningKey.generate().public),))
    reused = Organisation("dup", ("producer",), (vals[0].public_key,))
    with pytest.raises(ValidationError, match="used twice"):
        dataclasses.replace(g, organisations=(*orgs, reused))
    bad = g.to_dict()
    bad["format"] = "other/v9"
    with pytest.raises(ValidationError, match="format"):
        Genesis.from_dict(bad)


def _header(consortium, txs, height=1) -> BlockHeader:
    return BlockHeader(
        chain_id=consortium.chain_id,
        height=height,
        prev_hash=consortium.chain_id,
        time=now_time(),
        proposer=consortium.nodes[0].key_id,
        tx_count=len(txs),
        tx_root=tx_root(txs),
        log_size=len(txs),
        log_root="00" * 32,
        state_root="00" * 32,
        results_root="11" * 32,
    )


def test_block_round_trip_and_body_checks(consortium):
    txs = [consortium.tx(0), consortium.tx(1)]
    block = Block(_header(consortium, txs), tuple(txs))
    assert Block.from_dict(block.to_dict()) == block
    assert BlockHeader.from_dict(block.header.to_dict()).block_hash == block.header.block_hash
    short = block.to_dict()
    short["transactions"].pop()
    with pytest.raises(ValidationError, match="body has 1"):
        Block.from_dict(short)
    swapped = block.to_dict()
    swapped["transactions"].reverse()
    with pytest.raises(ValidationError, match="tx_root"):
        Block.from_dict(swapped)
    header = block.header.to_dict() | {"height": 0}
    with pytest.raises(ValidationError, match="height"):
        BlockHeader.from_dict(header)


def _votes(consortium, block_hash, signers, vtype=VoteType.PRECOMMIT, height=1):
    return [
        Vote.signed(consortium.nodes[i], consortium.chain_id, height, 0, vtype, block_hash)
        for i in signers
    ]


def test_certificate_quorum(consortium):
    vs = consortium.genesis.validator_set()
    h = "ab" * 32
    cert = CommitCertificate.from_votes(_votes(consortium, h, [0, 2]))
    cert.verify(vs, chain_id=consortium.chain_id, height=1, block_hash=h)
    assert CommitCertificate.from_dict(cert.to_dict()) == cert
    one = CommitCertificate.from_votes(_votes(consortium, h, [1]))
    with pytest.raises(QuorumError, match="1 validator signature"):
        one.verify(vs, chain_id=consortium.chain_id, height=1, block_hash=h)
    doubled = dataclasses.replace(cert, signatures=(cert.signatures[0], cert.signatures[0]))
    with pytest.raises(QuorumError, match="signed twice"):
        doubled.verify(vs, chain_id=consortium.chain_id, height=1, block_hash=h)
    with pytest.raises(SignatureError, match="not height 2"):
        cert.verify(vs, chain_id=consortium.chain_id, height=2, block_hash=h)


def test_certificate_refuses_outsiders_and_forgeries(consortium):
    vs = consortium.genesis.validator_set()
    h = "cd" * 32
    outsider = SigningKey.generate()
    votes = _votes(consortium, h, [0])
    votes.append(Vote.signed(outsider, consortium.chain_id, 1, 0, VoteType.PRECOMMIT, h))
    with pytest.raises(SignatureError, match="not a validator"):
        CommitCertificate.from_votes(votes).verify(
            vs, chain_id=consortium.chain_id, height=1, block_hash=h
        )
    # a prevote signature cannot stand in for a precommit
    prevotes = _votes(consortium, h, [0, 1], VoteType.PREVOTE)
    relabelled = [dataclasses.replace(v, type=VoteType.PRECOMMIT) for v in prevotes]
    with pytest.raises(SignatureError):
        CommitCertificate.from_votes(relabelled).verify(
            vs, chain_id=consortium.chain_id, height=1, block_hash=h
        )
    with pytest.raises(ValidationError, match="precommits for one block"):
        CommitCertificate.from_votes(
            _votes(consortium, h, [0]) + _votes(consortium, "ee" * 32, [1])
        )
    with pytest.raises(ValidationError, match="nil"):
        CommitCertificate.from_votes(_votes(consortium, None, [0, 1]))


def test_vote_round_trip_and_validation(consortium):
    vote = _votes(consortium, None, [1], VoteType.PREVOTE)[0]
    assert Vote.from_dict(vote.to_dict()) == vote
    vote.verify(consortium.genesis.validator_set())
    with pytest.raises(ValidationError, match="prevote"):
        Vote.from_dict(vote.to_dict() | {"type": "commit"})
    moved = dataclasses.replace(vote, height=2)
    with pytest.raises(SignatureError):
        moved.verify(consortium.genesis.validator_set())


def test_equivocation_evidence(consortium):
    vs = consortium.genesis.validator_set()
    a = _votes(consortium, "aa" * 32, [2])[0]
    b = _votes(consortium, "bb" * 32, [2])[0]
    evidence = Equivocation(a, b)
    evidence.verify(vs, consortium.chain_id)
    assert Equivocation.from_dict(evidence.to_dict()) == evidence
    with pytest.raises(ValidationError, match="agree"):
        Equivocation(a, a).verify(vs, consortium.chain_id)
    other_height = _votes(consortium, "bb" * 32, [2], height=2)[0]
    with pytest.raises(ValidationError, match="one height"):
        Equivocation(a, other_height).verify(vs, consortium.chain_id)
    forged = dataclasses.replace(b, signature=bytes(64))
    with pytest.raises(SignatureError):
        Equivocation(a, forged).verify(vs, consortium.chain_id)
    with pytest.raises(ValidationError, match="another chain"):
        evidence.verify(vs, "ff" * 32)
    other_validator = _votes(consortium, "bb" * 32, [1])[0]
    with pytest.raises(ValidationError):
        Equivocation(a, other_validator).verify(vs, consortium.chain_id)


@pytest.mark.parametrize(("n", "q"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (7, 5), (10, 7)])
def test_quorum_formula(n, q):
    f = (n - 1) // 3
    assert quorum(n) == q == (n + f) // 2 + 1


def test_validator_set_threshold_bounds():
    keys = [
        ("a", SigningKey.generate().public),
        ("b", SigningKey.generate().public),
        ("c", SigningKey.generate().public),
    ]
    assert ValidatorSet.of(keys).threshold == 2
    assert ValidatorSet.of(keys, 3).threshold == 3
    with pytest.raises(ValidationError, match=r"outside 2\.\.3"):
        ValidatorSet.of(keys, 1)
    with pytest.raises(ValidationError, match="twice"):
        ValidatorSet.of([*keys, keys[0]])
    with pytest.raises(ValidationError, match="name 'a' appears twice"):
        ValidatorSet.of([*keys, ("a", SigningKey.generate().public)])


def test_transaction_is_validated_at_construction(consortium):
    with pytest.raises(ValidationError):
        Transaction(consortium.chain_id, "evidence", "anchor", {}, "zz", "00", now_time())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.text(max_size=20)
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(args=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_canonical_round_trip_of_any_transaction(args):
    key = SigningKey.from_seed(bytes(32))
    chain = "ab" * 32
    stx = Transaction.new(key, chain, "evidence", "anchor", args).sign(key)
    data = stx.canonical_bytes()
    again = SignedTransaction.from_dict(json.loads(data))
    assert again == stx and again.tx_id == stx.tx_id
    assert again.canonical_bytes() == data  # canonical bytes are a fixed point
    again.verify_signature(key.public)


def test_args_are_a_canonical_copy(consortium):
    key = consortium.members[0]
    args = {"digest": b"\x01\x02", "parts": (1, 2)}
    tx = Transaction.new(key, consortium.chain_id, "evidence", "anchor", args)
    assert tx.args == {"digest": "0102", "parts": [1, 2]}
    args["parts"] = "changed later"
    assert tx.args["parts"] == [1, 2]  # the caller's object is not shared
    assert Transaction.from_dict(tx.to_dict()) == tx


def test_signed_message_cut_from_the_envelope_is_the_signing_message(consortium):
    for args in ({"sha256": "00" * 32}, {"title": "Ünïcode ✓ \U0001f600", "n": 3, "l": [1, None]}):
        stx = consortium.tx(**args)
        stx.canonical_bytes()  # the envelope is now cached: the cut path is taken
        assert stx._signed_message() == stx.tx.signing_message()
        stx.verify_signature(consortium.members[0].public)
    fresh = SignedTransaction.from_dict(stx.to_dict())  # nothing cached: the plain path
    assert fresh._signed_message() == stx.tx.signing_message()
