"""Constrained field types shared by the API's models: the same patterns and ranges the
ledger's decoders enforce (``ledger.canonical``, ``ledger.model.fields``), stated so the
OpenAPI document shows them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_INT = 2**53 - 1
"""The largest integer in signed data (and the largest height or size that can exist)."""

HEX_PATTERN = "^(?:[0-9a-f]{2})*$"
HASH_PATTERN = "^[0-9a-f]{64}$"

TxIdPath = Annotated[
    str, Path(description="transaction id: 64 lowercase hex characters", pattern=HASH_PATTERN)
]
"""A path parameter naming a transaction (or the proposal it made) by its id."""
DigestPath = Annotated[
    str, Path(description="SHA-256: 64 lowercase hex characters", pattern=HASH_PATTERN)
]
"""A path parameter naming a document by its SHA-256."""
NAME_PATTERN = "^[a-z0-9][a-z0-9._-]{0,62}$"
TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?Z$"

Hash = Annotated[str, Field(pattern=HASH_PATTERN, description="32 bytes, lowercase hex")]
TxId = Annotated[
    str, Field(pattern=HASH_PATTERN, description="transaction id: 64 lowercase hex characters")
]
KeyId = Annotated[str, Field(pattern=HASH_PATTERN, description="key id: SHA-256 of a public key")]
Hex = Annotated[str, Field(pattern=HEX_PATTERN, description="bytes as lowercase hex")]
Signature = Annotated[
    str, Field(pattern="^[0-9a-f]{128}$", description="Ed25519 signature, lowercase hex")
]
Name = Annotated[
    str, Field(pattern=NAME_PATTERN, description="1-63 characters of a-z, 0-9, '.', '_', '-'")
]
Time = Annotated[str, Field(pattern=TIME_PATTERN, description="RFC 3339 UTC time")]
Height = Annotated[int, Field(ge=1, le=MAX_INT, description="a block height")]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Round = Annotated[int, Field(ge=0, le=MAX_INT, description="a consensus round")]
