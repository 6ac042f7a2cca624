"""EPC URIs as the GS1 EPC Tag Data Standard (TDS 2.x, section 6 and appendix A) writes
them, and their canonical GS1 Digital Link URIs.

Promises:
- ``epc_fault(uri)`` is ``None`` for an EPC pure identity URI (``urn:epc:id:...``), EPC
  class URI (``urn:epc:class:lgtin:...``) or pure identity pattern URI
  (``urn:epc:idpat:...``) that follows the TDS grammar of its scheme, and otherwise one
  sentence saying which part is wrong and what it must be. For the GS1 schemes: the
  company prefix has 6 to 12 digits; the company prefix and the numeric reference after
  it have the total number of digits of the scheme (``Scheme.digits``: 13 for SGTIN and
  LGTIN, 17 for SSCC, 12 for SGLN and GRAI...); an alphanumeric part (serial, lot,
  extension, asset reference) has 1 to ``Scheme.most`` characters of GS1 AI encodable
  character set 82, where ``"``, ``%``, ``&``, ``/``, ``<``, ``>`` and ``?`` are written
  as %-escapes and a %-escape counts as one character; GIAI, GINC and CPI keep the company
  prefix and the reference within 30 characters together.
- ``epc_to_digital_link(uri)`` is the canonical GS1 Digital Link URI
  (``https://id.gs1.org/<AI>/<key>[/<AI>/<qualifier>]``, check digits computed, the
  characters a Digital Link path must escape percent-encoded) of a valid EPC URI of a GS1
  scheme, and ``None`` for anything else. A pattern URI keeps only the identification
  level it names (``urn:epc:idpat:sgtin:....*`` is a GTIN).
- Pure: no I/O; the same text always gives the same answer, on every node.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# GS1 AI encodable character set 82 (GS1 General Specifications figure 7.11-1).
CS82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
# TDS table A-1: the characters of set 82 an EPC URI writes as %-escapes.
EPC_ESCAPED = frozenset('"%&/<>?')
# Characters an EPC URI leaves as they are but a Digital Link path segment escapes.
_DL_ESCAPES = {c: f"%{ord(c):02X}" for c in "!()*+,:"}
# One character of a TDS ``GS3A3Component``: plain, or one of the allowed %-escapes.
_GS3A3_CHAR = re.compile(r"%(?:22|25|26|2[Ff]|3[CcEeFf])|[A-Za-z0-9!'()*+,\-.:;=_]")
_CPI_CHAR = re.compile(r"%(?:2[Ff]|23)|[0-9A-Z\-]")
_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z0-9]+):(.*)", re.DOTALL)
PREFIX_DIGITS = (6, 12)
ALNUM_TOTAL = 30  # GIAI, GINC, CPI: company prefix + reference, characters


def gs1_check_digit(digits: str) -> str:
    """The GS1 modulo-10 check digit of ``digits`` (weights 3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def with_check(digits: str) -> str:
    """``digits`` followed by their GS1 check digit."""
    return digits + gs1_check_digit(digits)


def gtin14(prefix: str, item: str) -> str:
    """The GTIN-14 of an EPC company prefix and item reference (indicator digit first)."""
    return with_check(item[:1] + prefix + item[1:])


def unescape(value: str) -> str:
    """The characters a %-escaped value stands for."""
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), value)


def epc_escape(value: str) -> str:
    """``value`` (characters of set 82) as an EPC URI component writes it (TDS table A-1)."""
    return "".join(f"%{ord(c):02X}" if c in EPC_ESCAPED else c for c in value)


def link_escape(value: str) -> str:
    """An EPC URI component as a Digital Link path segment writes it."""
    return "".join(_DL_ESCAPES.get(c, c) for c in value)


def _chars(value: str, char: re.Pattern[str]) -> int | None:
    """How many characters ``value`` stands for if it is made of ``char``, else None."""
    count, at = 0, 0
    while at < len(value):
        match = char.match(value, at)
        if match is None:
            return None
        at, count = match.end(), count + 1
    return count


@dataclass(frozen=True)
class Part:
    """One dot-separated part of an EPC URI body: ``kind`` is ``prefix`` (the company
    prefix), ``ref`` (digits counted with the prefix; ``least`` 0 lets it be empty),
    ``digits`` (exactly ``most`` digits), ``number`` (1 to ``most`` digits), ``text`` (a
    GS3A3 component of 1 to ``most`` characters), ``cpi`` (a CPI reference) or ``star``."""

    kind: str
    label: str
    most: int = 0
    least: int = 1


@dataclass(frozen=True)
class Scheme:
    """The grammar of one EPC scheme and the Digital Link path of a valid URI of it."""

    name: str  # "id:sgtin"
    parts: tuple[Part, ...]
    digits: int | None  # company prefix + ref digits, or None
    link: Callable[..., str]  # the parts' text -> Digital Link path (AI/value...)
    total: int | None = None  # characters of the prefix and the last part together

    def shape(self) -> str:
        """The URI with a placeholder for each part, for a refusal reason."""
        body = ".".join(p.label if p.kind == "star" else f"<{p.label}>" for p in self.parts)
        return f"urn:epc:{self.name}:{body}"


