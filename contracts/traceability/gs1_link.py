"""GS1 Digital Link URIs on ``https://id.gs1.org``: a primary key and its key qualifiers,
checked; and the EPC URI a Digital Link stands for.

Promises:
- ``link_ais(uri)`` is the AIs of ``https://id.gs1.org/<AI>/<value>[/<AI>/<value>]...``
  in order (AIs of 2 to 4 digits, values of URI path characters and %-escapes), or
  ``None`` for any other text. It checks nothing else.
- ``link_fault(uri)`` is ``None`` when, moreover, the first AI is a GS1 primary key of
  ``KEYS`` whose value has the key's length, its GS1 check digit right (GTIN, SSCC, GLN,
  GRAI, GDTI, GCN, GSIN, GSRN...) and only characters of set 82, followed by the key
  qualifiers that key allows, each at most once, in the order GS1 Digital Link 1.2 lists
  them (``01``: 22, 10, 21, 235; ``8006``: 22, 10, 21; ``414``: 254; ``8010``: 8011),
  each of the allowed length; otherwise one sentence saying what is wrong.
- ``digital_link_to_epc(uri, prefix_digits)`` inverts ``gs1.epc_to_digital_link`` for
  SGTIN, LGTIN, SSCC, SGLN, GRAI, GIAI and PGLN given the length of the company prefix
  (which a Digital Link does not carry): ``None`` for anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.traceability.gs1 import (
    CS82,
    epc_escape,
    epc_fault,
    gs1_check_digit,
    unescape,
)

ORIGIN = "https://id.gs1.org"
_VALUE = r"(?:[A-Za-z0-9!$&'()*+,\-.:;=@_~]|%[0-9A-Fa-f]{2})+"
_LINK = re.compile(rf"https://id\.gs1\.org((?:/[0-9]{{2,4}}/{_VALUE})+)")
_CPID_CHARS = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Key:
    """A primary key AI: its name, ``digits`` leading digits whose last is a GS1 check
    digit (0: none), or one of ``lengths`` when the whole value is those digits; then 0 to
    ``tail`` characters (``tail_digits``: digits only) and the qualifiers allowed."""

    name: str
    digits: int
    tail: int = 0
    tail_digits: bool = False
    qualifiers: tuple[str, ...] = ()
    lengths: tuple[int, ...] = ()
    chars: frozenset[str] = CS82
    most: int = 0  # a key without a check digit: 1 to ``most`` characters


KEYS: dict[str, Key] = {
    "00": Key("SSCC", 18),
    "01": Key("GTIN", 14, qualifiers=("22", "10", "21", "235"), lengths=(8, 12, 13, 14)),
    "253": Key("GDTI", 13, tail=17),
    "255": Key("GCN", 13, tail=12, tail_digits=True),
    "401": Key("GINC", 0, most=30),
    "402": Key("GSIN", 17),
    "414": Key("GLN", 13, qualifiers=("254",)),
    "417": Key("party GLN", 13),
    "8003": Key("GRAI", 14, tail=16),
    "8004": Key("GIAI", 0, most=30),
    "8006": Key("ITIP", 14, tail=4, tail_digits=True, qualifiers=("22", "10", "21")),
    "8010": Key("CPID", 0, qualifiers=("8011",), chars=_CPID_CHARS, most=30),
    "8017": Key("GSRN-P", 18),
    "8018": Key("GSRN", 18),
}
# Key qualifiers: (name, most characters, digits only).
QUALIFIERS: dict[str, tuple[str, int, bool]] = {
    "22": ("consumer product variant", 20, False),
    "10": ("lot", 20, False),
    "21": ("serial", 20, False),
    "235": ("third party controlled serial", 28, False),
    "254": ("GLN extension", 20, False),
    "8011": ("CPID serial", 12, True),
}


def link_pairs(uri: str) -> list[tuple[str, str]] | None:
    """The (AI, value) pairs of a Digital Link URI's path, values as written, or None."""
    match = _LINK.fullmatch(uri)
    if match is None:
        return None
    segments = match[1].split("/")[1:]
    return list(zip(segments[::2], segments[1::2], strict=True))


def link_ais(uri: str) -> list[str] | None:
    """The AIs of a Digital Link URI in order (see the module promises), or None."""
    pairs = link_pairs(uri)
    return None if pairs is None else [ai for ai, _ in pairs]


