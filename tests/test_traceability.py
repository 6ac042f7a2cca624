"""The traceability contract over a dict view: actions, custody rules, recalls, the
hash-linked histories, queries, argument checks and determinism."""

from __future__ import annotations

import copy
import functools
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contracts import NotPermitted, Registry, Rejection, TxContext
from contracts.registry import rejected_key
from contracts.traceability import ROLES, Traceability, actions, event_key, product_key
from contracts.traceability.queries import (
    BrokenHistory,
    UnknownProduct,
    downstream,
    history,
    lineage,
    product,
    recall_impact,
    upstream,
)
from contracts.traceability.state import event_hash
from ledger.canonical import canonical
from ledger.model import Transaction
from tests.conftest import make_consortium
from tests.contract_view import TIME, DictView, context
from tests.roster_genesis import genesis_of

C = "traceability"
ORGS: dict[str, tuple[str, ...]] = {
    "farm": ("producer",),
    "farm2": ("producer",),
    "mill": ("processor",),
    "truck": ("carrier",),
    "shop": ("retailer",),
    "gov": ("regulator",),
}
LOT_A = "urn:epc:class:lgtin:4012345.012345.LOTA"
LOT_B = "urn:epc:class:lgtin:4012345.012346.LOTB"
CASE_C = "urn:epc:id:sgtin:4012345.012347.C1"
ITEM_D = "https://id.gs1.org/01/09506000134352/21/D1"
LOT_E = "https://id.gs1.org/01/09506000134352/10/E1"
PALLET = "urn:epc:id:sscc:4012345.0000000001"
SGLN = "urn:epc:id:sgln:4012345.00001.0"
PO = {"type": "po", "id": "urn:epcglobal:cbv:bt:4012345000009:PO-77"}
GENESIS = genesis_of(ORGS)


class Chain:
    """Calls applied one after another to one view, as committed transactions are."""

    def __init__(self) -> None:
        self.view = DictView()
        self.contract = Traceability(GENESIS)
        self.n = 0
        self.log: list[list[tuple[str, Any]]] = []

    def do(self, org: str, action: str, **args: Any) -> dict[str, Any]:
        """Apply the call; its event record."""
        writes = self._apply(org, action, args)
        self.view.put(C, writes)
        self.log.append(writes)
        return writes[0][1]

    def refused(self, org: str, action: str, **args: Any) -> str:
        """The reason the call is refused; the state is unchanged."""
        before = copy.deepcopy(self.view.data)
        with pytest.raises(Rejection) as info:
            self._apply(org, action, args)
        assert self.view.data == before
        return info.value.reason

    def _apply(self, org: str, action: str, args: dict[str, Any]) -> list[tuple[str, Any]]:
        self.contract.check_args(action, args)
        ctx = context(self.n, org, ORGS[org])
        self.n += 1
        return self.contract.apply(self.view, action, args, ctx)

    def product(self, product_id: str) -> dict[str, Any]:
        return product(self.view, product_id)


def shipped_to_mill(chain: Chain, *ids: str) -> None:
    """``ids`` commissioned by farm, shipped to mill and received there."""
    chain.do("farm", "commission", ids=list(ids))
    chain.do("farm", "ship", ids=list(ids), receiver="mill")
    chain.do("mill", "receive", ids=list(ids))


# ---- commission ------------------------------------------------------------------


def test_commission_creates_products_and_one_event() -> None:
    chain = Chain()
    quantity = {"epcClass": LOT_A, "quantity": 1200, "uom": "KGM"}
    event = chain.do(
        "farm",
        "commission",
        ids=[LOT_A, CASE_C],
        quantities=[quantity],
        read_point=SGLN,
        biz_location=SGLN,
    )
    ctx = context(0, "farm", ORGS["farm"])
    assert event == {
        "event_id": event["event_id"],
        "step": "commission",
        "epcis": {
            "type": "ObjectEvent",
            "eventTime": TIME,
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "epcList": [CASE_C],
            "quantityList": [quantity],
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": SGLN},
            "bizLocation": {"id": SGLN},
        },
        "organisation": "farm",
        "sender": ctx.sender,
        "tx_id": ctx.tx_id,
        "height": 1,
        "log_index": 0,
        "previous": {LOT_A: None, CASE_C: None},
    }
    assert event["event_id"] == event_hash(event)
    assert chain.log[0][0] == (event_key(event["event_id"]), event)
    assert [k for k, _ in chain.log[0][1:]] == [product_key(LOT_A), product_key(CASE_C)]
    assert chain.product(LOT_A) == {
        "id": LOT_A,
        "producer": "farm",
        "owner": "farm",
        "custodian": "farm",
        "status": "active",
        "receiver": None,
        "parent": None,
        "children": [],
        "inputs": [],
        "outputs": [],
        "recalled_by": None,
        "last_event": event["event_id"],
        "events": 1,
    }


def test_a_product_id_is_commissioned_once() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    why = chain.refused("farm2", "commission", ids=[LOT_E, LOT_A])
    assert why == (
        f"{LOT_A} already exists (commissioned by farm, now held by farm); "
        "a product id is commissioned only once"
    )
    with pytest.raises(UnknownProduct):
        chain.product(LOT_E)


