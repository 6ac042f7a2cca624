"""The signed peer envelope as pure functions, and the bounded memory of nonces: a
request is taken once, by the node it names, within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.canonical import format_time
from ledger.errors import SignatureError
from ledger.keys import SigningKey
from ledger.quorum import ValidatorSet
from nodes.peer import envelope
from nodes.peer.envelope import EnvelopeRefused, check_request, sign_request, span
from nodes.peer.replay import SeenNonces

CHAIN = "11" * 32
PATH = "/peer/consensus"
BODY = b'{"messages": []}'


@pytest.fixture
def keys() -> tuple[SigningKey, SigningKey]:
    return SigningKey.generate(), SigningKey.generate()


def validators(*keys: SigningKey) -> ValidatorSet:
    return ValidatorSet.of((f"v{i}-node", k.public) for i, k in enumerate(keys))


def signed_at(monkeypatch: pytest.MonkeyPatch, key: SigningKey, moment: datetime) -> dict:
    """Headers signed as if the sender's clock read ``moment``."""
    with monkeypatch.context() as m:
        m.setattr(envelope, "now_time", lambda: format_time(moment))
        return sign_request(key, CHAIN, "v1-node", PATH, BODY)


def check(headers: dict, vs: ValidatorSet, seen: SeenNonces, **kw) -> str:
    return check_request(headers, vs, CHAIN, kw.pop("me", "v1-node"), PATH, BODY, seen, **kw)


def test_fresh_request_is_taken_once(keys):
    a, b = keys
    vs, seen = validators(a, b), SeenNonces()
    headers = sign_request(a, CHAIN, "v1-node", PATH, BODY)
    assert set(headers) == set(envelope.HEADERS)
    assert len(headers[envelope.NONCE]) == 32
    assert check(headers, vs, seen) == a.key_id
    with pytest.raises(EnvelopeRefused, match="already used") as info:
        check(headers, vs, seen)
    assert info.value.title == "replayed peer request"
    # every signing draws a new nonce; the other validator's nonces are its own
    assert check(sign_request(a, CHAIN, "v1-node", PATH, BODY), vs, seen) == a.key_id
    assert check(sign_request(b, CHAIN, "v1-node", PATH, BODY), vs, seen) == b.key_id
    assert len(seen) == 3


def test_request_to_another_node_is_refused_before_any_signature_work(keys, monkeypatch):
    a, b = keys
    headers = sign_request(a, CHAIN, "v0-node", PATH, BODY)

    def no_verify(*args):
        raise AssertionError("the signature was checked")

    monkeypatch.setattr(envelope, "verify", no_verify)
    with pytest.raises(EnvelopeRefused, match="addressed to 'v0-node', this node is 'v1-node'"):
        check(headers, validators(a, b), SeenNonces())


def test_recipient_is_signed(keys):
    a, b = keys
    headers = sign_request(a, CHAIN, "v0-node", PATH, BODY) | {envelope.RECIPIENT: "v1-node"}
    with pytest.raises(SignatureError, match="does not verify"):
        check(headers, validators(a, b), SeenNonces())


def test_window_is_the_callers(keys, monkeypatch):
    a, b = keys
    vs, now = validators(a, b), datetime.now(UTC)
    late = signed_at(monkeypatch, a, now - timedelta(seconds=30))
    with pytest.raises(EnvelopeRefused, match="more than 1 second off") as info:
        check(late, vs, SeenNonces(), window=timedelta(seconds=1))
    assert info.value.title == "peer request out of time"
    assert check(late, vs, SeenNonces(), window=timedelta(minutes=1)) == a.key_id
    ahead = signed_at(monkeypatch, a, now + timedelta(minutes=6))
    with pytest.raises(EnvelopeRefused, match="more than 5 minutes off"):
        check(ahead, vs, SeenNonces())


def test_a_nonce_is_remembered_only_once_the_signature_verified(keys):
    a, b = keys
    vs, seen = validators(a, b), SeenNonces()
    headers = sign_request(a, CHAIN, "v1-node", PATH, BODY)
    forged = headers | {envelope.SIGNATURE: "00" * 64}
    with pytest.raises(SignatureError, match="does not verify"):
        check(forged, vs, seen)
    assert len(seen) == 0
    assert check(headers, vs, seen) == a.key_id


def test_memory_is_bounded_per_sender_and_a_forgotten_nonce_stays_refused(keys, monkeypatch):
    a, b = keys
    vs, seen, now = validators(a, b), SeenNonces(per_sender=3), datetime.now(UTC)
    sent = [signed_at(monkeypatch, a, now + timedelta(seconds=i)) for i in range(5)]
    for headers in sent:
        assert check(headers, vs, seen) == a.key_id
    assert len(seen) == 3  # the two oldest were forgotten...
    for headers in sent[:2]:  # ...yet no request is taken twice
        with pytest.raises(EnvelopeRefused, match="older than the nonces") as info:
            check(headers, vs, seen)
        assert info.value.title == "replayed peer request"
    for headers in sent[2:]:
        with pytest.raises(EnvelopeRefused, match="already used"):
            check(headers, vs, seen)
    # a request signed before the forgotten ones cannot be told from a replay: refused
    older = signed_at(monkeypatch, a, now - timedelta(seconds=1))
    with pytest.raises(EnvelopeRefused, match="older than the nonces this node still remembers"):
        check(older, vs, seen)
    # another sender's memory is its own
    assert check(sign_request(b, CHAIN, "v1-node", PATH, BODY), vs, seen) == b.key_id


def test_seen_nonces_expire_with_the_window():
    seen = SeenNonces(per_sender=10)
    assert seen.remember("s", "n1", 100.0, expire_before=0.0)
    assert seen.remember("s", "n2", 101.0, expire_before=0.0)
    assert not seen.remember("s", "n1", 100.0, expire_before=0.0)
    assert seen.seen("s", "n1") and not seen.seen("t", "n1")
    # once the window has passed both, they are forgotten, and their times refused
    assert seen.remember("s", "n3", 500.0, expire_before=400.0)
    assert len(seen) == 1 and not seen.seen("s", "n1")
    assert seen.too_old("s", 101.0) and not seen.too_old("s", 102.0)
    assert not seen.remember("s", "n1", 100.0, expire_before=400.0)
    with pytest.raises(ValueError):
        SeenNonces(per_sender=0)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(300, "5 minutes"), (60, "1 minute"), (1, "1 second"), (90, "90 seconds")],
)
def test_span(seconds: int, words: str):
    assert span(timedelta(seconds=seconds)) == words
