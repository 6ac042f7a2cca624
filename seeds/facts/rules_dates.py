"""Dates: full dates (``October 24, 2020``, ``24 October 2020``, ``2020-10-24``,
``2020年10月24日``), month and year (``December 2020``), and a day or month without a
year (``October 27``, ``in early July``, ``August this year``).

Values are ISO 8601: ``2020-10-24`` or ``2020-12``. A date without a year takes the
year of the text's dateline (a first line that is only a full date) and then says so
in its unit; with no dateline it is written ``--10-27`` / ``--07`` (year not stated).
Impossible dates (``February 30``) are not facts.
"""

from __future__ import annotations

import re
from datetime import date

from seeds.facts.model import DATE, Finding

_MONTHS: dict[str, int] = {
    "January": 1, "February": 2, "March": 3, "April": 4, "May": 5, "June": 6, "July": 7,
    "August": 8, "September": 9, "October": 10, "November": 11, "December": 12,
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9,
    "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
_FULL_MONTHS = [name for name, _ in sorted(_MONTHS.items(), key=lambda kv: kv[1]) if len(name) > 4]
_FULL_MONTHS += ["May", "June", "July"]
_MONTH = "(" + "|".join(sorted(_MONTHS, key=lambda m: (-len(m), m))) + r")(?![A-Za-z])\.?"
_FULL_MONTH = "(" + "|".join(sorted(set(_FULL_MONTHS), key=lambda m: (-len(m), m))) + ")"
_SP = r"[ \t\u00a0]{1,3}"
_WEEKDAY = r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?" + _SP + ")?"
_DAY = r"([0-9]{1,2})(?:st|nd|rd|th)?(?![0-9A-Za-z])"
_YEAR = r"([0-9]{4})(?![0-9A-Za-z])"

_MONTH_DAY_RE = re.compile(
    r"(?<![A-Za-z])" + _WEEKDAY + _MONTH + _SP + _DAY + "(?:,?" + _SP + _YEAR + ")?"
)
_DAY_MONTH_RE = re.compile(
    r"(?<![0-9A-Za-z.,])"
    + _WEEKDAY
    + r"([0-9]{1,2})(?:st|nd|rd|th)?"
    + _SP
    + _MONTH
    + "(?:,?"
    + _SP
    + _YEAR
    + ")?"
)
_ISO_RE = re.compile(
    r"(?<![0-9A-Za-z.\-/])([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?![0-9A-Za-z])"
)
_CJK_RE = re.compile(r"([0-9]{4}) ?年 ?([0-9]{1,2}) ?月(?: ?([0-9]{1,2}) ?[日号])?")
_MONTH_YEAR_RE = re.compile(r"(?<![A-Za-z])" + _MONTH + "(?:" + _SP + "of)?" + _SP + _YEAR)
_MONTH_ALONE_RE = re.compile(
    r"(?<![A-Za-z])(?:[Ii]n|[Ee]arly|[Ll]ate|[Mm]id|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|of|before"
    r"|after)(?:"
    + _SP
    + r"(?:early|late|mid))?(?:"
    + _SP
    + "|-)"
    + _FULL_MONTH
    + r"(?![A-Za-z])((?:"
    + _SP
    + "of)?"
    + _SP
    + r"this"
    + _SP
    + r"year(?![A-Za-z]))?"
)


def find_dates(text: str) -> list[Finding]:
    """Every date in ``text``, sorted, none overlapping (the longest wins)."""
    dateline = dateline_year(text)
    found: list[Finding] = []
    for m in _MONTH_DAY_RE.finditer(text):
        found.extend(
            _day(m.start(), m.end(), m.group(3), _MONTHS[m.group(1)], m.group(2), dateline)
        )
    for m in _DAY_MONTH_RE.finditer(text):
        found.extend(
            _day(m.start(), m.end(), m.group(3), _MONTHS[m.group(2)], m.group(1), dateline)
        )
    for m in _ISO_RE.finditer(text):
        found.extend(_day(m.start(), m.end(), m.group(1), int(m.group(3)), m.group(4), dateline))
    for m in _CJK_RE.finditer(text):
        if m.group(3):
            found.extend(
                _day(m.start(), m.end(), m.group(1), int(m.group(2)), m.group(3), dateline)
            )
        else:
            found.extend(_month(m.start(), m.end(), m.group(1), int(m.group(2)), None))
    for m in _MONTH_YEAR_RE.finditer(text):
        found.extend(_month(m.start(), m.end(), m.group(2), _MONTHS[m.group(1)], None))
    for m in _MONTH_ALONE_RE.finditer(text):
        found.extend(_month(m.start(1), m.end(), None, _MONTHS[m.group(1)], dateline))
    return _longest(found)


def dateline_year(text: str) -> int | None:
    """The year of the text's dateline: its first non-empty line, if that line is only
    a full date (``Monday, October 26, 2020``); else ``None``."""
    line = next((ln.strip() for ln in text[:200].splitlines() if ln.strip()), "")
    for pattern, year_group in ((_MONTH_DAY_RE, 3), (_DAY_MONTH_RE, 3), (_ISO_RE, 1)):
        m = pattern.fullmatch(line)
        if m and m.group(year_group) and _valid_day(m, pattern):
            return int(m.group(year_group))
    return None


def _valid_day(m: re.Match[str], pattern: re.Pattern[str]) -> bool:
    if pattern is _MONTH_DAY_RE:
        return _ok(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    if pattern is _DAY_MONTH_RE:
        return _ok(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    return _ok(int(m.group(1)), int(m.group(3)), int(m.group(4)))


def _ok(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _day(
    start: int, end: int, year: str | None, month: int, day: str, dateline: int | None
) -> list[Finding]:
    d = int(day)
    if year is not None:
        y = int(year)
        if not _ok(y, month, d):
            return []
        return [Finding(start, end, DATE, f"{y:04d}-{month:02d}-{d:02d}", "day")]
    if not _ok(2000, month, d):
        return []
    if dateline is not None and _ok(dateline, month, d):
        return [
            Finding(
                start, end, DATE, f"{dateline:04d}-{month:02d}-{d:02d}", "day, year from dateline"
            )
        ]
    return [Finding(start, end, DATE, f"--{month:02d}-{d:02d}", "day, year not stated")]


def _month(
    start: int, end: int, year: str | None, month: int, dateline: int | None
) -> list[Finding]:
    if not 1 <= month <= 12 or (year is not None and int(year) < 1):
        return []
    if year is not None:
        return [Finding(start, end, DATE, f"{int(year):04d}-{month:02d}", "month")]
    if dateline is not None:
        return [
            Finding(start, end, DATE, f"{dateline:04d}-{month:02d}", "month, year from dateline")
        ]
    return [Finding(start, end, DATE, f"--{month:02d}", "month, year not stated")]


def _longest(found: list[Finding]) -> list[Finding]:
    ordered = sorted(found, key=lambda f: (f.start, f.start - f.end, str(f.value)))
    kept: list[Finding] = []
    end = -1
    for finding in ordered:
        if finding.start >= end:
            kept.append(finding)
            end = finding.end
    return kept