# ---- ship and receive ----------------------------------------------------------------


def test_ship_then_receive_moves_custody_to_the_named_receiver() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    shipped = chain.do(
        "farm",
        "ship",
        ids=[LOT_A],
        receiver="truck",
        source_location=SGLN,
        destination_location="https://id.gs1.org/414/9520123456788",
        biz_transactions=[{"type": "desadv", "id": "urn:epcglobal:cbv:bt:4012345000009:D1"}],
    )
    epcis = shipped["epcis"]
    assert (epcis["type"], epcis["action"], epcis["bizStep"], epcis["disposition"]) == (
        "ObjectEvent",
        "OBSERVE",
        "shipping",
        "in_transit",
    )
    assert epcis["epcList"] == [] and epcis["quantityList"] == [{"epcClass": LOT_A}]
    assert epcis["sourceList"] == [
        {"type": "possessing_party", "source": "urn:provledger:org:farm"},
        {"type": "location", "source": SGLN},
    ]
    assert epcis["destinationList"] == [
        {"type": "possessing_party", "destination": "urn:provledger:org:truck"},
        {"type": "location", "destination": "https://id.gs1.org/414/9520123456788"},
    ]
    assert epcis["bizTransactionList"] == [
        {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:D1"}
    ]
    record = chain.product(LOT_A)
    assert (record["status"], record["custodian"], record["receiver"]) == (
        "in_transit",
        "farm",
        "truck",
    )

    received = chain.do("truck", "receive", ids=[LOT_A])
    assert received["epcis"]["bizStep"] == "receiving"
    assert received["epcis"]["disposition"] == "in_progress"
    assert received["previous"] == {LOT_A: shipped["event_id"]}
    record = chain.product(LOT_A)
    assert (record["status"], record["custodian"], record["receiver"], record["owner"]) == (
        "active",
        "truck",
        None,
        "farm",
    )
    assert record["events"] == 3


def test_only_the_custodian_ships() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    why = chain.refused("truck", "ship", ids=[LOT_A], receiver="shop")
    assert why == (
        f"truck cannot ship {LOT_A}: it is held by farm, and only its custodian may ship it"
    )


def test_a_product_in_transit_cannot_be_shipped_again() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    chain.do("farm", "ship", ids=[LOT_A], receiver="truck")
    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="shop")
    assert why == (
        f"{LOT_A} is in transit from farm to truck; truck must receive it before it can be shipped"
    )


def test_shipping_to_oneself_is_refused() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    assert "farm cannot ship to itself" in chain.refused(
        "farm", "ship", ids=[LOT_A], receiver="farm"
    )


def test_only_the_named_receiver_receives() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A, LOT_B])
    chain.do("farm", "ship", ids=[LOT_A], receiver="truck")
    why = chain.refused("shop", "receive", ids=[LOT_A])
    assert why == (
        f"shop cannot receive {LOT_A}: farm shipped it to truck, and only truck may receive it"
    )
    why = chain.refused("truck", "receive", ids=[LOT_A, LOT_B])
    assert why == (
        f"{LOT_B} is not being shipped (held by farm); "
        "only a product shipped to you can be received"
    )


def test_unknown_product_is_named() -> None:
    chain = Chain()
    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="truck")
    assert why == f"unknown product {LOT_A}: it was never commissioned on this ledger"


# ---- transform ------------------------------------------------------------------------


def test_transform_consumes_inputs_and_links_both_ways() -> None:
    chain = Chain()
    shipped_to_mill(chain, LOT_A, LOT_E)
    event = chain.do(
        "mill",
        "transform",
        inputs=[LOT_A, LOT_E],
        outputs=[LOT_B, CASE_C],
        input_quantities=[{"epcClass": LOT_A, "quantity": 900, "uom": "KGM"}],
        output_quantities=[{"epcClass": LOT_B, "quantity": 850}],
    )
    epcis = event["epcis"]
    assert epcis == {
        "type": "TransformationEvent",
        "eventTime": TIME,
        "eventTimeZoneOffset": "+00:00",
        "inputQuantityList": [
            {"epcClass": LOT_A, "quantity": 900, "uom": "KGM"},
            {"epcClass": LOT_E},
        ],
        "outputEPCList": [CASE_C],
        "outputQuantityList": [{"epcClass": LOT_B, "quantity": 850}],
        "bizStep": "creating_class_instance",
        "disposition": "active",
    }
    assert set(event["previous"]) == {LOT_A, LOT_E, LOT_B, CASE_C}
    assert event["previous"][LOT_B] is None
    for input_id in (LOT_A, LOT_E):
        record = chain.product(input_id)
        assert record["status"] == "consumed"
        assert record["outputs"] == [LOT_B, CASE_C]
    for output_id in (LOT_B, CASE_C):
        record = chain.product(output_id)
        assert record["inputs"] == [LOT_A, LOT_E]
        assert (record["producer"], record["owner"], record["custodian"]) == (
            "mill",
            "farm",  # the inputs' one owner keeps ownership of what is made from them
            "mill",
        )


