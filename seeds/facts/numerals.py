"""Reading numbers written in English news text: digit literals (``3,709``,
``55.7``), number words (``two`` .. ``ninety``), ordinals, scale words and currencies.

Arithmetic is exact (``Decimal``); nothing here depends on locale.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal

_EXACT = Context(prec=64)
MAX_DIGITS = 24
"""Literals with more digits than this are not read as numbers at all."""

NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9_.,])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
    r"(?![A-Za-z0-9]|\.[0-9])"
)
"""A digit literal standing alone: not glued to letters (``5G``, ``14th``) or to other
digits, with optional thousands commas and decimals."""

CARDINALS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
"""Number words read as counts ("one" is left out: it is far more often a pronoun)."""

ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip

SCALES: dict[str, int] = {
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
}

CURRENCY_WORDS: dict[str, str] = {
    "yuan": "CNY", "RMB": "CNY", "renminbi": "CNY", "CNY": "CNY", "dollars": "USD",
    "dollar": "USD", "USD": "USD", "euros": "EUR", "euro": "EUR", "EUR": "EUR",
    "HKD": "HKD", "pounds": "GBP", "GBP": "GBP", "yen": "JPY", "JPY": "JPY",
}  # fmt: skip
"""Words after an amount that name its currency (ISO 4217 code)."""

CURRENCY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("US$", "USD"), ("HK$", "HKD"), ("RMB", "CNY"), ("CNY", "CNY"), ("USD", "USD"),
    ("EUR", "EUR"), ("$", "USD"), ("¥", "CNY"), ("￥", "CNY"), ("€", "EUR"), ("£", "GBP"),
)  # fmt: skip
"""Signs or codes written before an amount, longest first."""


def literal_value(literal: str) -> Decimal | None:
    """The exact value of a digit literal (commas dropped), or ``None`` if it has more
    than ``MAX_DIGITS`` digits."""
    digits = literal.replace(",", "")
    if sum(c != "." for c in digits) > MAX_DIGITS:
        return None
    return Decimal(digits)


def scaled(value: Decimal, factor: int) -> Decimal:
    """``value * factor``, exactly (literals are short enough never to round)."""
    return _EXACT.multiply(value, Decimal(factor))


def decimal_text(value: Decimal) -> str:
    """``value`` as plain decimal text: no exponent, no trailing fractional zeros."""
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def integral(value: Decimal) -> int | None:
    """``value`` as an ``int`` if it has no fractional part, else ``None``."""
    return int(value) if value == value.to_integral_value() else None
