"""A store never serves a row it has not checked, and a node never starts on a store
whose head, certificate, checkpoint and Merkle frontier disagree."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text

from ledger.errors import CorruptionError, NotFoundError
from ledger.keys import read_key_file
from ledger.merkle_log import border, node_key
from ledger.receipt import verify_receipt
from ledger.sealing import seal
from ledger.state_write import StateWrite
from ledger.store import Store
from ledger.trust import Trust
from nodes.config import NodeConfig
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.runtime.node import Node


def _sql(store: Store, statement: str, **params: object) -> None:
    with store.engine.connect() as conn, conn.execution_options(write=True).begin():
        conn.execute(text(statement), params)


def _one(store: Store, statement: str, **params: object) -> object:
    with store.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar_one()


@pytest.fixture
def filled(store, consortium):
    """Heights 1..3 with 2, 3 and 2 transactions (log indexes 0..6)."""
    txs = []
    for n in (2, 3, 2):
        batch = [consortium.tx(i % 3) for i in range(n)]
        seal(store, batch, consortium.validator_keys[:2])
        txs += batch
    store.txs = txs
    return store


# ---- served rows -----------------------------------------------------------------


def test_a_sound_row_is_served(filled, consortium):
    tx = filled.txs[3]
    assert filled.transaction(tx.tx_id) == tx
    assert [t.tx_id for t in filled.block(2).transactions] == [t.tx_id for t in filled.txs[2:5]]
    verified = verify_receipt(filled.receipt(tx.tx_id), Trust.from_genesis(consortium.genesis))
    assert verified.tx_id == tx.tx_id


def test_a_body_swapped_for_another_transaction_is_never_served(filled):
    """The row of tx 3 holds the (valid, signed) body of tx 4: served, its receipt would
    name tx 4 under the id asked for tx 3."""
    asked, other = filled.txs[3], filled.txs[4]
    _sql(
        filled,
        "UPDATE transactions SET body = :b WHERE log_index = 3",
        b=other.canonical_bytes().decode(),
    )
    for serve in (filled.receipt, filled.transaction):
        with pytest.raises(CorruptionError, match="does not hash to its id") as caught:
            serve(asked.tx_id)
        assert asked.tx_id[:16] in str(caught.value) and "provledger audit" in str(caught.value)
    with pytest.raises(CorruptionError, match="does not hash to its id"):
        filled.block(2)
    assert filled.locate(asked.tx_id).log_index == 3  # where it stands is still known
    assert filled.receipt(other.tx_id)["tx_id"] == other.tx_id  # its neighbour is sound
    assert len(filled.block(3).transactions) == 2  # so are other blocks


@pytest.mark.parametrize("body", ["{broken", "[]", '{"tx": {}, "signature": "00"}'])
def test_an_unreadable_body_is_corruption_not_a_crash(filled, body):
    _sql(filled, "UPDATE transactions SET body = :b WHERE log_index = 0", b=body)
    with pytest.raises(CorruptionError, match="unreadable"):
        filled.transaction(filled.txs[0].tx_id)
    with pytest.raises(CorruptionError, match="unreadable"):
        filled.block(1)


def test_a_header_that_does_not_hash_to_its_block_hash_is_never_served(filled):
    header = json.loads(str(_one(filled, "SELECT header FROM blocks WHERE height = 2")))
    header["time"] = "2030-01-01T00:00:00.000000Z"  # a valid header, of another block
    _sql(filled, "UPDATE blocks SET header = :h WHERE height = 2", h=json.dumps(header))
    with pytest.raises(CorruptionError, match="header of block 2 does not hash"):
        filled.header(2)
    for serve in (lambda: filled.block(2), lambda: filled.receipt(filled.txs[2].tx_id)):
        with pytest.raises(CorruptionError, match="header of block 2"):
            serve()
    assert filled.header(1).height == 1 and filled.receipt(filled.txs[0].tx_id)


def test_unknown_ids_are_still_not_found(filled):
    with pytest.raises(NotFoundError):
        filled.receipt("00" * 32)


# ---- the start-up check ------------------------------------------------------------


def test_a_sound_store_passes_the_start_up_check(filled, tmp_path, consortium):
    filled.check_integrity()
    empty = Store.create(str(tmp_path / "empty.sqlite"), consortium.genesis)
    empty.check_integrity()
    empty.close()


def test_a_changed_head_header_is_refused(filled):
    header = json.loads(str(_one(filled, "SELECT header FROM blocks WHERE height = 3")))
    header["time"] = "2030-01-01T00:00:00.000000Z"
    _sql(filled, "UPDATE blocks SET header = :h WHERE height = 3", h=json.dumps(header))
    with pytest.raises(CorruptionError, match="block_hash check") as caught:
        filled.check_integrity()
    assert "provledger audit" in str(caught.value)


def test_a_head_row_that_is_not_a_header_is_refused(filled):
    _sql(filled, "UPDATE blocks SET header = '{}' WHERE height = 3")
    with pytest.raises(CorruptionError, match="header check"):
        filled.check_integrity()


def test_a_tampered_head_certificate_is_refused(filled):
    cert = json.loads(str(_one(filled, "SELECT body FROM certificates WHERE height = 3")))
    sig = cert["signatures"][0]["signature"]
    cert["signatures"][0]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
    _sql(filled, "UPDATE certificates SET body = :b WHERE height = 3", b=json.dumps(cert))
    with pytest.raises(CorruptionError, match="certificate check"):
        filled.check_integrity()


def test_a_certificate_of_another_block_is_refused(filled):
    body = _one(filled, "SELECT body FROM certificates WHERE height = 2")
    _sql(filled, "UPDATE certificates SET body = :b WHERE height = 3", b=body)
    with pytest.raises(CorruptionError, match=r"certificate check.*not height 3"):
        filled.check_integrity()


def test_a_missing_head_certificate_or_checkpoint_is_refused(filled):
    _sql(filled, "DELETE FROM checkpoints WHERE height = 3")
    with pytest.raises(CorruptionError, match="checkpoint check"):
        filled.check_integrity()
    _sql(filled, "DELETE FROM certificates WHERE height = 3")
    with pytest.raises(CorruptionError, match="certificate check"):
        filled.check_integrity()


def test_a_changed_or_missing_frontier_row_is_refused(filled):
    head = filled.head()
    nodes = border(head.log_size)  # 7 leaves: subtrees of 4, 2 and 1
    assert len(nodes) == 3
    _sql(
        filled,
        "UPDATE merkle_nodes SET hash = :h WHERE id = :i",
        h=b"\x01" * 32,
        i=node_key(nodes[1]),
    )
    with pytest.raises(CorruptionError, match="merkle_frontier check") as caught:
        filled.check_integrity()
    assert head.log_root in str(caught.value)
    _sql(filled, "DELETE FROM merkle_nodes WHERE id = :i", i=node_key(nodes[2]))
    with pytest.raises(CorruptionError, match="index 6 is missing"):
        filled.check_integrity()


def test_damage_below_the_head_is_the_audit_s_to_find(filled):
    """The start-up check reads O(log n) rows: it is not the audit."""
    _sql(filled, "UPDATE certificates SET body = '{}' WHERE height = 1")
    filled.check_integrity()


# ---- a node refuses to start -------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    init_consortium(tmp_path, 3, base_port=7951)
    layout = Layout(tmp_path)
    configs = [NodeConfig.load(layout.config(name)) for name in layout.node_names()]
    node = Node(configs[0])  # creates its store
    names = {v.key_id: v.name for v in node.genesis.validators}
    asyncio.run(node.close())
    keys = [read_key_file(c.node_key) for c in configs]
    keys = [(names[k.key_id], k) for k in keys]
    with Store.open(configs[0].database) as store:
        seal(store, [], keys[:2])
        seal(store, [], keys[:2])
    return configs[0]


def test_a_node_starts_on_a_sound_store_and_refuses_a_damaged_one(folder):
    node = Node(folder)
    assert node.store.height() == 2
    asyncio.run(node.close())
    with Store.open(folder.database) as store:
        _sql(
            store,
            "UPDATE certificates SET body = "
            "(SELECT body FROM certificates WHERE height = 1) WHERE height = 2",
        )
    with pytest.raises(CorruptionError, match=r"certificate check.*provledger audit"):
        Node(folder)


def test_a_head_whose_state_root_row_is_altered_is_refused_at_start(tmp_path, consortium):
    """The start-up check reads the head's state tree root row: altered, the node names it."""
    store = Store.create(str(tmp_path / "s.sqlite"), consortium.genesis)
    seal(
        store,
        [consortium.tx(0)],
        consortium.validator_keys,
        writes=[StateWrite("evidence", "doc/aa", {"v": 1}, 0)],
    )
    store.check_integrity()
    with store.engine.begin() as conn:
        root_id = conn.exec_driver_sql("SELECT state_root_id FROM blocks").scalar()
        conn.exec_driver_sql(
            "UPDATE state_nodes SET body = ? WHERE id = ?", (b"\x02" + bytes(64), root_id)
        )
    with pytest.raises(CorruptionError, match="state_root check: the head's state tree root"):
        store.check_integrity()
    store.close()
