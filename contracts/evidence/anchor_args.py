"""The arguments of ``evidence.anchor`` and their stateless checks.

Beyond the digest and size: what the document is (title, media type), the facts it
yields (``extractor`` version, ``facts_root``, ``facts_count``: all three or none) and its
content chunks (``chunks``, the chunk leaf hashes in order, with their ``chunks_root``:
both or neither; the root must be the RFC 9162 root of the leaves).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import (
    Arg,
    Rejection,
    check_count,
    check_fields,
    check_hex_digest,
    check_list,
    text_checker,
)
from ledger.chunks import MAX_CHUNKS, chunks_root

TITLE_MAX = 512
MEDIA_TYPE_MAX = 127
EXTRACTOR_MAX = 64
FACTS_MAX = 5_000  # one publish_facts call carries them all

# RFC 6838 type and subtype names; RFC 9110 parameters (token or quoted string).
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE_RE = re.compile(
    rf"{_NAME}/{_NAME}(?: *; *{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\x00-\x1f\x7f]*\"))*"
)


def _check_media_type(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected a string like 'application/pdf'")
    if len(value) > MEDIA_TYPE_MAX:
        raise Rejection(f"{where}: longer than {MEDIA_TYPE_MAX} characters")
    if not _MEDIA_TYPE_RE.fullmatch(value):
        raise Rejection(
            f"{where}: {value!r} is not a media type of the form type/subtype "
            "(e.g. 'application/pdf' or 'text/plain; charset=utf-8')"
        )


def _check_facts_count(where: str, value: Any) -> None:
    check_count(where, value)
    if value > FACTS_MAX:
        raise Rejection(f"{where}: at most {FACTS_MAX} facts per document")


def _check_chunks(where: str, value: Any) -> None:
    expected = "chunk leaf hashes (64 hex characters)"
    leaves = check_list(where, value, most=MAX_CHUNKS, expected=expected, many="chunks")
    for i, leaf in enumerate(leaves):
        check_hex_digest(f"{where}[{i}]", leaf)


ANCHOR_ARGS: Mapping[str, Arg] = MappingProxyType(
    {
        "sha256": Arg(True, check_hex_digest),
        "size": Arg(True, check_count),
        "title": Arg(False, text_checker(TITLE_MAX)),
        "media_type": Arg(False, _check_media_type),
        "extractor": Arg(False, text_checker(EXTRACTOR_MAX)),
        "facts_root": Arg(False, check_hex_digest),
        "facts_count": Arg(False, _check_facts_count),
        "chunks_root": Arg(False, check_hex_digest),
        "chunks": Arg(False, _check_chunks),
    }
)
_TOGETHER = (("extractor", "facts_root", "facts_count"), ("chunks", "chunks_root"))


def check_anchor_args(args: Any, where: str) -> None:
    """Check anchor ``args``; raise ``Rejection`` naming the first fault."""
    check_fields(args, ANCHOR_ARGS, where)
    for group in _TOGETHER:
        present = [name for name in group if name in args]
        if present and len(present) != len(group):
            missing = ", ".join(name for name in group if name not in args)
            raise Rejection(f"{where}: {', '.join(group)} go together; missing {missing}")
    if "chunks" in args:
        expected = chunks_root([bytes.fromhex(h) for h in args["chunks"]]).hex()
        if args["chunks_root"] != expected:
            raise Rejection(
                f"{where}.chunks_root: is not the Merkle root of the chunks given "
                f"(they give {expected})"
            )
