"""The core objects of the ledger as frozen dataclasses with canonical encode/decode.

Each object has ``to_dict()`` (JSON-safe, canonical field names) and
``from_dict(obj)``, which validates strictly and raises ``ValidationError``: no missing,
extra or mistyped fields. ``from_dict(x.to_dict()) == x`` for every valid ``x``.
"""

from ledger.model.block import Block, BlockHeader
from ledger.model.evidence import Equivocation
from ledger.model.genesis import Genesis, Organisation, Validator
from ledger.model.transaction import SignedTransaction, Transaction
from ledger.model.vote import CommitCertificate, Vote, VoteSignature, VoteType

__all__ = [
    "Block",
    "BlockHeader",
    "CommitCertificate",
    "Equivocation",
    "Genesis",
    "Organisation",
    "SignedTransaction",
    "Transaction",
    "Validator",
    "Vote",
    "VoteSignature",
    "VoteType",
]
