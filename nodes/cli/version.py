"""``provledger --version``: the version, and the formats this build reads and writes."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def formats() -> dict[str, str]:
    """Each format this build speaks, by what it is; the same strings the files carry."""
    from ledger.anchor_proof import FACT_PROOF_FORMAT
    from ledger.checkpoint import BLOCK_EXTENSION
    from ledger.history_proof import HISTORY_FORMAT
    from ledger.model.genesis import GENESIS_FORMAT
    from ledger.receipt import RECEIPT_FORMAT
    from ledger.state_proof import STATE_PROOF_FORMAT
    from ledger.tlog_proof import HEADER
    from seeds.facts.extract import EXTRACTOR_VERSION
    from seeds.facts.gazetteer import GAZETTEER_VERSION

    return {
        "receipt": RECEIPT_FORMAT,
        "inclusion proof": HEADER,
        "checkpoint": f"c2sp.org/tlog-checkpoint (extension line {BLOCK_EXTENSION})",
        "fact proof": FACT_PROOF_FORMAT,
        "state proof": STATE_PROOF_FORMAT,
        "history": HISTORY_FORMAT,
        "facts extractor": f"{EXTRACTOR_VERSION} (gazetteer {GAZETTEER_VERSION})",
        "genesis": GENESIS_FORMAT,
    }


def version_text() -> str:
    """``provledger X.Y.Z`` then one line per format."""
    try:
        own = version("provledger")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        own = "unknown"
    lines = [f"provledger {own}"]
    lines += [f"  {kind:<16} {name}" for kind, name in formats().items()]
    return "\n".join(lines)
