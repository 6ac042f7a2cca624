"""Transaction results: what each transaction of a block did, and the root that commits
to them in the block header.

A result is a JSON object, hashed as an RFC 9162 leaf of its RFC 8785 bytes::

    {"tx_id": "<hex>", "status": "applied", "writes": [[contract, key, value_hash], ...]}
    {"tx_id": "<hex>", "status": "refused", "code": "<code>", "reason": "<sentence>",
     "writes": [["ledger", "rejected/<tx_id>", value_hash]]}

``writes`` lists every state write the transaction made, in order, each as the
contract, the key and the hex SHA-256 of the value's RFC 8785 bytes (the value hash of
``ledger.state_tree``). ``results_root`` is the RFC 9162 root over a block's results in
log order, so result ``i`` of a block is the one of log index ``first_index + i``.

Promises: ``TxResult.from_dict`` accepts exactly what ``to_dict`` makes; a result's
leaf is a function of its fields alone; ``verify_result`` raises ``ProofError`` unless
the result is the one at ``index`` under ``root``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from ledger.canonical import canonical
from ledger.errors import ValidationError
from ledger.merkle import inclusion_proof, leaf_hash, root, verify_inclusion
from ledger.model.fields import expect_object, get_hex
from ledger.state_write import StateWrite

APPLIED: Literal["applied"] = "applied"
REFUSED: Literal["refused"] = "refused"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_REASON = 2000


@dataclass(frozen=True)
class Written:
    """One state write as a result names it."""

    contract: str
    key: str
    value_hash: str  # hex

    def to_list(self) -> list[str]:
        """``[contract, key, value_hash]``."""
        return [self.contract, self.key, self.value_hash]


@dataclass(frozen=True)
class TxResult:
    """The outcome of one transaction: applied with its writes, or refused with a code
    (a short machine-readable name) and a reason (a sentence)."""

    tx_id: str
    status: Literal["applied", "refused"]
    writes: tuple[Written, ...] = ()
    code: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; what the leaf hashes."""
        out: dict[str, Any] = {
            "tx_id": self.tx_id,
            "status": self.status,
            "writes": [w.to_list() for w in self.writes],
        }
        if self.status == REFUSED:
            out["code"], out["reason"] = self.code, self.reason
        return out

    @classmethod
    def from_dict(cls, obj: Any) -> TxResult:
        """Decode and validate; ``ValidationError`` naming the fault."""
        w = "result"
        if not isinstance(obj, dict):
            raise ValidationError(f"{w}: expected a JSON object")
        status = obj.get("status")
        if status == APPLIED:
            expect_object(obj, w, {"tx_id", "status", "writes"})
            code = reason = None
        elif status == REFUSED:
            expect_object(obj, w, {"tx_id", "status", "writes", "code", "reason"})
            code, reason = obj["code"], obj["reason"]
            if not isinstance(code, str) or not _CODE.fullmatch(code):
                raise ValidationError(f"{w}.code: expected a lowercase code like 'not_custodian'")
            if not isinstance(reason, str) or not 0 < len(reason) <= MAX_REASON:
                raise ValidationError(f"{w}.reason: expected a sentence of 1 to {MAX_REASON}")
        else:
            raise ValidationError(f"{w}.status: expected 'applied' or 'refused'")
        writes = obj["writes"]
        if not isinstance(writes, list):
            raise ValidationError(f"{w}.writes: expected a list")
        return cls(
            tx_id=get_hex(obj, "tx_id", w, 32),
            status=status,
            writes=tuple(_written(item, f"{w}.writes[{i}]") for i, item in enumerate(writes)),
            code=code,
            reason=reason,
        )

    @cached_property
    def encoded(self) -> bytes:
        """The RFC 8785 bytes of ``to_dict()`` (what is stored and hashed), made once."""
        return canonical(self.to_dict())

    def leaf(self) -> bytes:
        """The RFC 9162 leaf hash of this result."""
        return leaf_hash(self.encoded)


def _written(item: Any, where: str) -> Written:
    if (
        not isinstance(item, list)
        or len(item) != 3
        or not all(isinstance(part, str) for part in item)
    ):
        raise ValidationError(f"{where}: expected [contract, key, value_hash]")
    contract, key, value_hash = item
    if not re.fullmatch(r"[0-9a-f]{64}", value_hash):
        raise ValidationError(f"{where}: the value hash is 64 lowercase hex characters")
    return Written(contract, key, value_hash)


def results_root(results: Sequence[TxResult]) -> str:
    """Hex RFC 9162 root over ``results`` in log order (an empty block: SHA-256 of nothing)."""
    return root([r.leaf() for r in results]).hex()


def result_proof(results: Sequence[TxResult], position: int) -> list[bytes]:
    """RFC 9162 inclusion proof of result ``position`` of a block."""
    return inclusion_proof([r.leaf() for r in results], position)


def verify_result(
    result: TxResult, position: int, count: int, proof: Sequence[bytes], root_hex: str
) -> None:
    """That ``result`` is result ``position`` of the ``count`` under ``root_hex``;
    ``ProofError`` otherwise."""
    verify_inclusion(result.leaf(), position, count, list(proof), bytes.fromhex(root_hex))


def applied_results(
    transactions: Sequence[Any], writes: Sequence[StateWrite], first_index: int
) -> tuple[TxResult, ...]:
    """The results of ``transactions`` (signed, at log indexes from ``first_index``) that
    were all applied and made ``writes``: for tools that seal blocks without running the
    contracts (tests of the log, benchmarks). A node's results come from its contracts."""
    by_index: dict[int, list[Written]] = {}
    for w in writes:
        by_index.setdefault(w.log_index, []).append(
            Written(w.contract, w.key, w.value_digest().hex())
        )
    return tuple(
        TxResult(tx.tx_id, APPLIED, tuple(by_index.get(first_index + i, ())))
        for i, tx in enumerate(transactions)
    )