def test_a_consumed_input_can_never_ship_or_be_transformed_or_packed_again() -> None:
    chain = Chain()
    shipped_to_mill(chain, LOT_A)
    chain.do("mill", "transform", inputs=[LOT_A], outputs=[LOT_B])
    consumed = f"{LOT_A} was consumed by a transformation (into {LOT_B}); "
    assert chain.refused("mill", "ship", ids=[LOT_A], receiver="shop") == (
        consumed + "a consumed product can never be shipped again"
    )
    assert chain.refused("mill", "transform", inputs=[LOT_A], outputs=[LOT_E]) == (
        consumed + "a consumed product can never be transformed again"
    )
    assert chain.refused("mill", "pack", parent=PALLET, children=[LOT_A]) == (
        consumed + "a consumed product can never be packed again"
    )


def test_transform_needs_the_custodian_of_every_input_and_new_outputs() -> None:
    chain = Chain()
    shipped_to_mill(chain, LOT_A)
    chain.do("farm", "commission", ids=[LOT_E])
    why = chain.refused("mill", "transform", inputs=[LOT_A, LOT_E], outputs=[LOT_B])
    assert why == (
        f"mill cannot transform {LOT_E}: it is held by farm, and only its custodian may "
        "transform it"
    )
    why = chain.refused("mill", "transform", inputs=[LOT_A], outputs=[LOT_E])
    assert why.startswith(f"{LOT_E} already exists (commissioned by farm")


def test_inputs_of_several_owners_make_outputs_owned_by_the_transformer() -> None:
    chain = Chain()
    shipped_to_mill(chain, LOT_A)
    chain.do("mill", "commission", ids=[LOT_E])
    chain.do("mill", "transform", inputs=[LOT_A, LOT_E], outputs=[LOT_B])
    assert chain.product(LOT_B)["owner"] == "mill"


# ---- pack and unpack ------------------------------------------------------------------


def test_pack_ship_receive_unpack_moves_the_contents_with_the_parent() -> None:
    chain = Chain()
    made = chain.do("farm", "commission", ids=[LOT_A, CASE_C])
    packed = chain.do("farm", "pack", parent=PALLET, children=[LOT_A, CASE_C])
    assert packed["epcis"] == {
        "type": "AggregationEvent",
        "eventTime": TIME,
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "parentID": PALLET,
        "childEPCs": [CASE_C],
        "childQuantityList": [{"epcClass": LOT_A}],
        "bizStep": "packing",
    }
    made_id = made["event_id"]
    assert packed["previous"] == {PALLET: None, LOT_A: made_id, CASE_C: made_id}
    pallet = chain.product(PALLET)
    assert (pallet["producer"], pallet["custodian"], pallet["children"]) == (
        "farm",
        "farm",
        [LOT_A, CASE_C],
    )
    assert chain.product(LOT_A)["parent"] == PALLET

    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="truck")
    assert (
        why
        == f"{LOT_A} is packed in {PALLET}: ship {PALLET} instead, or unpack {LOT_A} from it first"
    )

    shipped = chain.do("farm", "ship", ids=[PALLET], receiver="truck")
    assert shipped["epcis"]["epcList"] == [PALLET, CASE_C]
    assert shipped["epcis"]["quantityList"] == [{"epcClass": LOT_A}]
    assert all(chain.product(i)["status"] == "in_transit" for i in (PALLET, LOT_A, CASE_C))
    assert chain.refused("truck", "receive", ids=[CASE_C]).startswith(
        f"{CASE_C} is packed in {PALLET}: receive {PALLET} instead"
    )
    chain.do("truck", "receive", ids=[PALLET])
    assert all(chain.product(i)["custodian"] == "truck" for i in (PALLET, LOT_A, CASE_C))

    unpacked = chain.do("truck", "unpack", parent=PALLET, children=[CASE_C])
    assert (unpacked["epcis"]["action"], unpacked["epcis"]["bizStep"]) == ("DELETE", "unpacking")
    assert unpacked["epcis"]["childEPCs"] == [CASE_C]
    assert chain.product(PALLET)["children"] == [LOT_A]
    assert chain.product(CASE_C)["parent"] is None
    chain.do("truck", "unpack", parent=PALLET)
    assert chain.product(PALLET)["children"] == []
    assert chain.refused("truck", "unpack", parent=PALLET) == (
        f"{PALLET} holds no packed products; there is nothing to unpack"
    )


def test_pack_rules() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A, CASE_C, ITEM_D])
    chain.do("mill", "commission", ids=[LOT_B])
    assert chain.refused("farm", "pack", parent=PALLET, children=[LOT_A, LOT_B]) == (
        f"farm cannot pack {LOT_B}: it is held by mill, and only its custodian may pack it"
    )
    chain.do("farm", "pack", parent=CASE_C, children=[ITEM_D])
    assert chain.refused("farm", "pack", parent=PALLET, children=[ITEM_D]) == (
        f"{ITEM_D} is already packed in {CASE_C}; unpack it from there first"
    )
    chain.do("farm", "pack", parent=PALLET, children=[CASE_C])
    assert chain.refused("farm", "pack", parent=ITEM_D, children=[PALLET]) == (
        f"{PALLET} holds {ITEM_D}; it cannot be packed inside it"
    )
    assert chain.refused("mill", "pack", parent=PALLET, children=[LOT_B]).startswith(
        f"mill cannot pack {PALLET}: it is held by farm"
    )
    assert chain.refused("farm", "transform", inputs=[PALLET], outputs=[LOT_E]) == (
        f"{PALLET} holds packed products ({CASE_C}); unpack them before it can be transformed"
    )


