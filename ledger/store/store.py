"""One node's copy of the chain: the single store API over SQLite or PostgreSQL.

Promises:
- ``append_block`` is one database transaction: the block, its certificate, its
  cosigned checkpoint, its transactions, the new Merkle nodes and the state writes are
  all stored, or none is. It refuses (``StoreError``) a block that is not a valid
  successor of the head (``ledger.successor``: chain, height, ``prev_hash``, time,
  proposer, body, ``log_size`` and ``log_root``) or whose certificate or checkpoint fails
  ``ledger.certified``. Transaction signatures are the caller's to check (at admission);
  ``ledger.audit`` re-checks everything.
- A stored transaction is served (by id, in a block, in a receipt) only if its body
  decodes and hashes to its stored id; otherwise ``CorruptionError``, never the row.
  A database file too damaged to read raises ``DamagedDatabaseError`` (a
  ``CorruptionError``), never a driver error.
- ``check_integrity`` raises ``CorruptionError`` naming the fault when the head block,
  its certificate and checkpoint and the Merkle frontier disagree (run at start).
- Roots and proofs at any size read O(log n) rows and never rehash the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ledger.canonical import canonical
from ledger.certified import certificate_faults, checkpoint_faults
from ledger.checkpoint import verify_checkpoint
from ledger.errors import CorruptionError, LedgerError, NotFoundError, StoreError
from ledger.fault import Fault
from ledger.merkle import leaf_hash
from ledger.model.block import Block, BlockHeader, tx_root
from ledger.model.genesis import Genesis
from ledger.model.transaction import SignedTransaction
from ledger.model.vote import CommitCertificate
from ledger.receipt import build_receipt
from ledger.results import TxResult
from ledger.state_tree import state_key
from ledger.state_write import StateWrite as StateWrite  # re-exported: the store keeps them
from ledger.store import schema as t
from ledger.store.bulk import insert_rows
from ledger.store.engine import open_engine
from ledger.store.integrity import integrity_faults
from ledger.store.log_table import StoredLog, write_nodes
from ledger.store.outcomes import Outcomes, root_id
from ledger.store.snapshot import Snapshot
from ledger.store.state_nodes import (
    NodeSource,
    TreeUpdate,
    store_update,
)
from ledger.store.state_reads import ProvenEntry, block_results, proven_entry
from ledger.store.state_table import (
    read_history,
    read_many,
    read_prefix,
    read_value,
    write_state,
)
from ledger.successor import Tip, outcome_faults, successor_faults
from ledger.tree_ranges import NodeId


@dataclass(frozen=True)
class TxLocation:
    """Where a committed transaction stands."""

    log_index: int
    height: int


def _text(obj: Any) -> str:
    return canonical(obj).decode("utf-8")


_T = TypeVar("_T")


class Store:
    """A node's store, bound to one chain (its genesis is stored in ``meta``)."""

    def __init__(self, engine: Engine, genesis: Genesis) -> None:
        self.engine = engine
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.validators = genesis.validator_set()
        self._outcomes = Outcomes()

    # ---- opening -------------------------------------------------------------

    @classmethod
    def create(cls, location: str, genesis: Genesis) -> Store:
        """Open ``location`` for ``genesis``, creating tables on first use.

        Raises ``StoreError`` if the database already holds another chain.
        """
        engine = open_engine(location)
        with _opening(engine, location):
            if inspect(engine).has_table("meta"):
                _check_schema(engine, location)
            t.metadata.create_all(engine)
            with _write(engine) as conn:
                have = dict(conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
                if not have:
                    conn.execute(
                        t.meta.insert(),
                        [
                            {"key": "schema_version", "value": t.SCHEMA_VERSION},
                            {"key": "chain_id", "value": genesis.chain_id},
                            {"key": "genesis", "value": _text(genesis.to_dict())},
                        ],
                    )
                elif have.get("chain_id") != genesis.chain_id:
                    raise StoreError(
                        f"{location}: holds chain {str(have.get('chain_id'))[:16]}…, "
                        f"not {genesis.chain_id[:16]}…"
                    )
        return cls(engine, genesis)

    @classmethod
    def open(cls, location: str, genesis: Genesis | None = None) -> Store:
        """Open an existing store (never creating one); raise ``StoreError`` if it is not
        one. With ``genesis`` the store is bound to that trusted genesis and the one it
        holds is not read (the audit compares them)."""
        engine = open_engine(location, must_exist=True)
        with _opening(engine, location):
            if not inspect(engine).has_table("meta"):
                raise StoreError(f"{location}: not a provledger store (no meta table)")
            _check_schema(engine, location)
            if genesis is not None:
                return cls(engine, genesis)
            with engine.connect() as conn:
                text = conn.execute(
                    select(t.meta.c.value).where(t.meta.c.key == "genesis")
                ).scalar()
            if text is None:
                raise StoreError(f"{location}: store has no genesis")
            try:
                genesis = Genesis.from_dict(json.loads(text))
            except (ValueError, LedgerError) as exc:
                raise StoreError(f"{location}: stored genesis is unreadable ({exc})") from exc
        return cls(engine, genesis)

    def check_integrity(self) -> None:
        """Raise ``CorruptionError`` naming the first fault if the head block, its
        certificate and checkpoint and the stored Merkle frontier disagree
        (``ledger.store.integrity``); a node checks this before it serves or votes."""
        with self.snapshot() as snap:
            faults = integrity_faults(snap, self.validators)
        for f in faults:
            shown = f" (expected {f.expected}, found {f.actual})" if f.expected or f.actual else ""
            raise CorruptionError(
                f"{self.engine.url.render_as_string(hide_password=True)}: the stored head "
                f"fails its {f.check} check: {f.message}{shown}; {_AUDIT}"
            )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the head ------------------------------------------------------------

    def height(self) -> int:
        """Height of the last stored block (0 before the first)."""
        with self.engine.connect() as conn:
            return _tip(conn, self.chain_id).height

    def head(self) -> BlockHeader | None:
        """Header of the last stored block, if any."""
        h = self.height()
        return self.header(h) if h else None

    def log_size(self) -> int:
        """Number of committed transactions (leaves of the log)."""
        with self.engine.connect() as conn:
            return _tip(conn, self.chain_id).log_size

    # ---- writing -------------------------------------------------------------

    def next_header(
        self,
        transactions: Sequence[SignedTransaction],
        time: str,
        proposer: str,
        *,
        writes: Sequence[StateWrite] = (),
        results: Sequence[TxResult] = (),
    ) -> BlockHeader:
        """The header of a block of ``transactions`` that would extend the current head,
        given what executing them gives (``writes``, ``results``): computes the new log
        root and state root in memory; writes nothing."""
        with self.engine.connect() as conn:
            head = _tip(conn, self.chain_id)
            frontier = StoredLog(conn).frontier(head.log_size)
            state = self._outcomes.state_after(
                conn, bytes.fromhex(head.state_root), head.height, writes
            )
        frontier.append(leaf_hash(tx.tx_id_bytes) for tx in transactions)
        return BlockHeader(
            chain_id=self.chain_id,
            height=head.height + 1,
            prev_hash=head.block_hash,
            time=time,
            proposer=proposer,
            tx_count=len(transactions),
            tx_root=tx_root(list(transactions)),
            log_size=frontier.size,
            log_root=frontier.root().hex(),
            state_root=state.root.hex(),
            results_root=self._outcomes.results_root(results),
        )

    def append_block(
        self,
        block: Block,
        certificate: CommitCertificate,
        checkpoint: str,
        *,
        writes: Sequence[StateWrite] = (),
        results: Sequence[TxResult] = (),
    ) -> None:
        """Store ``block`` with its certificate and cosigned checkpoint as the new head,
        with the state ``writes`` and ``results`` executing it gave, atomically; see the
        module promises."""
        header = block.header
        _refuse(
            f"block {header.height}",
            certificate_faults(header, certificate, self.validators)
            + checkpoint_faults(header, checkpoint, self.validators),
        )
        try:
            with _write(self.engine) as conn:
                self._append(conn, block, certificate, checkpoint, writes, results)
        except IntegrityError as exc:
            raise StoreError(f"block {header.height} refused: duplicate row ({exc.orig})") from exc

    def _append(
        self,
        conn: Connection,
        block: Block,
        certificate: CommitCertificate,
        checkpoint: str,
        writes: Sequence[StateWrite],
        results: Sequence[TxResult],
    ) -> None:
        header = block.header
        faults, nodes, state = self._successor(conn, block, writes, results)
        _refuse(f"block {header.height}", faults)
        write_nodes(conn, nodes)
        root_id = store_update(conn, state, self._outcomes.nodes)
        size = header.first_index
        conn.execute(
            t.blocks.insert(),
            {
                "height": header.height,
                "block_hash": bytes.fromhex(header.block_hash),
                "header": _text(header.to_dict()),
                "time": header.time,
                "tx_count": header.tx_count,
                "log_size": header.log_size,
                "state_root": bytes.fromhex(header.state_root),
                "state_root_id": root_id,
            },
        )
        conn.execute(
            t.certificates.insert(), {"height": header.height, "body": _text(certificate.to_dict())}
        )
        conn.execute(t.checkpoints.insert(), {"height": header.height, "note": checkpoint})
        insert_rows(
            conn,
            t.transactions,
            ("log_index", "tx_id", "height", "body", "contract", "action", "sender"),
            [
                (
                    size + i,
                    tx.tx_id_bytes,
                    header.height,
                    tx.canonical_bytes().decode("utf-8"),
                    tx.tx.contract,
                    tx.tx.action,
                    tx.tx.sender,
                )
                for i, tx in enumerate(block.transactions)
            ],
        )
        write_state(conn, header, writes)
        insert_rows(
            conn,
            t.results,
            ("log_index", "body"),
            [(size + i, r.encoded.decode("utf-8")) for i, r in enumerate(results)],
        )

    def successor_faults(
        self,
        block: Block,
        *,
        writes: Sequence[StateWrite] = (),
        results: Sequence[TxResult] | None = (),
    ) -> list[Fault]:
        """The faults of ``block`` as the next block of this store, executed to
        ``writes`` and ``results`` (``ledger.successor``): what ``append_block``
        refuses, bar the certificate and checkpoint. With ``results=None``, only the
        faults that need no execution (link, body, log). Writes nothing."""
        with self.engine.connect() as conn:
            return self._successor(conn, block, writes, results)[0]

    def outcome_faults(
        self, block: Block, *, writes: Sequence[StateWrite], results: Sequence[TxResult]
    ) -> list[Fault]:
        """The faults of ``block``'s ``state_root`` and ``results_root`` against what
        executing it gave (``writes``, ``results``) on this store's head: the part of
        ``successor_faults`` that needs execution. Writes nothing."""
        with self.engine.connect() as conn:
            tip = _tip(conn, self.chain_id)
            state = self._outcomes.state_after(
                conn, bytes.fromhex(tip.state_root), tip.height, writes
            )
        return outcome_faults(
            block, results, state.root.hex(), self._outcomes.results_root(results)
        )

    def _successor(
        self,
        conn: Connection,
        block: Block,
        writes: Sequence[StateWrite],
        results: Sequence[TxResult] | None,
    ) -> tuple[list[Fault], list[tuple[NodeId, bytes]], TreeUpdate]:
        """The faults of ``block`` as the head's successor, the Merkle nodes its
        transactions complete and the state nodes its writes make (to store if there
        are no faults)."""
        tip = _tip(conn, self.chain_id)
        frontier = StoredLog(conn).frontier(tip.log_size)
        nodes = frontier.append(leaf_hash(tx.tx_id_bytes) for tx in block.transactions)
        faults = successor_faults(tip, block, self.validators, frontier.root().hex())
        if results is None:
            return faults, nodes, TreeUpdate(bytes.fromhex(tip.state_root))
        state = self._outcomes.state_after(conn, bytes.fromhex(tip.state_root), tip.height, writes)
        faults += outcome_faults(
            block, results, state.root.hex(), self._outcomes.results_root(results)
        )
        return faults, nodes, state

    def put_checkpoint(self, height: int, note: str) -> None:
        """Replace the checkpoint of ``height`` with one that carries at least as many
        validator signatures (as later cosignatures arrive); refuse anything else."""
        header = self.header(height)
        _refuse(f"checkpoint for block {height}", checkpoint_faults(header, note, self.validators))
        try:
            _, signers = verify_checkpoint(note, self.validators, self.chain_id)
            _, before = verify_checkpoint(self.checkpoint(height), self.validators, self.chain_id)
        except LedgerError as exc:
            raise StoreError(f"checkpoint for block {height} refused: {exc}") from exc
        if len(signers) < len(before):
            raise StoreError(
                f"checkpoint for block {height} refused: {len(signers)} signatures, "
                f"the stored one has {len(before)}"
            )
        with _write(self.engine) as conn:
            conn.execute(t.checkpoints.delete().where(t.checkpoints.c.height == height))
            conn.execute(t.checkpoints.insert(), {"height": height, "note": note})

    # ---- reading -------------------------------------------------------------

    def header(self, height: int) -> BlockHeader:
        """The header at ``height``; ``NotFoundError`` if none; ``CorruptionError`` if it
        does not hash to the block hash stored beside it."""
        with self.engine.connect() as conn:
            return self._header_on(conn, height)

    def _header_on(self, conn: Connection, height: int) -> BlockHeader:
        row = conn.execute(
            select(t.blocks.c.header, t.blocks.c.block_hash).where(t.blocks.c.height == height)
        ).first()
        if row is None:
            raise NotFoundError(f"no block at {height}")
        what = f"header of block {height}"
        header = _decoded(what, lambda: BlockHeader.from_dict(json.loads(row.header)))
        stored = row.block_hash
        if not isinstance(stored, bytes | memoryview) or header.block_hash != bytes(stored).hex():
            raise CorruptionError(f"{what} does not hash to its stored block hash; {_AUDIT}")
        return header

    def block(self, height: int) -> Block:
        """The block at ``height`` with its transactions, in log order; ``CorruptionError``
        if a transaction's body does not hash to its stored id."""
        header = self.header(height)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.transactions.c.tx_id, t.transactions.c.body)
                .where(t.transactions.c.height == height)
                .order_by(t.transactions.c.log_index)
            ).all()
        return Block(header, tuple(_served(bytes(r.tx_id), r.body) for r in rows))

    def certificate(self, height: int) -> CommitCertificate:
        """The commit certificate of the block at ``height``."""
        body = self._one(t.certificates.c.body, t.certificates.c.height, height, "certificate")
        return _decoded(
            f"certificate of block {height}", lambda: CommitCertificate.from_dict(json.loads(body))
        )

    def checkpoint(self, height: int) -> str:
        """The cosigned checkpoint note of the block at ``height``."""
        note = self._one(t.checkpoints.c.note, t.checkpoints.c.height, height, "checkpoint")
        if not isinstance(note, str):
            raise CorruptionError(f"checkpoint of block {height} is not text; {_AUDIT}")
        return note

    def _committed(self, tx_id: str) -> tuple[TxLocation, SignedTransaction]:
        """Location and body of a committed transaction, in one query; the body is
        checked to hash to ``tx_id`` (``CorruptionError`` if not)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    t.transactions.c.log_index, t.transactions.c.height, t.transactions.c.body
                ).where(t.transactions.c.tx_id == bytes.fromhex(tx_id))
            ).first()
        if row is None:
            raise NotFoundError(f"transaction {tx_id[:16]}… is not committed")
        return TxLocation(row.log_index, row.height), _served(bytes.fromhex(tx_id), row.body)

    def locate(self, tx_id: str) -> TxLocation:
        """Log index and height of a committed transaction; ``NotFoundError`` if none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.transactions.c.log_index, t.transactions.c.height).where(
                    t.transactions.c.tx_id == bytes.fromhex(tx_id)
                )
            ).first()
        if row is None:
            raise NotFoundError(f"transaction {tx_id[:16]}… is not committed")
        return TxLocation(row.log_index, row.height)

    def transaction(self, tx_id: str) -> SignedTransaction:
        """A committed transaction by id; ``CorruptionError`` if its stored body does not
        hash to ``tx_id``."""
        return self._committed(tx_id)[1]

    def committed_among(self, tx_ids: Sequence[bytes]) -> set[bytes]:
        """Those of ``tx_ids`` (32-byte ids) that are committed, in one query per 500."""
        found: set[bytes] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(tx_ids), 500):
                chunk = list(tx_ids[start : start + 500])
                found.update(
                    conn.execute(
                        select(t.transactions.c.tx_id).where(t.transactions.c.tx_id.in_(chunk))
                    ).scalars()
                )
        return {bytes(x) for x in found}

    def tx_ids_at(self, height: int) -> list[str]:
        """Ids (hex) of the transactions block ``height`` committed, in log order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.transactions.c.tx_id)
                .where(t.transactions.c.height == height)
                .order_by(t.transactions.c.log_index)
            ).scalars()
            return [bytes(x).hex() for x in rows]

    def tx_ids_at_indexes(self, indexes: Sequence[int]) -> list[str]:
        """Ids (hex) of the committed transactions at log ``indexes``, in log order."""
        found: list[str] = []
        with self.engine.connect() as conn:
            for start in range(0, len(indexes), 500):
                rows = conn.execute(
                    select(t.transactions.c.tx_id)
                    .where(t.transactions.c.log_index.in_(list(indexes[start : start + 500])))
                    .order_by(t.transactions.c.log_index)
                ).scalars()
                found.extend(bytes(x).hex() for x in rows)
        return found

    def transactions_by_sender(self, sender: str, limit: int = 100) -> list[TxLocation]:
        """Where the latest ``limit`` transactions of member key ``sender`` stand."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.transactions.c.log_index, t.transactions.c.height)
                .where(t.transactions.c.sender == sender)
                .order_by(t.transactions.c.log_index.desc())
                .limit(limit)
            )
            return [TxLocation(r.log_index, r.height) for r in rows]

    def _one(self, column: Any, key_column: Any, key: Any, what: str) -> Any:
        with self.engine.connect() as conn:
            value = conn.execute(select(column).where(key_column == key)).scalar()
        if value is None:
            raise NotFoundError(f"no {what} at {key}")
        return value

    # ---- the log -------------------------------------------------------------

    def root(self, size: int | None = None) -> bytes:
        """Log root at ``size`` (default: now)."""
        with self.engine.connect() as conn:
            size = self._bounded(conn, size)
            return StoredLog(conn).root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` at ``size`` (default: now)."""
        with self.engine.connect() as conn:
            size = self._bounded(conn, size)
            return StoredLog(conn).inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``size`` (default: now)."""
        with self.engine.connect() as conn:
            size = self._bounded(conn, size)
            return StoredLog(conn).consistency_proof(old_size, size)

    def _bounded(self, conn: Connection, size: int | None) -> int:
        """``size``, or the current log size when None; ``NotFoundError`` beyond it."""
        have = _tip(conn, self.chain_id).log_size
        if size is None:
            return have
        if not 0 <= size <= have:
            raise NotFoundError(f"log size {size} is beyond the committed {have}")
        return size

    def receipt(self, tx_id: str) -> dict[str, Any]:
        """A receipt for a committed transaction, anchored at the block that committed it,
        with the transaction's result and its proof under the header's results root."""
        from ledger.results import result_proof  # here: only this method is ours to edit

        where, entry = self._committed(tx_id)
        header = self.header(where.height)
        proof = self.inclusion_proof(where.log_index, header.log_size)
        results = self.results(where.height)
        position = where.log_index - header.first_index
        return build_receipt(
            entry,
            where.log_index,
            proof,
            self.checkpoint(where.height),
            header,
            self.certificate(where.height),
            results[position],
            result_proof(results, position),
        )

    def ids_with_prefix(self, kind: str, prefix: str, limit: int = 10) -> list[str]:
        """At most ``limit`` stored ids of ``kind`` (``"tx"``: transaction ids, ``"block"``:
        block hashes) whose lowercase hex starts with ``prefix`` (1 to 64 lowercase hex
        digits), in ascending order; one range read of the id's unique index.
        ``ValueError`` for another kind or a prefix that is not lowercase hex."""
        columns = {"tx": t.transactions.c.tx_id, "block": t.blocks.c.block_hash}
        if kind not in columns:
            raise ValueError(f"no ids of kind {kind!r}; expected one of {sorted(columns)}")
        if not 1 <= len(prefix) <= 64 or prefix.strip("0123456789abcdef"):
            raise ValueError("a prefix is 1 to 64 lowercase hex digits")
        column = columns[kind]
        low, high = bytes.fromhex(prefix.ljust(64, "0")), bytes.fromhex(prefix.ljust(64, "f"))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(column)
                .where(column >= low, column <= high)
                .order_by(column)
                .limit(max(0, limit))
            )
            return [bytes(r[0]).hex() for r in rows]

    # ---- contract state ------------------------------------------------------

    def state(self, contract: str, key: str) -> Any | None:
        """The current value under ``(contract, key)``, or None."""
        with self.engine.connect() as conn:
            return read_value(conn, contract, key)

    def state_many(self, contract: str, keys: Sequence[str]) -> dict[str, Any]:
        """The current values of those of ``keys`` under ``contract`` that have one
        (one query per 500 keys)."""
        with self.engine.connect() as conn:
            return read_many(conn, contract, keys)

    def state_prefix(
        self, contract: str, prefix: str, limit: int = 100, after: str | None = None
    ) -> list[tuple[str, Any]]:
        """At most ``limit`` ``(key, value)`` pairs of ``contract`` whose key starts with
        ``prefix`` and sorts after ``after`` (if given), in code-point order of the key
        on every backend (so a page ends where the next begins)."""
        with self.engine.connect() as conn:
            return read_prefix(conn, contract, prefix, limit, after)

    def history(self, contract: str, key: str) -> list[tuple[int, int, Any]]:
        """Every write to ``(contract, key)`` as ``(height, log_index, value)``, oldest first."""
        with self.engine.connect() as conn:
            return read_history(conn, contract, key)

    # ---- proven state and results ---------------------------------------------

    def prove_state(
        self, keys: Sequence[tuple[str, str]], height: int | None = None
    ) -> tuple[BlockHeader, CommitCertificate, str, list[ProvenEntry]]:
        """The block at ``height`` (default: the head), its certificate and checkpoint,
        and each of ``keys`` (``(contract, key)``) with its value after that block and
        its proof from the block's ``state_root``, read in one consistent view.
        ``NotFoundError`` without such a block."""
        with self.snapshot() as snap:
            conn = snap.conn
            at = _tip(conn, self.chain_id).height if height is None else height
            if at == 0:
                raise NotFoundError("no block is certified yet: there is nothing to prove against")
            header = self._header_on(conn, at)
            source = NodeSource(conn, self._outcomes.nodes)
            root = bytes.fromhex(header.state_root)
            source.prefetch(root, root_id(conn, at), [state_key(c, k) for c, k in keys])
            entries = [proven_entry(conn, source, root, at, c, k) for c, k in keys]
            certificate = _decoded(
                f"certificate of block {at}",
                lambda: CommitCertificate.from_dict(
                    json.loads(_scalar(conn, t.certificates.c.body, t.certificates.c.height, at))
                ),
            )
            note = _scalar(conn, t.checkpoints.c.note, t.checkpoints.c.height, at)
        return header, certificate, str(note), entries

    def results(self, height: int) -> list[TxResult]:
        """The results of block ``height``'s transactions, in log order."""
        header = self.header(height)
        ids = self.tx_ids_at(height)
        with self.engine.connect() as conn:
            return block_results(conn, header.first_index, ids)

    # ---- a consistent view, for audit -----------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A read view in which every query sees the same committed state, even while
        blocks are being appended (one read transaction; REPEATABLE READ on PostgreSQL)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            view = conn.begin()
            try:
                yield Snapshot(conn)
            finally:
                view.rollback()  # a read view: nothing to commit


@contextmanager
def _opening(engine: Engine, location: str) -> Iterator[None]:
    """Dispose of ``engine`` if opening fails; report database errors as ``StoreError``."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        engine.dispose()
        raise StoreError(f"{location}: cannot open database ({exc.orig})") from exc
    except BaseException:
        engine.dispose()
        raise


def _check_schema(engine: Engine, location: str) -> None:
    """``StoreError`` unless the store's schema is the one this release writes."""
    with engine.connect() as conn:
        found = conn.execute(
            select(t.meta.c.value).where(t.meta.c.key == "schema_version")
        ).scalar()
    if found is not None and found != t.SCHEMA_VERSION:
        raise StoreError(
            f"{location}: store schema {found}, this release reads schema "
            f"{t.SCHEMA_VERSION} (block headers now carry state and results roots); "
            "start the node on an empty store and let it catch up from its peers"
        )


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            yield conn


def _tip(conn: Connection, chain_id: str) -> Tip:
    """The head, in one query."""
    c = t.blocks.c
    row = conn.execute(
        select(c.height, c.block_hash, c.time, c.log_size, c.state_root)
        .order_by(c.height.desc())
        .limit(1)
    ).first()
    if row is None:
        return Tip.genesis(chain_id)
    return Tip(
        chain_id,
        row.height,
        bytes(row.block_hash).hex(),
        row.time,
        row.log_size,
        bytes(row.state_root).hex(),
    )


_AUDIT = "the store is damaged: run `provledger audit` on it"


def _scalar(conn: Connection, column: Any, key_column: Any, key: Any) -> Any:
    value = conn.execute(select(column).where(key_column == key)).scalar()
    if value is None:
        raise NotFoundError(f"no {key_column.table.name} row at {key}")
    return value


def _served(tx_id: bytes, body: object) -> SignedTransaction:
    """The transaction stored as ``body`` under ``tx_id``, only if the body decodes and
    hashes to that id (one SHA-256, which ``tx_id`` then reuses); else ``CorruptionError``."""
    where = f"stored transaction {tx_id.hex()[:16]}…"
    if not isinstance(body, str):
        raise CorruptionError(f"{where} is not text; {_AUDIT}")
    tx = _decoded(where, lambda: SignedTransaction.from_dict(json.loads(body)))
    if tx.tx_id_bytes != tx_id:
        raise CorruptionError(f"{where} does not hash to its id ({tx.tx_id[:16]}…); {_AUDIT}")
    return tx


def _decoded(what: str, decode: Callable[[], _T]) -> _T:
    """``decode()``, or ``CorruptionError`` naming ``what`` if the stored value does not
    decode (a row the store wrote always does)."""
    try:
        return decode()
    except (TypeError, ValueError, KeyError, RecursionError, LedgerError) as exc:
        raise CorruptionError(f"{what} is unreadable ({exc}); {_AUDIT}") from exc


def _refuse(what: str, faults: list[Fault]) -> None:
    """Raise ``StoreError`` naming the first of ``faults``, if any."""
    if faults:
        raise StoreError(f"{what} refused: {faults[0]}")
