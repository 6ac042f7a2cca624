"""``provledger trace`` and ``/v1/trace`` on a real three-node consortium: a product
commissioned, shipped, received, transformed and recalled through the CLI as real
processes; the API's history and graph views agree with what the CLI did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from contracts.traceability.gs1 import epc_fault
from ledger.model.transaction import Transaction
from nodes.server.problems import Problem
from nodes.server.trace_api import split_path
from tests.cluster import Cluster, cli, running

CRUDE = "urn:epc:class:lgtin:6901234.012345.CRUDE-2024-07"
DIESEL = "https://id.gs1.org/01/06901234000016/10/D-0001"
UNKNOWN = "urn:epc:id:sgtin:6901234.012345.404"


def trace(cluster: Cluster, *args: str) -> Any:
    """``provledger trace ARGS --consortium DIR`` as a process."""
    return cli("trace", *args, "--consortium", cluster.root)


def act(cluster: Cluster, *args: str) -> dict[str, Any]:
    """An acting command with ``--json`` that must be applied; its answer."""
    done = trace(cluster, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert answer["applied"] is True and answer["status"] == "committed", answer
    return answer


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The consortium after the flow; the tx ids of each step and the refused ship."""
    with running(tmp_path_factory.mktemp("trace") / "consortium", 3) as cluster:
        steps = [
            (
                "commission",
                act(
                    cluster,
                    "commission",
                    CRUDE,
                    "--quantity",
                    f"{CRUDE}=500000:KGM",
                    "--as",
                    "sinochem",
                ),
            ),
        ]
        mistakes = _mistakes(cluster)
        steps.append(("ship", act(cluster, "ship", CRUDE, "--to", "cetc", "--as", "sinochem")))
        refused = trace(cluster, "ship", CRUDE, "--to", "sasac", "--as", "cetc")
        not_permitted = trace(cluster, "commission", UNKNOWN, "--as", "cetc")
        steps += [
            ("receive", act(cluster, "receive", CRUDE, "--as", "cetc")),
            ("ship", act(cluster, "ship", CRUDE, "--to", "sinochem", "--as", "cetc")),
            ("receive", act(cluster, "receive", CRUDE, "--as", "sinochem")),
            (
                "transform",
                act(
                    cluster,
                    "transform",
                    "--input",
                    CRUDE,
                    "--output",
                    DIESEL,
                    "--output-quantity",
                    f"{DIESEL}=420000:LTR",
                    "--as",
                    "sinochem",
                ),
            ),
            ("recall", act(cluster, "recall", CRUDE, "--as", "sasac")),
        ]
        top = max(answer["height"] for _, answer in steps)
        cluster.wait_agree(min_height=top)
        yield {
            "cluster": cluster,
            "steps": steps,
            "refused": refused,
            "not_permitted": not_permitted,
            "mistakes": mistakes,
        }


BOGUS = ("urn:epc:id:sgtin:bogus", "urn:epc:id:sgtin:123", "urn:epc:class:lgtin:abc.def.ghi")
BAD_CHECK_DIGIT = "https://id.gs1.org/01/06901234000017/10/D-0002"


def _mistakes(cluster: Cluster) -> dict[str, Any]:
    """Three natural mistakes, made while sinochem holds and owns the crude: a shipment
    and a sale to a misspelt organisation (through the CLI: the ledger refuses them), ids
    that do not follow their GS1 grammar (through the CLI, which checks them first, and
    posted to a node as signed transactions), and a query about a misspelt depositor."""
    key = cluster.member_key("sinochem")
    posted = {}
    for bogus in (*BOGUS, BAD_CHECK_DIGIT):
        tx = Transaction.new(key, cluster.chain_id, "traceability", "commission", {"ids": [bogus]})
        posted[bogus] = cluster.post(
            cluster.names[1], "/v1/transactions", json=tx.sign(key).to_dict()
        )
    bt = "po=urn:epcglobal:cbv:bt:6901234000004:PO-1"
    return {
        "ship": trace(cluster, "ship", CRUDE, "--to", "cetcc", "--as", "sinochem"),
        "sale": trace(cluster, "transact", CRUDE, "--to", "sasak", "--bt", bt, "--as", "sinochem"),
        "commission": {b: trace(cluster, "commission", b, "--as", "sinochem") for b in BOGUS},
        "posted": posted,
        "typo": cli("evidence", "by", "sinochme", "--consortium", cluster.root),
        "known": cli("evidence", "by", "sinochem", "--consortium", cluster.root),
        "members": [o["name"] for o in get(cluster, "/v1/members").json()["organisations"]],
    }


