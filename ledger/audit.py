"""Audit: re-verify a store from genesis and report the first fault exactly.

For every block, in height order: the header decodes, is a valid successor of the
block before (``ledger.successor``: chain, height, ``prev_hash``, ``log_size``, time,
proposer) and hashes to the stored block hash; its certificate and checkpoint pass
``ledger.certified``; its transactions decode, hash to their stored ids, are signed by
member keys of genesis for this chain, and reproduce ``tx_count`` and ``tx_root``; the
log recomputed from genesis reproduces ``log_root`` and every stored Merkle node; the
row's ``state_root`` column is the header's. Finally no row lies beyond the head.

With a ``Replay`` (the contracts, re-executed over the log from genesis: see
``nodes.audit_replay``), the roster a sender must belong to is the one re-execution
reaches before the block, not one the store holds; each block's ``state_root`` and
``results_root`` must be the ones re-execution gives, with its result rows and state
tree nodes stored as made; and at the end every stored ``state`` and ``history`` row
must be the one re-execution wrote (a changed, missing or extra row is named by its
contract and key). This module runs no contract itself.

A corrupted row is a finding, never a crash: the report names the height, the
transaction's place in its block and in the log, the check, and what differs. So is a
damaged database file (check ``database``): the report names the table the engine could
not read, where the failing statement tells.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar

from ledger.certified import certificate_faults, checkpoint_faults
from ledger.errors import DamagedDatabaseError, LedgerError
from ledger.fault import Fault
from ledger.merkle import leaf_hash
from ledger.merkle_log import Frontier
from ledger.model.block import Block, BlockHeader
from ledger.model.genesis import Genesis, Organisation
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate
from ledger.store.snapshot import Snapshot
from ledger.store.store import Store
from ledger.successor import Tip, link_faults, log_faults

_T = TypeVar("_T")

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
    table: str | None = None
    row: str | None = None
    """The stored row at fault where it is not a block's own: ``state <contract>/<key>``,
    ``history <contract>/<key> @ <log index>``, ``results @ <log index>``,
    ``state_nodes <hash>``."""

    def where(self) -> str:
        """A short 'height H, transaction T (log index L), table X, row R' locator."""
        parts = []
        if self.height is not None:
            parts.append(f"height {self.height}")
        if self.tx_index is not None:
            parts.append(f"transaction {self.tx_index} (log index {self.log_index})")
        elif self.log_index is not None:
            parts.append(f"log index {self.log_index}")
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.row is not None:
            parts.append(self.row)
        return ", ".join(parts) or "store"

    @classmethod
    def damaged(cls, exc: DamagedDatabaseError, height: int | None = None) -> Finding:
        """The finding of a database file the engine cannot read."""
        return cls("database", str(exc), height=height, table=exc.table)


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

    @classmethod
    def of_damage(cls, chain_id: str, exc: DamagedDatabaseError) -> AuditReport:
        """The report on a database file too damaged to be opened or read at all."""
        return cls(chain_id=chain_id, finding=Finding.damaged(exc))


class _Fault(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


MemberLookup = Callable[[int, str], tuple[Organisation, bytes] | None]


class Replay(Protocol):
    """The contracts re-executed block by block alongside the audit (``nodes`` provides
    one; the ledger runs no contract). The audit calls ``members`` for the transactions
    of a block, then ``block`` once they are verified, in height order, then ``finish``
    once after the head."""

    def members(self, sender: str) -> tuple[Organisation, bytes] | None:
        """The organisation and key of member key ``sender`` in the roster in force for
        the next block (re-executed so far), or None."""
        ...

    def block(
        self, snapshot: Snapshot, header: BlockHeader, txs: Sequence[SignedTransaction]
    ) -> Sequence[Fault | Finding]:
        """Execute the block ``header`` heads; the faults of its header's ``state_root``
        and ``results_root`` against that, and of its stored result rows and state
        tree nodes (none: it agrees)."""
        ...

    def finish(self, snapshot: Snapshot) -> Sequence[Fault | Finding]:
        """The faults of the stored ``state``, ``history`` and ``results`` rows against
        the re-executed chain (none: they agree)."""
        ...


def audit_store(
    store: Store,
    genesis: Genesis | None = None,
    progress: Progress | None = None,
    members: MemberLookup | None = None,
    replay: Replay | None = None,
) -> AuditReport:
    """Audit ``store`` against ``genesis`` (default: the genesis the store holds), in one
    consistent snapshot of it. ``members(height, sender)`` names the organisation and
    key of a sender in the block at ``height`` (default: genesis's members only). With
    ``replay``, the contracts are re-executed and checked against the store too, and the
    replay's roster names the members (``members`` is then ignored)."""
    trusted = genesis or store.genesis
    report = AuditReport(chain_id=trusted.chain_id)
    try:
        with store.snapshot() as snapshot:
            lookup = members or (lambda _height, sender: trusted.member(sender))
            if replay is not None:
                lookup = _replayed_members(replay)
            auditor = _Auditor(snapshot, trusted, progress, lookup, report, replay)
            try:
                auditor.run(snapshot.last_height() or 0)
            except _Fault as fault:
                report.finding = fault.finding
    except DamagedDatabaseError as exc:
        report.finding = Finding.damaged(exc)
    return report


def _replayed_members(replay: Replay) -> MemberLookup:
    return lambda _height, sender: replay.members(sender)


class _Auditor:
    PAGE = 500  # blocks read per query

    def __init__(
        self,
        snapshot: Snapshot,
        genesis: Genesis,
        progress: Progress | None,
        members: MemberLookup,
        report: AuditReport,
        replay: Replay | None = None,
    ) -> None:
        self.snap, self.genesis, self.progress, self.members = snapshot, genesis, progress, members
        self.replay = replay
        self.chain_id = genesis.chain_id
        self.validators = genesis.validator_set()
        self.report = report
        self.frontier = Frontier(0, [])
        self.tip = Tip.genesis(self.chain_id)

    def run(self, total: int) -> None:
        self._check_genesis()
        while rows := self.snap.blocks(self.report.blocks, self.PAGE):
            for row in rows:
                self._guarded_block(row)
                if self.progress:
                    self.progress(self.report.blocks, max(total, self.report.blocks))
        self._check_no_extra_rows()
        replay = self.replay
        if replay is not None:
            self._guarded(None, lambda: self._first(None, replay.finish(self.snap)))

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
        self._guarded(self.report.blocks + 1, lambda: self._block(row))

    def _guarded(self, height: int | None, check: Callable[[], None]) -> None:
        """Run ``check``; any unexpected value in a row is a finding, never a crash."""
        try:
            check()
        except _Fault:
            raise
        except DamagedDatabaseError as exc:
            raise _Fault(Finding.damaged(exc, height)) from exc
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
        txs = self._check_transactions(height, header)
        self._check_log(height, header, txs)
        if self.replay is not None:
            self._first(height, self.replay.block(self.snap, header, txs))
        self.tip = Tip.of(header)
        r = self.report
        r.blocks, r.head_height, r.head_hash = height, height, header.block_hash
        r.log_size, r.log_root = header.log_size, header.log_root

    @staticmethod
    def _decode(
        height: int,
        what: str,
        fn: Callable[[], _T],
        tx_index: int | None = None,
        log_index: int | None = None,
    ) -> _T:
        try:
            return fn()
        except (ValueError, TypeError, KeyError, RecursionError, LedgerError) as exc:
            raise _Fault(
                Finding(
                    what,
                    f"{what} is unreadable: {exc}",
                    height=height,
                    tx_index=tx_index,
                    log_index=log_index,
                )
            ) from exc

    @staticmethod
    def _first(height: int | None, faults: Sequence[Fault | Finding]) -> None:
        """Raise the first of ``faults`` (a fault as the finding at ``height``)."""
        for f in faults:
            if isinstance(f, Finding):
                raise _Fault(f)
            raise _Fault(Finding(f.check, f.message, height, None, None, f.expected, f.actual))

    def _check_header(self, height: int, header: BlockHeader, row: dict[str, Any]) -> None:
        self._first(height, link_faults(self.tip, header, self.validators))
        stored_hash = _hex_of(row["block_hash"])
        checks = [
            (
                "block_hash",
                header.block_hash,
                stored_hash,
                "stored block hash is not the hash of the header",
            ),
            ("log_size", str(header.log_size), str(row["log_size"]), "row log_size differs"),
            ("tx_count", str(header.tx_count), str(row["tx_count"]), "row tx_count differs"),
            (
                "state_root",
                header.state_root,
                _hex_of(row["state_root"]),
                "row state_root differs from the header's",
            ),
        ]
        self._first(height, [Fault(c, m, e, a) for c, e, a, m in checks if e != a])

    def _check_certificate(self, height: int, header: BlockHeader, body: str | None) -> None:
        if body is None:
            raise _Fault(Finding("certificate", "block has no commit certificate", height=height))
        cert = self._decode(
            height, "certificate", lambda: CommitCertificate.from_dict(json.loads(body))
        )
        self._first(height, certificate_faults(header, cert, self.validators))

    def _check_checkpoint(self, height: int, header: BlockHeader, note: str | None) -> None:
        if note is None:
            raise _Fault(Finding("checkpoint", "block has no cosigned checkpoint", height=height))
        self._first(height, checkpoint_faults(header, note, self.validators))

    def _check_transactions(self, height: int, header: BlockHeader) -> list[SignedTransaction]:
        rows = self.snap.transactions(header.first_index, header.log_size)
        txs = [
            self._check_transaction(height, row, i, header.first_index + i)
            for i, row in enumerate(rows)
        ]
        self._first(height, Block(header, tuple(txs)).body_faults())
        self.report.transactions += len(txs)
        return txs

    def _check_transaction(
        self, height: int, row: dict[str, Any], tx_index: int, log_index: int
    ) -> SignedTransaction:
        def fault(check: str, message: str, expected: str = "", actual: str = "") -> _Fault:
            return _Fault(
                Finding(
                    check,
                    message,
                    height=height,
                    tx_index=tx_index,
                    log_index=log_index,
                    expected=expected or None,
                    actual=actual or None,
                )
            )

        if row["log_index"] != log_index:
            raise fault(
                "log_index", "log indexes are not contiguous", str(log_index), str(row["log_index"])
            )
        tx = self._decode(
            height,
            "transaction",
            lambda: SignedTransaction.from_dict(json.loads(row["body"])),
            tx_index,
            log_index,
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
        # The frontier's size needs no check of its own: link_faults holds log_size to
        # previous size + tx_count at every height, and the frontier grows by the same.
        made = self.frontier.append(leaf_hash(tx.tx_id_bytes) for tx in txs)
        stored = self.snap.nodes([n for n, _ in made])
        for node, expected in made:
            actual = stored.get(node)
            if actual is None or _hex_of(actual) != expected.hex():
                raise _Fault(
                    Finding(
                        "merkle_node",
                        f"merkle node level {node.level} index {node.position} "
                        + ("is missing" if actual is None else "differs"),
                        height=height,
                        expected=expected.hex(),
                        actual=None if actual is None else _hex_of(actual),
                    )
                )
        self.report.merkle_nodes += len(made)
        self._first(height, log_faults(header, self.frontier.root().hex()))

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
