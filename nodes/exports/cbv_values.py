"""Canonical text of single EPCIS values for the CBV 2.0 event hash.

Promises:
- ``canonical_timestamp`` writes an ISO 8601 date-time with an offset in UTC with
  exactly three fraction digits and ``Z`` (sub-millisecond parts rounded half to even);
  it raises ``ValueError`` for text that is not such a date-time.
- ``canonical_value`` trims the value, writes old CBV URNs (``urn:epcglobal:cbv:bizstep:…``
  and the like) as CBV Web URIs, writes a decimal number without a ``+``, leading or
  trailing zeros (through its IEEE 754 double value, as the reference implementation
  does), writes an EPC URI or a GS1 Digital Link URI as a constrained canonical GS1
  Digital Link URI, and leaves every other text unchanged. JSON ``true``/``false``
  become ``true``/``false``.
- ``vocabulary_value`` expands a bare CBV name (no ``:``) of a vocabulary-typed field
  to its Web URI, then canonicalises it as above.
- ``expand_curie`` expands ``prefix:rest`` when the prefix is declared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from nodes.exports.digital_link import constrain_digital_link
from nodes.exports.epc_uri import epc_uri_to_digital_link

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
BIZ_STEP = CBV + "BizStep-"
DISPOSITION = CBV + "Disp-"
BIZ_TRANSACTION_TYPE = CBV + "BTT-"
SOURCE_DESTINATION_TYPE = CBV + "SDT-"
COMPONENT = CBV + "Comp-"

_URN_VOCABULARIES = {
    "urn:epcglobal:cbv:bizstep:": BIZ_STEP,
    "urn:epcglobal:cbv:disp:": DISPOSITION,
    "urn:epcglobal:cbv:btt:": BIZ_TRANSACTION_TYPE,
    "urn:epcglobal:cbv:sdt:": SOURCE_DESTINATION_TYPE,
    "urn:epcglobal:cbv:er:": CBV + "ER-",
}
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def scalar_text(value: object) -> str:
    """The text of a JSON scalar (``true``/``false`` for booleans), trimmed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def canonical_timestamp(value: object) -> str:
    """``value`` (ISO 8601 with offset) in UTC at millisecond precision, ending in ``Z``."""
    moment = datetime.fromisoformat(scalar_text(value))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without an offset: {value!r}")
    moment = moment.astimezone(UTC)
    millis, rest = divmod(moment.microsecond, 1000)
    if rest > 500 or (rest == 500 and millis % 2):
        millis += 1
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _canonical_number(text: str) -> str:
    number = float(text)
    return str(int(number)) if number.is_integer() else repr(number)


def _canonical_text(text: str) -> str:
    for urn, web in _URN_VOCABULARIES.items():
        if text.startswith(urn):
            return web + text[len(urn) :]
    if _DECIMAL.fullmatch(text):
        return _canonical_number(text)
    if text.startswith("urn:epc:"):
        return epc_uri_to_digital_link(text) or text
    if text.startswith(("http://", "https://")):
        return constrain_digital_link(text) or text
    return text


def expand_curie(text: str, namespaces: Mapping[str, str]) -> str:
    """``text`` with a declared ``prefix:`` replaced by its IRI."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix in namespaces:
        return namespaces[prefix] + rest
    return text


def canonical_value(value: object, namespaces: Mapping[str, str]) -> str:
    """The canonical text of a scalar value (see the module's promises)."""
    return _canonical_text(expand_curie(scalar_text(value), namespaces))


def vocabulary_value(value: object, web_prefix: str, namespaces: Mapping[str, str]) -> str:
    """Canonical text of a vocabulary-typed value; a bare name gets ``web_prefix``."""
    text = scalar_text(value)
    if text and ":" not in text:
        text = web_prefix + text
    return canonical_value(text, namespaces)
