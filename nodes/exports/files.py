"""Writing a lineage's exports as files.

Promises: ``export_files(lineage, out_dir, fmt, creation_date=...)`` writes, in
``out_dir`` (created if missing), ``<safe name>.epcis.jsonld`` (the EPCIS 2.0 document of
the lineage's events) for ``fmt`` "epcis" or "both" and ``<safe name>.prov.json`` (its
PROV-JSON document) for "prov" or "both", as UTF-8 JSON with a final newline, and
returns the paths in that order; another ``fmt`` raises ``ValueError`` before writing.
``creation_date`` defaults to ``now()``, the current UTC time at millisecond precision
(``2026-03-02T09:30:00.000Z``).
``safe_name`` keeps letters, digits, '.', '_' and '-' of a product id and writes '_' for
every other character.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nodes.exports.epcis import epcis_document
from nodes.exports.prov import prov_document

FORMATS = ("epcis", "prov", "both")


def now() -> str:
    """The current UTC time as an EPCIS ``creationDate``, at millisecond precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def safe_name(product_id: str) -> str:
    """A file name stem for ``product_id``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", product_id)


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def export_files(
    lineage: dict[str, Any], out_dir: Path | str, fmt: str, *, creation_date: str | None = None
) -> list[Path]:
    """Write the exports of ``lineage`` chosen by ``fmt`` (see the module's promises)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_name(lineage["product"])
    written = []
    if fmt in ("epcis", "both"):
        document = epcis_document(lineage["events"], creation_date=creation_date or now())
        written.append(_write(out / f"{stem}.epcis.jsonld", document))
    if fmt in ("prov", "both"):
        written.append(_write(out / f"{stem}.prov.json", prov_document(lineage)))
    return written
