"""Deterministic fact extraction from seed (or any) text.

``extract_facts(doc, text)`` returns the facts of a text as canonical-JSON-safe
dicts; ``EXTRACTOR_VERSION`` names the rules that produced them.
"""

from seeds.facts.extract import EXTRACTOR_VERSION, extract_facts
from seeds.facts.gazetteer import GAZETTEER_VERSION
from seeds.facts.model import FACT_KEYS, KINDS

__all__ = ["EXTRACTOR_VERSION", "FACT_KEYS", "GAZETTEER_VERSION", "KINDS", "extract_facts"]