_P = Part("prefix", "company prefix")
_STAR = Part("star", "*")


def _item(label: str = "indicator and item reference") -> Part:
    return Part("ref", label)


def _text(label: str, most: int) -> Part:
    return Part("text", label, most)


def _sgln(p: str, r: str, e: str) -> str:
    return f"414/{with_check(p + r)}" + ("" if e == "0" else f"/254/{link_escape(e)}")


_LIST = [
    Scheme(
        "id:sgtin",
        (_P, _item(), _text("serial", 20)),
        13,
        lambda p, r, s: f"01/{gtin14(p, r)}/21/{link_escape(s)}",
    ),
    Scheme(
        "id:sscc",
        (_P, _item("extension digit and serial reference")),
        17,
        lambda p, r: f"00/{with_check(r[:1] + p + r[1:])}",
    ),
    Scheme(
        "id:sgln",
        (_P, Part("ref", "location reference", least=0), _text("extension", 20)),
        12,
        _sgln,
    ),
    Scheme(
        "id:grai",
        (_P, Part("ref", "asset type", least=0), _text("serial", 16)),
        12,
        lambda p, r, s: f"8003/{with_check('0' + p + r)}{link_escape(s)}",
    ),
    Scheme(
        "id:giai",
        (_P, _text("individual asset reference", ALNUM_TOTAL)),
        None,
        lambda p, a: f"8004/{p}{link_escape(a)}",
        ALNUM_TOTAL,
    ),
    Scheme(
        "id:gsrn", (_P, _item("service reference")), 17, lambda p, r: f"8018/{with_check(p + r)}"
    ),
    Scheme(
        "id:gsrnp", (_P, _item("service reference")), 17, lambda p, r: f"8017/{with_check(p + r)}"
    ),
    Scheme(
        "id:gdti",
        (_P, Part("ref", "document type", least=0), Part("text", "serial", 17, least=0)),
        12,
        lambda p, r, s: f"253/{with_check(p + r)}{link_escape(s)}",
    ),
    Scheme(
        "id:cpi",
        (_P, Part("cpi", "component/part reference"), Part("number", "serial", 12)),
        None,
        lambda p, r, s: f"8010/{p}{r}/8011/{s}",
        ALNUM_TOTAL,
    ),
    Scheme(
        "id:sgcn",
        (_P, Part("ref", "coupon reference", least=0), Part("number", "serial", 12)),
        12,
        lambda p, r, s: f"255/{with_check(p + r)}{s}",
    ),
    Scheme(
        "id:ginc",
        (_P, _text("consignment reference", ALNUM_TOTAL)),
        None,
        lambda p, r: f"401/{p}{link_escape(r)}",
        ALNUM_TOTAL,
    ),
    Scheme(
        "id:gsin", (_P, _item("shipper reference")), 16, lambda p, r: f"402/{with_check(p + r)}"
    ),
    Scheme(
        "id:itip",
        (_P, _item(), Part("digits", "piece", 2), Part("digits", "total", 2), _text("serial", 20)),
        13,
        lambda p, r, piece, total, s: f"8006/{gtin14(p, r)}{piece}{total}/21/{link_escape(s)}",
    ),
    Scheme(
        "id:upui",
        (_P, _item(), _text("third party controlled serial", 28)),
        13,
        lambda p, r, s: f"01/{gtin14(p, r)}/235/{link_escape(s)}",
    ),
    Scheme(
        "id:pgln",
        (_P, Part("ref", "party reference", least=0)),
        12,
        lambda p, r: f"417/{with_check(p + r)}",
    ),
    Scheme(
        "class:lgtin",
        (_P, _item(), _text("lot", 20)),
        13,
        lambda p, r, lot: f"01/{gtin14(p, r)}/10/{link_escape(lot)}",
    ),
    Scheme("idpat:sgtin", (_P, _item(), _STAR), 13, lambda p, r, _: f"01/{gtin14(p, r)}"),
    Scheme("idpat:upui", (_P, _item(), _STAR), 13, lambda p, r, _: f"01/{gtin14(p, r)}"),
    Scheme(
        "idpat:grai",
        (_P, Part("ref", "asset type", least=0), _STAR),
        12,
        lambda p, r, _: f"8003/{with_check('0' + p + r)}",
    ),
    Scheme(
        "idpat:gdti",
        (_P, Part("ref", "document type", least=0), _STAR),
        12,
        lambda p, r, _: f"253/{with_check(p + r)}",
    ),
    Scheme(
        "idpat:sgcn",
        (_P, Part("ref", "coupon reference", least=0), _STAR),
        12,
        lambda p, r, _: f"255/{with_check(p + r)}",
    ),
    Scheme(
        "idpat:cpi",
        (_P, Part("cpi", "component/part reference"), _STAR),
        None,
        lambda p, r, _: f"8010/{p}{r}",
        ALNUM_TOTAL,
    ),
    Scheme(
        "idpat:itip",
        (_P, _item(), Part("digits", "piece", 2), Part("digits", "total", 2), _STAR),
        13,
        lambda p, r, piece, total, _: f"8006/{gtin14(p, r)}{piece}{total}",
    ),
]
SCHEMES: dict[str, Scheme] = {s.name: s for s in _LIST}
# The TDS General Identifier: three decimal numbers without leading zeros (not GS1).
_GID = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")


