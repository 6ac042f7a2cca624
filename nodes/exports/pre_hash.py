"""The CBV 2.0 pre-hash string of an EPCIS 2.0 event given as JSON(-LD).

Promises: ``pre_hash_string(event, namespaces)`` depends only on the event's content,
not on the order of JSON members, of list elements or of whitespace around values. It
is, concatenated without separators:

1. ``eventType=<type>``;
2. the standard fields in the canonical property order (``_EVENT_ORDER``), each as
   ``name=value`` or, for a structure, its name followed by its parts; the elements of
   a list (EPCs, quantity elements, sensor elements and reports, set/unset) sorted;
   extension members inside ``readPoint``, ``bizLocation``, quantity and sensor
   structures appended, sorted, after that structure's standard fields;
3. every other member, sorted: ``bizTransactionList``, ``sourceList`` and
   ``destinationList`` (each element ``type=…`` then its id, elements sorted), ``ilmd``
   and the user extensions, whose names are written ``{namespace IRI}local-name``.

``eventID``, ``recordTime``, ``errorDeclaration``, ``@context`` and comments never take
part. Values are canonicalised as ``nodes.exports.cbv_values`` promises; timestamps of
the standard fields are written in UTC at millisecond precision. The placement of the
business-transaction, source and destination lists among the other members (rather
than before ``sensorElementList``) and the ``type`` first inside their elements follow
GS1's reference implementation (``epcis-event-hash-generator`` 1.9.3), whose IDs these
are meant to equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nodes.exports import cbv_values as cv

Namespaces = Mapping[str, str]
_Render = Callable[[str, Any, Namespaces], str]

_IGNORED = frozenset(["type", "eventID", "recordTime", "errorDeclaration", "@context"])
_COMMENTS = frozenset(["comment", "rdfs:comment"])
_PARTY_LISTS = {
    "bizTransactionList": ("bizTransaction", cv.BIZ_TRANSACTION_TYPE),
    "sourceList": ("source", cv.SOURCE_DESTINATION_TYPE),
    "destinationList": ("destination", cv.SOURCE_DESTINATION_TYPE),
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _key(name: str, ns: Namespaces) -> str:
    prefix, sep, local = name.partition(":")
    return f"{{{ns[prefix]}}}{local}" if sep and prefix in ns else name


def _pairs(name: str, texts: Iterable[str]) -> str:
    """``name=text`` for each non-empty text, sorted and concatenated."""
    return "".join(sorted(f"{name}={t}" for t in texts if t))


# --- generic members: ILMD, user extensions, anything not standard -----------------


def _members(name: str, value: Any, ns: Namespaces) -> list[str]:
    """The rendering of one member; a list gives one rendering per element."""
    if isinstance(value, list):
        return [part for element in value for part in _element(name, element, ns)]
    if isinstance(value, dict):
        return [name + _extensions(value, ns)]
    text = cv.canonical_value(value, ns) if value is not None else ""
    return [f"{name}={text}" if text else name]


def _element(name: str, element: Any, ns: Namespaces) -> list[str]:
    if isinstance(element, list):
        return [name + "".join(sorted(p for e in element for p in _element("", e, ns)))]
    return _members(name, element, ns)


def _extensions(obj: Mapping[str, Any], ns: Namespaces, skip: Iterable[str] = ()) -> str:
    """All members of ``obj`` except ``skip`` and comments, rendered and sorted."""
    skipped = set(skip) | _COMMENTS
    parts = [
        part
        for name, value in obj.items()
        if name not in skipped
        for part in _members(_key(name, ns), value, ns)
    ]
    return "".join(sorted(parts))


# --- standard structures ----------------------------------------------------------


def _plain(name: str, value: Any, ns: Namespaces) -> str:
    return _pairs(name, (cv.canonical_value(v, ns) for v in _as_list(value)))


def _timestamp(name: str, value: Any, ns: Namespaces) -> str:
    return _pairs(name, (cv.canonical_timestamp(v) for v in _as_list(value)))


def _vocabulary(web_prefix: str) -> _Render:
    def render(name: str, value: Any, ns: Namespaces) -> str:
        return _pairs(name, (cv.vocabulary_value(v, web_prefix, ns) for v in _as_list(value)))

    return render


def _structure(order: tuple[tuple[str, _Render], ...]) -> Callable[[Mapping, Namespaces], str]:
    """Renderer of an object: its standard fields in ``order``, then its extensions."""
    names = [name for name, _ in order]

    def render(obj: Mapping[str, Any], ns: Namespaces) -> str:
        fields = "".join(r(n, obj[n], ns) for n, r in order if obj.get(n) is not None)
        return fields + _extensions(obj, ns, skip=names)

    return render


def _list_of(item: str, render: Callable[[Mapping, Namespaces], str]) -> _Render:
    """Renderer of a list of objects: ``name`` then ``item`` + object, sorted."""

    def list_render(name: str, value: Any, ns: Namespaces) -> str:
        parts = sorted(item + render(e, ns) for e in _as_list(value) if isinstance(e, dict))
        body = "".join(p for p in parts if p != item)
        return name + body if body else ""

    return list_render


def _nested(render: Callable[[Mapping, Namespaces], str]) -> _Render:
    def nested_render(name: str, value: Any, ns: Namespaces) -> str:
        body = render(value, ns) if isinstance(value, dict) else ""
        return name + body if body else ""

    return nested_render


def _epcs(name: str, value: Any, ns: Namespaces) -> str:
    body = _plain("epc", value, ns)
    return name + body if body else ""


_quantity = _structure((("epcClass", _plain), ("quantity", _plain), ("uom", _plain)))
_location = _structure((("id", _plain),))
_persistent = _structure(
    (("set", _vocabulary(cv.DISPOSITION)), ("unset", _vocabulary(cv.DISPOSITION)))
)
_sensor_metadata = _structure(
    (
        ("time", _timestamp),
        ("startTime", _timestamp),
        ("endTime", _timestamp),
        ("deviceID", _plain),
        ("deviceMetadata", _plain),
        ("rawData", _plain),
        ("dataProcessingMethod", _plain),
        ("bizRules", _plain),
    )
)
_sensor_report = _structure(
    (
        ("type", _vocabulary(cv.GS1_VOC)),
        ("exception", _vocabulary(cv.GS1_VOC)),
        ("deviceID", _plain),
        ("deviceMetadata", _plain),
        ("rawData", _plain),
        ("dataProcessingMethod", _plain),
        ("time", _timestamp),
        ("microorganism", _plain),
        ("chemicalSubstance", _plain),
        ("value", _plain),
        ("component", _vocabulary(cv.COMPONENT)),
        ("stringValue", _plain),
        ("booleanValue", _plain),
        ("hexBinaryValue", _plain),
        ("uriValue", _plain),
        ("minValue", _plain),
        ("maxValue", _plain),
        ("meanValue", _plain),
        ("sDev", _plain),
        ("percRank", _plain),
        ("percValue", _plain),
        ("uom", _plain),
        ("coordinateReferenceSystem", _plain),
    )
)


def _sensor_element(element: Mapping[str, Any], ns: Namespaces) -> str:
    metadata = _nested(_sensor_metadata)("sensorMetadata", element.get("sensorMetadata"), ns)
    reports = _as_list(element.get("sensorReport") or [])
    report_parts = sorted("sensorReport" + _sensor_report(r, ns) for r in reports)
    extensions = _extensions(element, ns, skip=("sensorMetadata", "sensorReport"))
    return metadata + "".join(report_parts) + extensions


_quantities = _list_of("quantityElement", _quantity)

_EVENT_ORDER: tuple[tuple[str, _Render], ...] = (
    ("eventTime", _timestamp),
    ("eventTimeZoneOffset", _plain),
    ("certificationInfo", _plain),
    ("parentID", _plain),
    ("epcList", _epcs),
    ("inputEPCList", _epcs),
    ("childEPCs", _epcs),
    ("quantityList", _quantities),
    ("childQuantityList", _quantities),
    ("inputQuantityList", _quantities),
    ("outputEPCList", _epcs),
    ("outputQuantityList", _quantities),
    ("action", _plain),
    ("transformationID", _plain),
    ("bizStep", _vocabulary(cv.BIZ_STEP)),
    ("disposition", _vocabulary(cv.DISPOSITION)),
    ("persistentDisposition", _nested(_persistent)),
    ("readPoint", _nested(_location)),
    ("bizLocation", _nested(_location)),
    ("sensorElementList", _list_of("sensorElement", _sensor_element)),
)
_ORDERED = frozenset(name for name, _ in _EVENT_ORDER)


def _party_list(name: str, value: Any, ns: Namespaces) -> str:
    """``name`` then each element as ``type=…`` + ``<id field>=…``, elements sorted."""
    id_field, type_prefix = _PARTY_LISTS[name]
    parts = []
    for element in _as_list(value):
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        text = _vocabulary(type_prefix)("type", kind, ns) if kind is not None else ""
        text += _plain(id_field, element.get(id_field, ""), ns)
        text += _extensions(element, ns, skip=("type", id_field))
        parts.append(text)
    return name + "".join(sorted(parts))


def _other_members(event: Mapping[str, Any], ns: Namespaces) -> str:
    parts: list[str] = []
    for name, value in event.items():
        if name in _IGNORED or name in _ORDERED or name in _COMMENTS:
            continue
        if name in _PARTY_LISTS:
            parts.append(_party_list(name, value, ns))
        else:
            parts.extend(_members(_key(name, ns), value, ns))
    return "".join(sorted(parts))


def pre_hash_string(event: Mapping[str, Any], namespaces: Namespaces | None = None) -> str:
    """The pre-hash string of ``event`` (see the module's promises).

    ``namespaces`` maps the CURIE prefixes the enclosing JSON-LD document declares to
    their IRIs; an ``@context`` inside the event adds its own declarations.
    """
    ns = {**(namespaces or {}), **context_namespaces(event.get("@context"))}
    if not isinstance(event.get("type"), str):
        raise ValueError("an EPCIS event needs its type")
    ordered = "".join(
        render(name, event[name], ns)
        for name, render in _EVENT_ORDER
        if event.get(name) is not None
    )
    return f"eventType={event['type']}" + ordered + _other_members(event, ns)


def context_namespaces(context: Any) -> dict[str, str]:
    """The ``prefix -> IRI`` declarations of a JSON-LD ``@context`` value."""
    declared: dict[str, str] = {}
    for entry in _as_list(context) if context is not None else []:
        if isinstance(entry, dict):
            declared.update(
                {k: v for k, v in entry.items() if isinstance(v, str) and not k.startswith("@")}
            )
    return declared
