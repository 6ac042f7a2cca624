"""Identifiers the ``traceability`` contract accepts, and how it checks them.

Promises: every checker raises ``Rejection`` naming the argument (``where``) and what a
valid value looks like; a value that passes is a plain ``str`` safe to store.

- Product ids are EPC pure-identity URIs (``urn:epc:id:<scheme>:...``), EPC class URIs
  (``urn:epc:class:<scheme>:...``, e.g. a batch as ``urn:epc:class:lgtin:...``) or GS1
  Digital Link URIs on ``https://id.gs1.org/`` made of AI/value pairs. Location and party
  schemes (SGLN, PGLN; Digital Link AIs 414 and 417) are not products.
- Locations (read points, business locations, shipping source and destination) are SGLN
  URIs (``urn:epc:id:sgln:...``) or Digital Link URIs of a GLN (``.../414/...``).
- Organisations are named as in genesis: 1-63 characters of a-z, 0-9, '.', '_', '-'.
"""

from __future__ import annotations

import re
from typing import Any

from contracts.base import Rejection
from ledger.errors import ValidationError
from ledger.model.fields import check_name

ID_MAX = 256  # characters of one product or location id
ORG_URI_PREFIX = "urn:provledger:org:"  # party ids of organisations in EPCIS source/destination

# Characters of an EPC URI body (GS1 Tag Data Standard: letters, digits, the marks
# below and %-escapes); '/' is escaped there, so a body never holds one.
_EPC_CHARS = r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%[0-9A-Fa-f]{2})+"
_EPC_RE = re.compile(rf"urn:epc:(id|class):([a-z][a-z0-9]*):{_EPC_CHARS}")
# A Digital Link path: /AI/value pairs; AIs are 2 to 4 digits.
_DL_VALUE = r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%[0-9A-Fa-f]{2})+"
_DL_RE = re.compile(rf"https://id\.gs1\.org((?:/[0-9]{{2,4}}/{_DL_VALUE})+)")
_NOT_PRODUCT_SCHEMES = ("sgln", "pgln")
_NOT_PRODUCT_AIS = ("414", "417")
_LOCATION_RE = re.compile(rf"urn:epc:id:sgln:{_EPC_CHARS}|https://id\.gs1\.org/414/{_DL_VALUE}")

PRODUCT_SHAPE = (
    "an EPC URI ('urn:epc:id:sgtin:...', 'urn:epc:class:lgtin:...') "
    "or a GS1 Digital Link URI ('https://id.gs1.org/01/<gtin>/10/<lot>')"
)


def _digital_link_ais(value: str) -> list[str] | None:
    """The AIs of a Digital Link URI in order, or None if ``value`` is not one."""
    match = _DL_RE.fullmatch(value)
    if match is None:
        return None
    return match.group(1).split("/")[1::2]


def is_product_id(value: Any) -> bool:
    """Whether ``value`` is a well-formed product id (see the module docstring)."""
    if not isinstance(value, str) or not 1 <= len(value) <= ID_MAX:
        return False
    epc = _EPC_RE.fullmatch(value)
    if epc is not None:
        return epc.group(2) not in _NOT_PRODUCT_SCHEMES
    ais = _digital_link_ais(value)
    return ais is not None and ais[0] not in _NOT_PRODUCT_AIS


def is_class_level(product_id: str) -> bool:
    """Whether a valid product id names a class of objects (a batch or a product type)
    rather than one object: EPC class URIs, and Digital Link GTINs without a serial
    (AI 21). EPCIS puts class-level ids in quantity lists, instance ids in EPC lists."""
    if product_id.startswith("urn:epc:"):
        return product_id.startswith("urn:epc:class:")
    ais = _digital_link_ais(product_id) or []
    return ais[:1] == ["01"] and "21" not in ais


def is_logistic_unit(product_id: str) -> bool:
    """Whether a valid product id names a logistic unit (a pallet, case or container):
    an SSCC, as an EPC URI ('urn:epc:id:sscc:...') or a Digital Link with AI 00."""
    if product_id.startswith("urn:epc:"):
        return product_id.startswith("urn:epc:id:sscc:")
    return (_digital_link_ais(product_id) or [])[:1] == ["00"]


def check_product_id(where: str, value: Any) -> None:
    """A product id (see the module docstring), at most ``ID_MAX`` characters."""
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected a product id string, got {_kind(value)}")
    if len(value) > ID_MAX:
        raise Rejection(f"{where}: longer than {ID_MAX} characters ({len(value)})")
    if not is_product_id(value):
        raise Rejection(f"{where}: {value[:80]!r} is not a product id; use {PRODUCT_SHAPE}")


def check_location(where: str, value: Any) -> None:
    """A location: an SGLN URI or a Digital Link GLN URI, at most ``ID_MAX`` characters."""
    if not isinstance(value, str) or len(value) > ID_MAX or not _LOCATION_RE.fullmatch(value):
        shown = repr(value[:80]) if isinstance(value, str) else _kind(value)
        raise Rejection(
            f"{where}: {shown} is not a location; use an SGLN URI "
            "('urn:epc:id:sgln:0614141.07346.1234') or 'https://id.gs1.org/414/<gln>'"
        )


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
