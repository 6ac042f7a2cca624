"""The seed documents, read byte for byte from ``seeds/corpus/``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from ledger.canonical import sha256
from seeds.manifest import manifest_entry


@dataclass(frozen=True)
class Document:
    """One seed document: its file name and exact bytes."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes."""
        return sha256(self.data).hex()

    @property
    def title(self) -> str:
        """The headline the seed manifest records for these exact bytes under this name;
        otherwise the first non-empty line of the text (else the file name)."""
        entry = manifest_entry(self.name)
        if entry is not None and entry.sha256 == self.sha256:
            return entry.title
        text = self.data.decode("utf-8", errors="replace")
        return next((line.strip() for line in text.splitlines() if line.strip()), self.name)


def documents() -> list[Document]:
    """Every seed document, sorted by file name."""
    folder = files("seeds") / "corpus"
    items = sorted((p for p in folder.iterdir() if p.name.endswith(".txt")), key=lambda p: p.name)
    return [Document(p.name, p.read_bytes()) for p in items]
