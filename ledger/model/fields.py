"""Strict readers for decoding JSON objects into model objects.

Each reader names the field in its error so a person can find the fault.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from ledger.canonical import MAX_SAFE_INTEGER, check_hex
from ledger.errors import ValidationError

T = TypeVar("T")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


def expect_object(
    obj: Any, where: str, required: set[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Return ``obj`` if it is a dict with every required key and nothing unknown."""
    if not isinstance(obj, dict):
        raise ValidationError(f"{where}: expected a JSON object")
    missing = required - obj.keys()
    if missing:
        raise ValidationError(f"{where}: missing field(s) {', '.join(sorted(missing))}")
    extra = obj.keys() - required - optional
    if extra:
        raise ValidationError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    return obj


def get_str(obj: dict[str, Any], key: str, where: str, *, max_len: int = 1024) -> str:
    """A string field, at most ``max_len`` characters."""
    value = obj[key]
    if not isinstance(value, str):
        raise ValidationError(f"{where}.{key}: expected a string")
    if len(value) > max_len:
        raise ValidationError(f"{where}.{key}: longer than {max_len} characters")
    return value


def get_int(obj: dict[str, Any], key: str, where: str, *, minimum: int = 0) -> int:
    """An integer field (not a bool) within ``minimum``..2^53-1."""
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where}.{key}: expected an integer")
    if not minimum <= value <= MAX_SAFE_INTEGER:
        raise ValidationError(f"{where}.{key}: {value} is outside {minimum}..2^53-1")
    return value


def get_hex(obj: dict[str, Any], key: str, where: str, nbytes: int | None = None) -> str:
    """A lowercase hex field, of exactly ``nbytes`` bytes when given."""
    return check_hex(obj[key], f"{where}.{key}", nbytes)


def get_list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """A list field."""
    value = obj[key]
    if not isinstance(value, list):
        raise ValidationError(f"{where}.{key}: expected a list")
    return value


def construct(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` from already validated ``values``,
    without running its ``__post_init__`` (which validates by decoding ``to_dict``)."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def check_name(value: str, where: str) -> str:
    """A short lowercase identifier: organisation, role, validator or contract name."""
    if not _NAME_RE.fullmatch(value):
        raise ValidationError(
            f"{where}: {value!r} must be 1-63 characters of a-z, 0-9, '.', '_' or '-'"
        )
    return value
