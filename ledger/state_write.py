"""One contract write, as contracts produce it and the store keeps it (no storage here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StateWrite:
    """A contract's write of ``value`` (JSON-safe) under ``key``, made by the
    transaction at ``log_index``."""

    contract: str
    key: str
    value: Any
    log_index: int
    encoded: str | None = field(default=None, compare=False, repr=False)
    """``value``'s canonical JSON, when the writer already has it (saves encoding it
    again); must be exactly ``canonical(value)``."""
