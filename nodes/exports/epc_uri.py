"""EPC URIs (pure identity, class and pattern URIs) as canonical GS1 Digital Link URIs.

Promises: ``epc_uri_to_digital_link(uri)`` returns the canonical GS1 Digital Link URI
(``https://id.gs1.org/<AI>/<key>[/<AI>/<qualifier>]``, check digits computed, the
characters a Digital Link path must escape percent-encoded) of an EPC URI of one of the
GS1 schemes below, and ``None`` for anything else, including an EPC URI whose parts do
not have the lengths its scheme requires. A pattern URI keeps only the identification
level it names (``urn:epc:idpat:sgtin:…​.*`` is a GTIN).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# One character of a GS1 alphanumeric value as an EPC URI writes it: a character that
# needs no escape, or a %-escape.
_CHAR = r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!'()*+,\-.:;=_])"
# Characters an EPC URI leaves as they are but a Digital Link path segment escapes.
_DL_ESCAPES = {c: f"%{ord(c):02X}" for c in "!()*+,:"}


def gs1_check_digit(digits: str) -> str:
    """The GS1 modulo-10 check digit of ``digits`` (weights 3, 1, 3, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _escape(value: str) -> str:
    return "".join(_DL_ESCAPES.get(c, c) for c in value)


def _gtin14(prefix: str, item: str) -> str:
    """GTIN-14 from an EPC company prefix and item reference (indicator digit first)."""
    body = item[:1] + prefix + item[1:]
    return body + gs1_check_digit(body)


def _with_check(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _count(value: str) -> int:
    """The number of characters ``value`` stands for (an escape is one)."""
    return len(re.sub(r"%[0-9A-Fa-f]{2}", "_", value))


# Each scheme: (regex over the part after the scheme name, total digits of company
# prefix + reference or None, converter from the match groups to the Digital Link path).
_Convert = Callable[..., str | None]
_SCHEMES: dict[str, tuple[str, int | None, _Convert]] = {
    "id:sgtin": (
        rf"(\d+)\.(\d+)\.({_CHAR}{{1,20}})",
        13,
        lambda p, r, s: f"01/{_gtin14(p, r)}/21/{_escape(s)}",
    ),
    "id:sscc": (r"(\d+)\.(\d+)", 17, lambda p, r: f"00/{_with_check(r[:1] + p + r[1:])}"),
    "id:sgln": (
        rf"(\d+)\.(\d*)\.({_CHAR}{{1,20}})",
        12,
        lambda p, r, e: f"414/{_with_check(p + r)}" + ("" if e == "0" else f"/254/{_escape(e)}"),
    ),
    "id:grai": (
        rf"(\d+)\.(\d*)\.({_CHAR}{{1,16}})",
        12,
        lambda p, r, s: f"8003/{_with_check('0' + p + r)}{_escape(s)}",
    ),
    "id:giai": (
        rf"(\d+)\.({_CHAR}+)",
        None,
        lambda p, a: f"8004/{p}{_escape(a)}" if len(p) + _count(a) <= 30 else None,
    ),
    "id:gsrn": (r"(\d+)\.(\d+)", 17, lambda p, r: f"8018/{_with_check(p + r)}"),
    "id:gsrnp": (r"(\d+)\.(\d+)", 17, lambda p, r: f"8017/{_with_check(p + r)}"),
    "id:gdti": (
        rf"(\d+)\.(\d*)\.({_CHAR}{{0,17}})",
        12,
        lambda p, r, s: f"253/{_with_check(p + r)}{_escape(s)}",
    ),
    "id:cpi": (
        r"(\d+)\.((?:%[0-9A-Fa-f]{2}|[0-9A-Z\-])+)\.(\d{1,12})",
        None,
        lambda p, r, s: f"8010/{p}{r}/8011/{s}" if len(p) + _count(r) <= 30 else None,
    ),
    "id:sgcn": (r"(\d+)\.(\d*)\.(\d{1,12})", 12, lambda p, r, s: f"255/{_with_check(p + r)}{s}"),
    "id:ginc": (
        rf"(\d+)\.({_CHAR}+)",
        None,
        lambda p, r: f"401/{p}{_escape(r)}" if len(p) + _count(r) <= 30 else None,
    ),
    "id:gsin": (r"(\d+)\.(\d+)", 16, lambda p, r: f"402/{_with_check(p + r)}"),
    "id:itip": (
        rf"(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.({_CHAR}{{1,20}})",
        13,
        lambda p, r, piece, total, s: f"8006/{_gtin14(p, r)}{piece}{total}/21/{_escape(s)}",
    ),
    "id:upui": (
        rf"(\d+)\.(\d+)\.({_CHAR}{{1,28}})",
        13,
        lambda p, r, s: f"01/{_gtin14(p, r)}/235/{_escape(s)}",
    ),
    "id:pgln": (r"(\d+)\.(\d*)", 12, lambda p, r: f"417/{_with_check(p + r)}"),
    "class:lgtin": (
        rf"(\d+)\.(\d+)\.({_CHAR}{{1,20}})",
        13,
        lambda p, r, lot: f"01/{_gtin14(p, r)}/10/{_escape(lot)}",
    ),
    "idpat:sgtin": (r"(\d+)\.(\d+)\.\*", 13, lambda p, r: f"01/{_gtin14(p, r)}"),
    "idpat:upui": (r"(\d+)\.(\d+)\.\*", 13, lambda p, r: f"01/{_gtin14(p, r)}"),
    "idpat:grai": (r"(\d+)\.(\d*)\.\*", 12, lambda p, r: f"8003/{_with_check('0' + p + r)}"),
    "idpat:gdti": (r"(\d+)\.(\d*)\.\*", 12, lambda p, r: f"253/{_with_check(p + r)}"),
    "idpat:sgcn": (r"(\d+)\.(\d*)\.\*", 12, lambda p, r: f"255/{_with_check(p + r)}"),
    "idpat:cpi": (
        r"(\d+)\.((?:%[0-9A-Fa-f]{2}|[0-9A-Z\-])+)\.\*",
        None,
        lambda p, r: f"8010/{p}{r}" if len(p) + _count(r) <= 30 else None,
    ),
    "idpat:itip": (
        r"(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.\*",
        13,
        lambda p, r, piece, total: f"8006/{_gtin14(p, r)}{piece}{total}",
    ),
}
_COMPILED = {k: (re.compile(rx), n, f) for k, (rx, n, f) in _SCHEMES.items()}
_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(.*)", re.DOTALL)


def epc_uri_to_digital_link(uri: str) -> str | None:
    """The canonical GS1 Digital Link URI of an EPC URI, or ``None`` if it is not one."""
    head = _URN.fullmatch(uri)
    if head is None:
        return None
    scheme = _COMPILED.get(f"{head[1]}:{head[2]}")
    if scheme is None:
        return None
    pattern, digits, convert = scheme
    body = pattern.fullmatch(head[3])
    if body is None:
        return None
    prefix = body[1]
    if not 6 <= len(prefix) <= 12:
        return None
    if digits is not None and len(prefix) + len(body[2]) != digits:
        return None
    path = convert(*body.groups())
    return None if path is None else f"https://id.gs1.org/{path}"