# ---- transact and inspect -------------------------------------------------------------


def test_transact_changes_the_owner_only() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    event = chain.do("farm", "transact", ids=[LOT_A], new_owner="shop", biz_transactions=[PO])
    assert event["epcis"] == {
        "type": "TransactionEvent",
        "eventTime": TIME,
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "epcList": [],
        "quantityList": [{"epcClass": LOT_A}],
        "bizStep": "accepting",
        "bizTransactionList": [{"type": "po", "bizTransaction": PO["id"]}],
        "sourceList": [{"type": "owning_party", "source": "urn:provledger:org:farm"}],
        "destinationList": [{"type": "owning_party", "destination": "urn:provledger:org:shop"}],
    }
    record = chain.product(LOT_A)
    assert (record["owner"], record["custodian"], record["producer"]) == ("shop", "farm", "farm")
    why = chain.refused("farm", "transact", ids=[LOT_A], new_owner="mill", biz_transactions=[PO])
    assert why == (
        f"farm cannot transfer ownership of {LOT_A}: it is owned by shop, and only its owner "
        "may sell or transfer it"
    )
    why = chain.refused("shop", "transact", ids=[LOT_A], new_owner="shop", biz_transactions=[PO])
    assert why == f"shop already owns {LOT_A}; name another organisation"


def test_inspect_by_a_regulator_or_the_custodian() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    event = chain.do("gov", "inspect", ids=[LOT_A], result="non_conformant", read_point=SGLN)
    assert (event["epcis"]["bizStep"], event["epcis"]["disposition"]) == (
        "inspecting",
        "non_conformant",
    )
    assert event["epcis"]["readPoint"] == {"id": SGLN}
    chain.do("farm", "inspect", ids=[LOT_A], result="conformant")
    assert chain.refused("shop", "inspect", ids=[LOT_A], result="conformant") == (
        f"shop cannot inspect {LOT_A}: it is held by farm; only its custodian or a regulator "
        "may inspect it"
    )
    assert chain.product(LOT_A)["status"] == "active"


# ---- recall ---------------------------------------------------------------------------


def recall_scenario() -> Chain:
    """A -> B -> C by two transformations at mill; D packed into C; E unrelated."""
    chain = Chain()
    shipped_to_mill(chain, LOT_A)
    chain.do("mill", "transform", inputs=[LOT_A], outputs=[LOT_B])
    chain.do("mill", "transform", inputs=[LOT_B], outputs=[CASE_C])
    chain.do("mill", "commission", ids=[ITEM_D, LOT_E])
    chain.do("mill", "pack", parent=CASE_C, children=[ITEM_D])
    return chain


def test_recall_reaches_every_derived_batch_and_packed_child() -> None:
    chain = recall_scenario()
    event = chain.do("gov", "recall", id=LOT_A)
    assert event["epcis"]["bizStep"] == "holding"
    assert event["epcis"]["disposition"] == "recalled"
    assert event["epcis"]["epcList"] == [CASE_C, ITEM_D]
    assert event["epcis"]["quantityList"] == [{"epcClass": LOT_A}, {"epcClass": LOT_B}]
    assert set(event["previous"]) == {LOT_A, LOT_B, CASE_C, ITEM_D}
    for product_id in (LOT_A, LOT_B, CASE_C, ITEM_D):
        record = chain.product(product_id)
        assert record["status"] == "recalled", product_id
        assert record["recalled_by"] == event["event_id"]
        assert record["last_event"] == event["event_id"]
    assert chain.product(LOT_E)["status"] == "active"
    assert [r["id"] for r in recall_impact(chain.view, LOT_A)] == [LOT_A, LOT_B, CASE_C, ITEM_D]

    recalled = f"is recalled (recall event {event['event_id']}); a recalled product can no longer"
    assert chain.refused("mill", "ship", ids=[CASE_C], receiver="shop") == (
        f"{CASE_C} {recalled} be shipped"
    )
    chain.do("mill", "unpack", parent=CASE_C)  # unpacking for disposal is allowed
    assert chain.refused("mill", "pack", parent=PALLET, children=[ITEM_D]) == (
        f"{ITEM_D} {recalled} be packed"
    )
    assert (
        chain.refused("mill", "transact", ids=[ITEM_D], new_owner="shop", biz_transactions=[PO])
        == f"{ITEM_D} {recalled} be sold or transferred"
    )
    assert chain.refused("mill", "transform", inputs=[ITEM_D], outputs=[PALLET]) == (
        f"{ITEM_D} {recalled} be transformed"
    )
    assert chain.refused("gov", "recall", id=LOT_B) == (
        f"{LOT_B} is already recalled (recall event {event['event_id']})"
    )


