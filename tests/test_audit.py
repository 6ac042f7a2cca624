"""Audit finds the first corrupted row exactly, on both backends, and never crashes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from ledger.audit import audit_store
from ledger.keys import SigningKey
from ledger.merkle_log import node_key
from ledger.model import SignedTransaction, Transaction
from ledger.sealing import seal
from ledger.tree_ranges import NodeId
from tests.conftest import make_consortium


@pytest.fixture
def filled(store, consortium):
    """Heights 1..4 with 2, 3, 0 and 4 transactions (log indexes 0..8)."""
    for n in (2, 3, 0, 4):
        seal(store, [consortium.tx(i % 3) for i in range(n)], consortium.validator_keys[:2])
    return store


def _sql(store, statement, **params):
    with store.engine.connect() as conn, conn.execution_options(write=True).begin():
        conn.execute(text(statement), params)


def _body(store, log_index):
    with store.engine.connect() as conn:
        return conn.execute(
            text("SELECT body FROM transactions WHERE log_index = :i"), {"i": log_index}
        ).scalar_one()


def _finding(store, **kwargs):
    report = audit_store(store, **kwargs)
    assert not report.ok
    return report.finding


def test_clean_store_audits_clean(filled):
    report = audit_store(filled)
    assert report.ok, report.finding
    assert (report.blocks, report.transactions, report.head_height) == (4, 9, 4)
    assert report.merkle_nodes == 2 * 9 - bin(9).count("1")  # 9 leaves + 4 + 2 + 1 subtrees
    assert report.log_root == filled.header(4).log_root


def test_changed_transaction_body(filled):
    body = json.loads(_body(filled, 3))
    body["tx"]["args"]["sha256"] = "00" * 32
    _sql(filled, "UPDATE transactions SET body = :b WHERE log_index = 3", b=json.dumps(body))
    f = _finding(filled)
    assert (f.check, f.height, f.tx_index, f.log_index) == ("tx_id", 2, 1, 3)
    assert f.expected != f.actual


def test_unreadable_transaction_body_is_a_finding_not_a_crash(filled):
    _sql(filled, "UPDATE transactions SET body = '{not json' WHERE log_index = 7")
    f = _finding(filled)
    assert (f.check, f.height, f.tx_index, f.log_index) == ("transaction", 4, 2, 7)


def test_changed_tx_id_column(filled):
    _sql(filled, "UPDATE transactions SET tx_id = :x WHERE log_index = 0", x=b"\x01" * 32)
    f = _finding(filled)
    assert (f.check, f.height, f.tx_index) == ("tx_id", 1, 0)
    assert f.actual == "01" * 32


def test_forged_signature_with_consistent_id(filled, consortium):
    """Someone rewrites a transaction and its id: the signature check catches it."""
    good = SignedTransaction.from_dict(json.loads(_body(filled, 1)))
    other = Transaction.from_dict(good.tx.to_dict() | {"nonce": "ff"})
    forged = SignedTransaction(other, good.signature)
    _sql(
        filled,
        "UPDATE transactions SET body = :b, tx_id = :i WHERE log_index = 1",
        b=forged.canonical_bytes().decode(),
        i=forged.tx_id_bytes,
    )
    f = _finding(filled)
    assert (f.check, f.height, f.tx_index) == ("signature", 1, 1)


def test_non_member_sender(filled, consortium):
    stranger = SigningKey.generate()
    tx = Transaction.new(stranger, consortium.chain_id, "evidence", "anchor", {}).sign(stranger)
    _sql(
        filled,
        "UPDATE transactions SET body = :b, tx_id = :i, sender = :s WHERE log_index = 8",
        b=tx.canonical_bytes().decode(),
        i=tx.tx_id_bytes,
        s=stranger.key_id,
    )
    f = _finding(filled)
    assert (f.check, f.height, f.tx_index, f.log_index) == ("sender", 4, 3, 8)


def test_changed_header(filled):
    with filled.engine.connect() as conn:
        header = json.loads(
            conn.execute(text("SELECT header FROM blocks WHERE height = 3")).scalar_one()
        )
    header["time"] = "2030-01-01T00:00:00.000000Z"
    _sql(filled, "UPDATE blocks SET header = :h WHERE height = 3", h=json.dumps(header))
    f = _finding(filled)
    assert (f.check, f.height) == ("block_hash", 3)


def test_changed_block_hash_column(filled):
    _sql(filled, "UPDATE blocks SET block_hash = :h WHERE height = 2", h=b"\x07" * 32)
    assert (_finding(filled).check, _finding(filled).height) == ("block_hash", 2)


def test_missing_block(filled):
    _sql(filled, "DELETE FROM blocks WHERE height = 2")
    f = _finding(filled)
    assert (f.check, f.height, f.actual) == ("height", 2, "3")


def test_broken_certificate(filled):
    with filled.engine.connect() as conn:
        cert = json.loads(
            conn.execute(text("SELECT body FROM certificates WHERE height = 4")).scalar_one()
        )
    sig = cert["signatures"][1]["signature"]
    cert["signatures"][1]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
    _sql(filled, "UPDATE certificates SET body = :b WHERE height = 4", b=json.dumps(cert))
    f = _finding(filled)
    assert (f.check, f.height) == ("certificate", 4)
    assert "signature does not verify" in f.message


def test_missing_certificate_and_checkpoint(filled):
    _sql(filled, "DELETE FROM checkpoints WHERE height = 3")
    assert (_finding(filled).check, _finding(filled).height) == ("checkpoint", 3)
    _sql(filled, "DELETE FROM certificates WHERE height = 2")
    assert (_finding(filled).check, _finding(filled).height) == ("certificate", 2)


def test_tampered_checkpoint(filled):
    with filled.engine.connect() as conn:
        note = conn.execute(text("SELECT note FROM checkpoints WHERE height = 1")).scalar_one()
    _sql(
        filled,
        "UPDATE checkpoints SET note = :n WHERE height = 1",
        n=note.replace("\n2\n", "\n3\n", 1),
    )
    f = _finding(filled)
    assert (f.check, f.height) == ("checkpoint", 1)


def test_changed_and_missing_merkle_nodes(filled):
    node = NodeId(1, 2)  # hash of leaves 4 and 5, completed by block 4
    _sql(
        filled, "UPDATE merkle_nodes SET hash = :h WHERE id = :i", h=b"\x00" * 32, i=node_key(node)
    )
    f = _finding(filled)
    assert (f.check, f.height, f.actual) == ("merkle_node", 4, "00" * 32)
    assert "level 1 index 2" in f.message
    _sql(filled, "DELETE FROM merkle_nodes WHERE id = :i", i=node_key(NodeId(0, 1)))
    f = _finding(filled)
    assert (f.check, f.height) == ("merkle_node", 1) and "missing" in f.message


def test_deleted_transaction_and_rows_beyond_the_head(filled):
    _sql(
        filled,
        "INSERT INTO merkle_nodes (id, hash) VALUES (:i, :h)",
        i=node_key(NodeId(0, 99)),
        h=b"\x00" * 32,
    )
    f = _finding(filled)
    assert (f.check, f.height) == ("rows", None)
    _sql(filled, "DELETE FROM transactions WHERE log_index = 4")
    f = _finding(filled)
    assert (f.check, f.height, f.expected, f.actual) == ("tx_count", 2, "3", "2")


def test_audit_against_another_trusted_genesis(filled):
    f = _finding(filled, genesis=make_consortium().genesis)
    assert f.check == "genesis"


def test_progress_is_reported(filled):
    seen = []
    audit_store(filled, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
