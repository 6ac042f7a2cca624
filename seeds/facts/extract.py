"""``extract_facts``: every rule run over one text, merged into sorted fact records."""

from __future__ import annotations

from typing import Any

from seeds.facts.model import MAX_ORGANISATIONS, MAX_SPAN, ORGANISATION, Finding, fact_record
from seeds.facts.rules_claims import find_claims
from seeds.facts.rules_dates import find_dates
from seeds.facts.rules_numbers import find_numbers
from seeds.facts.rules_orgs import find_organisations
from seeds.facts.rules_ranking import find_rankings
from seeds.facts.text import SentenceIndex, TokenIndex, split_sentences, tokenize

EXTRACTOR_VERSION = "provledger-facts/1"
"""Names the rules (and gazetteer) that produced a set of facts. Bump it whenever a
change to the rules changes any output."""


def extract_facts(doc: str, text: str) -> list[dict[str, Any]]:
    """The facts of ``text`` (a document named ``doc``).

    Promises, for any ``str``: it returns (never raises); every fact has exactly the
    keys ``doc, start, end, text, kind, value, unit, organisations`` with
    ``text == text[start:end]``; facts are sorted by ``(start, end, kind)`` with no two
    sharing those three; ``organisations`` lists, sorted, the canonical names of the
    organisations named in the sentence where the fact starts (at most
    ``MAX_ORGANISATIONS``); values are ``int`` (within canonical JSON's range), ``str``
    or ``None``; spans, values, units and names are within the ``MAX_*`` bounds of
    ``seeds.facts.model``. The result depends only
    on the arguments (no I/O, clock, locale or hash order) and time grows about
    linearly with the length of the text.
    """
    index = TokenIndex(tokenize(text))
    sentences = SentenceIndex(split_sentences(text, MAX_SPAN))
    mentions = find_organisations(text, index.tokens)
    dates = find_dates(text)
    rankings = find_rankings(text, index)
    blocked = [(f.start, f.end) for f in (*dates, *rankings)]
    findings: list[Finding] = [
        *(Finding(m.start, m.end, ORGANISATION, m.canonical) for m in mentions),
        *dates,
        *rankings,
        *find_numbers(text, index, blocked),
        *find_claims(text, index, sentences, mentions),
    ]
    named: dict[int, set[str]] = {}
    for mention in mentions:
        named.setdefault(sentences.of(mention.start), set()).add(mention.canonical)
    organisations = {s: tuple(sorted(names)[:MAX_ORGANISATIONS]) for s, names in named.items()}
    unique: dict[tuple[int, int, str], Finding] = {}
    for finding in findings:
        if finding.bounded:
            unique.setdefault(finding.key, finding)
    return [
        fact_record(doc, text, f, organisations.get(sentences.of(f.start), ()))
        for f in sorted(unique.values(), key=lambda f: f.key)
    ]
