"""Evidence queries (facts, fact proofs, depositors, similar documents) and membership
(the roster, proposals, the trust file)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ledger.chunks import MAX_CHUNKS
from nodes.server.models.base import Answer, Record
from nodes.server.models.blocks import Receipt
from nodes.server.models.fields import Count, Hash, Name, TxId
from nodes.server.models.state import Anchor, StateProof


class Facts(Answer):
    """The published facts of an anchored document."""

    sha256: Hash
    extractor: Any
    facts_root: Hash
    facts_count: Count
    published_by: TxId = Field(description="the transaction that published the facts")
    facts: list[dict[str, Any]]


class FactProof(Answer):
    """A fact with its Merkle proof to the anchor's facts root, and the anchor's receipt."""

    format: str
    fact: dict[str, Any]
    index: Count
    count: Count
    proof: list[Hash]
    receipt: Receipt


class Deposits(Answer):
    """Documents an organisation anchored, one page; ``next`` continues it (null: last)."""

    organisation: Name
    documents: list[Anchor]
    next: Hash | None


class SimilarQuery(Answer):
    """A copy of a document: its title and/or the chunk leaves of its content (a title
    holding a lone surrogate is not text, and refused)."""

    title: str | None = Field(None, min_length=1, max_length=512)
    chunks: list[Hash] = Field(default_factory=list, max_length=MAX_CHUNKS)


class Candidate(Answer):
    """An anchored document resembling the copy."""

    sha256: Hash
    same_title: bool
    shared_chunks: Count
    anchored_chunks: Count
    anchor: Anchor


class Similar(Answer):
    """Up to five candidates, most shared chunks first."""

    candidates: list[Candidate]


class Organisation(Answer):
    """A member organisation: its roles and client keys."""

    name: Name
    roles: list[Name]
    keys: list[Hash] = Field(description="Ed25519 public keys, hex")


class Members(Answer):
    """The roster as of the head."""

    height: Count
    version: Count
    organisations: list[Organisation]
    retired: list[str]
    proof: StateProof | None = Field(
        None, description="The roster entry proven at the head (with `?proof=true`)"
    )


class MembershipProposal(Record):
    """A membership proposal as the contract stores it, and whether it can still pass."""

    status: str
    base_version: Count
    stale: bool = Field(description="open but made against an older roster: it cannot pass")


class TrustedValidator(Answer):
    """A validator as an offline verifier pins it."""

    name: Name
    key_id: Hash
    public_key: Hash
    note_key: str


class TrustFile(Answer):
    """trust.json: what an offline verifier needs."""

    format: str
    chain_id: Hash
    chain_name: str
    quorum: Count
    validators: list[TrustedValidator]
    organisations: list[Organisation]
