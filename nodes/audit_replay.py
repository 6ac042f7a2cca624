"""The audit's replay: the chain's contracts re-executed over the committed log from
genesis, in memory, checked against what the store holds (``ledger.audit.Replay``).

Promises:
- Nothing is taken from the store's contract state: the state, the roster that resolves
  each block's senders (as ``nodes.runtime.apply.contexts`` does, from the state before
  the block), the state tree and every result come from executing the transactions with
  the real registry (``contracts.registry.default_registry``).
- ``block`` names a header whose ``state_root`` or ``results_root`` is not what
  re-execution gives, a result row that is missing or differs (by log index), and a
  stored state-tree node, reached from the block's ``state_root_id``, that is missing or
  does not hash to what its parent names: each block's new nodes are walked, and each
  older node they point to is checked by its hash, so every state root the chain named,
  the head's included, is stored and provable.
- ``finish`` names the first ``state`` row and the first ``history`` row (by contract and
  key) that differs from re-execution, is missing or was never written, and any result
  row beyond the log.
- Memory: the current state (values as canonical JSON), a 16-byte digest per history
  row, and the nodes of the current state tree only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from contracts.membership import CONTRACT as MEMBERSHIP
from contracts.membership import current_roster, genesis_roster
from contracts.membership.roster import ROSTER_KEY
from contracts.registry import Registry, default_registry
from ledger.audit import Finding
from ledger.canonical import canonical
from ledger.errors import CorruptionError
from ledger.fault import Fault
from ledger.model.block import BlockHeader
from ledger.model.genesis import Genesis, Organisation
from ledger.model.transaction import SignedTransaction
from ledger.results import TxResult, results_root
from ledger.state_tree import EMPTY, Internal, Node, bit, update
from ledger.store.snapshot import Snapshot
from ledger.store.state_nodes import changed_leaves, decode_node
from nodes.runtime.apply import contexts_for

PAGE = 1000  # state and history rows read per query
SHOWN = 300  # characters of a value a finding shows


class _StateView:
    """The re-executed state as contracts see it."""

    def __init__(self, state: dict[tuple[str, str], tuple[str, int, int]]) -> None:
        self._state = state

    def get(self, contract: str, key: str) -> Any | None:
        row = self._state.get((contract, key))
        return None if row is None else json.loads(row[0])


class AuditReplay:
    """A ``ledger.audit.Replay`` of the chain ``genesis`` starts (see the module)."""

    def __init__(self, genesis: Genesis, registry: Registry | None = None) -> None:
        self._genesis = genesis
        self._registry = registry or default_registry(genesis)
        self._state: dict[tuple[str, str], tuple[str, int, int]] = {}  # text, height, index
        self._history: dict[tuple[str, str, int], bytes] = {}  # -> digest of height, text
        self._nodes: dict[bytes, Node] = {}
        self._last_node_id = 0  # the greatest state node id of the blocks checked
        self._root = EMPTY
        self._members = genesis_roster(genesis).members()
        self._log_size = 0

    # ---- ledger.audit.Replay --------------------------------------------------

    def members(self, sender: str) -> tuple[Organisation, bytes] | None:
        """The sender's organisation and key in the roster the replay has reached."""
        return self._members.get(sender)

    def block(
        self, snapshot: Snapshot, header: BlockHeader, txs: Sequence[SignedTransaction]
    ) -> list[Fault | Finding]:
        """Execute the block; the faults of its roots, result rows and state nodes."""
        ctxs = contexts_for(
            self._members,
            txs,
            height=header.height,
            time=header.time,
            first_index=header.first_index,
        )
        try:
            effects = self._registry.apply_block(
                _StateView(self._state), list(zip(txs, ctxs, strict=True))
            )
        except Exception as exc:  # a contract bug: the chain cannot be re-executed
            return [
                Fault(
                    "execution",
                    f"re-executing the block failed ({type(exc).__name__}: {exc})",
                )
            ]
        for w in effects.writes:
            text = w.text()
            self._state[(w.contract, w.key)] = (text, header.height, w.log_index)
            self._history[(w.contract, w.key, w.log_index)] = _digest(header.height, text)
        self._log_size = header.log_size
        self._update_tree(changed_leaves(effects.writes))
        if any(w.contract == MEMBERSHIP and w.key == ROSTER_KEY for w in effects.writes):
            self._members = current_roster(_StateView(self._state), self._genesis).members()

        faults: list[Fault | Finding] = []
        if self._root.hex() != header.state_root:
            faults.append(
                Fault(
                    "state_root",
                    "the header's state root is not the one re-execution gives",
                    self._root.hex(),
                    header.state_root,
                )
            )
        made = results_root(effects.results)
        if made != header.results_root:
            faults.append(
                Fault(
                    "results_root",
                    "the header's results root is not the one re-execution gives",
                    made,
                    header.results_root,
                )
            )
        faults += self._result_faults(snapshot, header, effects.results)
        faults += self._node_faults(snapshot, header)
        return faults

    def finish(self, snapshot: Snapshot) -> list[Fault | Finding]:
        """The faults of the stored state, history and results rows (the first found)."""
        for check in (self._state_faults, self._history_faults, self._extra_results):
            faults = check(snapshot)
            if faults:
                return faults
        return []

    # ---- the state tree -------------------------------------------------------

    def _read(self, h: bytes) -> Node:
        return self._nodes[h]

    def _update_tree(self, leaves: dict[bytes, bytes]) -> dict[bytes, Node]:
        """Apply ``leaves`` to the tree; keep only the nodes of the new tree; return the
        nodes the update made."""
        if not leaves:
            return {}
        replaced = self._on_paths(sorted(leaves))
        self._root, new = update(self._read, self._root, dict(leaves))
        for h in replaced:
            del self._nodes[h]
        self._nodes.update(new)
        return new

    def _on_paths(self, keys: list[bytes]) -> set[bytes]:
        """The nodes of the current tree on the paths to ``keys`` (sorted): the ones an
        update of those keys replaces (a node is never shared between two places)."""
        found: set[bytes] = set()
        stack = [(self._root, 0, keys)]
        while stack:
            h, depth, routed = stack.pop()
            if h == EMPTY or not routed:
                continue
            found.add(h)
            node = self._nodes[h]
            if isinstance(node, Internal):
                cut = next((i for i, k in enumerate(routed) if bit(k, depth)), len(routed))
                stack.append((node.left, depth + 1, routed[:cut]))
                stack.append((node.right, depth + 1, routed[cut:]))
        return found

    def tree_nodes(self) -> dict[bytes, Node]:
        """The nodes of the current state tree (for tests)."""
        return dict(self._nodes)

    # ---- per-block checks -----------------------------------------------------

    @staticmethod
    def _result_faults(
        snapshot: Snapshot, header: BlockHeader, results: Sequence[TxResult]
    ) -> list[Fault | Finding]:
        rows = {
            row["log_index"]: row["body"]
            for row in snapshot.results(header.first_index, header.log_size)
        }
        for i, result in enumerate(results):
            index = header.first_index + i
            expected = canonical(result.to_dict()).decode("utf-8")
            actual = rows.get(index)
            if actual != expected:
                what = "is missing" if actual is None else "differs from re-execution"
                return [
                    Finding(
                        "result_row",
                        f"the result row of log index {index} {what}",
                        height=header.height,
                        tx_index=i,
                        log_index=index,
                        expected=_shown(expected),
                        actual=None if actual is None else _shown(actual),
                        table="results",
                    )
                ]
        return []

    def _node_faults(self, snapshot: Snapshot, header: BlockHeader) -> list[Fault | Finding]:
        """Walk the stored tree of the block's ``state_root_id``: every node the block
        added (ids above those of earlier blocks) must hash to what its parent (or the
        header) names, and so must each older node it points to."""
        height = header.height

        def fault(
            message: str, node_id: object, expected: str | None = None
        ) -> list[Fault | Finding]:
            return [
                Finding(
                    "state_node",
                    message,
                    height=height,
                    expected=expected,
                    table="state_nodes",
                    row=f"state_nodes {node_id}",
                )
            ]

        root_id = snapshot.state_root_id(height)
        if not isinstance(root_id, int) or root_id < 0:
            return fault(f"blocks.state_root_id is not a node id ({root_id!r})", root_id)
        if root_id == 0:
            if header.state_root != EMPTY.hex():
                return fault("the block's state root has no stored node", 0, header.state_root)
            return []
        level: dict[int, bytes] = {root_id: bytes.fromhex(header.state_root)}
        newest = self._last_node_id
        while level:
            bodies = snapshot.state_nodes(list(level))
            below: dict[int, bytes] = {}
            for node_id, expected in level.items():
                body = bodies.get(node_id)
                if body is None:
                    return fault(
                        f"state tree node {node_id} of the block's state root is missing",
                        node_id,
                        expected.hex(),
                    )
                try:
                    stored = decode_node(node_id, expected, body)
                except CorruptionError as exc:
                    return fault(f"{exc} (stored with other bytes)", node_id, expected.hex())
                newest = max(newest, node_id)
                _, node, left_id, right_id = stored
                if node_id <= self._last_node_id or not isinstance(node, Internal):
                    continue
                for child, child_id in ((node.left, left_id), (node.right, right_id)):
                    if child != EMPTY:
                        below[child_id] = child
            level = below
        self._last_node_id = newest
        return []

    # ---- final checks ---------------------------------------------------------

    def _state_faults(self, snapshot: Snapshot) -> list[Fault | Finding]:
        unseen = dict(self._state)
        for row in _pages(snapshot.state_rows, ("contract", "key")):
            where = (row["contract"], row["key"])
            name = f"state {_name(*where)}"
            expected = unseen.pop(where, None) if _hashable(where) else None
            if expected is None:
                return [
                    Finding(
                        "state_row",
                        f"{name} was never written by the contracts (an extra row)",
                        height=_int(row["height"]),
                        log_index=_int(row["log_index"]),
                        actual=_shown(row["value"]),
                        table="state",
                        row=name,
                    )
                ]
            text, height, index = expected
            if row["value"] != text:
                return [
                    Finding(
                        "state_row",
                        f"{name}: the stored value is not the one re-execution wrote",
                        height=height,
                        log_index=index,
                        expected=_shown(text),
                        actual=_shown(row["value"]),
                        table="state",
                        row=name,
                    )
                ]
            if (row["height"], row["log_index"]) != (height, index):
                return [
                    Finding(
                        "state_row",
                        f"{name}: the stored height and log index of the last write differ",
                        height=height,
                        log_index=index,
                        expected=f"height {height}, log index {index}",
                        actual=f"height {row['height']!r}, log index {row['log_index']!r}",
                        table="state",
                        row=name,
                    )
                ]
        if unseen:
            (contract, key), (text, height, index) = min(unseen.items())
            name = f"state {_name(contract, key)}"
            return [
                Finding(
                    "state_row",
                    f"{name} is missing: re-execution wrote it",
                    height=height,
                    log_index=index,
                    expected=_shown(text),
                    table="state",
                    row=name,
                )
            ]
        return []

    def _history_faults(self, snapshot: Snapshot) -> list[Fault | Finding]:
        unseen = dict(self._history)
        for row in _pages(snapshot.history_rows, ("contract", "key", "log_index")):
            where = (row["contract"], row["key"], row["log_index"])
            name = f"history {_name(row['contract'], row['key'])} @ log index {row['log_index']!r}"
            expected = unseen.pop(where, None) if _hashable(where) else None
            value = row["value"]
            height = _int(row["height"])
            if expected is None:
                return [
                    Finding(
                        "history_row",
                        f"{name} was never written by the contracts (an extra row)",
                        height=height,
                        log_index=_int(row["log_index"]),
                        actual=_shown(value),
                        table="history",
                        row=name,
                    )
                ]
            if height is None or not isinstance(value, str) or _digest(height, value) != expected:
                return [
                    Finding(
                        "history_row",
                        f"{name}: the stored write is not the one re-execution made "
                        "(value or height differs)",
                        height=height,
                        log_index=_int(row["log_index"]),
                        actual=_shown(value),
                        table="history",
                        row=name,
                    )
                ]
        if unseen:
            contract, key, index = min(unseen)
            name = f"history {_name(contract, key)} @ log index {index}"
            return [
                Finding(
                    "history_row",
                    f"{name} is missing: re-execution wrote it",
                    log_index=index,
                    table="history",
                    row=name,
                )
            ]
        return []

    def _extra_results(self, snapshot: Snapshot) -> list[Fault | Finding]:
        for row in snapshot.results_outside(self._log_size, 1):
            return [
                Finding(
                    "result_row",
                    f"a result row lies outside the log (log index {row['log_index']!r}, "
                    f"log size {self._log_size})",
                    log_index=_int(row["log_index"]),
                    actual=_shown(row["body"]),
                    table="results",
                    row=f"results @ log index {row['log_index']!r}",
                )
            ]
        return []


def _pages(read: Any, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Every row ``read(after, limit)`` gives, page by page (keyset on ``columns``)."""
    after = None
    while rows := read(after, PAGE):
        yield from rows
        last = rows[-1]
        after = tuple(last[c] for c in columns)
        if len(rows) < PAGE:
            return


def _digest(height: int, text: str) -> bytes:
    return hashlib.sha256(f"{height}\n{text}".encode()).digest()[:16]


def _name(contract: Any, key: Any) -> str:
    return (
        f"{contract}/{key}"
        if isinstance(contract, str) and isinstance(key, str)
        else repr((contract, key))
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _hashable(value: tuple[Any, ...]) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _shown(value: Any) -> str:
    """A stored value for a finding: text as it is, other types as their repr, cut short."""
    if isinstance(value, bytes | memoryview):
        shown = bytes(value).hex()
    else:
        shown = value if isinstance(value, str) else repr(value)
    return shown if len(shown) <= SHOWN else shown[:SHOWN] + "…"