def get(cluster: Cluster, path: str, node: int = 0) -> Any:
    return cluster.get(cluster.names[node], path)


def test_a_refused_ship_exits_1_with_the_reason(flow: dict[str, Any]) -> None:
    done = flow["refused"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"cetc cannot ship {CRUDE}: it is held by sinochem, and only its custodian may ship it"
        in done.stderr.replace("\n", "")
    )
    assert "Traceback" not in done.stderr


def test_a_role_that_may_not_act_exits_1_and_nothing_is_made(flow: dict[str, Any]) -> None:
    done = flow["not_permitted"]
    assert done.returncode == 1, done.stdout + done.stderr
    stderr = done.stderr.replace("\n", "")
    assert "may not call traceability.commission (allowed: processor, producer)" in stderr
    assert get(flow["cluster"], f"/v1/trace/products/{UNKNOWN}").status_code == 404


def test_history_on_every_node_is_the_flow(flow: dict[str, Any]) -> None:
    cluster: Cluster = flow["cluster"]
    expected = [(step, answer["tx_id"]) for step, answer in flow["steps"]]
    for node in range(3):
        resp = get(cluster, f"/v1/trace/products/{CRUDE}", node)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert [(e["step"], e["tx_id"]) for e in body["history"]] == expected
        assert body["product"]["status"] == "recalled"
        assert body["product"]["recalled_by"] == body["history"][-1]["event_id"]
    receipt = get(cluster, f"/v1/receipts/{expected[0][1]}")
    assert receipt.status_code == 200, receipt.text


def test_graph_views_agree(flow: dict[str, Any]) -> None:
    cluster: Cluster = flow["cluster"]
    encoded = quote(DIESEL, safe="")
    diesel = get(cluster, f"/v1/trace/products/{encoded}").json()
    assert get(cluster, f"/v1/trace/products/{DIESEL}").json() == diesel  # raw path too
    assert diesel["product"]["inputs"] == [CRUDE]
    assert [e["step"] for e in diesel["history"]] == ["transform", "recall"]
    assert diesel["history"][0]["epcis"]["outputQuantityList"] == [
        {"epcClass": DIESEL, "quantity": 420000, "uom": "LTR"}
    ]
    up = get(cluster, f"/v1/trace/products/{encoded}/upstream").json()
    assert [p["id"] for p in up["upstream"]] == [CRUDE]
    down = get(cluster, f"/v1/trace/products/{CRUDE}/downstream").json()
    assert [p["id"] for p in down["downstream"]] == [DIESEL]
    impact = get(cluster, f"/v1/trace/products/{CRUDE}/recall-impact").json()
    assert impact["recalled"] == impact["total"] == 2
    assert {p["id"]: p["status"] for p in impact["impact"]} == {
        CRUDE: "recalled",
        DIESEL: "recalled",
    }
    lineage = get(cluster, f"/v1/trace/products/{encoded}/lineage").json()
    assert [p["id"] for p in lineage["products"]] == [DIESEL, CRUDE]
    assert [e["step"] for e in lineage["events"]] == [s for s, _ in flow["steps"]]

    for name, view, key in (
        ("upstream", "upstream", "upstream"),
        ("downstream", "downstream", "downstream"),
        ("impact", "recall-impact", "impact"),
    ):
        product = DIESEL if name == "upstream" else CRUDE
        done = trace(cluster, name, product, "--json")
        assert done.returncode == 0, done.stderr
        api = get(cluster, f"/v1/trace/products/{quote(product, safe='')}/{view}").json()
        assert json.loads(done.stdout)[key] == api[key]


def test_cli_history_saves_receipts(flow: dict[str, Any], tmp_path: Path) -> None:
    cluster: Cluster = flow["cluster"]
    done = trace(cluster, "history", DIESEL, "--json", "--receipts", str(tmp_path))
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["history"]
    saved = sorted(p.name for p in tmp_path.glob("*.json"))
    assert saved == sorted(f"{e['tx_id']}.json" for e in events)
    table = trace(cluster, "history", CRUDE)
    assert table.returncode == 0, table.stderr
    assert "recalled" in table.stdout and "holding" in table.stdout
    impact = trace(cluster, "impact", CRUDE)
    assert impact.returncode == 0 and "2 of 2 recalled" in impact.stdout