def test_only_a_regulator_or_the_producer_recalls() -> None:
    chain = recall_scenario()
    assert chain.refused("farm2", "recall", id=LOT_A) == (
        f"farm2 cannot recall {LOT_A}: only a regulator or its producer (farm) may recall it"
    )
    assert chain.refused("farm", "recall", id=LOT_B) == (
        f"farm cannot recall {LOT_B}: only a regulator or its producer (mill) may recall it"
    )
    event = chain.do("farm", "recall", id=LOT_A)
    assert set(event["previous"]) == {LOT_A, LOT_B, CASE_C, ITEM_D}


def test_a_recall_skips_what_an_earlier_recall_reached() -> None:
    chain = recall_scenario()
    first = chain.do("mill", "recall", id=LOT_B)
    assert set(first["previous"]) == {LOT_B, CASE_C, ITEM_D}
    second = chain.do("gov", "recall", id=LOT_A)
    assert set(second["previous"]) == {LOT_A}
    assert chain.product(CASE_C)["recalled_by"] == first["event_id"]


def test_a_product_recalled_in_transit_can_still_be_received() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    chain.do("farm", "ship", ids=[LOT_A], receiver="mill")
    chain.do("gov", "recall", id=LOT_A)
    chain.do("mill", "receive", ids=[LOT_A])
    record = chain.product(LOT_A)
    assert (record["status"], record["custodian"], record["receiver"]) == (
        "recalled",
        "mill",
        None,
    )


def test_a_recall_beyond_the_walk_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = recall_scenario()
    monkeypatch.setattr(actions, "MAX_WALK", 2)
    why = chain.refused("gov", "recall", id=LOT_A)
    assert why == (
        f"recall of {LOT_A} would reach more than 2 derived products, the limit of one "
        "transaction; recall its furthest downstream batches first, then this one"
    )
    chain.do("gov", "recall", id=CASE_C)  # as the reason says: downstream first
    event = chain.do("gov", "recall", id=LOT_A)
    assert set(event["previous"]) == {LOT_A, LOT_B}


# ---- queries and the hash chain -------------------------------------------------------


def test_queries_follow_the_graph_and_the_chain() -> None:
    chain = recall_scenario()
    events = history(chain.view, CASE_C)
    assert [e["step"] for e in events] == ["transform", "pack"]
    assert events[0]["previous"][CASE_C] is None
    assert events[1]["previous"][CASE_C] == events[0]["event_id"]
    assert [e["step"] for e in history(chain.view, LOT_A)] == [
        "commission",
        "ship",
        "receive",
        "transform",
    ]
    assert [r["id"] for r in upstream(chain.view, CASE_C)] == [LOT_B, LOT_A]
    assert [r["id"] for r in downstream(chain.view, LOT_A)] == [LOT_B, CASE_C, ITEM_D]
    assert upstream(chain.view, LOT_A) == []
    found = lineage(chain.view, LOT_B)
    assert [p["id"] for p in found["products"]] == [LOT_B, LOT_A, CASE_C, ITEM_D]
    steps = [e["step"] for e in found["events"]]
    assert steps == [
        "commission",
        "ship",
        "receive",
        "transform",
        "transform",
        "commission",
        "pack",
    ]
    assert [e["log_index"] for e in found["events"]] == sorted(
        e["log_index"] for e in found["events"]
    )
    with pytest.raises(UnknownProduct, match="no product urn:epc:id:sscc"):
        downstream(chain.view, PALLET)


def test_a_tampered_event_breaks_the_history_with_a_clear_error() -> None:
    chain = recall_scenario()
    event_id = chain.product(LOT_B)["last_event"]
    key = (C, event_key(event_id))
    chain.view.data[key]["epcis"]["bizStep"] = "shipping"
    with pytest.raises(BrokenHistory) as info:
        history(chain.view, LOT_B)
    assert str(info.value) == (
        f"event {event_id} of {LOT_B} does not hash to its id: the stored event was altered"
    )
    with pytest.raises(BrokenHistory):
        lineage(chain.view, LOT_A)

    del chain.view.data[key]
    with pytest.raises(BrokenHistory, match="is missing from the state"):
        history(chain.view, LOT_B)


def test_a_relinked_event_breaks_the_history() -> None:
    chain = recall_scenario()
    # Point LOT_E's head at an event that never touched it.
    record = chain.view.data[(C, product_key(LOT_E))]
    record["last_event"] = chain.product(LOT_A)["last_event"]
    with pytest.raises(BrokenHistory, match="does not link to the product's previous event"):
        history(chain.view, LOT_E)
    record["last_event"] = None
    with pytest.raises(BrokenHistory, match="records 1 events but its chain holds 0"):
        history(chain.view, LOT_E)


