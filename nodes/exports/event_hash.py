"""CBV 2.0 event hash IDs of EPCIS 2.0 events.

Promises: ``event_hash_id(event)`` is ``ni:///sha-256;<64 hex digits>?ver=CBV2.0``, the
RFC 6920 named-information URI of the SHA-256 of the event's pre-hash string (UTF-8),
as ``nodes.exports.pre_hash`` builds it. Two serialisations of the same event (member
order, list order, whitespace around values, EPC URI or Digital Link, bare CBV name or
URI, timestamp offset) get the same ID; ``eventID``, ``recordTime`` and
``errorDeclaration`` do not count; a change of any other value gives another ID. An
event without ``type``, or with a standard timestamp that is not ISO 8601 with an
offset, raises ``ValueError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from nodes.exports.pre_hash import pre_hash_string


def event_hash_id(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The CBV 2.0 event hash ID of ``event`` (an EPCIS 2.0 JSON-LD event object).

    ``namespaces`` maps the CURIE prefixes declared by the document the event belongs to
    (``{"example": "https://ns.example.com/epcis/"}``) to their IRIs, so that extension
    names are hashed with their full namespace.
    """
    digest = hashlib.sha256(pre_hash_string(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
