"""What a rule finds, and the fact records that ``extract_facts`` returns.

A fact record is a plain dict that canonical JSON accepts: offsets are ``int``,
values are ``int`` or ``str`` (decimals are written as strings) or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNT = "count"
NUMBER = "number"
QUANTITY = "quantity"
PERCENTAGE = "percentage"
MONEY = "money"
DATE = "date"
YEAR = "year"
RANKING = "ranking"
ORGANISATION = "organisation"
CLAIM = "claim"

KINDS: tuple[str, ...] = (
    CLAIM,
    COUNT,
    DATE,
    MONEY,
    NUMBER,
    ORGANISATION,
    PERCENTAGE,
    QUANTITY,
    RANKING,
    YEAR,
)
"""Every kind a fact can have, sorted."""

FACT_KEYS: tuple[str, ...] = (
    "doc",
    "start",
    "end",
    "text",
    "kind",
    "value",
    "unit",
    "organisations",
)
"""The keys of every fact record, no more and no fewer."""

MAX_SAFE_INTEGER = 2**53 - 1
"""Integers beyond this magnitude are written as strings (canonical JSON refuses them)."""

MAX_SPAN = 2000
"""No fact spans more characters than this (a longer "sentence" is not a claim)."""

MAX_VALUE = 1000
"""No string value is longer than this."""

MAX_UNIT = 32
"""No unit is longer than this."""

MAX_NAME = 120
"""No organisation name is longer than this."""

MAX_ORGANISATIONS = 32
"""A fact lists at most this many organisations: the first ones in sorted order."""

Value = int | str | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One span a rule recognised: ``text[start:end]`` is a ``kind`` with ``value``."""

    start: int
    end: int
    kind: str
    value: Value
    unit: str | None = None

    @property
    def bounded(self) -> bool:
        """True if the span, value and unit are within ``MAX_SPAN``, ``MAX_VALUE`` and
        ``MAX_UNIT``."""
        value_ok = not isinstance(self.value, str) or len(self.value) <= MAX_VALUE
        unit_ok = self.unit is None or len(self.unit) <= MAX_UNIT
        return self.end - self.start <= MAX_SPAN and value_ok and unit_ok

    @property
    def key(self) -> tuple[int, int, str]:
        """The identity of a fact: no two facts share it."""
        return (self.start, self.end, self.kind)


def safe_int(value: int) -> int | str:
    """``value`` itself if canonical JSON accepts it as an integer, else its decimal string."""
    return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)


def fact_record(
    doc: str, text: str, finding: Finding, organisations: tuple[str, ...]
) -> dict[str, Any]:
    """The fact dict for ``finding``: exactly ``FACT_KEYS``, ``text`` equal to
    ``text[start:end]``, ``organisations`` as given (the caller sorts and bounds them)."""
    return {
        "doc": doc,
        "start": finding.start,
        "end": finding.end,
        "text": text[finding.start : finding.end],
        "kind": finding.kind,
        "value": finding.value,
        "unit": finding.unit,
        "organisations": list(organisations),
    }
