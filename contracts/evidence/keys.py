"""State keys of the ``evidence`` contract (see the package docstring for what each holds)."""

from __future__ import annotations

from ledger.canonical import sha256


def doc_key(digest: str) -> str:
    """The first anchor of document ``digest``."""
    return f"doc/{digest}"


def redeposit_key(tx_id: str) -> str:
    """The re-deposit made by transaction ``tx_id`` (hex)."""
    return f"redeposit/{tx_id}"


def chunks_key(digest: str) -> str:
    """The chunk leaf hashes of document ``digest`` (written once, never rewritten)."""
    return f"chunks/{digest}"


def facts_key(digest: str) -> str:
    """The published facts of document ``digest``."""
    return f"facts/{digest}"


def depositor_prefix(organisation: str) -> str:
    """The prefix of the documents ``organisation`` deposited."""
    return f"depositor/{organisation}/"


def depositor_key(organisation: str, digest: str) -> str:
    """``organisation`` deposited document ``digest`` (first anchor or re-deposit)."""
    return depositor_prefix(organisation) + digest


def title_prefix(title: str) -> str:
    """The prefix of the documents anchored under ``title``: titles compare after
    Unicode case folding and with outer white space removed."""
    return f"title/{sha256(title.strip().casefold().encode()).hex()}/"


def chunk_prefix(leaf_hex: str) -> str:
    """The prefix of the documents that have a chunk with leaf hash ``leaf_hex``."""
    return f"chunk/{leaf_hex}/"
