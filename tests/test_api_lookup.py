"""The lookup routes of a node served in process: ``/v1/resolve/{prefix}`` (the full ids a
typed hex prefix stands for, of each kind, at most ten per kind) and
``/v1/membership/proposals`` (the open proposals); every answer checked against its
model, every refusal a problem 400."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.keys import SigningKey
from nodes.server.models.lookup import OpenProposals, Resolved
from tests.api_node import ApiNode, problem, serving

SHARED = "5eed1e55"  # eleven anchored documents start with it: one more than an answer holds


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiNode]:
    with serving(tmp_path_factory.mktemp("lookup")) as a:
        yield a


@pytest.fixture(scope="module")
def chain(api: ApiNode) -> dict[str, Any]:
    shared = [SHARED + os.urandom(28).hex() for _ in range(11)]
    txs = [api.tx(args={"sha256": d, "size": 1}) for d in shared]
    statuses = api.commit(*txs)
    return {"shared": shared, "txs": txs, "statuses": statuses}


def resolve(api: ApiNode, prefix: str, **params: Any) -> dict[str, Any]:
    resp = api.get(f"/v1/resolve/{prefix}", **params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    Resolved.model_validate(body)
    assert body["prefix"] == prefix
    return body


def _pairs(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["kind"], m["id"]) for m in body["matches"]]


def test_a_unique_prefix_resolves_to_its_full_id(api: ApiNode, chain):
    tx = chain["txs"][3]
    for n in (8, 13, 64):
        body = resolve(api, tx.tx_id[:n], kind="tx")
        assert (_pairs(body), body["truncated"]) == ([("tx", tx.tx_id)], False)
    assert ("tx", tx.tx_id) in _pairs(resolve(api, tx.tx_id[:8]))
    digest = api.get("/v1/head").json()["block_hash"]
    assert _pairs(resolve(api, digest[:9], kind="block")) == [("block", digest)]
    document = chain["shared"][5]
    assert _pairs(resolve(api, document[:20], kind="document")) == [("document", document)]


def test_an_ambiguous_prefix_lists_its_matches_and_says_when_there_are_more(api: ApiNode, chain):
    shared = sorted(chain["shared"])
    body = resolve(api, SHARED, kind="document")
    assert _pairs(body) == [("document", d) for d in shared[:10]]
    assert body["truncated"] is True
    every = resolve(api, SHARED)
    assert [k for k, _ in _pairs(every)].count("document") == 10
    assert every["truncated"] is True


def test_a_prefix_nothing_starts_with_has_no_matches(api: ApiNode, chain):
    known = {t.tx_id for t in chain["txs"]} | set(chain["shared"])
    absent = next(
        p for p in (f"{n:08x}" for n in range(100)) if not any(k.startswith(p) for k in known)
    )
    body = resolve(api, absent)
    assert (body["matches"], body["truncated"]) == ([], False)
    assert resolve(api, chain["txs"][0].tx_id[:8], kind="proposal")["matches"] == []


@pytest.mark.parametrize(
    "prefix", ["abcdef0", "ABCDEF01", "abcdefg1", "0" * 65, "ab%20cdef01", "--------"]
)
def test_a_malformed_prefix_is_a_400(api: ApiNode, prefix: str):
    problem(api.get(f"/v1/resolve/{prefix}"), 400, "prefix")


def test_an_unknown_kind_is_a_400(api: ApiNode):
    problem(api.get("/v1/resolve/abcdef01", kind="receipt"), 400, "kind")


def test_open_proposals_with_approvals_and_needs(api: ApiNode, chain):
    def propose(org: str, name: str) -> Any:
        args = {
            "organisation": name,
            "roles": ["producer"],
            "keys": [SigningKey.generate().public.hex()],
        }
        return api.tx(org, "membership", "propose", args)

    first, second = propose("cetc", "greenfarm"), propose("sasac", "bluefarm")
    api.commit(first, second)
    listed = api.get("/v1/membership/proposals").json()
    OpenProposals.model_validate(listed)
    by_id = {p["id"]: p for p in listed["proposals"]}
    assert {first.tx_id, second.tx_id} <= set(by_id)
    assert by_id[first.tx_id]["approvals"] == ["cetc"]
    assert by_id[first.tx_id]["needed"] == 2 and by_id[first.tx_id]["organisation"] == "greenfarm"
    assert by_id[second.tx_id]["stale"] is False
    # a proposal id is also its transaction's id: the kinds tell them apart
    both = resolve(api, first.tx_id[:8])
    assert {("tx", first.tx_id), ("proposal", first.tx_id)} <= set(_pairs(both))
    assert _pairs(resolve(api, first.tx_id[:8], kind="proposal")) == [("proposal", first.tx_id)]

    api.commit(api.tx("sinochem", "membership", "approve", {"proposal": first.tx_id}))
    after = api.get("/v1/membership/proposals").json()
    OpenProposals.model_validate(after)
    ids = [p["id"] for p in after["proposals"]]
    assert first.tx_id not in ids and second.tx_id in ids
    assert after["roster_version"] == listed["roster_version"] + 1
    (left,) = [p for p in after["proposals"] if p["id"] == second.tx_id]
    assert (left["status"], left["stale"]) == ("open", True)
