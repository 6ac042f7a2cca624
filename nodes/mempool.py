"""Admission of submitted transactions, and the pool of those waiting for a block.

Admission checks a transaction in this order, and refuses it with a ``Refused`` that
carries an HTTP status, a short title and a detail that says what to do:

====  =====================  ==========================================================
400   malformed transaction  not a signed transaction as ``SignedTransaction.to_dict``
422   wrong chain            signed for another chain id
403   not a member           the sender key is not a member key in genesis
409   already pending        already in the pool
409   duplicate in batch     sent twice in one batch (the first is judged)
409   already committed      a replay of a committed transaction
422   stale or future        ``created_at`` more than ``created_at_window`` (10 min by
      transaction            default) from this node's clock
403   not permitted          none of the sender's roles may call the action
422   rejected               unknown contract or action, or bad args
403   bad signature          the signature does not verify with the sender's key
503   mempool full           the pool holds ``capacity`` transactions
====  =====================  ==========================================================

The signature is checked last among the transaction's own checks: it is the expensive
step. The ``created_at`` window is checked after the duplicate checks, so a client that
sends a committed transaction again still hears "already committed".

The time window applies at admission only: ``check_block`` (a proposed block, or a
block fetched in catch-up) never looks at ``created_at``, because validators' clocks
differ and a block's transactions were admitted, within the window, by some node.

Admitted transactions wait in arrival order (FIFO) until ``remove`` is called for them
once a block carrying them commits.

A validator checking a proposed block uses ``check_block``: the same checks but the
time window, without
adding anything, with one ``committed`` query for the whole block, refusing a block
that carries a transaction twice, and skipping the signature of a transaction this
node has already verified.

Thread-safe: the pool is guarded by a lock, which is not held while querying the store
or verifying signatures.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from contracts import NotPermitted, Registry, Rejection
from ledger.canonical import format_time, parse_time
from ledger.errors import CanonicalError, SignatureError, ValidationError
from ledger.keys import key_id
from ledger.model.genesis import Genesis, Organisation
from ledger.model.transaction import SignedTransaction
from nodes.refusals import RefusalKind

Committed = Callable[[Sequence[bytes]], set[bytes]]
Clock = Callable[[], datetime]
CREATED_AT_WINDOW = timedelta(minutes=10)


def utc_now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


class Refused(Exception):
    """Admission refused a transaction: its ``kind``, a ``title``, and a ``detail`` that
    says what is wrong and what to do."""

    def __init__(self, kind: RefusalKind, title: str, detail: str) -> None:
        super().__init__(f"{title}: {detail}")
        self.kind = kind
        self.title = title
        self.detail = detail


def _short(hex_id: str) -> str:
    return hex_id[:16] + "…"


class _Bounded:
    """A set that forgets its oldest members beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[bytes, None] = OrderedDict()

    def add(self, item: bytes) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._items


