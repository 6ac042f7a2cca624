"""GS1 Digital Link URIs in the constrained canonical form the CBV event hash uses.

Promises: ``constrain_digital_link(uri)`` takes an ``http(s)`` URI whose path carries a
GS1 primary key (by AI or by its short name, e.g. ``/gtin/``) and returns it rebased on
``https://id.gs1.org``, without query string, with AIs instead of short names, a GTIN
padded to 14 digits, the consumer product variant (AI 22) dropped and, when a serial
number is present, the lot dropped — so that only the finest identification level is
left. Anything that does not then have one of the allowed key/qualifier shapes (listed
in ``_SHAPES``) gives ``None``.

The primary keys are those the ledger knows (``contracts.traceability.gs1_link.KEYS``).
Unlike the contract's ``link_fault``, check digits are not checked here: the event hash
canonicalises whatever an EPCIS document says, as the CBV reference implementation does,
so that hashes agree with other implementations' even for a wrong check digit.
"""

from __future__ import annotations

import re

from contracts.traceability.gs1_link import KEYS

_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417",
    "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253",
    "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
    "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_PRIMARY_KEYS = frozenset(KEYS)
# A GS1 alphanumeric value that needs no percent-encoding in a Digital Link path.
_X = r"[\"'\-.0-9;<=>?A-Z_a-z]"
_SHAPES = [
    re.compile(r"00/\d{18}"),
    re.compile(rf"01/\d{{14}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}}|/235/{_X}{{0,28}})?"),
    re.compile(rf"253/\d{{13}}{_X}{{0,17}}"),
    re.compile(r"255/\d{13}\d{0,12}"),
    re.compile(rf"401/{_X}{{0,30}}"),
    re.compile(r"402/\d{17}"),
    re.compile(rf"414/\d{{13}}(?:/254/{_X}{{0,20}})?"),
    re.compile(r"417/\d{13}"),
    re.compile(rf"8003/\d{{14}}{_X}{{0,16}}"),
    re.compile(rf"8004/{_X}{{0,30}}"),
    re.compile(rf"8006/\d{{18}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}})?"),
    re.compile(r"8010/[#\-/0-9A-Z]{0,30}(?:/8011/\d{0,12})?"),
    re.compile(r"8017/\d{18}"),
    re.compile(r"8018/\d{18}"),
]
_AUTHORITY = re.compile(r"https?://[^/?#]*")


def _key_path(path: str) -> list[str] | None:
    """The segments from the primary key on, short names replaced by AIs."""
    segments = [_SHORT_NAMES.get(s, s) for s in path.split("/")]
    for i, segment in enumerate(segments[:-1]):
        if segment in _PRIMARY_KEYS and re.match(r"\d{4}.", segments[i + 1]):
            return segments[i:]
    return None


def constrain_digital_link(uri: str) -> str | None:
    """The constrained canonical form of a GS1 Digital Link URI, or ``None``."""
    authority = _AUTHORITY.match(uri)
    if authority is None or "#" in uri:
        return None
    path = uri[authority.end() :].split("?", 1)[0]
    segments = _key_path(path)
    if segments is None or len(segments) % 2:
        return None
    pairs = [(segments[i], segments[i + 1]) for i in range(0, len(segments), 2)]
    key, value = pairs[0]
    if key == "01" and value.isdigit() and len(value) in (8, 12, 13):
        value = value.zfill(14)
    qualifiers = pairs[1:]
    if key in ("01", "8006"):
        qualifiers = [(ai, v) for ai, v in qualifiers if ai != "22"]
        if any(ai == "21" for ai, _ in qualifiers):
            qualifiers = [(ai, v) for ai, v in qualifiers if ai != "10"]
    text = "/".join([key, value, *(part for pair in qualifiers for part in pair)])
    if not any(shape.fullmatch(text) for shape in _SHAPES):
        return None
    return f"https://id.gs1.org/{text}"
