"""Claims: a sentence that names an organisation and says what it did or stated.

A sentence is a claim when it names at least one organisation and contains a
reporting or action verb from ``CLAIM_VERBS``. The span is the whole sentence; the
value is ``"<short names in order of mention>: <verb lemma of the first such verb>"``
(``"SASAC, MIIT: sign"``); past 200 characters of names it ends ``"and N more"``.
"""

from __future__ import annotations

from seeds.facts.model import CLAIM, Finding
from seeds.facts.rules_orgs import Mention
from seeds.facts.text import SentenceIndex, TokenIndex

CLAIM_VERBS: dict[str, str] = {
    "accelerating": "accelerate", "announced": "announce", "announces": "announce",
    "applied": "apply", "approved": "approve", "approves": "approve", "believes": "believe",
    "built": "build", "clarifies": "clarify", "clarify": "clarify", "decided": "decide",
    "deployed": "deploy", "disclosed": "disclose", "discloses": "disclose",
    "emphasised": "emphasise", "emphasized": "emphasise", "established": "establish",
    "establishes": "establish", "explores": "explore", "held": "hold",
    "included": "include", "initiated": "initiate", "introduced": "introduce",
    "invested": "invest", "issued": "issue", "issues": "issue", "launched": "launch",
    "launches": "launch", "optimized": "optimise", "optimised": "optimise",
    "participated": "participate", "plans": "plan", "promotes": "promote",
    "promoting": "promote", "proposed": "propose", "proposes": "propose",
    "provides": "provide", "received": "receive", "regards": "regard",
    "released": "release", "releases": "release", "revealed": "reveal", "said": "say",
    "says": "say", "selected": "select", "serves": "serve", "shows": "show",
    "signed": "sign", "signs": "sign", "stated": "state", "strengthened": "strengthen",
    "supported": "support", "told": "tell", "transforming": "transform", "uses": "use",
    "won": "win",
}  # fmt: skip
"""Verb forms (lower case) that make a sentence naming an organisation a claim, with
their lemma."""

CLAIM_PHRASES: dict[tuple[str, str], str] = {
    ("pointed", "out"): "point out", ("points", "out"): "point out",
    ("carried", "out"): "carry out", ("put", "forward"): "put forward",
    ("puts", "forward"): "put forward", ("calls", "on"): "call on",
    ("called", "on"): "call on",
}  # fmt: skip
"""Two-word verbs, checked before single words."""


_NAMES_MAX = 200


def find_claims(
    text: str, index: TokenIndex, sentences: SentenceIndex, mentions: list[Mention]
) -> list[Finding]:
    """One claim per sentence that names an organisation and has a claim verb, sorted."""
    named: dict[int, list[str]] = {}
    for mention in mentions:
        s = sentences.of(mention.start)
        if s >= 0:
            shorts = named.setdefault(s, [])
            if mention.short not in shorts:
                shorts.append(mention.short)
    found: list[Finding] = []
    for s in sorted(named):
        start, end = sentences.spans[s]
        lemma = _first_claim_verb(index, start, end)
        if lemma is not None:
            found.append(Finding(start, end, CLAIM, f"{_names(named[s])}: {lemma}"))
    return found


def _names(shorts: list[str]) -> str:
    """The short names joined, at most ``_NAMES_MAX`` characters plus a count of the rest."""
    shown: list[str] = []
    for name in shorts:
        if len(", ".join([*shown, name])) > _NAMES_MAX:
            break
        shown.append(name)
    rest = len(shorts) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def _first_claim_verb(index: TokenIndex, start: int, end: int) -> str | None:
    tokens = index.tokens
    for i in index.range_within(start, end):
        word = tokens[i].text.lower()
        if i + 1 < len(tokens) and tokens[i + 1].start < end:
            phrase = CLAIM_PHRASES.get((word, tokens[i + 1].text.lower()))
            if phrase is not None:
                return phrase
        lemma = CLAIM_VERBS.get(word)
        if lemma is not None:
            return lemma
    return None
