"""Identifiers the ``traceability`` contract accepts, and how it checks them.

Promises: every checker raises ``Rejection`` naming the argument (``where``) and what a
valid value looks like; a value that passes is a plain ``str`` safe to store.

- Product ids are EPC pure-identity URIs (``urn:epc:id:<scheme>:...``) or EPC class URIs
  (a batch as ``urn:epc:class:lgtin:...``) that follow the GS1 Tag Data Standard grammar
  of their scheme (``gs1``), or GS1 Digital Link URIs on ``https://id.gs1.org/`` of a
  primary key with a right check digit and the qualifiers it allows (``gs1_link``).
  Location and party keys (SGLN, PGLN; Digital Link AIs 414 and 417) are not products.
- Locations (read points, business locations, shipping source and destination) are SGLN
  URIs (``urn:epc:id:sgln:...``) or Digital Link URIs of a GLN (``.../414/...``), valid
  in the same way.
- Organisations are named as in genesis: 1-63 characters of a-z, 0-9, '.', '_', '-'.
  Whether such a name is an organisation of the roster is a question of state
  (``parties``).
"""

from __future__ import annotations

from typing import Any

from contracts.base import Rejection
from contracts.traceability.gs1 import epc_fault, epc_scheme
from contracts.traceability.gs1_link import link_ais, link_fault
from ledger.errors import ValidationError
from ledger.model.fields import check_name

ID_MAX = 256  # characters of one product or location id
ORG_URI_PREFIX = "urn:provledger:org:"  # party ids of organisations in EPCIS source/destination

_NOT_PRODUCT_SCHEMES = ("sgln", "pgln")
_NOT_PRODUCT_AIS = ("414", "417")

PRODUCT_SHAPE = (
    "an EPC URI ('urn:epc:id:sgtin:...', 'urn:epc:class:lgtin:...') "
    "or a GS1 Digital Link URI ('https://id.gs1.org/01/<gtin>/10/<lot>')"
)


def product_fault(value: str) -> str | None:
    """Why ``value`` is not a product id (see the module docstring), or None."""
    if value.startswith("urn:epc:"):
        fault = epc_fault(value)
        if fault is None and value.startswith("urn:epc:idpat:"):
            fault = "a pattern URI names many products; name one product or batch"
        elif fault is None and epc_scheme(value) in _NOT_PRODUCT_SCHEMES:
            fault = "an SGLN or PGLN names a location or party, not a product"
        return fault
    if value.startswith("https://id.gs1.org/"):
        fault = link_fault(value)
        if fault is None and (link_ais(value) or [""])[0] in _NOT_PRODUCT_AIS:
            fault = "a GLN (AI 414) or party GLN (AI 417) names no product"
        return fault
    return "not a URI of a GS1 identifier"


def is_product_id(value: Any) -> bool:
    """Whether ``value`` is a well-formed product id (see the module docstring)."""
    return isinstance(value, str) and 1 <= len(value) <= ID_MAX and product_fault(value) is None


def is_class_level(product_id: str) -> bool:
    """Whether a valid product id names a class of objects (a batch or a product type)
    rather than one object: EPC class URIs, and Digital Link GTINs without a serial
    (AI 21). EPCIS puts class-level ids in quantity lists, instance ids in EPC lists."""
    if product_id.startswith("urn:epc:"):
        return product_id.startswith("urn:epc:class:")
    ais = link_ais(product_id) or []
    return ais[:1] == ["01"] and "21" not in ais


def is_logistic_unit(product_id: str) -> bool:
    """Whether a valid product id names a logistic unit (a pallet, case or container):
    an SSCC, as an EPC URI ('urn:epc:id:sscc:...') or a Digital Link with AI 00."""
    if product_id.startswith("urn:epc:"):
        return product_id.startswith("urn:epc:id:sscc:")
    return (link_ais(product_id) or [])[:1] == ["00"]


def check_product_id(where: str, value: Any) -> None:
    """A product id (see the module docstring), at most ``ID_MAX`` characters."""
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected a product id string, got {_kind(value)}")
    if len(value) > ID_MAX:
        raise Rejection(f"{where}: longer than {ID_MAX} characters ({len(value)})")
    fault = product_fault(value)
    if fault is not None:
        raise Rejection(
            f"{where}: {value[:80]!r} is not a product id: {fault}; use {PRODUCT_SHAPE}"
        )


def check_location(where: str, value: Any) -> None:
    """A location: an SGLN URI or a Digital Link GLN URI, at most ``ID_MAX`` characters."""
    fault = _location_fault(value)
    if fault is not None:
        shown = repr(value[:80]) if isinstance(value, str) else _kind(value)
        raise Rejection(
            f"{where}: {shown} is not a location{fault}; use an SGLN URI "
            "('urn:epc:id:sgln:0614141.07346.1234') or 'https://id.gs1.org/414/<gln>'"
        )


def _location_fault(value: Any) -> str | None:
    """``""`` for a value of the wrong shape, ": <reason>" for a GS1 fault, None if valid."""
    if not isinstance(value, str) or len(value) > ID_MAX:
        return ""
    if value.startswith("urn:epc:id:sgln:"):
        fault = epc_fault(value)
    elif link_ais(value) in (["414"], ["414", "254"]):
        fault = link_fault(value)
    else:
        return ""
    return None if fault is None else f": {fault}"


def check_organisation(where: str, value: Any) -> None:
    """An organisation name as genesis spells them."""
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected an organisation name, got {_kind(value)}")
    try:
        check_name(value, where)
    except ValidationError as exc:
        raise Rejection(f"{exc}; name an organisation of the consortium") from exc


def org_uri(organisation: str) -> str:
    """The EPCIS party id of ``organisation`` (exporters map it back to the name)."""
    return ORG_URI_PREFIX + organisation


def _kind(value: Any) -> str:
    """The JSON kind of a refused non-string value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"