def test_unknown_product_is_a_404_problem(flow: dict[str, Any]) -> None:
    cluster: Cluster = flow["cluster"]
    for path in (f"/v1/trace/products/{UNKNOWN}", f"/v1/trace/products/{UNKNOWN}/lineage"):
        resp = get(cluster, path)
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        body = resp.json()
        assert (body["title"], body["status"]) == ("not found", 404)
        assert body["detail"] == f"no product {UNKNOWN} on this ledger"
    bad = get(cluster, "/v1/trace/products/lot-42")
    assert bad.status_code == 400 and "is not a product id" in bad.json()["detail"]
    done = trace(cluster, "history", UNKNOWN)
    assert done.returncode == 1 and f"no product {UNKNOWN}" in done.stderr


def test_split_path_is_never_ambiguous() -> None:
    assert split_path(CRUDE) == (CRUDE, None)
    assert split_path(f"{CRUDE}/lineage") == (CRUDE, "lineage")
    assert split_path(f"{DIESEL}/recall-impact") == (DIESEL, "recall-impact")
    lot_named_upstream = "https://id.gs1.org/01/06901234000016/10/upstream"
    assert split_path(lot_named_upstream) == (lot_named_upstream, None)
    with pytest.raises(Problem):
        split_path(f"{CRUDE}/sideways")


def _one_line(done: Any) -> str:
    return " ".join(done.stderr.split())


def test_a_shipment_or_sale_to_an_unknown_organisation_is_refused(flow: dict[str, Any]) -> None:
    mistakes = flow["mistakes"]
    known = ", ".join(sorted(mistakes["members"]))
    assert {"cetc", "sasac", "sinochem"} <= set(mistakes["members"])
    for kind, arg, typo, guess in (
        ("ship", "receiver", "cetcc", "cetc"),
        ("sale", "new_owner", "sasak", "sasac"),
    ):
        done = mistakes[kind]
        assert done.returncode == 1, done.stdout + done.stderr
        action = "ship" if kind == "ship" else "transact"
        assert (
            f"traceability.{action}.{arg}: '{typo}' is not an organisation of the consortium; "
            f"did you mean '{guess}'? (organisations: {known})"
        ) in _one_line(done)
        assert "Traceback" not in done.stderr
    # nothing was shipped or sold: the history is the flow's, the first ship went to cetc
    body = get(flow["cluster"], f"/v1/trace/products/{CRUDE}").json()
    assert [e["step"] for e in body["history"]][:2] == ["commission", "ship"]
    assert body["history"][1]["epcis"]["destinationList"][0]["destination"].endswith(":cetc")
    assert body["product"]["owner"] == "sinochem"


def test_ids_that_break_their_gs1_grammar_are_refused(flow: dict[str, Any]) -> None:
    mistakes = flow["mistakes"]
    for bogus in BOGUS:
        done = mistakes["commission"][bogus]
        assert done.returncode == 2, done.stdout + done.stderr
        reason = f"{bogus!r} is not a product id: {epc_fault(bogus)}"
        assert reason in _one_line(done)
    gtin = "the check digit of GTIN 06901234000017 is 7, but its digits give 6; check the number"
    for bogus, resp in mistakes["posted"].items():
        assert resp.status_code == 422, resp.text
        detail = resp.json()["detail"]
        assert detail.startswith(f"traceability.commission.ids[0]: {bogus!r} is not a product id")
        assert (gtin if bogus == BAD_CHECK_DIGIT else epc_fault(bogus)) in detail
        assert get(flow["cluster"], f"/v1/trace/products/{quote(bogus, safe='')}").status_code in (
            400,
            404,
        )


def test_evidence_by_an_organisation_not_in_the_roster_exits_2(flow: dict[str, Any]) -> None:
    mistakes = flow["mistakes"]
    done = mistakes["typo"]
    assert done.returncode == 2, done.stdout + done.stderr
    known = ", ".join(sorted(mistakes["members"]))
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line == (
        "error: 'sinochme' is not an organisation of the consortium; "
        f"did you mean 'sinochem'? (organisations: {known})"
    )
    assert mistakes["known"].returncode == 0, mistakes["known"].stderr
    assert "documents anchored by sinochem" in mistakes["known"].stdout
