"""The seed manifest: what each corpus file must be (bytes, SHA-256) and what it is
(headline, source), read from ``seeds/manifest.json``.

The manifest is the reference: ``check_corpus`` compares the files on disk with it and
names the first file that is missing, extra, or not byte-for-byte what it records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError, ValidationError

MANIFEST_FORMAT = "provledger-seed-manifest/1"
_REQUIRED = ("file", "sha256", "bytes", "title", "source")
_OPTIONAL = ("source_note", "title_note", "byline")


class CorpusMismatch(LedgerError):
    """A corpus file is missing, extra, or differs from its manifest entry."""


@dataclass(frozen=True)
class ManifestEntry:
    """One corpus file as the manifest records it.

    ``source`` is the publication the text names; where it names none, ``source`` is
    what the text does give as the origin and ``source_note`` says so.
    """

    file: str
    sha256: str
    bytes: int
    title: str
    source: str
    source_note: str | None = None
    title_note: str | None = None
    byline: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-safe data, without the optional fields that are unset."""
        out: dict[str, Any] = {key: getattr(self, key) for key in _REQUIRED}
        out.update({key: getattr(self, key) for key in _OPTIONAL if getattr(self, key)})
        return out


def parse_manifest(data: Any) -> tuple[ManifestEntry, ...]:
    """Entries of a decoded manifest, sorted by file name.

    Raises ``ValidationError`` naming the entry if the format tag, a field, a type, a
    hash length or a duplicate file name is wrong.
    """
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValidationError(f"seed manifest: expected format {MANIFEST_FORMAT!r}")
    raw = data.get("documents")
    if not isinstance(raw, list):
        raise ValidationError("seed manifest: 'documents' must be a list")
    entries = [_parse_entry(i, item) for i, item in enumerate(raw)]
    names = [entry.file for entry in entries]
    if len(set(names)) != len(names):
        raise ValidationError("seed manifest: a file is listed twice")
    return tuple(sorted(entries, key=lambda entry: entry.file))


def _parse_entry(index: int, item: Any) -> ManifestEntry:
    where = f"seed manifest entry {index}"
    if not isinstance(item, dict):
        raise ValidationError(f"{where}: must be an object")
    unknown = sorted(set(item) - set(_REQUIRED) - set(_OPTIONAL))
    missing = [key for key in _REQUIRED if key not in item]
    if unknown or missing:
        raise ValidationError(f"{where}: missing {missing}, unknown {unknown}")
    for key in (*_REQUIRED, *_OPTIONAL):
        if key in item and key != "bytes" and not isinstance(item[key], str):
            raise ValidationError(f"{where}: {key!r} must be a string")
    if type(item["bytes"]) is not int or item["bytes"] < 0:
        raise ValidationError(f"{where}: 'bytes' must be a non-negative integer")
    digest = item["sha256"]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError(f"{where}: 'sha256' must be 64 lowercase hex digits")
    return ManifestEntry(**item)


@lru_cache(maxsize=1)
def load_manifest() -> tuple[ManifestEntry, ...]:
    """The packaged manifest's entries, sorted by file name (read once per process)."""
    text = (files("seeds") / "manifest.json").read_text(encoding="utf-8")
    return parse_manifest(json.loads(text))


def manifest_entry(name: str) -> ManifestEntry | None:
    """The manifest entry of corpus file ``name``, or ``None`` if it lists no such file."""
    return next((entry for entry in load_manifest() if entry.file == name), None)


def corpus_folder() -> Path:
    """The packaged corpus folder (``seeds/corpus``)."""
    return Path(str(files("seeds") / "corpus"))


def check_corpus(
    folder: Path | None = None, entries: tuple[ManifestEntry, ...] | None = None
) -> None:
    """Return only if ``folder`` (default: the packaged corpus) holds exactly the files
    of ``entries`` (default: the packaged manifest), each with the recorded size and
    SHA-256. Otherwise raise ``CorpusMismatch`` naming the first offending file, in
    file-name order. Hidden files (name starting with ``.``) are ignored.
    """
    folder = corpus_folder() if folder is None else folder
    entries = load_manifest() if entries is None else entries
    on_disk = {p.name for p in folder.iterdir() if p.is_file() and p.name[0] != "."}
    expected = {entry.file: entry for entry in entries}
    for name in sorted(on_disk | set(expected)):
        entry = expected.get(name)
        if entry is None:
            raise CorpusMismatch(f"{name}: in {folder} but not listed in the seed manifest")
        if name not in on_disk:
            raise CorpusMismatch(f"{name}: listed in the seed manifest but missing from {folder}")
        data = (folder / name).read_bytes()
        if len(data) != entry.bytes:
            raise CorpusMismatch(
                f"{name}: {len(data)} bytes, the seed manifest records {entry.bytes}"
            )
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            raise CorpusMismatch(
                f"{name}: SHA-256 {digest} differs from the seed manifest's {entry.sha256}"
            )
