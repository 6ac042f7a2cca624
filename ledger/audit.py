"""Audit: re-verify a store from genesis and report the first fault exactly.

For every block, in height order: the header decodes, names this chain and the right
height, links to its predecessor, hashes to the stored block hash, and keeps time
moving forward; its certificate holds a quorum of valid validator signatures over that
hash; its checkpoint is cosigned by a quorum and states the header's log head; its
transactions decode, hash to their stored ids, are signed by member keys of genesis
for this chain, and reproduce ``tx_count`` and ``tx_root``; the log recomputed from
genesis reproduces ``log_size``, ``log_root`` and every stored Merkle node. Finally no
row lies beyond the head.

A corrupted row is a finding, never a crash: the report names the height, the
transaction's place in its block and in the log, the check, and what differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ledger.canonical import parse_time
from ledger.checkpoint import verify_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import leaf_hash
from ledger.merkle_log import Frontier
from ledger.model.block import BlockHeader, tx_root
from ledger.model.genesis import Genesis, Organisation
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate
from ledger.store.snapshot import Snapshot
from ledger.store.store import Store

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Finding:
    """The first fault found: where it is and what differs."""

    check: str
    message: str
    height: int | None = None
    tx_index: int | None = None
    log_index: int | None = None
    expected: str | None = None
    actual: str | None = None

    def where(self) -> str:
        """A short 'height H, transaction T (log index L)' locator."""
        parts = []
        if self.height is not None:
            parts.append(f"height {self.height}")
        if self.tx_index is not None:
            parts.append(f"transaction {self.tx_index} (log index {self.log_index})")
        return ", ".join(parts) or "store"


@dataclass
class AuditReport:
    """The outcome of an audit."""

    chain_id: str
    blocks: int = 0
    transactions: int = 0
    merkle_nodes: int = 0
    head_height: int = 0
    head_hash: str | None = None
    log_size: int = 0
    log_root: str | None = None
    finding: Finding | None = field(default=None)

    @property
    def ok(self) -> bool:
        """True when no fault was found."""
        return self.finding is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {**asdict(self), "ok": self.ok}


class _Fault(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


MemberLookup = Callable[[int, str], tuple[Organisation, bytes] | None]


def audit_store(
    store: Store,
    genesis: Genesis | None = None,
    progress: Progress | None = None,
    members: MemberLookup | None = None,
) -> AuditReport:
    """Audit ``store`` against ``genesis`` (default: the genesis the store holds), in one
    consistent snapshot of it. ``members(height, sender)`` names the organisation and
    key of a sender in the block at ``height`` (default: genesis's members only; a chain
    whose roster changed passes the roster's history)."""
    total = store.height()
    trusted = genesis or store.genesis
    with store.snapshot() as snapshot:
        lookup = members or (lambda _height, sender: trusted.member(sender))
        auditor = _Auditor(snapshot, trusted, progress, lookup)
        try:
            auditor.run(total)
        except _Fault as fault:
            auditor.report.finding = fault.finding
    return auditor.report


class _Auditor:
    PAGE = 500  # blocks read per query

    def __init__(
        self,
        snapshot: Snapshot,
        genesis: Genesis,
        progress: Progress | None,
        members: MemberLookup,
    ) -> None:
        self.snap, self.genesis, self.progress, self.members = snapshot, genesis, progress, members
        self.chain_id = genesis.chain_id
        self.validators = genesis.validator_set()
        self.report = AuditReport(chain_id=self.chain_id)
        self.frontier = Frontier(0, [])
        self.prev: BlockHeader | None = None

    def run(self, total: int) -> None:
        self._check_genesis()
        while rows := self.snap.blocks(self.report.blocks, self.PAGE):
            for row in rows:
                self._guarded_block(row)
                if self.progress:
                    self.progress(self.report.blocks, max(total, self.report.blocks))
        self._check_no_extra_rows()

    def _check_genesis(self) -> None:
        meta = self.snap.meta()
        if meta.get("chain_id") != self.chain_id:
            raise _Fault(
                Finding(
                    "genesis",
                    "meta.chain_id is not the trusted chain id",
                    expected=self.chain_id,
                    actual=str(meta.get("chain_id")),
                )
            )
        try:
            stored = Genesis.from_dict(json.loads(meta["genesis"])).chain_id
        except (KeyError, TypeError, ValueError, RecursionError, LedgerError) as exc:
            raise _Fault(Finding("genesis", f"the stored genesis is unreadable: {exc}")) from exc
        if stored != self.chain_id:
            raise _Fault(
                Finding(
                    "genesis",
                    "the store holds a different genesis",
                    expected=self.chain_id,
                    actual=stored,
                )
            )

    def _guarded_block(self, row: dict[str, Any]) -> None:
        """Check one block; any unexpected value in a row is a finding, never a crash."""
        height = self.report.blocks + 1
        try:
            self._block(row)
        except _Fault:
            raise
        except Exception as exc:  # a corrupted row can hold anything: report, don't crash
            raise _Fault(
                Finding(
                    "unreadable",
                    f"a row holds an unexpected value ({type(exc).__name__}: {exc})",
                    height=height,
                )
            ) from exc

    def _block(self, row: dict[str, Any]) -> None:
        height = self.report.blocks + 1
        if row["height"] != height:
            raise _Fault(
                Finding(
                    "height",
                    "blocks are not contiguous",
                    height=height,
                    expected=str(height),
                    actual=str(row["height"]),
                )
            )
        header = self._decode(
            height, "header", lambda: BlockHeader.from_dict(json.loads(row["header"]))
        )
        self._check_header(height, header, row)
        self._check_certificate(height, header, row["certificate"])
        self._check_checkpoint(height, header, row["checkpoint"])
        self._check_log(height, header, self._check_transactions(height, header))
        self.prev = header
        r = self.report
        r.blocks, r.head_height, r.head_hash = height, height, header.block_hash
        r.log_size, r.log_root = header.log_size, header.log_root

    @staticmethod
    def _decode(height: int, what: str, fn: Callable[[], Any], **where: int) -> Any:
        try:
            return fn()
        except (ValueError, TypeError, KeyError, RecursionError, LedgerError) as exc:
            raise _Fault(
                Finding(what, f"{what} is unreadable: {exc}", height=height, **where)
            ) from exc

    def _check_header(self, height: int, header: BlockHeader, row: dict[str, Any]) -> None:
        prev_hash = self.prev.block_hash if self.prev else self.chain_id
        stored_hash = _hex_of(row["block_hash"])
        checks = [
            ("chain_id", self.chain_id, header.chain_id, "header names another chain"),
            ("height", str(height), str(header.height), "header height differs from its row"),
            ("prev_hash", prev_hash, header.prev_hash, "header does not link to the block before"),
            (
                "block_hash",
                header.block_hash,
                stored_hash,
                "stored block hash is not the hash of the header",
            ),
            ("log_size", str(header.log_size), str(row["log_size"]), "row log_size differs"),
            ("tx_count", str(header.tx_count), str(row["tx_count"]), "row tx_count differs"),
            (
                "log_size",
                str((self.prev.log_size if self.prev else 0) + header.tx_count),
                str(header.log_size),
                "log_size is not previous size + tx_count",
            ),
        ]
        for check, expected, actual, message in checks:
            if expected != actual:
                raise _Fault(
                    Finding(check, message, height=height, expected=expected, actual=actual)
                )
        if header.proposer not in self.validators.keys:
            raise _Fault(
                Finding(
                    "proposer",
                    "the proposer is not a genesis validator",
                    height=height,
                    actual=header.proposer,
                )
            )
        if self.prev is not None and parse_time(header.time) < parse_time(self.prev.time):
            raise _Fault(
                Finding(
                    "time",
                    "block time goes backwards",
                    height=height,
                    expected=f">= {self.prev.time}",
                    actual=header.time,
                )
            )

    def _check_certificate(self, height: int, header: BlockHeader, body: str | None) -> None:
        if body is None:
            raise _Fault(Finding("certificate", "block has no commit certificate", height=height))
        cert = self._decode(
            height, "certificate", lambda: CommitCertificate.from_dict(json.loads(body))
        )
        try:
            cert.verify(
                self.validators, chain_id=self.chain_id, height=height, block_hash=header.block_hash
            )
        except LedgerError as exc:
            raise _Fault(Finding("certificate", str(exc), height=height)) from exc

    def _check_checkpoint(self, height: int, header: BlockHeader, note: str | None) -> None:
        if note is None:
            raise _Fault(Finding("checkpoint", "block has no cosigned checkpoint", height=height))
        try:
            cp, _ = verify_checkpoint(note, self.validators, self.chain_id)
        except LedgerError as exc:
            raise _Fault(Finding("checkpoint", str(exc), height=height)) from exc
        got = (cp.size, cp.root.hex(), cp.height, cp.block_hash)
        want = (header.log_size, header.log_root, height, header.block_hash)
        if got != want:
            raise _Fault(
                Finding(
                    "checkpoint",
                    "checkpoint does not state this block's head",
                    height=height,
                    expected=str(want),
                    actual=str(got),
                )
            )

    def _check_transactions(self, height: int, header: BlockHeader) -> list[SignedTransaction]:
        rows = self.snap.transactions(header.first_index, header.log_size)
        if len(rows) != header.tx_count:
            raise _Fault(
                Finding(
                    "tx_count",
                    "stored transactions differ from tx_count",
                    height=height,
                    expected=str(header.tx_count),
                    actual=str(len(rows)),
                )
            )
        txs = []
        for i, row in enumerate(rows):
            where = {"tx_index": i, "log_index": header.first_index + i}
            txs.append(self._check_transaction(height, row, where))
        root = tx_root(txs)
        if root != header.tx_root:
            raise _Fault(
                Finding(
                    "tx_root",
                    "transactions do not hash to tx_root",
                    height=height,
                    expected=header.tx_root,
                    actual=root,
                )
            )
        self.report.transactions += len(txs)
        return txs

    def _check_transaction(
        self, height: int, row: dict[str, Any], where: dict[str, int]
    ) -> SignedTransaction:
        def fault(check: str, message: str, expected: str = "", actual: str = "") -> _Fault:
            return _Fault(
                Finding(
                    check,
                    message,
                    height=height,
                    expected=expected or None,
                    actual=actual or None,
                    **where,
                )
            )

        if row["log_index"] != where["log_index"]:
            raise fault(
                "log_index",
                "log indexes are not contiguous",
                str(where["log_index"]),
                str(row["log_index"]),
            )
        tx = self._decode(
            height,
            "transaction",
            lambda: SignedTransaction.from_dict(json.loads(row["body"])),
            **where,
        )
        stored_id = _hex_of(row["tx_id"])
        if tx.tx_id != stored_id:
            raise fault("tx_id", "transaction does not hash to its stored id", tx.tx_id, stored_id)
        if row["height"] != height:
            raise fault(
                "height", "transaction row names another height", str(height), str(row["height"])
            )
        if tx.tx.chain_id != self.chain_id:
            raise fault(
                "chain_id", "transaction is for another chain", self.chain_id, tx.tx.chain_id
            )
        member = self.members(height, tx.tx.sender)
        if member is None:
            raise fault("sender", "sender is not a member key of the roster", actual=tx.tx.sender)
        try:
            tx.verify_signature(member[1])
        except LedgerError as exc:
            raise fault("signature", f"transaction signature: {exc}") from exc
        columns = (row["contract"], row["action"], row["sender"])
        body = (tx.tx.contract, tx.tx.action, tx.tx.sender)
        if columns != body:
            raise fault(
                "columns", "index columns differ from the transaction body", str(body), str(columns)
            )
        return tx

    def _check_log(self, height: int, header: BlockHeader, txs: list[SignedTransaction]) -> None:
        # The frontier's size needs no check of its own: _check_header holds log_size to
        # previous size + tx_count at every height, and the frontier grows by the same.
        made = self.frontier.append(leaf_hash(tx.tx_id_bytes) for tx in txs)
        stored = self.snap.nodes([n for n, _ in made])
        for node, expected in made:
            actual = stored.get(node)
            if actual is None or _hex_of(actual) != expected.hex():
                raise _Fault(
                    Finding(
                        "merkle_node",
                        f"merkle node level {node.level} index {node.index} "
                        + ("is missing" if actual is None else "differs"),
                        height=height,
                        expected=expected.hex(),
                        actual=None if actual is None else _hex_of(actual),
                    )
                )
        self.report.merkle_nodes += len(made)
        root = self.frontier.root().hex()
        if root != header.log_root:
            raise _Fault(
                Finding(
                    "log_root",
                    "log recomputed from genesis has another root",
                    height=height,
                    expected=root,
                    actual=header.log_root,
                )
            )

    def _check_no_extra_rows(self) -> None:
        counts = self.snap.count_rows()
        r = self.report
        for name, want in (
            ("blocks", r.blocks),
            ("certificates", r.blocks),
            ("checkpoints", r.blocks),
            ("transactions", r.transactions),
            ("merkle_nodes", r.merkle_nodes),
        ):
            if counts[name] != want:
                raise _Fault(
                    Finding(
                        "rows",
                        f"{name} table has rows beyond the head",
                        expected=str(want),
                        actual=str(counts[name]),
                    )
                )


def _hex_of(value: Any) -> str:
    """Hex of a stored hash; a value of another type is shown as it is, so that it
    compares unequal and is reported, not crashed on."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return repr(value)
