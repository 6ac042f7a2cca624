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


def test_snapshot_does_not_see_later_blocks(filled, consortium):
    with filled.snapshot() as snap:
        before = snap.count_rows()
        seal(filled, [consortium.tx(0)], consortium.validator_keys[:2])
        assert snap.count_rows() == before
    with filled.snapshot() as snap:
        assert snap.count_rows()["blocks"] == before["blocks"] + 1


def test_stray_certificate_and_checkpoint_rows(filled):
    _sql(filled, "INSERT INTO certificates (height, body) VALUES (99, '{}')")
    f = _finding(filled)
    assert (f.check, f.expected, f.actual) == ("rows", "4", "5")
    assert "certificates" in f.message


def test_proposer_must_be_a_validator(filled, consortium):
    with filled.engine.connect() as conn:
        header = json.loads(
            conn.execute(text("SELECT header FROM blocks WHERE height = 1")).scalar_one()
        )
    header["proposer"] = consortium.members[0].key_id
    from ledger.model import BlockHeader

    forged = BlockHeader.from_dict(header)
    _sql(
        filled,
        "UPDATE blocks SET header = :h, block_hash = :b WHERE height = 1",
        h=json.dumps(header),
        b=bytes.fromhex(forged.block_hash),
    )
    f = _finding(filled)
    assert (f.check, f.height) == ("proposer", 1)


def test_certified_block_with_a_false_log_size_is_caught(tmp_path, consortium):
    """Even a quorum of validators cannot make the audit accept a log that skips leaves."""
    from ledger.canonical import now_time
    from ledger.checkpoint import Checkpoint, sign_checkpoint
    from ledger.merkle import leaf_hash, root
    from ledger.model import BlockHeader, CommitCertificate, Vote, VoteType
    from ledger.model.block import tx_root
    from ledger.results import results_root
    from ledger.store import Store

    store = Store.create(str(tmp_path / "forged.sqlite"), consortium.genesis)
    tx = consortium.tx(0)
    header = BlockHeader(
        consortium.chain_id,
        1,
        consortium.chain_id,
        now_time(),
        consortium.nodes[0].key_id,
        1,
        tx_root([tx]),
        5,
        root([leaf_hash(tx.tx_id_bytes)]).hex(),
        "00" * 32,
        results_root([]),
    )
    cert = CommitCertificate.from_votes(
        [
            Vote.signed(k, consortium.chain_id, 1, 0, VoteType.PRECOMMIT, header.block_hash)
            for k in consortium.nodes
        ]
    )
    note = sign_checkpoint(
        Checkpoint(consortium.chain_id, 5, bytes.fromhex(header.log_root), 1, header.block_hash),
        consortium.validator_keys,
    )
    _sql(
        store,
        "INSERT INTO blocks (height, block_hash, header, time, tx_count, log_size, "
        "state_root, state_root_id) VALUES (1, :b, :h, :t, 1, 5, :r, 0)",
        b=bytes.fromhex(header.block_hash),
        h=json.dumps(header.to_dict()),
        t=header.time,
        r=bytes(32),
    )
    _sql(
        store,
        "INSERT INTO certificates (height, body) VALUES (1, :c)",
        c=json.dumps(cert.to_dict()),
    )
    _sql(store, "INSERT INTO checkpoints (height, note) VALUES (1, :n)", n=note)
    _sql(
        store,
        "INSERT INTO transactions (log_index, tx_id, height, body, contract, action, "
        "sender) VALUES (4, :i, 1, :b, 'evidence', 'anchor', :s)",
        i=tx.tx_id_bytes,
        b=tx.canonical_bytes().decode(),
        s=tx.tx.sender,
    )
    f = _finding(store)
    assert (f.check, f.height, f.expected, f.actual) == ("log_size", 1, "1", "5")
    store.close()


@pytest.fixture
def sqlite_filled(tmp_path, consortium):
    from ledger.store import Store

    store = Store.create(str(tmp_path / "typed.sqlite"), consortium.genesis)
    for n in (2, 3):
        seal(store, [consortium.tx(i % 3) for i in range(n)], consortium.validator_keys[:2])
    yield store
    store.close()


@pytest.mark.parametrize(
    ("statement", "check", "height"),
    [
        ("UPDATE checkpoints SET note = CAST(note AS BLOB) WHERE height = 2", "unreadable", 2),
        ("UPDATE blocks SET block_hash = 'abc' WHERE height = 1", "block_hash", 1),
        ("UPDATE transactions SET tx_id = 'abc' WHERE log_index = 3", "tx_id", 2),
        ("UPDATE merkle_nodes SET hash = 'abc' WHERE id = 1", "merkle_node", 1),
        ("UPDATE blocks SET header = printf('%.*c', 100000, '[') WHERE height = 2", "header", 2),
        ("UPDATE transactions SET body = 42 WHERE log_index = 0", "transaction", 1),
    ],
)
def test_values_of_the_wrong_type_are_findings_not_crashes(sqlite_filled, statement, check, height):
    """SQLite lets any column hold any type: the audit must report, never crash."""
    _sql(sqlite_filled, statement)
    f = _finding(sqlite_filled)
    assert (f.check, f.height) == (check, height), f


def test_corrupt_stored_genesis_is_a_finding_when_auditing_against_a_trusted_one(
    sqlite_filled, consortium
):
    from ledger.store import Store

    _sql(sqlite_filled, "UPDATE meta SET value = '{broken' WHERE key = 'genesis'")
    with Store.open(str(sqlite_filled.engine.url.database), consortium.genesis) as store:
        f = _finding(store)
    assert f.check == "genesis" and "unreadable" in f.message
