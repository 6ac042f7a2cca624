"""Organisation mentions: the gazetteer's aliases, plus a generic rule for capitalised
names built on an organisation word (``... Group``, ``... Commission``,
``Ministry of ...``).

Every mention gets one canonical name. Where mentions overlap, the leftmost wins,
then the longest, then the gazetteer's; so no two mentions overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seeds.facts.gazetteer import ORGANISATIONS, Organisation
from seeds.facts.model import MAX_NAME
from seeds.facts.text import Token, name_gap, tokenize

ANCHORS = frozenset(
    {
        "Academy",
        "Administration",
        "Agency",
        "Alliance",
        "Association",
        "Authority",
        "Bank",
        "Bureau",
        "Center",
        "Centre",
        "Chamber",
        "Commission",
        "Committee",
        "Company",
        "Consortium",
        "Corporation",
        "Council",
        "Department",
        "Exchange",
        "Federation",
        "Foundation",
        "Group",
        "Holdings",
        "Institute",
        "Laboratory",
        "Ministry",
        "Office",
        "Organisation",
        "Organization",
        "Society",
        "University",
    }
)
"""Words that make a capitalised phrase ending in (or starting) with them a name of an
organisation."""

_LEFT_STOP = frozenset(
    {
        "A",
        "According",
        "After",
        "All",
        "Also",
        "Although",
        "An",
        "And",
        "As",
        "At",
        "Before",
        "Both",
        "But",
        "By",
        "Each",
        "Every",
        "For",
        "From",
        "However",
        "If",
        "In",
        "Its",
        "Last",
        "Many",
        "Meanwhile",
        "Most",
        "On",
        "Or",
        "Other",
        "Our",
        "Recently",
        "Since",
        "So",
        "Some",
        "Such",
        "That",
        "The",
        "Their",
        "Then",
        "There",
        "These",
        "This",
        "Those",
        "Thus",
        "To",
        "Today",
        "Under",
        "When",
        "While",
        "With",
        "Yesterday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    }
)
_INNER = frozenset({"and", "&", "of", "for"})
_MAX_LEFT = 10
_MAX_RIGHT = 10
_SPACES_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Mention:
    """``text[start:end]`` names the organisation ``canonical`` (``short`` for summaries)."""

    start: int
    end: int
    canonical: str
    short: str
    from_gazetteer: bool


def _alias_index() -> dict[str, list[tuple[tuple[str, ...], Organisation]]]:
    index: dict[str, list[tuple[tuple[str, ...], Organisation]]] = {}
    for org in ORGANISATIONS:
        for alias in org.aliases:
            keys = tuple(t.key for t in tokenize(alias))
            index.setdefault(keys[0], []).append((keys, org))
    for entries in index.values():
        entries.sort(key=lambda e: (-len(e[0]), e[0]))
    return index


_ALIASES = _alias_index()
_BY_NAME = {
    " ".join(t.key for t in tokenize(alias)): org
    for org in ORGANISATIONS
    for alias in (*org.aliases, org.canonical)
}


def find_organisations(text: str, tokens: list[Token]) -> list[Mention]:
    """Every organisation mention in ``text``, sorted by offset, none overlapping, each
    canonical name at most ``MAX_NAME`` characters."""
    gazetteer = _gazetteer_mentions(text, tokens)
    covered = _covered_tokens(tokens, gazetteer)
    generic = _generic_mentions(text, tokens, covered)
    return _resolve([*gazetteer, *generic])


def _gazetteer_mentions(text: str, tokens: list[Token]) -> list[Mention]:
    found: list[Mention] = []
    for i, tok in enumerate(tokens):
        candidates = _ALIASES.get(tok.key, [])
        if tok.core != tok.key:
            candidates = candidates + _ALIASES.get(tok.core, [])
        for keys, org in candidates:
            end = _match_alias(text, tokens, i, keys)
            if end is not None:
                found.append(Mention(tok.start, end, org.canonical, org.short, True))
                break
    return found


def _match_alias(text: str, tokens: list[Token], i: int, keys: tuple[str, ...]) -> int | None:
    """End offset of alias ``keys`` matched at token ``i``, or ``None``."""
    last = i + len(keys) - 1
    if last >= len(tokens):
        return None
    for j, key in enumerate(keys[:-1]):
        tok = tokens[i + j]
        if tok.key != key or not name_gap(text, tok.end, tokens[i + j + 1].start):
            return None
    final = tokens[last]
    if final.key == keys[-1]:
        return final.end
    if final.core == keys[-1]:
        return final.core_end
    return None


def _covered_tokens(tokens: list[Token], mentions: list[Mention]) -> set[int]:
    starts = {m.start: m.end for m in mentions}
    covered: set[int] = set()
    end = -1
    for i, tok in enumerate(tokens):
        end = max(end, starts.get(tok.start, -1))
        if tok.start < end:
            covered.add(i)
    return covered


def _name_word(tok: Token) -> bool:
    return "A" <= tok.text[0] <= "Z" and tok.text not in _LEFT_STOP


def _generic_mentions(text: str, tokens: list[Token], covered: set[int]) -> list[Mention]:
    found: list[Mention] = []
    for i, tok in enumerate(tokens):
        if tok.core not in ANCHORS:
            continue
        first, left_words = _extend_left(text, tokens, i)
        last, right_words = (i, 0) if tok.possessive else _extend_right(text, tokens, i, covered)
        if left_words + right_words == 0:
            continue
        start, end = tokens[first].start, tokens[last].core_end
        if end - start > 4 * MAX_NAME:
            continue
        name = _SPACES_RE.sub(" ", text[start:end]).replace("’", "'")
        if len(name) > MAX_NAME:
            continue
        org = _BY_NAME.get(name)
        if org is not None:
            found.append(Mention(start, end, org.canonical, org.short, False))
        else:
            found.append(Mention(start, end, name, name, False))
    return found


def _extend_left(text: str, tokens: list[Token], i: int) -> tuple[int, int]:
    """First token of the name that ends at anchor ``i``, and how many words it adds."""
    first, words, j = i, 0, i - 1
    while j >= 0 and i - j <= _MAX_LEFT:
        tok = tokens[j]
        if tok.possessive or not name_gap(text, tok.end, tokens[j + 1].start):
            break
        if tok.text in ("and", "&") and j > 0:
            before = tokens[j - 1]
            if (
                not _name_word(before)
                or before.possessive
                or before.core in ANCHORS
                or not name_gap(text, before.end, tok.start)
            ):
                break
            first, words, j = j - 1, words + 1, j - 2
            continue
        if not _name_word(tok):
            break
        first, words, j = j, words + 1, j - 1
    return first, words


def _extend_right(text: str, tokens: list[Token], i: int, covered: set[int]) -> tuple[int, int]:
    """Last token of ``<anchor> of <Name...>`` after anchor ``i``, and how many words it
    adds; stops before any gazetteer mention, so a unit is never merged with its parent."""
    n = len(tokens)
    if not (
        i + 2 < n
        and tokens[i + 1].text == "of"
        and name_gap(text, tokens[i].end, tokens[i + 1].start)
        and name_gap(text, tokens[i + 1].end, tokens[i + 2].start)
        and _name_word(tokens[i + 2])
        and i + 2 not in covered
    ):
        return i, 0
    last, words, k = i + 2, 1, i + 2
    while not tokens[last].possessive and k + 1 < n and k - i < _MAX_RIGHT:
        nxt = tokens[k + 1]
        if k + 1 in covered or not name_gap(text, tokens[k].end, nxt.start):
            break
        if nxt.text in _INNER:
            if k + 2 >= n or k + 2 in covered or not _name_word(tokens[k + 2]):
                break
            if not name_gap(text, nxt.end, tokens[k + 2].start):
                break
            last, words, k = k + 2, words + 1, k + 2
            continue
        if not _name_word(nxt):
            break
        last, words, k = k + 1, words + 1, k + 1
    return last, words


def _resolve(mentions: list[Mention]) -> list[Mention]:
    ordered = sorted(
        mentions, key=lambda m: (m.start, m.start - m.end, not m.from_gazetteer, m.canonical)
    )
    kept: list[Mention] = []
    end = -1
    for mention in ordered:
        if mention.start >= end:
            kept.append(mention)
            end = mention.end
    return kept
