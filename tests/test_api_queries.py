"""Evidence, membership and traceability queries of a node served in process: facts and
fact proofs that verify offline, depositors' pages, similar documents, the roster, its
proposals, the trust file, and a product's history and graph; every answer checked
against its model, every refusal a problem with the right status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from contracts.evidence import facts_of, lookup_digest
from ledger.anchor_proof import verify_fact
from ledger.keys import SigningKey
from ledger.receipt import verify_receipt
from ledger.trust import Trust
from nodes.config import Limits
from nodes.documents import describe
from nodes.runtime.apply import StoreView
from nodes.server.client_api import block_item
from nodes.server.models.evidence import (
    Deposits,
    FactProof,
    Facts,
    Members,
    MembershipProposal,
    Similar,
    TrustFile,
)
from nodes.server.models.trace import Downstream, Lineage, ProductHistory, RecallImpact, Upstream
from nodes.server.trace_api import answer
from seeds.corpus import documents
from tests.api_node import ApiNode, problem, serving

CRUDE = "urn:epc:class:lgtin:6901234.012345.CRUDE-2024-07"
DIESEL = "https://id.gs1.org/01/06901234000016/10/D-0001"
UNKNOWN = "urn:epc:id:sgtin:6901234.012345.404"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiNode]:
    # the seed documents' facts need more than the small body limit of the client tests
    with serving(tmp_path_factory.mktemp("queries"), Limits()) as a:
        yield a


@pytest.fixture(scope="module")
def seeded(api: ApiNode) -> dict[str, Any]:
    """Two seed documents anchored by sinochem with their facts published; a product
    commissioned, transformed and recalled."""
    docs = documents()[:2]
    described = [describe(Path(d.name), d.data) for d in docs]
    api.commit(*(api.tx("sinochem", args=d.args) for d in described))
    api.commit(
        *(
            api.tx(
                "sinochem",
                action="publish_facts",
                args={"sha256": d.args["sha256"], "facts": d.facts},
            )
            for d in described
        )
    )
    quantity = {"epcClass": CRUDE, "quantity": 500000, "uom": "KGM"}
    steps = [
        api.tx(
            "sinochem", "traceability", "commission", {"ids": [CRUDE], "quantities": [quantity]}
        ),
        api.tx(
            "sinochem",
            "traceability",
            "transform",
            {"inputs": [CRUDE], "outputs": [DIESEL]},
        ),
        api.tx("sasac", "traceability", "recall", {"id": CRUDE}),
    ]
    for step in steps:  # one after the other: each depends on the one before
        (st,) = api.commit(step).values()
        assert st["outcome"] == {"applied": True}, st
    return {"docs": described, "steps": steps}


# ---- evidence ------------------------------------------------------------------------


def test_facts_and_fact_proofs_verify_offline(api: ApiNode, seeded):
    trust: Trust = api.trust
    for d in seeded["docs"]:
        digest = d.args["sha256"]
        resp = api.get(f"/v1/evidence/{digest}/facts")
        assert resp.status_code == 200, resp.text
        facts = resp.json()
        Facts.model_validate(facts)
        assert facts["facts"] == d.facts and facts["facts_count"] == len(d.facts)
        assert facts["facts_root"] == d.args["facts_root"] and facts["sha256"] == digest
        for index in (0, len(d.facts) - 1):
            proof = api.get(f"/v1/evidence/{digest}/facts/{index}/proof").json()
            FactProof.model_validate(proof)
            verified = verify_fact(proof, trust)
            assert (verified.index, verified.count, verified.document) == (
                index,
                len(d.facts),
                digest,
            )
            assert verified.fact == d.facts[index]
        problem(api.get(f"/v1/evidence/{digest}/facts/{len(d.facts)}/proof"), 404, "no fact")
        problem(api.get(f"/v1/evidence/{digest}/facts/-1/proof"), 400, "index")


def test_facts_of_unknown_or_unpublished_documents_are_404(api: ApiNode, seeded):
    problem(api.get("/v1/evidence/" + "ab" * 32 + "/facts"), 404, "anchored")
    bare = api.tx("cetc")
    api.commit(bare)
    digest = bare.tx.args["sha256"]
    problem(api.get(f"/v1/evidence/{digest}/facts"), 404, "not published")
    problem(api.get(f"/v1/evidence/{digest}/facts/0/proof"), 404, "not published")
    problem(api.get("/v1/evidence/ABC/facts"), 400, "sha256")


def test_documents_by_depositor_in_pages(api: ApiNode, seeded):
    digests = sorted(d.args["sha256"] for d in seeded["docs"])
    first = api.get("/v1/evidence/by-depositor/sinochem", limit=1).json()
    Deposits.model_validate(first)
    assert first["organisation"] == "sinochem" and len(first["documents"]) == 1
    assert first["next"] == first["documents"][0]["sha256"]
    everything = api.get("/v1/evidence/by-depositor/sinochem").json()
    assert everything["next"] is None
    assert set(digests) <= {d["sha256"] for d in everything["documents"]}
    after = api.get("/v1/evidence/by-depositor/sinochem", after=first["next"], limit=1000).json()
    assert [d["sha256"] for d in after["documents"]] == [
        d["sha256"] for d in everything["documents"][1:]
    ]
    assert api.get("/v1/evidence/by-depositor/sasac").json() == {
        "organisation": "sasac",
        "documents": [],
        "next": None,
    }
    problem(api.get("/v1/evidence/by-depositor/Not_A_Name"), 400, "organisation")
    problem(api.get("/v1/evidence/by-depositor/sinochem", limit=0), 400, "limit")
    problem(api.get("/v1/evidence/by-depositor/sinochem", after="xyz"), 400, "after")


def test_similar_documents_by_title_and_chunks(api: ApiNode, seeded):
    d = seeded["docs"][0]
    by_chunks = api.post("/v1/evidence/similar", json={"chunks": d.args["chunks"]})
    assert by_chunks.status_code == 200, by_chunks.text
    Similar.model_validate(by_chunks.json())
    best = by_chunks.json()["candidates"][0]
    assert best["sha256"] == d.args["sha256"]
    assert best["shared_chunks"] == best["anchored_chunks"] == len(d.args["chunks"])
    assert best["anchor"]["tx_id"]
    by_title = api.post("/v1/evidence/similar", json={"title": d.args["title"]}).json()
    assert any(c["sha256"] == d.args["sha256"] and c["same_title"] for c in by_title["candidates"])
    nothing = api.post("/v1/evidence/similar", json={"chunks": ["00" * 32]}).json()
    assert nothing == {"candidates": []}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"chunks": "x"}, "chunks"),
        ({"title": 5}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 513}, "title"),
        ({"title": "\ud800"}, "unicode string"),
        ({"chunks": ["zz"]}, "chunks"),
        ({"chunks": ["AB" * 32]}, "chunks"),
        ([1], "title"),
        ({"other": 1}, "other"),
    ],
)
def test_similar_queries_are_validated(api: ApiNode, body: Any, fragment: str):
    raw = json.dumps(body).encode()  # ASCII: a lone surrogate travels as an escape
    resp = api.post("/v1/evidence/similar", content=raw, headers=JSON)
    problem(resp, 400, fragment)


def test_similar_query_body_must_be_json(api: ApiNode):
    resp = api.post("/v1/evidence/similar", content=b"{", headers=JSON)
    assert problem(resp, 400, "not JSON")["title"] == "malformed json"


# ---- membership ----------------------------------------------------------------------


def test_members_and_trust(api: ApiNode, seeded):
    members = api.get("/v1/members").json()
    Members.model_validate(members)
    assert members["height"] >= 1 and members["version"] >= 0
    roles = {o["name"]: o["roles"] for o in members["organisations"]}
    assert roles == {
        "sinochem": ["producer", "processor"],
        "cetc": ["notary", "carrier"],
        "sasac": ["regulator"],
    }
    trust = api.get("/v1/trust").json()
    TrustFile.model_validate(trust)
    assert Trust.from_dict(trust).chain_id == api.chain_id
    pinned = api.trust.to_dict()  # no member changed since genesis; the roster is sorted
    assert trust == pinned | {"organisations": sorted(pinned["organisations"], key=_name)}


def test_membership_proposal_and_its_staleness(api: ApiNode, seeded):
    newcomer = SigningKey.generate()
    args = {"organisation": "greenfarm", "roles": ["producer"], "keys": [newcomer.public.hex()]}
    proposal = api.tx("cetc", "membership", "propose", args)
    rival = api.tx(
        "sasac",
        "membership",
        "propose",
        {
            "organisation": "bluefarm",
            "roles": ["producer"],
            "keys": [SigningKey.generate().public.hex()],
        },
    )
    api.commit(proposal, rival)
    found = api.get(f"/v1/membership/proposals/{proposal.tx_id}").json()
    MembershipProposal.model_validate(found)
    assert (found["status"], found["stale"]) == ("open", False)
    api.commit(api.tx("sinochem", "membership", "approve", {"proposal": proposal.tx_id}))
    applied = api.get(f"/v1/membership/proposals/{proposal.tx_id}").json()
    assert (applied["status"], applied["stale"]) == ("applied", False)
    stale = api.get(f"/v1/membership/proposals/{rival.tx_id}").json()
    assert (stale["status"], stale["stale"]) == ("open", True)
    members = api.get("/v1/members").json()
    assert "greenfarm" in [o["name"] for o in members["organisations"]]
    assert "greenfarm" in [o["name"] for o in api.get("/v1/trust").json()["organisations"]]
    problem(api.get("/v1/membership/proposals/" + "ab" * 32), 404, "no membership proposal")
    problem(api.get("/v1/membership/proposals/xyz"), 400, "tx_id")


# ---- traceability --------------------------------------------------------------------


def test_product_history_and_graph(api: ApiNode, seeded):
    encoded = quote(DIESEL, safe="")
    diesel = api.get(f"/v1/trace/products/{encoded}").json()
    ProductHistory.model_validate(diesel)
    assert api.get(f"/v1/trace/products/{DIESEL}").json() == diesel  # raw path too
    assert diesel["product"]["inputs"] == [CRUDE]
    assert [e["step"] for e in diesel["history"]] == ["transform", "recall"]
    transform = seeded["steps"][1]
    assert diesel["history"][0]["tx_id"] == transform.tx_id
    receipt = api.get(f"/v1/receipts/{transform.tx_id}").json()
    assert verify_receipt(receipt, api.trust).tx_id == transform.tx_id
    up = api.get(f"/v1/trace/products/{encoded}/upstream").json()
    Upstream.model_validate(up)
    assert [p["id"] for p in up["upstream"]] == [CRUDE] and up["product"] == DIESEL
    down = api.get(f"/v1/trace/products/{CRUDE}/downstream").json()
    Downstream.model_validate(down)
    assert [p["id"] for p in down["downstream"]] == [DIESEL]
    impact = api.get(f"/v1/trace/products/{CRUDE}/recall-impact").json()
    RecallImpact.model_validate(impact)
    assert impact["recalled"] == impact["total"] == 2
    assert {p["id"]: p["status"] for p in impact["impact"]} == {
        CRUDE: "recalled",
        DIESEL: "recalled",
    }
    lineage = api.get(f"/v1/trace/products/{encoded}/lineage").json()
    Lineage.model_validate(lineage)
    assert [p["id"] for p in lineage["products"]] == [DIESEL, CRUDE]
    assert [e["step"] for e in lineage["events"]] == ["commission", "transform", "recall"]


def test_unknown_or_malformed_product_is_a_problem(api: ApiNode, seeded):
    for path in (f"/v1/trace/products/{UNKNOWN}", f"/v1/trace/products/{UNKNOWN}/lineage"):
        body = problem(api.get(path), 404)
        assert (body["title"], body["detail"]) == (
            "not found",
            f"no product {UNKNOWN} on this ledger",
        )
    problem(api.get("/v1/trace/products/lot-42"), 400, "is not a product id")


def _name(org: dict[str, Any]) -> str:
    return str(org["name"])


# ---- answers are the ledger's own objects, byte for byte ---------------------------------


def _bytes(obj: Any) -> bytes:
    """How a JSON answer renders ``obj`` (Starlette's ``JSONResponse``)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def test_answers_keep_the_members_and_order_of_what_they_serve(api: ApiNode, seeded):
    """The models check and document the answers; they never add, drop or reorder a
    member of the objects the store and the contracts give (a client reading the bytes
    sees what it saw before the API was typed)."""
    store = api.node.store
    view = StoreView(store)
    d = seeded["docs"][0]
    digest = d.args["sha256"]
    anchor = lookup_digest(view, digest)
    assert anchor is not None
    transform = seeded["steps"][1]
    expected = {
        f"/v1/receipts/{transform.tx_id}": store.receipt(transform.tx_id),
        f"/v1/transactions/{transform.tx_id}": api.node.status(transform.tx_id),
        f"/v1/evidence/{digest}": {"anchor": anchor, "receipt": store.receipt(anchor["tx_id"])},
        f"/v1/trace/products/{DIESEL}": answer(view, DIESEL, None),
        f"/v1/trace/products/{DIESEL}/lineage": answer(view, DIESEL, "lineage"),
        f"/v1/trace/products/{CRUDE}/recall-impact": answer(view, CRUDE, "recall-impact"),
        "/v1/blocks/1": block_item(store, 1),
        "/v1/members": {"height": store.height(), **api.node.roster().to_dict()},
    }
    for path, obj in expected.items():
        resp = api.get(path)
        assert resp.status_code == 200, (path, resp.text)
        assert resp.content == _bytes(obj), path
    proof = api.get(f"/v1/evidence/{digest}/facts/1/proof").json()
    assert list(proof) == ["format", "fact", "index", "count", "proof", "receipt"]
    published = facts_of(view, digest)
    assert published is not None
    assert list(proof["fact"]) == list(published["facts"][1])
    assert list(proof["receipt"]) == list(store.receipt(anchor["tx_id"]))
