"""Words and sentences of a text, found in one linear pass each.

Offsets are Python ``str`` indices. Patterns here have no nested or overlapping
repetition, so their running time is linear in the length of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[-'’&][A-Za-z0-9]+)*")
_POSSESSIVE = ("'s", "’s")
_NAME_GAP_RE = re.compile(r"[ \t\u00a0]+(?:\r?\n[ \t\u00a0]*)?|\r?\n[ \t\u00a0]*")
_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*|[。！？]+[”’」』)]*")
_SPACE = " \t\n\r\f\v\u00a0\u3000"
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n")
_ABBREVIATIONS = frozenset(
    {
        "no",
        "co",
        "ltd",
        "inc",
        "corp",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "vs",
        "jr",
        "sr",
        "etc",
        "e",
        "i",
        "g",
        "u",
        "s",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "fig",
        "approx",
        "dept",
        "gov",
        "govt",
    }
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word: ASCII letters and digits, joined by inner hyphens, apostrophes or ``&``."""

    start: int
    end: int
    text: str

    @property
    def possessive(self) -> bool:
        """True if the word ends in ``'s`` or ``’s`` (and is longer than that)."""
        return len(self.text) > 2 and self.text.endswith(_POSSESSIVE)

    @property
    def core(self) -> str:
        """The word without a possessive ``'s``, with ``’`` written as ``'``."""
        word = self.text[:-2] if self.possessive else self.text
        return word.replace("’", "'")

    @property
    def key(self) -> str:
        """The whole word with ``’`` written as ``'`` (the form names are compared in)."""
        return self.text.replace("’", "'")

    @property
    def core_end(self) -> int:
        """Where the word ends without its possessive ``'s``."""
        return self.end - 2 if self.possessive else self.end


def tokenize(text: str) -> list[Token]:
    """Every word of ``text``, in order, never overlapping."""
    return [Token(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(text)]


def name_gap(text: str, start: int, end: int) -> bool:
    """True if ``text[start:end]`` may sit between two words of one name: non-empty
    spaces with at most one line break (no punctuation, no blank line)."""
    return start < end and _NAME_GAP_RE.fullmatch(text, start, end) is not None


class TokenIndex:
    """Tokens with lookup by offset."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self._starts = [t.start for t in tokens]

    def first_at_or_after(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset`` (``len`` if none)."""
        return bisect_left(self._starts, offset)

    def range_within(self, start: int, end: int) -> range:
        """Indices of the tokens that start inside ``[start, end)``."""
        return range(self.first_at_or_after(start), self.first_at_or_after(end))


def split_sentences(text: str, max_len: int = 2000) -> list[tuple[int, int]]:
    """Sentence spans of ``text``, in order, disjoint, each trimmed of surrounding
    whitespace, non-empty and at most ``max_len`` characters. A sentence ends at a
    blank line, at ``。！？``, or at ``. ! ? …`` followed by whitespace (or the end)
    unless the next word starts in lower case or the full stop ends a known
    abbreviation or a single letter; a longer run is cut at spaces."""
    cuts: list[int] = [m.end() for m in _BLANK_LINE_RE.finditer(text)]
    for m in _END_RE.finditer(text):
        if _ends_sentence(text, m):
            cuts.append(m.end())
    cuts.sort()
    spans: list[tuple[int, int]] = []
    begin = 0
    for cut in [*cuts, len(text)]:
        span = _trim(text, begin, cut)
        if span is not None:
            spans.extend(_pieces(text, *span, max_len))
        begin = max(begin, cut)
    return spans


def _pieces(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into trimmed pieces of at most ``max_len`` characters, each
    cut at the last space before the limit when there is one."""
    out: list[tuple[int, int]] = []
    while end - start > max_len:
        cut = start + max_len
        space = max(text.rfind(" ", start + 1, cut), text.rfind("\n", start + 1, cut))
        cut = space if space > start else cut
        piece = _trim(text, start, cut)
        if piece is not None:
            out.append(piece)
        nxt = _trim(text, cut, end)
        if nxt is None:
            return out
        start = nxt[0]
    out.append((start, end))
    return out


def _ends_sentence(text: str, m: re.Match[str]) -> bool:
    if m.group()[0] in "。！？":
        return True
    after = m.end()
    if after < len(text) and text[after] not in _SPACE:
        return False
    nxt = after
    while nxt < len(text) and text[nxt] in " \t\u00a0":
        nxt += 1
    if nxt < len(text) and "a" <= text[nxt] <= "z":
        return False
    if m.group() == ".":
        word_start = m.start()
        while word_start > 0 and _ascii_letter(text[word_start - 1]) and m.start() - word_start < 8:
            word_start -= 1
        word = text[word_start : m.start()].lower()
        if word in _ABBREVIATIONS or len(word) == 1:
            return False
    return True


def _ascii_letter(char: str) -> bool:
    return "a" <= char <= "z" or "A" <= char <= "Z"


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return (start, end) if start < end else None


class SentenceIndex:
    """Sentence spans with lookup by offset."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self._starts = [s for s, _ in spans]

    def of(self, offset: int) -> int:
        """Index of the sentence that contains ``offset``, or of the last sentence that
        starts before it (-1 if none does)."""
        return bisect_right(self._starts, offset) - 1
