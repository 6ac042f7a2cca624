"""EPCIS 2.0 and PROV-JSON exports of a small hand-built lineage.

Sinochem commissions two batches A and B, transforms them into C, ships C to Acme,
which receives it. The records have the shape the traceability contract stores and
``GET /v1/trace/products/{id}/lineage`` serves.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from prov.model import ProvDocument
from pyld import jsonld

from ledger.canonical import canonical
from nodes.exports.epcis import EPCIS_CONTEXT, PROVLEDGER_NS, TYPED_LISTS, epcis_document
from nodes.exports.event_hash import event_hash_id
from nodes.exports.files import export_files, now, safe_name
from nodes.exports.pre_hash import context_namespaces
from nodes.exports.prov import prov_document
from tests.contract_view import DictView, context
from tests.test_event_hash import offline_loader, reference_hash_ids, reference_hash_ids_of_file

pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")
A = "urn:epc:class:lgtin:4012345.012345.LOTA"
B = "urn:epc:class:lgtin:4012345.012345.LOTB"
C = "https://id.gs1.org/01/04012345222227/10/LOTC"
SITE = "urn:epc:id:sgln:4012345.00001.0"
SINOCHEM, ACME = "urn:provledger:org:sinochem", "urn:provledger:org:acme"
PO = "urn:epcglobal:cbv:bt:4012345000009:PO1"


def _event(n: int, step: str, org: str, epcis: dict[str, Any], previous: dict) -> dict:
    time = f"2026-03-01T12:00:0{n}.000000Z"
    return {
        "event_id": f"{n:064x}",
        "step": step,
        "epcis": {"eventTime": time, "eventTimeZoneOffset": "+00:00", **epcis},
        "organisation": org,
        "sender": f"{n:016x}",
        "tx_id": f"{100 + n:064x}",
        "height": 1 + n // 2,
        "log_index": n,
        "previous": previous,
    }


EVENTS = [
    _event(0, "commission", "sinochem", {
        "type": "ObjectEvent", "action": "ADD", "epcList": [],
        "quantityList": [{"epcClass": A, "quantity": 100, "uom": "KGM"},
                         {"epcClass": B, "quantity": 50, "uom": "KGM"}],
        "bizStep": "commissioning", "disposition": "active", "readPoint": {"id": SITE},
    }, {A: None, B: None}),
    _event(1, "transform", "sinochem", {
        "type": "TransformationEvent",
        "inputQuantityList": [{"epcClass": A}, {"epcClass": B}],
        "outputQuantityList": [{"epcClass": C, "quantity": 140, "uom": "KGM"}],
        "bizStep": "creating_class_instance", "disposition": "active",
    }, {A: f"{0:064x}", B: f"{0:064x}", C: None}),
    _event(2, "ship", "sinochem", {
        "type": "ObjectEvent", "action": "OBSERVE", "epcList": [],
        "quantityList": [{"epcClass": C}], "bizStep": "shipping", "disposition": "in_transit",
        "sourceList": [{"type": "possessing_party", "source": SINOCHEM}],
        "destinationList": [{"type": "possessing_party", "destination": ACME}],
        "bizTransactionList": [{"type": "po", "bizTransaction": PO}],
    }, {C: f"{1:064x}"}),
    _event(3, "receive", "acme", {
        "type": "ObjectEvent", "action": "OBSERVE", "epcList": [],
        "quantityList": [{"epcClass": C}], "bizStep": "receiving", "disposition": "in_progress",
    }, {C: f"{2:064x}"}),
]  # fmt: skip


def _product(pid: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": pid, "producer": "sinochem", "owner": "sinochem", "custodian": "sinochem",
        "status": "consumed", "receiver": None, "parent": None, "children": [], "inputs": [],
        "outputs": [C], "recalled_by": None, "last_event": f"{1:064x}", "events": 2,
    }  # fmt: skip
    return {**record, **fields}


MADE = _product(C, owner="acme", custodian="acme", status="active", inputs=[A, B], outputs=[])
LINEAGE = {
    "product": C,
    "products": [{**MADE, "last_event": f"{3:064x}", "events": 3}, _product(A), _product(B)],
    "events": EVENTS,
}
CREATED = "2026-03-02T09:30:00.000Z"


# --- EPCIS ---------------------------------------------------------------------------


def test_the_document_has_the_epcis_2_0_shape() -> None:
    doc = epcis_document(EVENTS, creation_date=CREATED)
    assert doc["@context"] == [EPCIS_CONTEXT, {"provledger": PROVLEDGER_NS}]
    assert (doc["type"], doc["schemaVersion"], doc["creationDate"]) == (
        "EPCISDocument", "2.0", CREATED,
    )  # fmt: skip
    assert [e["provledger:eventId"] for e in doc["epcisBody"]["eventList"]] == [
        r["event_id"] for r in EVENTS
    ]


def test_events_are_the_bodies_in_ledger_order_with_provenance() -> None:
    shuffled = EVENTS[::-1]
    events = epcis_document(shuffled, creation_date=CREATED)["epcisBody"]["eventList"]
    assert [e["provledger:logIndex"] for e in events] == [0, 1, 2, 3]
    for event, record in zip(events, EVENTS, strict=True):
        body = {k: v for k, v in event.items() if k != "eventID" and ":" not in k}
        assert body == record["epcis"]
        assert event["provledger:txId"] == record["tx_id"]
        assert event["provledger:height"] == record["height"]
        assert event["provledger:organisation"] == record["organisation"]
    assert events[2]["sourceList"] == [{"type": "possessing_party", "source": SINOCHEM}]


def test_every_event_id_rehashes_here_and_with_the_reference_implementation() -> None:
    doc = epcis_document(EVENTS, creation_date=CREATED)
    namespaces = context_namespaces(doc["@context"])
    events = doc["epcisBody"]["eventList"]
    for event in events:
        unnamed = {k: v for k, v in event.items() if k != "eventID"}
        assert event_hash_id(unnamed, namespaces) == event["eventID"]
    assert reference_hash_ids(doc) == [e["eventID"] for e in events]
    assert len({e["eventID"] for e in events}) == len(events)


def test_the_document_expands_as_json_ld() -> None:
    doc = epcis_document(EVENTS, creation_date=CREATED)
    expanded = jsonld.expand(doc, {"documentLoader": offline_loader})
    text = json.dumps(expanded)
    assert "https://ref.gs1.org/epcis/TransformationEvent" in text
    assert PROVLEDGER_NS + "txId" in text
    assert "https://ref.gs1.org/cbv/BizStep-shipping" in text


@pytest.mark.parametrize(
    ("records", "created"),
    [
        (EVENTS, "yesterday"),
        (EVENTS, "2026-03-02T09:30:00"),
        ([{**EVENTS[0], "epcis": {}}], CREATED),
    ],
)
def test_bad_input_is_refused(records: list[dict], created: str) -> None:
    with pytest.raises(ValueError):
        epcis_document(records, creation_date=created)


# --- PROV ----------------------------------------------------------------------------


def test_the_prov_document_round_trips_through_the_prov_package() -> None:
    out = prov_document(LINEAGE)
    parsed = ProvDocument.deserialize(content=json.dumps(out), format="json")
    again = ProvDocument.deserialize(content=parsed.serialize(format="json"), format="json")
    assert parsed == again  # blank-node ids of relations may be renumbered, nothing else
    kinds = {kind: len(records) for kind, records in out.items() if kind != "prefix"}
    assert len(parsed.records) == sum(kinds.values()) == 3 + 4 + 2 + 3 + 4 + 2 + 4 + 3


def _relations(out: dict[str, Any], kind: str, *keys: str) -> set[tuple[str, ...]]:
    return {tuple(r[k] for k in keys) for r in out.get(kind, {}).values()}


def test_the_prov_document_holds_the_lineage() -> None:
    out = prov_document(LINEAGE)
    a, b = "epc:class:lgtin:4012345.012345.LOTA", "epc:class:lgtin:4012345.012345.LOTB"
    c = "gs1:01/04012345222227/10/LOTC"
    ev = [f"provledger:event-{r['event_id']}" for r in EVENTS]
    assert out["prefix"]["epc"] == "urn:epc:" and out["prefix"]["provledger"] == PROVLEDGER_NS
    assert set(out["entity"]) == {a, b, c}
    assert set(out["activity"]) == set(ev)
    assert set(out["agent"]) == {"provledger:org-sinochem", "provledger:org-acme"}
    entity = "prov:entity"
    assert _relations(out, "wasGeneratedBy", entity, "prov:activity") == {
        (a, ev[0]), (b, ev[0]), (c, ev[1]),
    }  # fmt: skip
    assert _relations(out, "used", "prov:activity", entity) == {
        (ev[1], a), (ev[1], b), (ev[2], c), (ev[3], c),
    }  # fmt: skip
    assert _relations(
        out, "wasDerivedFrom", "prov:generatedEntity", "prov:usedEntity", "prov:activity"
    ) == {(c, a, ev[1]), (c, b, ev[1])}
    assert _relations(out, "wasAssociatedWith", "prov:activity", "prov:agent") == {
        (ev[0], "provledger:org-sinochem"), (ev[1], "provledger:org-sinochem"),
        (ev[2], "provledger:org-sinochem"), (ev[3], "provledger:org-acme"),
    }  # fmt: skip
    assert _relations(out, "wasAttributedTo", entity, "prov:agent") == {
        (a, "provledger:org-sinochem"), (b, "provledger:org-sinochem"),
        (c, "provledger:org-sinochem"),
    }  # fmt: skip


def test_activities_carry_the_event_and_its_epcis_export() -> None:
    out = prov_document(LINEAGE)
    transform = out["activity"][f"provledger:event-{EVENTS[1]['event_id']}"]
    exported = epcis_document(EVENTS, creation_date=CREATED)["epcisBody"]["eventList"][1]
    assert transform["prov:startTime"] == "2026-03-01T12:00:01+00:00"
    assert transform["prov:type"] == {"$": "epcis:TransformationEvent", "type": "xsd:QName"}
    assert transform["provledger:bizStep"] == "creating_class_instance"
    assert transform["provledger:txId"] == EVENTS[1]["tx_id"]
    assert transform["provledger:epcisEventID"] == exported["eventID"]
    assert out["entity"]["gs1:01/04012345222227/10/LOTC"]["provledger:owner"] == "acme"


@pytest.mark.parametrize("seed", range(3))
def test_the_prov_document_is_deterministic(seed: int) -> None:
    rng = random.Random(seed)
    other = copy.deepcopy(LINEAGE)
    rng.shuffle(other["events"])
    other["products"] = {p["id"]: p for p in rng.sample(other["products"], 3)}
    text = json.dumps(prov_document(LINEAGE))
    assert json.dumps(prov_document(LINEAGE)) == text
    assert json.dumps(prov_document(other)) == text


# --- files ---------------------------------------------------------------------------


def test_export_files_writes_both_documents(tmp_path: Path) -> None:
    written = export_files(LINEAGE, tmp_path, "both", creation_date=CREATED)
    stem = safe_name(C)
    assert [p.name for p in written] == [f"{stem}.epcis.jsonld", f"{stem}.prov.json"]
    assert json.loads(written[0].read_text()) == epcis_document(EVENTS, creation_date=CREATED)
    assert json.loads(written[1].read_text()) == prov_document(LINEAGE)
    assert export_files(LINEAGE, tmp_path / "p", "prov", creation_date=CREATED)[0].suffix == ".json"


def test_safe_names_keep_only_file_name_characters() -> None:
    assert safe_name(C) == "https___id.gs1.org_01_04012345222227_10_LOTC"
    assert safe_name("urn:epc:id:sgtin:0614141.812345.6789%2F..") == (
        "urn_epc_id_sgtin_0614141.812345.6789_2F.."
    )
    with pytest.raises(ValueError):
        export_files(LINEAGE, "/nonexistent-never", "xml", creation_date=CREATED)


def test_trace_export_writes_the_documents_of_the_fetched_lineage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from nodes.cli import trace_cmd
    from nodes.cli.main import app

    asked = []

    def fake_fetch(consortium: Any, product_id: str, view: str | None = None) -> dict:
        asked.append((product_id, view))
        return copy.deepcopy(LINEAGE)

    monkeypatch.setattr(trace_cmd, "fetch", fake_fetch)
    runner = CliRunner()
    args = ["trace", "export", C, "--consortium", str(tmp_path), "--out", str(tmp_path / "x")]
    result = runner.invoke(app, [*args, "--format", "epcis", "--json"])
    assert result.exit_code == 0, result.output
    assert asked == [(C, "lineage")]
    (path,) = json.loads(result.output)["files"]
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    events = document["epcisBody"]["eventList"]
    assert reference_hash_ids(document) == [e["eventID"] for e in events]
    assert runner.invoke(app, args).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [
        f"{safe_name(C)}.epcis.jsonld", f"{safe_name(C)}.prov.json",
    ]  # fmt: skip
    assert runner.invoke(app, [*args, "--format", "xml"]).exit_code == 2


# --- the demo's flows, exported exactly as written -------------------------------------


class StoredView(DictView):
    """Contract state kept as a node keeps it: each value as its canonical JSON, so it
    reads back with its members sorted (``type`` last in a source or destination)."""

    def put(self, contract: str, writes: list[tuple[str, Any]]) -> None:
        super().put(contract, [(k, json.loads(canonical(v))) for k, v in writes])


def _roles() -> dict[str, tuple[str, ...]]:
    from nodes.consortium.init import DEFAULT_ORGS
    from nodes.demo.membership import JOINERS

    return {
        **{o.name: tuple(o.roles) for o in DEFAULT_ORGS},
        **{n: tuple(r) for n, r, _ in JOINERS},
    }


def _packing_flow() -> list[Any]:
    """A pallet packed, shipped with its contents, received and unpacked."""
    from nodes.demo.context import Step

    case, lot = "urn:epc:id:sgtin:6901234.000004.CASE-1", "urn:epc:class:lgtin:6901234.000005.L1"
    pallet = "urn:epc:id:sscc:6901234.0000000001"
    t = "traceability"
    return [
        Step("sinochem", t, "commission", {"ids": [case, lot]}, "made"),
        Step("sinochem", t, "pack", {"parent": pallet, "children": [case, lot]}, "packed"),
        Step("sinochem", t, "ship", {"ids": [pallet], "receiver": "quanzhou-port"}, "shipped"),
        Step("quanzhou-port", t, "receive", {"ids": [pallet]}, "received"),
        Step("quanzhou-port", t, "unpack", {"parent": pallet, "children": [case]}, "unpacked"),
    ]


def _run_flows() -> StoredView:
    """The demo's oil and food flows and a packing flow, applied in order by the
    traceability contract as committed transactions are, each refused step refused."""
    from contracts import Rejection
    from contracts.traceability import Traceability
    from nodes.demo.trace import food_flow, oil_flow
    from tests.roster_genesis import genesis_of

    roles, view = _roles(), StoredView()
    contract = Traceability(genesis_of(roles))
    for n, step in enumerate([*oil_flow(), *food_flow(), *_packing_flow()]):
        ctx = context(n, step.org, roles[step.org], f"2026-03-01T12:{n // 60:02d}:{n % 60:02d}Z")
        contract.check_args(step.action, step.args)
        try:
            writes = contract.apply(view, step.action, step.args, ctx)
        except Rejection:
            assert not step.applied, f"{step.label}: refused"
            continue
        assert step.applied, f"{step.label}: applied, but the rules must refuse it"
        view.put("traceability", writes)
    return view


def _exported_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """``provledger trace export`` of the gasoline, the juice and the packed case, each
    lineage served as the node serves it (JSON of the stored records)."""
    from typer.testing import CliRunner

    from contracts.traceability.queries import lineage
    from nodes.cli import trace_cmd
    from nodes.cli.main import app
    from nodes.demo.trace import GASOLINE, JUICE

    view = _run_flows()
    served = {
        p: json.dumps(lineage(view, p))
        for p in (GASOLINE, JUICE, "urn:epc:id:sgtin:6901234.000004.CASE-1")
    }
    monkeypatch.setattr(trace_cmd, "fetch", lambda _c, pid, _v=None: json.loads(served[pid]))
    files = []
    for product_id in served:
        args = ["trace", "export", product_id, "--consortium", str(tmp_path), "--json"]
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--format", "epcis"])
        assert result.exit_code == 0, result.output
        files.extend(Path(p) for p in json.loads(result.output)["files"])
    return files


def test_the_reference_implementation_reproduces_every_event_id_of_the_files_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _exported_as_written(tmp_path, monkeypatch)
    events = []
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        written = [e["eventID"] for e in document["epcisBody"]["eventList"]]
        assert reference_hash_ids_of_file(path) == written, path.name
        events.extend(document["epcisBody"]["eventList"])
    assert {e["type"] for e in events} == {
        "ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent",
    }  # fmt: skip
    listed = [e for e in events if {"bizTransactionList", "sourceList", "destinationList"} & set(e)]
    assert {k for e in listed for k in e} >= {"bizTransactionList", "sourceList", "destinationList"}
    assert any(len(e.get("sourceList", [])) > 1 for e in listed)
    assert any(len(e.get("bizTransactionList", [])) > 1 for e in listed)
    for e in listed:
        for name, id_member in TYPED_LISTS.items():
            assert all(list(x)[:2] == ["type", id_member] for x in e.get(name, [])), e


def test_stored_member_order_would_give_the_reference_implementation_other_ids(
    tmp_path: Path,
) -> None:
    """The check above can fail: the same events with ``type`` last in their source,
    destination and business transaction elements (as storage returns them) are read
    by the package to other IDs than the ones the document names."""
    record = json.loads(canonical(EVENTS[2]))
    assert list(record["epcis"]["sourceList"][0]) == ["source", "type"]
    (path,) = export_files(
        {**LINEAGE, "events": [record]}, tmp_path, "epcis", creation_date=CREATED
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    assert reference_hash_ids_of_file(path) == [document["epcisBody"]["eventList"][0]["eventID"]]
    event = document["epcisBody"]["eventList"][0]
    for name, id_member in TYPED_LISTS.items():
        event[name] = [{id_member: x[id_member], "type": x["type"]} for x in event[name]]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert reference_hash_ids_of_file(path) != [event["eventID"]]
    unnamed = {k: v for k, v in event.items() if k != "eventID"}
    assert event_hash_id(unnamed, context_namespaces(document["@context"])) == event["eventID"]


def test_without_a_creation_date_the_document_is_dated_now_in_utc(tmp_path: Path) -> None:
    (path,) = export_files(LINEAGE, tmp_path, "epcis")
    created = json.loads(path.read_text(encoding="utf-8"))["creationDate"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created), created
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now())
