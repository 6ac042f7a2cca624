"""Rankings: a position in an order, stated as ``ranks fifth``, ``ranked No. 3``,
``top 10`` / ``top three``, or an ordinal word after a determiner that qualifies a
noun (``the first year``, ``its first crude oil ... transaction``).

Value is the position (``int``); unit is ``"rank"`` for an exact position and
``"top"`` for a bound (``top three`` has value 3, unit ``"top"``). Ordinals that
enumerate a list (``First, the eastern region``; ``The second is to ...``) and
numeric ordinals in names (``14th Five-Year Plan``) are not rankings.
"""

from __future__ import annotations

import re

from seeds.facts.model import RANKING, Finding
from seeds.facts.numerals import CARDINALS, ORDINALS
from seeds.facts.text import Token, TokenIndex, name_gap

_RANK_VERBS = frozenset({"rank", "ranks", "ranked", "ranking"})
_DETERMINERS = frozenset({"the", "its", "their", "his", "her", "our", "my", "whose"})
_NOT_RANKED = frozenset(
    {"is", "was", "are", "were", "of", "and", "or", "to", "time", "times", "half", "quarter"}
)
_NUMERIC_ORDINAL_RE = re.compile(r"([0-9]{1,3})(?:st|nd|rd|th)")
_SMALL_NUMBER_RE = re.compile(r"[0-9]{1,3}")
_NO_RE = re.compile(r"\.[ \t]?([0-9]{1,3})(?![0-9A-Za-z])")


def find_rankings(text: str, index: TokenIndex) -> list[Finding]:
    """Every ranking in ``text``, sorted by offset."""
    tokens = index.tokens
    found: list[Finding] = []
    for i, tok in enumerate(tokens):
        lower = tok.text.lower()
        finding: Finding | None = None
        if lower in _RANK_VERBS:
            finding = _after_rank_verb(text, tokens, i)
        elif lower == "top" or lower.startswith("top-"):
            finding = _top(text, tokens, i)
        elif lower in ORDINALS and tok.text == lower:
            finding = _determined_ordinal(text, tokens, i)
        elif tok.text == "No":
            position = _number_sign(text, tok)
            if position is not None:
                finding = Finding(tok.start, position[1], RANKING, position[0], "rank")
        if finding is not None:
            found.append(finding)
    return found


def _position(text: str, tok: Token) -> tuple[int, int] | None:
    """The position an ordinal token states (``fifth``, ``5th``, ``No. 5``) and its end."""
    lower = tok.text.lower()
    if lower in ORDINALS:
        return ORDINALS[lower], tok.end
    numeric = _NUMERIC_ORDINAL_RE.fullmatch(tok.text)
    if numeric:
        return int(numeric.group(1)), tok.end
    if tok.text == "No":
        return _number_sign(text, tok)
    return None


def _number_sign(text: str, tok: Token) -> tuple[int, int] | None:
    m = _NO_RE.match(text, tok.end)
    return (int(m.group(1)), m.end()) if m else None


def _after_rank_verb(text: str, tokens: list[Token], i: int) -> Finding | None:
    j = i + 1
    if (
        j < len(tokens)
        and tokens[j].text in ("as", "at")
        and name_gap(text, tokens[i].end, tokens[j].start)
    ):
        j += 1
    if j >= len(tokens) or not name_gap(text, tokens[j - 1].end, tokens[j].start):
        return None
    position = _position(text, tokens[j])
    if position is None:
        return None
    return Finding(tokens[i].start, position[1], RANKING, position[0], "rank")


def _top(text: str, tokens: list[Token], i: int) -> Finding | None:
    tok = tokens[i]
    if tok.text.lower().startswith("top-"):
        bound = _bound(tok.text[4:])
        return Finding(tok.start, tok.end, RANKING, bound, "top") if bound else None
    if i + 1 >= len(tokens) or not name_gap(text, tok.end, tokens[i + 1].start):
        return None
    bound = _bound(tokens[i + 1].text)
    return Finding(tok.start, tokens[i + 1].end, RANKING, bound, "top") if bound else None


def _bound(word: str) -> int | None:
    if _SMALL_NUMBER_RE.fullmatch(word):
        return int(word) or None
    return CARDINALS.get(word.lower())


def _determined_ordinal(text: str, tokens: list[Token], i: int) -> Finding | None:
    if i == 0 or i + 1 >= len(tokens):
        return None
    before, tok, after = tokens[i - 1], tokens[i], tokens[i + 1]
    if not (before.possessive or before.text.lower() in _DETERMINERS):
        return None
    if not (name_gap(text, before.end, tok.start) and name_gap(text, tok.end, after.start)):
        return None
    if after.text.lower() in _NOT_RANKED or not after.text[0].isalpha():
        return None
    return Finding(tok.start, tok.end, RANKING, ORDINALS[tok.text], "rank")