class Mempool:
    """The transactions admitted by this node and not yet committed, oldest first.

    ``committed(tx_ids)`` answers which 32-byte ids are committed (``Store.committed_among``);
    a new transaction's ``created_at`` must lie within ``created_at_window`` of ``clock()``.
    """

    def __init__(
        self,
        genesis: Genesis,
        registry: Registry,
        committed: Committed,
        capacity: int = 50_000,
        *,
        created_at_window: timedelta = CREATED_AT_WINDOW,
        clock: Clock = utc_now,
    ) -> None:
        if capacity < 1:
            raise ValueError("mempool capacity must be at least 1")
        if created_at_window <= timedelta(0):
            raise ValueError("created_at window must be positive")
        self.created_at_window = created_at_window
        self._clock = clock
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.registry = registry
        self.capacity = capacity
        self._committed = committed
        # Member key id -> (organisation, public key): genesis's until ``set_members``.
        self._members: dict[str, tuple[Organisation, bytes]] = {
            key_id(public): (org, public) for org in genesis.organisations for public in org.keys
        }
        self._lock = threading.Lock()
        self._pool: dict[bytes, SignedTransaction] = {}  # insertion order is arrival order
        # Ids removed once committed, so that an admission racing a commit (it asked the
        # store before the block was stored) cannot put them back.
        self._removed = _Bounded(capacity)
        # Ids of transactions whose signature this node verified, pooled or not.
        self._verified = _Bounded(2 * capacity)

    def set_members(self, members: dict[str, tuple[Organisation, bytes]]) -> int:
        """Admit from now on the senders of ``members`` (key id -> organisation and key,
        the roster after a membership change), and drop the pending transactions that
        the new roster no longer allows (sender gone, or role taken away), so no block
        proposes them. Return how many were dropped."""
        with self._lock:
            self._members = dict(members)
            dropped = []
            for tx_id, tx in self._pool.items():
                member = self._members.get(tx.tx.sender)
                call = tx.tx
                # args were checked at admission and do not depend on the roster: only
                # the sender's membership and roles are checked again (cheap per tx)
                if member is None or not self.registry.roles_allowed(
                    call.contract, call.action
                ).intersection(member[0].roles):
                    dropped.append(tx_id)
            for tx_id in dropped:
                del self._pool[tx_id]
        return len(dropped)

    # ---- admission -----------------------------------------------------------

    def admit(self, item: Any) -> str:
        """Admit one transaction; return its id (hex) or raise ``Refused``."""
        result = self.admit_many([item])[0]
        if isinstance(result, Refused):
            raise result
        return result

    def admit_many(self, items: Sequence[Any]) -> list[str | Refused]:
        """Admit each of ``items`` (a decoded JSON object or a ``SignedTransaction``);
        per item, its id (hex) or why it was refused. One ``committed`` query in all."""
        results: dict[int, str | Refused] = {}
        staged: list[tuple[int, SignedTransaction, Organisation, bytes]] = []
        for i, item in enumerate(items):
            try:
                tx = _decode(item)
                staged.append((i, tx, *self._sender(tx)))
            except Refused as refused:
                results[i] = refused
        committed = self._committed([s[1].tx_id_bytes for s in staged]) if staged else set()
        first_in_batch: dict[bytes, int] = {}
        passed: list[tuple[int, SignedTransaction]] = []
        now = self._clock()
        for i, tx, org, public in staged:
            try:
                self._check_new(tx, committed, first_in_batch, i)
                self._check_time(tx, now)
                self._check_call(tx, org)
                self._check_signature(tx, public)
            except Refused as refused:
                results[i] = refused
            else:
                passed.append((i, tx))
        with self._lock:
            for i, tx in passed:
                results[i] = self._insert(tx)
        return [results[i] for i in range(len(items))]

    def _sender(self, tx: SignedTransaction) -> tuple[Organisation, bytes]:
        """Chain id and membership; the sender's organisation and public key."""
        if tx.tx.chain_id != self.chain_id:
            raise Refused(
                RefusalKind.WRONG_CHAIN,
                "wrong chain",
                f"transaction is for chain {_short(tx.tx.chain_id)}, this node serves "
                f"{_short(self.chain_id)}; sign it again with this chain's id",
            )
        member = self._members.get(tx.tx.sender)
        if member is None:
            raise Refused(
                RefusalKind.NOT_MEMBER,
                "not a member",
                f"sender {_short(tx.tx.sender)} is not a member key of any organisation in "
                "this chain's roster; sign with a key of a member organisation "
                "(GET /v1/members lists them)",
            )
        return member

    def _check_new(
        self,
        tx: SignedTransaction,
        committed: set[bytes],
        first_in_batch: dict[bytes, int],
        index: int,
    ) -> None:
        """Neither pending, nor earlier in the batch, nor committed."""
        tx_id = tx.tx_id_bytes
        with self._lock:
            pending = tx_id in self._pool
        if pending:
            raise _pending(tx)
        first = first_in_batch.setdefault(tx_id, index)
        if first != index:
            raise Refused(
                RefusalKind.DUPLICATE,
                "duplicate in batch",
                f"transaction {_short(tx.tx_id)} is item {first} of this batch too; send it once",
            )
        if tx_id in committed:
            raise _replay(tx)

    def _check_time(self, tx: SignedTransaction, now: datetime) -> None:
        """``created_at`` within ``created_at_window`` of ``now`` (admission only)."""
        created = parse_time(tx.tx.created_at, "tx.created_at")  # checked when decoded
        if abs(created - now) > self.created_at_window:
            window = int(self.created_at_window.total_seconds())
            raise Refused(
                RefusalKind.OUT_OF_TIME,
                "stale or future transaction",
                f"transaction {_short(tx.tx_id)} was created at {tx.tx.created_at}, this "
                f"node's time is {format_time(now)} and it admits transactions created "
                f"within {window} seconds of it; set the signer's clock right and sign "
                "the transaction again",
            )

    def _check_call(self, tx: SignedTransaction, org: Organisation) -> None:
        """Known contract and action, a role allowed to call it, valid args."""
        try:
            self.registry.admit(tx.tx.contract, tx.tx.action, tx.tx.args, org.roles)
        except NotPermitted as refusal:
            raise Refused(
                RefusalKind.NOT_PERMITTED,
                "not permitted",
                f"{refusal.reason}; organisation {org.name!r} cannot send this transaction",
            ) from refusal
        except Rejection as refusal:
            raise Refused(RefusalKind.REJECTED, "rejected", refusal.reason) from refusal

    def _check_signature(self, tx: SignedTransaction, public: bytes) -> None:
        """Verify the sender's signature, unless this exact transaction was verified."""
        if self.verified(tx):
            return
        try:
            tx.verify_signature(public)
        except SignatureError as exc:
            raise Refused(
                RefusalKind.BAD_SIGNATURE,
                "bad signature",
                f"{exc} for transaction {_short(tx.tx_id)} and sender {_short(tx.tx.sender)}; "
                "sign the transaction again with the sender's key after any change to it",
            ) from exc
        with self._lock:
            self._verified.add(tx.tx_id_bytes)

    def _insert(self, tx: SignedTransaction) -> str | Refused:
        """Append ``tx`` to the pool (lock held), re-checking what may have changed."""
        tx_id = tx.tx_id_bytes
        if tx_id in self._pool:
            return _pending(tx)
        if tx_id in self._removed:
            return _replay(tx)
        if len(self._pool) >= self.capacity:
            return Refused(
                RefusalKind.FULL,
                "mempool full",
                f"mempool full ({len(self._pool)} transactions); retry later",
            )
        self._pool[tx_id] = tx
        return tx.tx_id

    # ---- the pool ------------------------------------------------------------

    def take(self, max_count: int) -> list[SignedTransaction]:
        """Up to ``max_count`` pending transactions, oldest first; they stay pooled."""
        with self._lock:
            return list(islice(self._pool.values(), max(0, max_count)))

    def remove(self, tx_ids: Iterable[bytes]) -> None:
        """Forget transactions (32-byte ids) that a committed block carried; ids not
        pooled are ignored. They cannot be admitted again."""
        with self._lock:
            for tx_id in tx_ids:
                self._pool.pop(tx_id, None)
                self._removed.add(tx_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pool)

    def __contains__(self, tx_id: object) -> bool:
        with self._lock:
            return tx_id in self._pool

    def get(self, tx_id: bytes) -> SignedTransaction | None:
        """The pending transaction with 32-byte id ``tx_id``, if any."""
        with self._lock:
            return self._pool.get(tx_id)

    def verified(self, tx: SignedTransaction) -> bool:
        """True when this exact transaction (same id, hence same bytes and signature) had
        its signature verified here: admitted to the pool, or checked in a block."""
        with self._lock:
            return tx.tx_id_bytes in self._pool or tx.tx_id_bytes in self._verified

    # ---- proposed blocks -----------------------------------------------------

    def check_block_transaction(self, tx: SignedTransaction) -> str | None:
        """Why ``tx`` may not be in a proposed block, or None if it may. One ``committed``
        query; prefer ``check_block`` for a whole block."""
        return self._block_reason(tx, self._committed([tx.tx_id_bytes]))

    def check_block(self, txs: Sequence[SignedTransaction]) -> str | None:
        """Why a proposed block of ``txs`` may not commit, naming the first offending
        transaction and its position, or None if every one passes admission (being
        pending here is fine). One ``committed`` query for the whole block."""
        seen: dict[bytes, int] = {}
        for i, tx in enumerate(txs):
            first = seen.setdefault(tx.tx_id_bytes, i)
            if first != i:
                return f"transaction {i} ({_short(tx.tx_id)}) repeats transaction {first}"
        committed = self._committed(list(seen)) if seen else set()
        for i, tx in enumerate(txs):
            reason = self._block_reason(tx, committed)
            if reason is not None:
                return f"transaction {i} ({_short(tx.tx_id)}): {reason}"
        return None

    def _block_reason(self, tx: SignedTransaction, committed: set[bytes]) -> str | None:
        try:
            org, public = self._sender(tx)
            if tx.tx_id_bytes in committed:
                raise _replay(tx)
            self._check_call(tx, org)
            self._check_signature(tx, public)
        except Refused as refused:
            return f"{refused.title}: {refused.detail}"
        return None


def _decode(item: Any) -> SignedTransaction:
    """``item`` as a ``SignedTransaction``; ``Refused`` (400) if it is not one."""
    if isinstance(item, SignedTransaction):
        return item
    try:
        return SignedTransaction.from_dict(item)
    except (ValidationError, CanonicalError) as exc:
        raise Refused(
            RefusalKind.MALFORMED,
            "malformed transaction",
            f"{exc}; send a signed transaction as a JSON object "
            '{"tx": {chain_id, contract, action, args, sender, nonce, created_at}, '
            '"signature": hex}',
        ) from exc


def _pending(tx: SignedTransaction) -> Refused:
    return Refused(
        RefusalKind.DUPLICATE,
        "already pending",
        f"transaction {_short(tx.tx_id)} is already in the mempool; wait for it to commit",
    )


def _replay(tx: SignedTransaction) -> Refused:
    return Refused(
        RefusalKind.DUPLICATE,
        "already committed",
        f"transaction {_short(tx.tx_id)} is already committed and cannot be replayed; "
        "fetch its receipt, or sign a new transaction (fresh nonce) to act again",
    )
