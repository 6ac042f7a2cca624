"""Numeric facts: money, percentages, measured quantities, counts, years, and the bare
numbers left over.

Each digit literal gives exactly one fact, classified in this order: percentage
(``55.7%``), money (a currency sign or word: ``38.9 billion yuan``, ``$1.2 billion``),
quantity (a unit of measure: ``400,000 square meters``), count (a plural noun phrase
follows: ``54 central enterprises``; ranges ``3-5 unicorn companies``), year (four
digits 1900..2099 with nothing counted after them), else number. A bare number
joined by ``and``/``or``/``of the``/a comma to a count takes that count's unit
(``451 and 373 blockchain patents``). Number words (``two main factors``) give counts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from decimal import Decimal

from seeds.facts.model import (
    COUNT,
    MAX_UNIT,
    MONEY,
    NUMBER,
    PERCENTAGE,
    QUANTITY,
    YEAR,
    Finding,
    Value,
    safe_int,
)
from seeds.facts.numerals import (
    CARDINALS,
    CURRENCY_PREFIXES,
    CURRENCY_WORDS,
    NUMBER_RE,
    SCALES,
    decimal_text,
    integral,
    literal_value,
    scaled,
)
from seeds.facts.text import TokenIndex

_PERCENT_RE = re.compile(r"[ \t]?[%％]|[ \t]{1,2}(?:percent|per[ \t]cent)(?![A-Za-z])")
_SCALE_RE = re.compile(r"[ \t]{1,2}(thousand|million|billion|trillion)(?![A-Za-z])")
_CURRENCY_RE = re.compile(
    r"[ \t]{1,2}(?:(US|U\.S\.|Hong[ \t]Kong|Singapore)[ \t])?("
    + "|".join(sorted(CURRENCY_WORDS, key=lambda w: (-len(w), w)))
    + r")(?![A-Za-z])"
)
_QUALIFIED_DOLLARS = {"US": "USD", "U.S.": "USD", "Hong Kong": "HKD", "Singapore": "SGD"}
_MEASURES: dict[str, str] = {
    "square meters": "m2", "square metres": "m2", "square meter": "m2", "square metre": "m2",
    "square kilometers": "km2", "square kilometres": "km2", "square kilometer": "km2",
    "square kilometre": "km2", "km2": "km2", "kilometers": "km", "kilometres": "km",
    "km": "km", "meters": "m", "metres": "m", "hectares": "ha", "tons": "t", "tonnes": "t",
    "kilograms": "kg", "kg": "kg", "MW": "MW", "GW": "GW", "kWh": "kWh", "GWh": "GWh",
    "TWh": "TWh",
}  # fmt: skip
_MEASURE_RE = re.compile(
    r"[ \t]{1,2}("
    + "|".join(re.escape(m) for m in sorted(_MEASURES, key=lambda w: (-len(w), w)))
    + r")(?![A-Za-z0-9])"
)
_RANGE_RE = re.compile(r"[-–~]")
_COORD_RE = re.compile(
    r",?[ \t]{1,2}(?:and|or|to)[ \t]{1,2}|,[ \t]{1,2}|[ \t]{1,2}of(?:[ \t]{1,2}the)?[ \t]{1,2}"
)
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"”]+")
_UNIT_GAP_RE = re.compile(r"[ \t\u00a0]{1,3}")
_UNIT_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_UNIT_WORDS = 4
_STOP = frozenset(
    {"a", "about", "across", "after", "ago", "all", "also", "among", "an", "and", "are",
     "around", "as", "at", "be", "been", "before", "being", "between", "both", "but",
     "by", "can", "could", "did", "do", "does", "during", "each", "every", "for", "from",
     "had", "has", "have", "if", "in", "including", "into", "is", "it", "its", "less",
     "may", "might", "more", "must", "no", "nor", "not", "of", "off", "on", "only", "or",
     "out", "over", "per", "percent", "plus", "respectively", "shall", "should", "since",
     "so", "such", "than", "that", "the", "their", "then", "there", "these", "they",
     "this", "those", "to", "under", "until", "up", "was", "we", "were", "which",
     "while", "who", "whom", "whose", "will", "with", "within", "would", "yet"}
)  # fmt: skip
_NOT_PLURAL = frozenset(
    {"always", "atlas", "besides", "bus", "gas", "lens", "news", "perhaps", "towards",
     "unless", "whereas", "afterwards"}
)  # fmt: skip


def find_numbers(text: str, index: TokenIndex, blocked: list[tuple[int, int]]) -> list[Finding]:
    """One fact per digit literal (of at most ``MAX_DIGITS`` digits) outside ``blocked``
    spans and URLs, plus one count per number word followed by a counted noun; sorted
    by offset."""
    spans = sorted([*blocked, *((m.start(), m.end()) for m in _URL_RE.finditer(text))])
    starts = [s for s, _ in spans]
    reach = _running_max([e for _, e in spans])
    found: list[Finding] = []
    consumed = -1
    for m in NUMBER_RE.finditer(text):
        at = bisect_right(starts, m.start()) - 1
        if m.start() < consumed or (at >= 0 and m.start() < reach[at]):
            continue
        finding = _classify(text, index, m)
        if finding is not None:
            consumed = finding.end
            found.append(finding)
    found.extend(_word_counts(text, index))
    found.sort(key=lambda f: (f.start, f.end))
    return _coordinate(text, found)


def _running_max(ends: list[int]) -> list[int]:
    out: list[int] = []
    top = -1
    for end in ends:
        top = max(top, end)
        out.append(top)
    return out


def _classify(text: str, index: TokenIndex, m: re.Match[str]) -> Finding | None:
    start, end, literal = m.start(), m.end(), m.group()
    value = literal_value(literal)
    if value is None:
        return None
    ranged = _range_count(text, index, m, value)
    if ranged is not None:
        return ranged
    percent = _PERCENT_RE.match(text, end)
    if percent:
        return Finding(start, percent.end(), PERCENTAGE, decimal_text(value), "%")
    pos, has_scale = end, False
    scale = _SCALE_RE.match(text, pos)
    if scale:
        value, pos, has_scale = scaled(value, SCALES[scale.group(1)]), scale.end(), True
    money = _money(text, start, pos, value)
    if money is not None:
        return money
    measure = _MEASURE_RE.match(text, pos)
    if measure:
        return Finding(start, measure.end(), QUANTITY, _plain(value), _MEASURES[measure.group(1)])
    unit = count_unit(text, index, pos)
    if unit is not None:
        return Finding(start, unit[1], COUNT, _plain(value), unit[0])
    if not has_scale and len(literal) == 4 and literal.isdigit() and 1900 <= int(literal) < 2100:
        return Finding(start, end, YEAR, int(literal))
    return Finding(start, pos, NUMBER, _plain(value))


def _range_count(text: str, index: TokenIndex, m: re.Match[str], low: Decimal) -> Finding | None:
    """``3-5 unicorn companies``: one count whose value is the range as text."""
    if not _RANGE_RE.match(text, m.end()):
        return None
    second = NUMBER_RE.match(text, m.end() + 1)
    if second is None:
        return None
    high = literal_value(second.group())
    if high is None or integral(low) is None or integral(high) is None or high <= low:
        return None
    unit = count_unit(text, index, second.end())
    if unit is None:
        return None
    return Finding(m.start(), unit[1], COUNT, f"{decimal_text(low)}-{decimal_text(high)}", unit[0])


def _money(text: str, start: int, pos: int, value: Decimal) -> Finding | None:
    prefix = _currency_prefix(text, start)
    suffix = _CURRENCY_RE.match(text, pos)
    if prefix is None and suffix is None:
        return None
    code = ""
    if suffix is not None:
        qualifier, word = suffix.group(1), suffix.group(2)
        code = CURRENCY_WORDS[word]
        if qualifier is not None and code == "USD":
            code = _QUALIFIED_DOLLARS.get(qualifier.replace("\t", " "), code)
    if prefix is not None:
        start, code = prefix
    return Finding(start, suffix.end() if suffix else pos, MONEY, decimal_text(value), code)


def _currency_prefix(text: str, start: int) -> tuple[int, str] | None:
    """Where a currency sign or code written before the amount at ``start`` begins,
    and its ISO code."""
    for sign, code in CURRENCY_PREFIXES:
        for gap in ("", " ") if sign[-1].isalpha() else ("",):
            begin = start - len(sign) - len(gap)
            if begin < 0 or text[begin:start] != sign + gap:
                continue
            before = text[begin - 1] if begin > 0 else " "
            if not ("A" <= before <= "Z" or "a" <= before <= "z" or "0" <= before <= "9"):
                return begin, code
    return None


def _plain(value: Decimal) -> Value:
    whole = integral(value)
    return safe_int(whole) if whole is not None else decimal_text(value)


def count_unit(text: str, index: TokenIndex, pos: int) -> tuple[str, int] | None:
    """The counted noun phrase right after offset ``pos`` and where it ends: up to four
    words on the same line, ending at the first plural noun, cut short by function
    words; ``None`` if there is none. Leading modifiers are dropped from the unit until
    it fits ``MAX_UNIT`` (the span still covers them)."""
    tokens = index.tokens
    i = index.first_at_or_after(pos)
    words: list[str] = []
    prev = pos
    for tok in tokens[i : i + _UNIT_WORDS]:
        if not _UNIT_GAP_RE.fullmatch(text, prev, tok.start):
            return None
        if not _UNIT_WORD_RE.fullmatch(tok.text):
            return None
        lower = tok.text.lower()
        if lower in _STOP or lower in SCALES or lower in CURRENCY_WORDS:
            return None
        words.append(tok.text)
        prev = tok.end
        if _plural(lower):
            while words and len(" ".join(words)) > MAX_UNIT:
                words.pop(0)
            return (" ".join(words), tok.end) if words else None
    return None


def _plural(word: str) -> bool:
    return (
        len(word) >= 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and word not in _NOT_PLURAL
    )


def _word_counts(text: str, index: TokenIndex) -> list[Finding]:
    found: list[Finding] = []
    for tok in index.tokens:
        number = CARDINALS.get(tok.text.lower())
        if number is None or (tok.start > 0 and text[tok.start - 1] in "-–"):
            continue
        unit = count_unit(text, index, tok.end)
        if unit is not None:
            found.append(Finding(tok.start, unit[1], COUNT, number, unit[0]))
    return found


def _coordinate(text: str, found: list[Finding]) -> list[Finding]:
    """Give a bare number the unit of the count it is coordinated with."""
    out = list(found)
    for i in range(len(out) - 2, -1, -1):
        here, nxt = out[i], out[i + 1]
        if (
            here.kind == NUMBER
            and nxt.kind == COUNT
            and here.end < nxt.start
            and _COORD_RE.fullmatch(text, here.end, nxt.start)
        ):
            out[i] = Finding(here.start, here.end, COUNT, here.value, nxt.unit)
    return out
