"""Reading the project's JSON files (genesis.json, trust.json, receipts) with errors
that name the file and say what is wrong, as ``ValidationError``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ledger.errors import ValidationError

T = TypeVar("T")


def read_json(path: Path, what: str) -> Any:
    """The decoded JSON of ``path``; ``ValidationError`` if unreadable or not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ValidationError(f"{path}: cannot read {what} ({reason})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise ValidationError(f"{path}: JSON is nested too deeply") from exc


def read_json_file(path: Path, decode: Callable[[Any], T], what: str) -> T:
    """``decode`` applied to the JSON of ``path``; its ``ValidationError`` names the path."""
    data = read_json(path, what)
    try:
        return decode(data)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