# ---- admission, args, determinism ------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "roles"),
    [
        ("commission", ("carrier",)),
        ("commission", ("retailer", "regulator")),
        ("ship", ("regulator",)),
        ("ship", ("notary",)),
        ("transform", ("carrier",)),
        ("recall", ("retailer",)),
        ("recall", ("carrier",)),
        ("transact", ("regulator",)),
        ("inspect", ("notary",)),
    ],
)
def test_roles_not_allowed_are_refused_at_admission(action: str, roles: tuple[str, ...]) -> None:
    registry = Registry([Traceability(GENESIS)])
    with pytest.raises(NotPermitted) as info:
        registry.admit(C, action, {"ids": [LOT_A]}, list(roles))
    assert f"may not call traceability.{action}" in info.value.reason


def test_role_table() -> None:
    supply = {"producer", "processor", "carrier", "retailer"}
    assert dict(ROLES) == {
        "commission": {"producer", "processor"},
        "pack": supply,
        "unpack": supply,
        "ship": supply,
        "receive": supply,
        "transform": {"producer", "processor"},
        "transact": supply,
        "inspect": supply | {"regulator"},
        "recall": {"regulator", "producer", "processor"},
    }


TOO_MANY = [f"urn:epc:id:sgtin:4012345.012345.{i}" for i in range(1001)]


@pytest.mark.parametrize(
    ("action", "args", "expected"),
    [
        ("commission", {}, "missing argument(s) ids"),
        ("commission", {"ids": [LOT_A], "colour": "red"}, "unexpected argument 'colour'"),
        ("commission", {"ids": []}, "ids: must name 1 to 1000 products, got 0"),
        ("commission", {"ids": TOO_MANY}, "ids: must name 1 to 1000 products, got 1001"),
        ("commission", {"ids": "urn:epc:id:sgtin:1.2.3"}, "ids: expected a list of product ids"),
        ("commission", {"ids": [LOT_A, LOT_A]}, f"ids[1]: {LOT_A} is listed twice"),
        ("commission", {"ids": ["lot-42"]}, "ids[0]: 'lot-42' is not a product id"),
        ("commission", {"ids": [SGLN]}, "is not a product id"),
        ("commission", {"ids": ["https://id.gs1.org/414/9520123456788"]}, "not a product id"),
        ("commission", {"ids": ["https://example.com/01/1/10/2"]}, "not a product id"),
        ("commission", {"ids": ["urn:epc:id:sgtin:1.2.a b"]}, "not a product id"),
        ("commission", {"ids": ["https://id.gs1.org/01/1/10"]}, "not a product id"),
        ("commission", {"ids": ["urn:epc:id:sgtin:" + "1" * 250]}, "longer than 256"),
        ("commission", {"ids": [7]}, "ids[0]: expected a product id string, got a number"),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_A, "quantity": 1.5}]},
            "quantities[0].quantity: expected a whole number, got 1.5",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_A, "quantity": 2.0}]},
            "expected a whole number, got 2.0",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_A, "quantity": 0}]},
            "quantity: 0 is outside 1..2^53-1",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_A, "quantity": 1, "uom": "kg"}]},
            "uom: expected a UN/ECE Rec 20 unit code",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_B, "quantity": 1}]},
            f"quantities[0]: {LOT_B} is not among the products of this event",
        ),
        (
            "commission",
            {"ids": [CASE_C], "quantities": [{"epcClass": CASE_C, "quantity": 1}]},
            "names one object, not a class",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": {"epcClass": LOT_A}},
            "quantities: expected a list of {epcClass, quantity, uom?} objects",
        ),
        (
            "commission",
            {"ids": [LOT_A], "quantities": [{"epcClass": LOT_A}] * 1001},
            "quantities: at most 1000 quantities, got 1001",
        ),
        ("commission", {"ids": [LOT_A], "read_point": LOT_A}, "read_point: 'urn:epc:class"),
        ("commission", {"ids": [LOT_A], "biz_location": None}, "biz_location: null is not a"),
        ("commission", {"ids": [LOT_A], "biz_location": SGLN + "/x"}, "is not a location"),
        ("ship", {"ids": [LOT_A], "receiver": "Mill Co"}, "'Mill Co' must be 1-63 characters"),
        ("ship", {"ids": [LOT_A], "receiver": 3}, "expected an organisation name, got a number"),
        ("ship", {"ids": [LOT_A]}, "missing argument(s) receiver"),
        (
            "transact",
            {"ids": [LOT_A], "new_owner": "shop", "biz_transactions": [{"type": "x", "id": "a:b"}]},
            "'x' is not a CBV business transaction type",
        ),
        (
            "transact",
            {"ids": [LOT_A], "new_owner": "shop", "biz_transactions": []},
            "expected a list of 1 to 32 {type, id} objects",
        ),
        (
            "transact",
            {
                "ids": [LOT_A],
                "new_owner": "shop",
                "biz_transactions": [{"type": "po", "id": "P 1"}],
            },
            "expected a URI of at most 256 characters without spaces",
        ),
        ("pack", {"parent": LOT_A, "children": [CASE_C]}, "parent: " + LOT_A + " names a class"),
        ("pack", {"parent": PALLET, "children": [PALLET]}, "cannot be packed into itself"),
        ("transform", {"inputs": [LOT_A], "outputs": [LOT_A]}, "is both an input and an output"),
        ("inspect", {"ids": [LOT_A], "result": "ok"}, "result: expected one of conformant"),
        ("recall", {"id": [LOT_A]}, "id: expected a product id string, got a list"),
        ("destroy", {"id": LOT_A}, "unknown action 'destroy' of contract 'traceability'"),
    ],
)
def test_bad_args(action: str, args: dict[str, Any], expected: str) -> None:
    with pytest.raises(Rejection) as info:
        Traceability(GENESIS).check_args(action, args)
    assert expected in info.value.reason


