"""Start-up integrity: the stored head, its certificate and checkpoint, and the Merkle
frontier agree.

Promise: ``integrity_faults`` returns nothing for a store without blocks or one whose
last block row holds a header that hashes to the row's block hash and states its
height and log size; whose certificate and checkpoint pass ``ledger.certified`` for that
header; and whose stored Merkle frontier (the perfect subtrees that make up the log at
the head's ``log_size``) folds into the head's ``log_root``; and whose state tree root
row hashes to the head's ``state_root``. Otherwise it names the faults. It reads
O(log n) rows: cheap enough for every start, and no substitute for ``ledger.audit``,
which re-checks every row.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.certified import certificate_faults, checkpoint_faults
from ledger.errors import CorruptionError, LedgerError
from ledger.fault import Fault
from ledger.merkle import EMPTY_ROOT, HASH_SIZE
from ledger.merkle_log import border, fold
from ledger.model.block import BlockHeader
from ledger.model.vote import CommitCertificate
from ledger.quorum import ValidatorSet
from ledger.state_tree import EMPTY
from ledger.store.snapshot import Snapshot
from ledger.store.state_nodes import decode_node

_UNREADABLE = (TypeError, ValueError, KeyError, RecursionError, LedgerError)


def integrity_faults(snapshot: Snapshot, validators: ValidatorSet) -> list[Fault]:
    """The faults of the head of the store seen by ``snapshot`` (see the module promise)."""
    height = snapshot.last_height()
    if height is None:
        return []
    rows = snapshot.blocks(height - 1, 1)
    try:
        header = BlockHeader.from_dict(json.loads(rows[0]["header"]))
    except _UNREADABLE as exc:
        return [Fault("header", f"the head's header is unreadable: {exc}")]
    return (
        _row_faults(header, rows[0])
        + _certified_faults(header, rows[0], validators)
        + _frontier_faults(header, snapshot)
        + _state_root_faults(header, snapshot)
    )


def _row_faults(header: BlockHeader, row: dict[str, Any]) -> list[Fault]:
    stored = row["block_hash"]
    stored_hash = bytes(stored).hex() if isinstance(stored, bytes | memoryview) else repr(stored)
    checks = [
        ("height", "the head row's height", str(header.height), str(row["height"])),
        ("block_hash", "the head row's block hash", header.block_hash, stored_hash),
        ("log_size", "the head row's log size", str(header.log_size), str(row["log_size"])),
    ]
    return [
        Fault(check, f"{what} is not its header's", expected, actual)
        for check, what, expected, actual in checks
        if expected != actual
    ]


def _certified_faults(
    header: BlockHeader, row: dict[str, Any], validators: ValidatorSet
) -> list[Fault]:
    faults = []
    if row["certificate"] is None:
        faults.append(Fault("certificate", "the head has no commit certificate"))
    else:
        try:
            cert = CommitCertificate.from_dict(json.loads(row["certificate"]))
        except _UNREADABLE as exc:
            faults.append(Fault("certificate", f"the head's certificate is unreadable: {exc}"))
        else:
            faults += certificate_faults(header, cert, validators)
    note = row["checkpoint"]
    if not isinstance(note, str):
        faults.append(Fault("checkpoint", "the head has no cosigned checkpoint text"))
    else:
        faults += checkpoint_faults(header, note, validators)
    return faults


def _frontier_faults(header: BlockHeader, snapshot: Snapshot) -> list[Fault]:
    ids = border(header.log_size)
    stored = snapshot.nodes(ids)
    hashes = []
    for node in ids:
        value = stored.get(node)
        if not isinstance(value, bytes | memoryview) or len(value) != HASH_SIZE:
            what = "is missing" if value is None else "is not a hash"
            return [
                Fault(
                    "merkle_frontier",
                    f"merkle node level {node.level} index {node.position} {what}",
                )
            ]
        hashes.append(bytes(value))
    root = (fold(hashes) if hashes else EMPTY_ROOT).hex()
    if root == header.log_root:
        return []
    return [
        Fault(
            "merkle_frontier",
            "the stored Merkle frontier does not fold into the head's log_root",
            header.log_root,
            root,
        )
    ]


def _state_root_faults(header: BlockHeader, snapshot: Snapshot) -> list[Fault]:
    """The head's ``state_root_id`` names a stored node that hashes to its ``state_root``
    (or is 0 for an empty state)."""
    root_id = snapshot.state_root_id(header.height)
    if root_id == 0 and header.state_root == EMPTY.hex():
        return []
    if not isinstance(root_id, int) or root_id <= 0:
        return [Fault("state_root", f"the head's state_root_id is not a node id ({root_id!r})")]
    body = snapshot.state_nodes([root_id]).get(root_id)
    try:
        decode_node(root_id, bytes.fromhex(header.state_root), body)
    except CorruptionError as exc:
        return [Fault("state_root", f"the head's state tree root: {exc}", header.state_root)]
    return []
