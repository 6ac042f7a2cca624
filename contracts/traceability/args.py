"""The arguments of each ``traceability`` action, checked without state.

Promises: ``check_action_args`` accepts exactly the arguments listed in ``ACTION_ARGS``
for the action, each valid, and the cross-argument rules below; anything else raises
``Rejection`` naming the argument. An optional argument is absent or valid (never null).
Lists of product ids hold 1..``MAX_IDS`` distinct ids. Quantities are whole numbers
(floats are refused: stored values must be canonical JSON).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import Arg, Rejection, check_fields, check_list, unknown_action
from contracts.traceability.ids import (
    check_location,
    check_organisation,
    check_product_id,
    is_class_level,
)
from ledger.canonical import MAX_SAFE_INTEGER

MAX_IDS = 1000  # product ids named by one event argument
MAX_BIZ_TRANSACTIONS = 32
BIZ_TRANSACTION_MAX = 256
# CBV 2.0 business transaction types.
BIZ_TRANSACTION_TYPES = (
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
)
INSPECTION_RESULTS = ("conformant", "non_conformant")
_UOM_RE = re.compile(r"[A-Z0-9]{2,3}")  # a UN/ECE Recommendation 20 unit code
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!-~]+")  # a URI without spaces


def _id_list(where: str, value: Any) -> None:
    if not isinstance(value, list):
        raise Rejection(f"{where}: expected a list of product ids")
    if not 1 <= len(value) <= MAX_IDS:
        raise Rejection(f"{where}: must name 1 to {MAX_IDS} products, got {len(value)}")
    seen: set[str] = set()
    for i, item in enumerate(value):
        check_product_id(f"{where}[{i}]", item)
        if item in seen:
            raise Rejection(f"{where}[{i}]: {item} is listed twice")
        seen.add(item)


def _quantity_list(where: str, value: Any) -> None:
    expected = "{epcClass, quantity, uom?} objects"
    items = check_list(where, value, most=MAX_IDS, expected=expected, many="quantities")
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        check_fields(item, QUANTITY_FIELDS, at)
        if item["epcClass"] in seen:
            raise Rejection(f"{at}: a second quantity for {item['epcClass']}")
        seen.add(item["epcClass"])


def _class_id(where: str, value: Any) -> None:
    check_product_id(where, value)
    if not is_class_level(value):
        raise Rejection(
            f"{where}: {value} names one object, not a class (batch); only class-level "
            "ids ('urn:epc:class:lgtin:...', 'https://id.gs1.org/01/<gtin>/10/<lot>') "
            "have a quantity"
        )


def _quantity(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejection(f"{where}: expected a whole number, got {value!r}")
    if not 1 <= value <= MAX_SAFE_INTEGER:
        raise Rejection(f"{where}: {value} is outside 1..2^53-1")


def _uom(where: str, value: Any) -> None:
    if not isinstance(value, str) or not _UOM_RE.fullmatch(value):
        raise Rejection(
            f"{where}: expected a UN/ECE Rec 20 unit code such as 'KGM', 'LTR' or 'TNE'"
        )


def _biz_transactions(where: str, value: Any) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_BIZ_TRANSACTIONS:
        raise Rejection(
            f"{where}: expected a list of 1 to {MAX_BIZ_TRANSACTIONS} {{type, id}} objects"
        )
    for i, item in enumerate(value):
        check_fields(item, BIZ_TRANSACTION_FIELDS, f"{where}[{i}]")


def _bt_type(where: str, value: Any) -> None:
    if value not in BIZ_TRANSACTION_TYPES:
        raise Rejection(
            f"{where}: {value!r} is not a CBV business transaction type "
            f"({', '.join(BIZ_TRANSACTION_TYPES)})"
        )


def _bt_id(where: str, value: Any) -> None:
    if (
        not isinstance(value, str)
        or len(value) > BIZ_TRANSACTION_MAX
        or not _URI_RE.fullmatch(value)
    ):
        raise Rejection(
            f"{where}: expected a URI of at most {BIZ_TRANSACTION_MAX} characters without "
            "spaces, e.g. 'urn:epcglobal:cbv:bt:0614141000005:PO-1234'"
        )


def _one_of(choices: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(where: str, value: Any) -> None:
        if value not in choices:
            raise Rejection(f"{where}: expected one of {', '.join(choices)}, got {value!r}")

    return check


QUANTITY_FIELDS: Mapping[str, Arg] = MappingProxyType(
    {"epcClass": Arg(True, _class_id), "quantity": Arg(True, _quantity), "uom": Arg(False, _uom)}
)
BIZ_TRANSACTION_FIELDS: Mapping[str, Arg] = MappingProxyType(
    {"type": Arg(True, _bt_type), "id": Arg(True, _bt_id)}
)

_WHERE = {"read_point": Arg(False, check_location), "biz_location": Arg(False, check_location)}

ACTION_ARGS: Mapping[str, Mapping[str, Arg]] = MappingProxyType(
    {
        "commission": {
            "ids": Arg(True, _id_list),
            "quantities": Arg(False, _quantity_list),
            **_WHERE,
        },
        "pack": {"parent": Arg(True, check_product_id), "children": Arg(True, _id_list), **_WHERE},
        "unpack": {
            "parent": Arg(True, check_product_id),
            "children": Arg(False, _id_list),
            **_WHERE,
        },
        "ship": {
            "ids": Arg(True, _id_list),
            "receiver": Arg(True, check_organisation),
            "source_location": Arg(False, check_location),
            "destination_location": Arg(False, check_location),
            "biz_transactions": Arg(False, _biz_transactions),
            "read_point": Arg(False, check_location),
        },
        "receive": {"ids": Arg(True, _id_list), **_WHERE},
        "transform": {
            "inputs": Arg(True, _id_list),
            "outputs": Arg(True, _id_list),
            "input_quantities": Arg(False, _quantity_list),
            "output_quantities": Arg(False, _quantity_list),
            **_WHERE,
        },
        "transact": {
            "ids": Arg(True, _id_list),
            "new_owner": Arg(True, check_organisation),
            "biz_transactions": Arg(True, _biz_transactions),
        },
        "inspect": {
            "ids": Arg(True, _id_list),
            "result": Arg(True, _one_of(INSPECTION_RESULTS)),
            **_WHERE,
        },
        "recall": {"id": Arg(True, check_product_id), **_WHERE},
    }
)


def check_action_args(contract: str, action: str, args: Any) -> None:
    """Check ``args`` of ``action`` (see the module promises)."""
    spec = ACTION_ARGS.get(action)
    if spec is None:
        raise unknown_action(contract, action)
    where = f"{contract}.{action}"
    check_fields(args, spec, where)
    if action == "commission":
        _quantities_name(args, "quantities", args["ids"], where)
    elif action in ("pack", "unpack"):
        if is_class_level(args["parent"]):
            raise Rejection(
                f"{where}.parent: {args['parent']} names a class, not one object; a parent "
                "(pallet, case, container) is one object, e.g. 'urn:epc:id:sscc:...'"
            )
        if args["parent"] in args.get("children", ()):
            raise Rejection(f"{where}.children: {args['parent']} cannot be packed into itself")
    elif action == "transform":
        both = [i for i in args["outputs"] if i in args["inputs"]]
        if both:
            raise Rejection(f"{where}: {both[0]} is both an input and an output")
        _quantities_name(args, "input_quantities", args["inputs"], where)
        _quantities_name(args, "output_quantities", args["outputs"], where)


def _quantities_name(args: dict[str, Any], field: str, ids: list[str], where: str) -> None:
    """Each quantity of ``field`` is of one of ``ids``."""
    for i, q in enumerate(args.get(field, ())):
        if q["epcClass"] not in ids:
            raise Rejection(
                f"{where}.{field}[{i}]: {q['epcClass']} is not among the products of this "
                "event; a quantity belongs to one of them"
            )