def _part_fault(part: Part, text: str) -> tuple[str | None, int]:
    """Why ``text`` is not a valid ``part`` (None if it is), and the characters it counts."""
    if part.kind == "star":
        return (None if text == "*" else "the last part of a pattern must be '*'"), 0
    if part.kind in ("prefix", "ref", "digits", "number"):
        if text and not (text.isascii() and text.isdigit()):
            return f"the {part.label} must be digits, got {text[:24]!r}", 0
        least, most = {
            "prefix": PREFIX_DIGITS,
            "ref": (part.least, 12),
            "digits": (part.most, part.most),
            "number": (1, part.most),
        }[part.kind]
        if not least <= len(text) <= most:
            span = f"{least}" if least == most else f"{least} to {most}"
            return f"the {part.label} must be {span} digits, got {len(text)}", len(text)
        return None, len(text)
    count = _chars(text, _CPI_CHAR if part.kind == "cpi" else _GS3A3_CHAR)
    if count is None:
        allowed = (
            "digits, capital letters, '-' and the escapes %2F and %23"
            if part.kind == "cpi"
            else "letters, digits, !'()*+,-.:;=_ and the escapes %22 %25 %26 %2F %3C %3E %3F"
        )
        return f"the {part.label} {text[:24]!r} must be made of {allowed}", 0
    most = part.most or ALNUM_TOTAL
    if not part.least <= count <= most:
        return f"the {part.label} must be {part.least} to {most} characters, got {count}", count
    return None, count


def _kind(name: str) -> str:
    return name.split(":", 1)[0]


def epc_fault(uri: str) -> str | None:
    """Why ``uri`` is not an EPC URI of its scheme (see the module promises), or None."""
    head = _URN.fullmatch(uri)
    if head is None:
        return "an EPC URI is 'urn:epc:id:<scheme>:...' or 'urn:epc:class:lgtin:...'"
    name = f"{head[1]}:{head[2]}"
    if name == "id:gid":
        if _GID.fullmatch(head[3]):
            return None
        return "a GID is urn:epc:id:gid:<manager>.<class>.<serial>, numbers without leading zeros"
    scheme = SCHEMES.get(name)
    if scheme is None:
        names = [n[len(head[1]) + 1 :] for n in SCHEMES if _kind(n) == head[1]]
        known = ", ".join(sorted([*names, "gid"] if head[1] == "id" else names))
        return f"'{head[2]}' is not an EPC {head[1]} scheme (known: {known or 'none'})"
    texts = head[3].split(".", len(scheme.parts) - 1)
    if len(texts) != len(scheme.parts):
        return f"expected {scheme.shape()}, with {len(scheme.parts)} parts separated by '.'"
    digits = 0
    for part, text in zip(scheme.parts, texts, strict=True):
        fault, count = _part_fault(part, text)
        if fault is not None:
            return f"{fault} ({scheme.shape()})"
        if part.kind in ("prefix", "ref"):
            digits += count
    if scheme.digits is not None and digits != scheme.digits:
        labels = " + ".join(p.label for p in scheme.parts if p.kind in ("prefix", "ref"))
        return f"the {labels} must have {scheme.digits} digits together, got {digits}"
    if scheme.total is not None:
        last = _part_fault(scheme.parts[1], texts[1])[1]
        chars = len(texts[0]) + last
        if chars > scheme.total:
            return (
                f"the company prefix and the {scheme.parts[1].label} must have at most "
                f"{scheme.total} characters together, got {chars}"
            )
    return None


def epc_scheme(uri: str) -> str | None:
    """The scheme name of an EPC URI (``sgtin``, ``lgtin``...), without checking it."""
    head = _URN.fullmatch(uri)
    return None if head is None else head[2]


def epc_to_digital_link(uri: str) -> str | None:
    """The canonical GS1 Digital Link URI of a valid EPC URI of a GS1 scheme, or None."""
    head = _URN.fullmatch(uri)
    if head is None or epc_fault(uri) is not None:
        return None
    scheme = SCHEMES.get(f"{head[1]}:{head[2]}")
    if scheme is None:
        return None
    return "https://id.gs1.org/" + scheme.link(*head[3].split(".", len(scheme.parts) - 1))
