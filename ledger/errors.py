"""Typed errors of the verifiable core.

Every failure the core can detect has its own class, so callers (the CLI, the node
server, outside verifiers) can tell a malformed object from a bad signature from a
proof that does not check, and print one clear line for each.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error the core raises on purpose."""


class CanonicalError(LedgerError, ValueError):
    """A value cannot be put into canonical (RFC 8785) form: float, out-of-range
    integer, naive datetime, non-string key, or an unsupported type."""


class ValidationError(LedgerError, ValueError):
    """A decoded object breaks the data model: missing or extra field, wrong type,
    wrong length of a hash, bad time string."""


class KeyFileError(LedgerError):
    """A key file is missing, unreadable, malformed, or would be overwritten."""


class SignatureError(LedgerError):
    """A signature does not verify, or its signer is not the one expected."""


class ProofError(LedgerError):
    """An RFC 9162 inclusion or consistency proof does not verify."""


class QuorumError(SignatureError):
    """Fewer than a quorum of distinct, known validators signed."""


class NoteError(LedgerError):
    """A C2SP signed note or checkpoint is malformed or fails its signature policy."""


class ReceiptError(LedgerError):
    """A receipt is malformed or one of its checks fails."""


class StoreError(LedgerError):
    """The store refuses a write that would break the chain, or cannot be opened."""


class NotFoundError(StoreError, LookupError):
    """The store has no object under the requested key."""


class CorruptionError(StoreError):
    """A stored row does not match what it must (a body that does not hash to its id, a
    head that disagrees with its certificate or Merkle frontier): the store is damaged
    and the row is never served as if it were sound."""


class DamagedDatabaseError(CorruptionError):
    """The database file itself is damaged (SQLite: "database disk image is malformed",
    "file is not a database"; PostgreSQL: data or index corrupted): the engine cannot read
    ``table`` (None where the failing statement names no table)."""

    def __init__(self, message: str, table: str | None = None) -> None:
        super().__init__(message)
        self.table = table


class StateProofError(ProofError):
    """A state proof (membership or non-membership in the state tree) does not verify."""


class StateProofFormatError(StateProofError):
    """A state-proof or history document is malformed (not one of the formats, a field
    missing, unknown or of the wrong type): nothing in it could be checked."""