def _key_fault(ai: str, key: Key, value: str) -> str | None:
    if key.digits == 0:
        if not 1 <= len(value) <= key.most or not set(value) <= key.chars:
            return f"a {key.name} (AI {ai}) is 1 to {key.most} characters of GS1 set 82"
        return None
    lengths = key.lengths or (key.digits,)
    numeric = value[: key.digits] if not key.lengths else value
    rest = value[len(numeric) :]
    if not (numeric.isascii() and numeric.isdigit()) or len(numeric) not in lengths:
        shown = " or ".join(str(n) for n in lengths)
        return f"a {key.name} (AI {ai}) starts with {shown} digits, got {value[:24]!r}"
    if ai == "8003" and numeric[0] != "0":
        return f"a GRAI (AI 8003) starts with a 0 digit, got {value[:24]!r}"
    expected = gs1_check_digit(numeric[:-1])
    if numeric[-1] != expected:
        return (
            f"the check digit of {key.name} {numeric} is {numeric[-1]}, but its digits give "
            f"{expected}; check the number"
        )
    if len(rest) > key.tail or not set(rest) <= CS82:
        return f"a {key.name} (AI {ai}) has at most {key.tail} characters after its digits"
    if key.tail_digits and rest and not rest.isdigit():
        return f"a {key.name} (AI {ai}) has only digits after its check digit"
    return None


def link_fault(uri: str) -> str | None:
    """Why ``uri`` is not a GS1 Digital Link URI of a primary key (see the module
    promises), or None."""
    pairs = link_pairs(uri)
    if pairs is None:
        return f"a GS1 Digital Link URI is '{ORIGIN}/<AI>/<value>[/<AI>/<value>]...'"
    (ai, raw), qualifiers = pairs[0], pairs[1:]
    key = KEYS.get(ai)
    if key is None:
        return f"AI {ai} is not a GS1 primary key (known: {', '.join(KEYS)})"
    fault = _key_fault(ai, key, unescape(raw))
    if fault is not None:
        return fault
    allowed = list(key.qualifiers)
    for q_ai, q_raw in qualifiers:
        if q_ai not in allowed:
            after = ", ".join(allowed) or "none"
            return f"AI {q_ai} may not follow here in a {key.name} link (allowed: {after})"
        allowed = allowed[allowed.index(q_ai) + 1 :]
        name, most, digits = QUALIFIERS[q_ai]
        value = unescape(q_raw)
        if not 1 <= len(value) <= most or not set(value) <= CS82:
            return f"the {name} (AI {q_ai}) must be 1 to {most} characters of GS1 set 82"
        if digits and not value.isdigit():
            return f"the {name} (AI {q_ai}) must be digits"
    return None


def digital_link_to_epc(uri: str, prefix_digits: int) -> str | None:
    """The EPC URI of a Digital Link of an SGTIN, LGTIN, SSCC, SGLN, GRAI, GIAI or PGLN
    whose company prefix has ``prefix_digits`` digits, or None."""
    if link_fault(uri) is not None:
        return None
    pairs = [(ai, unescape(v)) for ai, v in link_pairs(uri) or ()]
    ais = [ai for ai, _ in pairs]
    key = pairs[0][1]
    n = prefix_digits
    out: str | None = None
    if ais in (["01", "21"], ["01", "10"]) and len(key) == 14:
        scheme = "id:sgtin" if ais[1] == "21" else "class:lgtin"
        item = key[0] + key[1 + n : 13]
        out = f"urn:epc:{scheme}:{key[1 : 1 + n]}.{item}.{epc_escape(pairs[1][1])}"
    elif ais == ["00"]:
        out = f"urn:epc:id:sscc:{key[1 : 1 + n]}.{key[0]}{key[1 + n : 17]}"
    elif ais in (["414"], ["414", "254"]):
        extension = epc_escape(pairs[1][1]) if len(pairs) > 1 else "0"
        out = f"urn:epc:id:sgln:{key[:n]}.{key[n:12]}.{extension}"
    elif ais == ["417"]:
        out = f"urn:epc:id:pgln:{key[:n]}.{key[n:12]}"
    elif ais == ["8003"] and len(key) > 14:
        out = f"urn:epc:id:grai:{key[1 : 1 + n]}.{key[1 + n : 13]}.{epc_escape(key[14:])}"
    elif ais == ["8004"]:
        out = f"urn:epc:id:giai:{key[:n]}.{epc_escape(key[n:])}"
    return out if out is not None and epc_fault(out) is None else None
