"""The arguments of ``evidence.publish_facts``: a document's digest and its facts.

A fact is the object ``seeds.facts`` extracts: ``doc`` (file name), ``start`` and ``end``
(character offsets, start <= end), ``text``, ``kind``, ``value`` (integer, string or
null), ``unit`` (string or null) and ``organisations`` (names). Facts are public once
published: anyone can read them and prove each against the anchor's ``facts_root``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import Arg, Rejection, check_count, check_fields, check_hex_digest, check_list
from contracts.evidence.anchor_args import FACTS_MAX

_FACT_KEYS = ("doc", "start", "end", "text", "kind", "value", "unit", "organisations")
_TEXT_MAX = {"doc": 255, "text": 4096, "kind": 32, "value": 1024, "unit": 128}
_ORGS_MAX = 64


def _check_str(where: str, value: Any, limit: int, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or len(value) > limit:
        kind = "a string or null" if nullable else "a string"
        raise Rejection(f"{where}: expected {kind} of at most {limit} characters")


def check_fact(where: str, fact: Any) -> None:
    """Check one fact's shape; raise ``Rejection`` naming the fault."""
    if not isinstance(fact, dict) or sorted(fact) != sorted(_FACT_KEYS):
        raise Rejection(f"{where}: a fact is an object with exactly {', '.join(_FACT_KEYS)}")
    for name in ("doc", "text", "kind"):
        _check_str(f"{where}.{name}", fact[name], _TEXT_MAX[name])
    _check_str(f"{where}.unit", fact["unit"], _TEXT_MAX["unit"], nullable=True)
    value = fact["value"]
    if isinstance(value, int) and not isinstance(value, bool):
        check_count(f"{where}.value", abs(value))
    else:
        _check_str(f"{where}.value", value, _TEXT_MAX["value"], nullable=True)
    check_count(f"{where}.start", fact["start"])
    check_count(f"{where}.end", fact["end"])
    if fact["start"] > fact["end"]:
        raise Rejection(f"{where}: start {fact['start']} is after end {fact['end']}")
    orgs = fact["organisations"]
    if not isinstance(orgs, list) or len(orgs) > _ORGS_MAX:
        raise Rejection(f"{where}.organisations: expected a list of at most {_ORGS_MAX} names")
    for i, org in enumerate(orgs):
        _check_str(f"{where}.organisations[{i}]", org, 200)


def _check_facts(where: str, value: Any) -> None:
    facts = check_list(where, value, most=FACTS_MAX, expected="facts", many="facts per call")
    for i, fact in enumerate(facts):
        check_fact(f"{where}[{i}]", fact)


PUBLISH_ARGS: Mapping[str, Arg] = MappingProxyType(
    {"sha256": Arg(True, check_hex_digest), "facts": Arg(True, _check_facts)}
)


def check_publish_args(args: Any, where: str) -> None:
    """Check publish_facts ``args``; raise ``Rejection`` naming the first fault."""
    check_fields(args, PUBLISH_ARGS, where)
