"""One contract write, as contracts produce it and the store keeps it (no storage here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ledger.canonical import canonical


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
    digest: bytes | None = field(default=None, compare=False, repr=False)
    """SHA-256 of ``text()``, when the writer already has it; must be exactly that."""

    def text(self) -> str:
        """``value``'s canonical JSON (what the store keeps)."""
        return self.encoded if self.encoded is not None else canonical(self.value).decode()

    def value_digest(self) -> bytes:
        """SHA-256 of ``text()``: the value hash of the state tree and of results."""
        if self.digest is not None:
            return self.digest
        return hashlib.sha256(self.text().encode("utf-8")).digest()