def test_reads_name_the_products_a_call_starts_from() -> None:
    contract = Traceability(GENESIS)
    assert contract.reads("ship", {"ids": [LOT_A, CASE_C], "receiver": "x"}) == [
        product_key(LOT_A),
        product_key(CASE_C),
        ("membership", "roster"),
    ]
    assert contract.reads("transact", {"ids": [LOT_A], "new_owner": "x"}) == [
        product_key(LOT_A),
        ("membership", "roster"),
    ]
    assert contract.reads("pack", {"parent": PALLET, "children": [LOT_A]}) == [
        product_key(PALLET),
        product_key(LOT_A),
    ]
    assert contract.reads("transform", {"inputs": [LOT_A], "outputs": [LOT_B]}) == [
        product_key(LOT_A),
        product_key(LOT_B),
    ]
    assert contract.reads("recall", {"id": LOT_A}) == [product_key(LOT_A)]
    assert contract.reads("destroy", {"id": LOT_A}) == []


class CachingView(DictView):
    """A view that hands out the object it caches, as a node's prefetching view does."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[tuple[str, str], Any] = {}

    def get(self, contract: str, key: str) -> Any | None:
        if (contract, key) not in self.cache:
            self.cache[(contract, key)] = super().get(contract, key)
        return self.cache[(contract, key)]


def test_a_refused_call_leaves_a_caching_view_untouched() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    view = CachingView()
    view.data = copy.deepcopy(chain.view.data)
    before = copy.deepcopy(view.get(C, product_key(LOT_A)))
    ctx = context(9, "farm", ORGS["farm"])
    with pytest.raises(Rejection, match="unknown product"):
        Traceability(GENESIS).apply(view, "ship", {"ids": [LOT_A, LOT_B], "receiver": "mill"}, ctx)
    with pytest.raises(Rejection, match="held by farm"):
        Traceability(GENESIS).apply(view, "receive", {"ids": [LOT_A]}, context(10, "mill", ("x",)))
    assert view.get(C, product_key(LOT_A)) == before
    Traceability(GENESIS).apply(view, "ship", {"ids": [LOT_A], "receiver": "mill"}, ctx)
    assert view.get(C, product_key(LOT_A)) == before


def signed_by(c: Any, member: int, action: str, **args: Any) -> Any:
    """A traceability transaction of ``c``'s member ``member``, signed."""
    key = c.members[member]
    return Transaction.new(key, c.chain_id, C, action, args).sign(key)


def test_a_block_applies_in_order_and_records_refusals() -> None:
    c = make_consortium(3)  # org0 producer+processor, org1 notary+carrier, org2 regulator
    tx = functools.partial(signed_by, c)

    block = [
        tx(0, "commission", ids=[LOT_A]),
        tx(1, "ship", ids=[LOT_A], receiver="org2"),
        tx(0, "ship", ids=[LOT_A], receiver="org1"),
        tx(1, "receive", ids=[LOT_A]),
        tx(2, "commission", ids=[LOT_B]),
    ]
    items = []
    for i, signed in enumerate(block):
        org = c.genesis.member(signed.tx.sender)[0]  # type: ignore[index]
        items.append((signed, TxContext.of(signed, org, log_index=i, height=1, time=TIME)))
    view = DictView()
    effects = Registry([Traceability(c.genesis)]).apply_block(view, items)
    assert effects.rejected == {
        block[1].tx_id: f"org1 cannot ship {LOT_A}: it is held by org0, and only its custodian "
        "may ship it",
        block[4].tx_id: "role(s) regulator may not call traceability.commission "
        "(allowed: processor, producer)",
    }
    for w in effects.writes:
        view.data[(w.contract, w.key)] = w.value
    assert view.get("ledger", rejected_key(block[1].tx_id)) is not None
    record = product(view, LOT_A)
    assert (record["custodian"], record["events"]) == ("org1", 3)
    assert [e["tx_id"] for e in history(view, LOT_A)] == [
        block[0].tx_id,
        block[2].tx_id,
        block[3].tx_id,
    ]


DETERMINISM = """
import hashlib, json
from tests.test_traceability import LOT_A, recall_scenario
chain = recall_scenario()
chain.do("gov", "recall", id=LOT_A)
from ledger.canonical import canonical
print(hashlib.sha256(canonical([[[k, v] for k, v in w] for w in chain.log])).hexdigest())
"""


