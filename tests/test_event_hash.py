"""CBV 2.0 event hash IDs: equal to GS1's reference implementation on GS1's examples,
stable under re-serialisation, different for different events.

The oracle is the ``epcis-event-hash-generator`` package (``reference_hash_ids``, also
used by ``test_exports``), run offline on the documents of ``tests/vectors/epcis``.
No example there is skipped: the package's one known defect that they touch (a JSON
boolean written as Python's ``True``) is avoided by handing it the XML lexical form.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from epcis_event_hash_generator import __main__ as cli
from epcis_event_hash_generator import hash_generator, json_to_py
from epcis_event_hash_generator.dl_normaliser import normaliser
from pyld import jsonld

from nodes.exports.cbv_values import canonical_timestamp, canonical_value
from nodes.exports.event_hash import event_hash_id
from nodes.exports.pre_hash import context_namespaces, pre_hash_string

pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")
VECTORS = Path(__file__).parent / "vectors" / "epcis"
CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
CONTEXT_2_0_0 = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_package_loader = jsonld.get_document_loader()


# --- the oracle ---------------------------------------------------------------------


def offline_loader(url: str, options: dict | None = None) -> dict:
    """The package's own loader, with the unversioned EPCIS 2.0 context served from the
    2.0.0 context it ships (no network here)."""
    return _package_loader(CONTEXT_2_0_0 if url == CONTEXT else url, options or {})


def _booleans_as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_booleans_as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _booleans_as_text(v) for k, v in value.items()}
    return value


def reference_hash_ids(document: dict[str, Any]) -> list[str]:
    """The package's event hash IDs of the events of an EPCIS 2.0 JSON-LD ``document``.

    The package keeps the prefixes of earlier documents in a module-level table, so it
    is cleared first; it writes JSON booleans as ``True``/``False`` (its XML path, and
    the XML form the standard hashes, say ``true``/``false``), so booleans are handed to
    it as those strings. Fails if the package silently dropped an event.
    """
    jsonld.set_document_loader(offline_loader)
    json_to_py._namespaces.clear()
    events = json_to_py.event_list_from_epcis_document_json(
        _booleans_as_text(copy.deepcopy(document))
    )
    ids = hash_generator.epcis_hashes_from_events(events)
    assert len(ids) == len(document["epcisBody"]["eventList"]), "the package dropped an event"
    return ids


def reference_hash_ids_of_file(path: Path) -> list[str]:
    """The package's event hash IDs of the EPCIS 2.0 JSON-LD file at ``path``, read by the
    package itself exactly as written (its command line's ``epcis_hash_from_file``), with
    no help: no boolean rewritten, nothing re-serialised. Fails if it dropped an event."""
    jsonld.set_document_loader(offline_loader)
    json_to_py._namespaces.clear()
    ids, _ = cli.epcis_hash_from_file(str(path))
    written = json.loads(path.read_text(encoding="utf-8"))
    assert len(ids) == len(written["epcisBody"]["eventList"]), "the package dropped an event"
    return list(ids)


# --- GS1's examples -----------------------------------------------------------------


def _documents() -> list[tuple[str, dict[str, Any]]]:
    files = sorted(p for p in VECTORS.iterdir() if p.suffix in (".json", ".jsonld"))
    return [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in files]


DOCUMENTS = _documents()
EXAMPLES = [
    pytest.param(doc, i, id=f"{name}#{i}")
    for name, doc in DOCUMENTS
    for i in range(len(doc["epcisBody"]["eventList"]))
]


def test_the_examples_cover_every_event_type_and_feature() -> None:
    events = [e for _, doc in DOCUMENTS for e in doc["epcisBody"]["eventList"]]
    assert len(DOCUMENTS) == 17 and len(events) == 34
    assert {e["type"] for e in events} == {
        "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
        "AssociationEvent",
    }  # fmt: skip
    features = {
        "sensorElementList", "ilmd", "persistentDisposition", "certificationInfo",
        "errorDeclaration", "eventID", "childQuantityList", "outputQuantityList",
    }  # fmt: skip
    assert features - {key for e in events for key in e} == set()


@pytest.mark.parametrize(("document", "index"), EXAMPLES)
def test_id_equals_the_reference_implementation(document: dict[str, Any], index: int) -> None:
    event = document["epcisBody"]["eventList"][index]
    expected = reference_hash_ids(document)[index]
    assert event_hash_id(event, context_namespaces(document["@context"])) == expected


# --- identifiers and values ---------------------------------------------------------

IDENTIFIERS = [
    # EPC URIs of every scheme (instance, class and pattern)
    "urn:epc:id:sgtin:4012345.011111.98%22",
    "urn:epc:id:sgtin:415056789012.0.987654",
    "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
    "urn:epc:id:sscc:4012345.3111111111",
    "urn:epc:id:sgln:4012345.00005.122",
    "urn:epc:id:sgln:4012345.00005.0",
    "urn:epc:id:grai:4012345.00022.334455",
    "urn:epc:id:giai:4012345.ABC345",
    "urn:epc:id:gsrn:4012345.0000006765",
    "urn:epc:id:gsrnp:4012345.0000000007",
    "urn:epc:id:gdti:4012345.00009.PO-4711",
    "urn:epc:id:gdti:987659999999..9",
    "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
    "urn:epc:id:sgcn:4012345.99999.44",
    "urn:epc:id:ginc:0614141.xyz47%2F11",
    "urn:epc:id:gsin:4012345.222333444",
    "urn:epc:id:itip:4012345.011111.01.02.987",
    "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7SDB",
    "urn:epc:id:pgln:4000001.00000",
    "urn:epc:id:pgln:999999999999.",
    "urn:epc:class:lgtin:4012345.012345.Lot987",
    "urn:epc:idpat:sgtin:4012345.012345.*",
    "urn:epc:idpat:grai:4012345.99999.*",
    "urn:epc:idpat:gdti:4012345.11111.*",
    "urn:epc:idpat:sgcn:4012345.22222.*",
    "urn:epc:idpat:cpi:4012345.AB12.*",
    "urn:epc:idpat:itip:4012345.012345.01.02.*",
    "urn:epc:idpat:upui:4012345.012345.*",
    # GS1 Digital Link URIs: custom domains, short names, short GTINs, qualifiers, query
    "https://id.gs1.org/gtin/09780345418913",
    "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
    "http://example.de/gtin-8/01/97803111",
    "http://us-company-with-UPC.com/01/001122334455/ser/GHB",
    "https://ean-13.de/gtin/4012345123456/ser/ABC524",
    "http://id.gs1.org/gtin/9780345418913",
    "https://id.gs1.org/gtin/9780345418913/cpv/344/lot/1223/ser/765tz",
    "https://id.gs1.org/gtin/9780345418913/cpv/344",
    "http://example.de/01/040123451234/cpv/344/lot/ABD",
    "https://id.gs1.org/itip/123456789101100190/cpv/ABCD",
    "https://fashion-corp.com/8006/040123451234560102/10/Lot-123/21/ser987",
    "https://gs1.test.example.org/01/9780345418913/10/1223",
    "https://example.co.uk/party/4226350800008",
    "https://id.gs1.org/414/4280000000002/254/12",
    "https://id.gs1.org/8003/03870585000552987",
    "https://id.gs1.org/8010/0628165987/8011/9876",
    "https://id.gs1.org/255/0811625999996554433",
    "http://fashion.com/itip/040123451234560102/ser/ABC145",
    # not GS1 identifiers: left as they are
    "http://example.org/123/4012345ABC987/456/4711",
    "http://id.gs1.org/01/9780345418913/99/utfgf",
    "http://example.de/abc/9780345418913",
    "http://example.de/01/97803",
    "https://id.gs1.org/8006/04012345123456/22/ABCD/10/XYZ",
    "urn:provledger:org:sinochem",
    "urn:epcglobal:cbv:bt:0614141073467:1152",
    "geo:47.506694,11.104301",
]


@pytest.mark.parametrize("uri", IDENTIFIERS)
def test_identifiers_normalise_as_the_reference_does(uri: str) -> None:
    assert canonical_value(uri, {}) == (normaliser(uri) or uri)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-03-01T12:00:00.000000Z", "2026-03-01T12:00:00.000Z"),
        ("2026-03-01T13:00:00+01:00", "2026-03-01T12:00:00.000Z"),
        ("2005-04-03T20:33:31.116000-06:00", "2005-04-04T02:33:31.116Z"),
        ("2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"),  # half to even: up
        ("2023-02-02T11:04:03.1425Z", "2023-02-02T11:04:03.142Z"),  # half to even: down
        ("2020-12-31T23:59:59.9996+00:00", "2021-01-01T00:00:00.000Z"),  # carries over
    ],
)
def test_timestamps_are_utc_milliseconds(given: str, expected: str) -> None:
    assert canonical_timestamp(given) == expected


def test_a_timestamp_without_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        canonical_timestamp("2026-03-01T12:00:00")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("452.0", "452"), ("+0012.50", "12.5"), ("1e3", "1000"), ("-0", "0"), ("0.05", "0.05"),
     ("1_000", "1_000"), ("NaN", "NaN"), (True, "true"), (26, "26"), (0.1, "0.1")],
)  # fmt: skip
def test_numbers_lose_signs_and_zeros(given: object, expected: str) -> None:
    assert canonical_value(given, {}) == expected


# --- invariance and sensitivity ------------------------------------------------------

LEDGER_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2026-03-01T12:00:00.000000Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
    "quantityList": [
        {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 100, "uom": "KGM"},
        {"epcClass": "urn:epc:class:lgtin:4012345.012345.112233", "quantity": 5},
    ],
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "sourceList": [
        {"type": "possessing_party", "source": "urn:provledger:org:sinochem"},
        {"type": "location", "source": "urn:epc:id:sgln:0614141.07346.0"},
    ],
    "destinationList": [{"type": "possessing_party", "destination": "urn:provledger:org:acme"}],
    "bizTransactionList": [
        {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"},
        {"type": "bol", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:77"},
    ],
    "ilmd": {"example:lot": "L1", "example:grade": "A"},
    "example:note": "fragile",
}
NS = {"example": "https://ns.example.com/epcis/"}
ID_FORMAT = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")


def _shuffled(value: Any, rng: random.Random) -> Any:
    """``value`` with every object's members and every list's elements reordered and
    whitespace around every string."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        items = [_shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return f" \n{value}\t " if isinstance(value, str) else value


def test_the_ledger_event_matches_the_reference_and_has_the_ni_form() -> None:
    document = {
        "@context": [CONTEXT, NS],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T00:00:00Z",
        "epcisBody": {"eventList": [LEDGER_EVENT]},
    }
    got = event_hash_id(LEDGER_EVENT, NS)
    assert ID_FORMAT.fullmatch(got)
    assert got == reference_hash_ids(document)[0]


@pytest.mark.parametrize("seed", range(8))
def test_member_order_list_order_and_whitespace_do_not_count(seed: int) -> None:
    shuffled = _shuffled(copy.deepcopy(LEDGER_EVENT), random.Random(seed))
    shuffled["type"] = LEDGER_EVENT["type"]
    assert json.dumps(shuffled) != json.dumps(LEDGER_EVENT)
    assert event_hash_id(shuffled, NS) == event_hash_id(LEDGER_EVENT, NS)


def test_equivalent_spellings_give_the_same_id() -> None:
    spelled = copy.deepcopy(LEDGER_EVENT)
    spelled["eventTime"] = "2026-03-01T13:00:00+01:00"
    spelled["epcList"] = [
        "https://example.com/01/10614141073464/21/2017?x=1",
        "https://id.gs1.org/gtin/10614141073464/ser/2018",
    ]
    spelled["bizStep"] = "urn:epcglobal:cbv:bizstep:shipping"
    spelled["disposition"] = "https://ref.gs1.org/cbv/Disp-in_transit"
    spelled["quantityList"][0]["quantity"] = 100.0
    spelled["ilmd"] = {"example:grade": "A", "example:lot": "L1"}
    assert event_hash_id(spelled, NS) == event_hash_id(LEDGER_EVENT, NS)


def test_event_id_record_time_and_error_declaration_do_not_count() -> None:
    annotated = {
        **LEDGER_EVENT,
        "eventID": "ni:///sha-256;00?ver=CBV2.0",
        "recordTime": "2026-03-01T12:00:05Z",
        "errorDeclaration": {"declarationTime": "2026-03-02T00:00:00Z", "reason": "did_not_occur"},
    }
    assert event_hash_id(annotated, NS) == event_hash_id(LEDGER_EVENT, NS)


def _changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    event = copy.deepcopy(LEDGER_EVENT)
    target: Any = event
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return event


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("type",), "TransactionEvent"),
        (("eventTime",), "2026-03-01T12:00:00.001Z"),
        (("eventTimeZoneOffset",), "+01:00"),
        (("action",), "ADD"),
        (("epcList", 1), "urn:epc:id:sgtin:0614141.107346.2019"),
        (("quantityList", 0, "quantity"), 101),
        (("quantityList", 1, "uom"), "KGM"),
        (("bizStep",), "receiving"),
        (("disposition",), "in_progress"),
        (("readPoint", "id"), "urn:epc:id:sgln:0614141.07346.1235"),
        (("sourceList", 0, "source"), "urn:provledger:org:other"),
        (("sourceList", 0, "type"), "owning_party"),
        (("destinationList", 0, "destination"), "urn:provledger:org:sinochem"),
        (("bizTransactionList", 1, "type"), "inv"),
        (("ilmd", "example:grade"), "B"),
        (("example:note",), "not fragile"),
        (("bizLocation",), {"id": "urn:epc:id:sgln:0614141.07346.0"}),
    ],
)
def test_a_change_of_one_field_changes_the_id(path: tuple[Any, ...], value: Any) -> None:
    assert event_hash_id(_changed(path, value), NS) != event_hash_id(LEDGER_EVENT, NS)


def test_extension_names_are_hashed_with_their_namespace() -> None:
    other_ns = {"example": "https://other.example.org/"}
    assert event_hash_id(LEDGER_EVENT, other_ns) != event_hash_id(LEDGER_EVENT, NS)
    assert "{https://ns.example.com/epcis/}note=fragile" in pre_hash_string(LEDGER_EVENT, NS)


def test_an_event_without_type_is_refused() -> None:
    with pytest.raises(ValueError, match="type"):
        event_hash_id({"eventTime": "2026-03-01T12:00:00Z"})
