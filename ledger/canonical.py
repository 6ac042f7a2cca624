"""Canonical bytes (RFC 8785) and the few value encodings the data model allows.

Promises:
- ``canonical(value)`` returns the RFC 8785 (JCS) bytes of ``value`` or raises
  ``CanonicalError``; equal values always give equal bytes.
- Only JSON-safe values pass: ``dict`` with ``str`` keys, ``list``/``tuple``, ``str``,
  ``bool``, ``None``, ``int`` within ±(2**53 - 1), ``bytes`` (encoded as lowercase hex)
  and timezone-aware ``datetime`` (encoded as an RFC 3339 UTC string). Floats, larger
  integers and naive datetimes are refused, never rounded or guessed.
- Times are RFC 3339 UTC with a ``Z`` and at most microsecond precision (what a
  ``datetime`` holds, so parsing never drops digits); ``format_time`` writes six.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ledger.errors import CanonicalError, ValidationError

MAX_SAFE_INTEGER = 2**53 - 1
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
_HEX_RE = re.compile(r"[0-9a-f]*")


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``."""
    return hashlib.sha256(data).digest()


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical bytes of ``value`` after checking it is JSON-safe."""
    try:
        return _canonical(value)
    except RecursionError as exc:
        raise CanonicalError("$: value is nested too deeply") from exc


def _canonical(value: Any) -> bytes:
    if _plain(value):
        # Already only JSON types (what ``json.loads`` gives), so no copy is needed.
        try:
            return _dumps(value)
        except UnicodeEncodeError:
            pass  # a lone surrogate: the full path below names where
    checked, plain = _jsonable(value, "$")
    if plain:
        # With no floats, only safe integers, and no key outside U+0000..U+D7FF (where
        # code-point order and UTF-16 order agree), JCS is exactly Python's sorted,
        # compact, non-ASCII-escaping JSON; tests compare it with rfc8785 on random data.
        return json.dumps(
            checked, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode()
    try:
        return rfc8785.dumps(checked)
    except rfc8785.CanonicalizationError as exc:  # defensive: _jsonable should catch all
        raise CanonicalError(f"$: {exc}") from exc


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


_LOW_KEYS: set[str] = set()
"""Object keys already seen to lie below U+D800 (field names repeat in every object)."""
_LOW_KEYS_KEPT = 4096


def _plain(value: Any) -> bool:
    """True if ``value`` holds only dicts with string keys below U+D800, lists, strings,
    safe integers, booleans and None: then JCS is ``_dumps`` (if it encodes)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        number: int = value
        return -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if key not in _LOW_KEYS:
                if key and max(key) >= "\ud800":
                    return False
                if len(_LOW_KEYS) < _LOW_KEYS_KEPT:
                    _LOW_KEYS.add(key)
            if not _plain(item):
                return False
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    return False


def _jsonable(value: Any, path: str) -> tuple[Any, bool]:
    """``value`` in JSON types (bytes as hex, datetimes as RFC 3339) and whether every
    object key sorts the same by code point as by UTF-16 code unit; raises
    ``CanonicalError`` naming the path of the first value with no canonical form."""
    if value is None or isinstance(value, bool):
        return value, True
    if isinstance(value, str):
        return _check_text(value, path), True
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value, True
        raise CanonicalError(f"{path}: integer {value} is outside ±(2^53-1)")
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed in signed data ({value!r})")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex(), True
    if isinstance(value, datetime):
        return format_time(value, path), True
    if isinstance(value, dict):
        out, plain = {}, True
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            if key and max(key) >= "\ud800":
                plain = False
            out[_check_text(key, path)], ok = _jsonable(item, f"{path}.{key}")
            plain = plain and ok
        return out, plain
    if isinstance(value, list | tuple):
        items, plain = [], True
        for i, item in enumerate(value):
            checked, ok = _jsonable(item, f"{path}[{i}]")
            items.append(checked)
            plain = plain and ok
        return items, plain
    raise CanonicalError(f"{path}: {type(value).__name__} has no canonical form")


def _check_text(text: str, path: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"{path}: string is not valid Unicode (lone surrogate)") from exc
    return text


def format_time(moment: datetime, path: str = "time") -> str:
    """RFC 3339 UTC string (microsecond precision, ``Z`` suffix) of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CanonicalError(f"{path}: naive datetime {moment.isoformat()} has no time zone")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:
        raise CanonicalError(f"{path}: {moment.isoformat()} is outside the UTC range") from exc
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_time() -> str:
    """The current time as a canonical RFC 3339 UTC string."""
    return format_time(datetime.now(UTC))


def parse_time(text: Any, field: str = "time") -> datetime:
    """Parse an RFC 3339 UTC string (``Z`` suffix); raise ``ValidationError`` otherwise."""
    if not isinstance(text, str) or not _TIME_RE.fullmatch(text):
        raise ValidationError(f"{field}: expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z")
    head, _, frac = text[:-1].partition(".")
    try:
        moment = datetime.fromisoformat(head).replace(tzinfo=UTC)  # shape checked above
    except ValueError as exc:
        raise ValidationError(f"{field}: {text!r} is not a valid date and time") from exc
    return moment.replace(microsecond=int((frac + "000000")[:6])) if frac else moment


def check_time(text: Any, field: str = "time") -> str:
    """Return ``text`` if it is a valid RFC 3339 UTC time string, else raise."""
    parse_time(text, field)  # raises unless ``text`` is such a string
    return str(text)


def check_hex(text: Any, field: str, nbytes: int | None = None) -> str:
    """Return ``text`` if it is lowercase hex (of exactly ``nbytes`` bytes when given)."""
    if not isinstance(text, str) or len(text) % 2 or not _HEX_RE.fullmatch(text):
        raise ValidationError(f"{field}: expected lowercase hex")
    if nbytes is not None and len(text) != 2 * nbytes:
        raise ValidationError(f"{field}: expected {nbytes} bytes of hex, got {len(text) // 2}")
    return text


def unhex(text: Any, field: str, nbytes: int | None = None) -> bytes:
    """Bytes of a lowercase hex string, checked as in ``check_hex``."""
    return bytes.fromhex(check_hex(text, field, nbytes))


def b64decode_strict(text: str) -> bytes:
    """Decode standard base64 that is in its one canonical form.

    Raises ``ValueError`` for bad characters, bad padding, or non-zero padding bits, so
    that two different strings never decode to the same bytes (a changed character in
    a signed or hashed field is always noticed).
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("base64 is not in canonical form")
    return raw
