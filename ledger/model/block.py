"""Blocks: a header that commits to its predecessor and to the whole log so far.

``block_hash`` = SHA-256 of the canonical header. ``prev_hash`` of height 1 is the
chain id (the genesis hash), so every block hash chain starts at genesis.
``tx_root`` is the RFC 9162 root over this block's transaction ids; ``log_size`` and
``log_root`` are those of the ledger-wide log after this block's transactions.
``state_root`` is the root of the state tree (``ledger.state_tree``) after applying this
block, and ``results_root`` the root over its transactions' results (``ledger.results``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical, check_time, sha256
from ledger.errors import ValidationError
from ledger.fault import Fault
from ledger.merkle import leaf_hash, root
from ledger.model.fields import construct, expect_object, get_hex, get_int, get_list
from ledger.model.transaction import SignedTransaction

_HEADER_FIELDS = {
    "chain_id",
    "height",
    "prev_hash",
    "time",
    "proposer",
    "tx_count",
    "tx_root",
    "log_size",
    "log_root",
    "state_root",
    "results_root",
}


@dataclass(frozen=True)
class BlockHeader:
    """What validators sign (through its hash)."""

    chain_id: str
    height: int
    prev_hash: str
    time: str
    proposer: str
    tx_count: int
    tx_root: str
    log_size: int
    log_root: str
    state_root: str
    results_root: str

    def __post_init__(self) -> None:
        BlockHeader.from_dict(self.to_dict())  # validate once, at construction

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; what ``block_hash`` hashes."""
        return {name: getattr(self, name) for name in sorted(_HEADER_FIELDS)}

    @classmethod
    def from_dict(cls, obj: Any) -> BlockHeader:
        """Decode and validate."""
        w = "header"
        expect_object(obj, w, _HEADER_FIELDS)
        header = construct(
            cls,
            {
                "chain_id": get_hex(obj, "chain_id", w, 32),
                "height": get_int(obj, "height", w, minimum=1),
                "prev_hash": get_hex(obj, "prev_hash", w, 32),
                "time": check_time(obj["time"], f"{w}.time"),
                "proposer": get_hex(obj, "proposer", w, 32),
                "tx_count": get_int(obj, "tx_count", w),
                "tx_root": get_hex(obj, "tx_root", w, 32),
                "log_size": get_int(obj, "log_size", w),
                "log_root": get_hex(obj, "log_root", w, 32),
                "state_root": get_hex(obj, "state_root", w, 32),
                "results_root": get_hex(obj, "results_root", w, 32),
            },
        )
        if header.tx_count > header.log_size:
            raise ValidationError(f"{w}: tx_count {header.tx_count} exceeds log_size")
        return header

    @property
    def block_hash(self) -> str:
        """Hex SHA-256 of the canonical header."""
        return sha256(canonical(self.to_dict())).hex()

    @property
    def first_index(self) -> int:
        """Log index of this block's first transaction."""
        return self.log_size - self.tx_count


def tx_root(transactions: list[SignedTransaction]) -> str:
    """RFC 9162 root over the transactions' ids, in block order."""
    return root([leaf_hash(t.tx_id_bytes) for t in transactions]).hex()


@dataclass(frozen=True)
class Block:
    """A header with the transactions it commits."""

    header: BlockHeader
    transactions: tuple[SignedTransaction, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "header": self.header.to_dict(),
            "transactions": [t.to_dict() for t in self.transactions],
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Block:
        """Decode and validate; checks tx_count and tx_root against the transactions."""
        expect_object(obj, "block", {"header", "transactions"})
        header = BlockHeader.from_dict(obj["header"])
        txs = tuple(SignedTransaction.from_dict(t) for t in get_list(obj, "transactions", "block"))
        block = cls(header, txs)
        block.check_body()
        return block

    def body_faults(self) -> list[Fault]:
        """The faults of the body against the header: ``tx_count`` (the number of
        transactions) and ``tx_root`` (their RFC 9162 root); empty when both match."""
        header, count = self.header, len(self.transactions)
        if header.tx_count != count:
            return [
                Fault(
                    "tx_count",
                    f"header says {header.tx_count} transactions, body has {count}",
                    str(header.tx_count),
                    str(count),
                )
            ]
        root = tx_root(list(self.transactions))
        if header.tx_root != root:
            return [Fault("tx_root", "tx_root does not match the body", root, header.tx_root)]
        return []

    def check_body(self) -> None:
        """Raise ``ValidationError`` unless the header's tx_count and tx_root match the body."""
        for fault in self.body_faults():
            raise ValidationError(f"block {self.header.height}: {fault}")