def test_same_calls_same_writes_whatever_the_hash_seed() -> None:
    chain = recall_scenario()
    chain.do("gov", "recall", id=LOT_A)
    here = canonical([[[k, v] for k, v in w] for w in chain.log])
    again = recall_scenario()
    again.do("gov", "recall", id=LOT_A)
    assert canonical([[[k, v] for k, v in w] for w in again.log]) == here
    root = Path(__file__).resolve().parent.parent
    digests = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM],
            cwd=root,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout.strip())
    assert digests == {hashlib.sha256(here).hexdigest()}


@pytest.mark.parametrize(
    "args", [{"ids": "urn:epc:id:sgtin:1.2.3"}, {"ids": [1, None]}, {"id": {}}, {"parent": 3}, []]
)
def test_reads_of_malformed_args_name_nothing(args: Any) -> None:
    assert Traceability(GENESIS).reads("ship", args) == []


def test_pack_creates_only_logistic_units_never_other_products() -> None:
    """A carrier may not mint product ids by packing into them (review finding)."""
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    squat = "urn:epc:id:sgtin:4012345.012347.SQUAT"
    why = chain.refused("farm", "pack", parent=squat, children=[LOT_A])
    assert "packing creates only a new logistic unit" in why
    chain.do("farm", "commission", ids=[squat])  # its producer can still commission it
    chain.do("farm", "pack", parent="https://id.gs1.org/00/340123450000000017", children=[LOT_A])


# ---- parties: organisations of the roster --------------------------------------------

KNOWN = "(organisations: farm, farm2, gov, mill, shop, truck)"


def test_a_shipment_to_a_name_not_in_the_roster_is_refused_with_the_closest_name() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="mil")
    assert why == (
        "traceability.ship.receiver: 'mil' is not an organisation of the consortium; "
        f"did you mean 'mill'? {KNOWN}"
    )
    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="acme")
    assert (
        why
        == f"traceability.ship.receiver: 'acme' is not an organisation of the consortium {KNOWN}"
    )
    chain.do("farm", "ship", ids=[LOT_A], receiver="mill")
    assert chain.product(LOT_A)["receiver"] == "mill"


def test_a_sale_to_a_name_not_in_the_roster_is_refused() -> None:
    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A])
    why = chain.refused("farm", "transact", ids=[LOT_A], new_owner="shopp", biz_transactions=[PO])
    assert why == (
        "traceability.transact.new_owner: 'shopp' is not an organisation of the consortium; "
        f"did you mean 'shop'? {KNOWN}"
    )
    assert chain.product(LOT_A)["owner"] == "farm"


def test_parties_are_those_of_the_roster_stored_in_state_not_genesis() -> None:
    from contracts.membership.roster import Roster, genesis_roster
    from ledger.model.genesis import Organisation

    chain = Chain()
    chain.do("farm", "commission", ids=[LOT_A, LOT_B])
    base = genesis_roster(GENESIS)
    newcomer = Organisation("newco", ("retailer",), base.organisations[0].keys)
    kept = (*(o for o in base.organisations if o.name != "mill"), newcomer)
    changed = Roster(1, tuple(sorted(kept, key=lambda o: o.name)))
    chain.view.put("membership", [("roster", changed.to_dict())])
    why = chain.refused("farm", "ship", ids=[LOT_A], receiver="mill")
    assert why.startswith("traceability.ship.receiver: 'mill' is not an organisation")
    assert "(organisations: farm, farm2, gov, newco, shop, truck)" in why
    chain.do("farm", "ship", ids=[LOT_A], receiver="newco")
    chain.do("farm", "transact", ids=[LOT_B], new_owner="newco", biz_transactions=[PO])
    assert chain.product(LOT_B)["owner"] == "newco"


class PrefetchingView(DictView):
    """A view that records what a block asks it to prefetch."""

    def __init__(self) -> None:
        super().__init__()
        self.wanted: list[dict[str, list[str]]] = []

    def prefetch(self, wanted: dict[str, list[str]]) -> None:
        self.wanted.append(wanted)


def test_a_block_refuses_an_unknown_party_and_prefetches_the_roster() -> None:
    c = make_consortium(3)  # org0 producer+processor, org1 notary+carrier, org2 regulator
    tx = functools.partial(signed_by, c)

    block = [
        tx(0, "commission", ids=[LOT_A]),
        tx(0, "ship", ids=[LOT_A], receiver="org9"),
        tx(0, "ship", ids=[LOT_A], receiver="org1"),
    ]
    items = []
    for i, signed in enumerate(block):
        org = c.genesis.member(signed.tx.sender)[0]  # type: ignore[index]
        items.append((signed, TxContext.of(signed, org, log_index=i, height=1, time=TIME)))
    view = PrefetchingView()
    effects = Registry([Traceability(c.genesis)]).apply_block(view, items)
    assert effects.rejected == {
        block[1].tx_id: "traceability.ship.receiver: 'org9' is not an organisation of the "
        "consortium; did you mean 'org2'? (organisations: org0, org1, org2)"
    }
    (wanted,) = view.wanted
    assert wanted["membership"] == ["roster", "roster"]
    assert wanted[C] == [product_key(LOT_A)] * 3
