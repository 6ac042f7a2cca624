"""Pieces of the node runtime driven directly, without processes or HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ledger.keys import read_key_file
from ledger.model.transaction import Transaction
from nodes.bootstrap import key_paths
from nodes.config import NodeConfig
from nodes.consensus.actions import GetValue, ScheduleTimeout
from nodes.consensus.machine import Machine
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.runtime.node import Node


@pytest.fixture
def node(tmp_path) -> Iterator[Node]:
    init_consortium(tmp_path, 3, base_port=7901)
    layout = Layout(tmp_path)
    n = Node(NodeConfig.load(layout.config(layout.node_names()[0])))
    n.machine = Machine(n.params, n.key.key_id, n._sign, n.store.height() + 1)
    key = read_key_file(key_paths(tmp_path, n.genesis.organisations[0].name)[0])
    args = {"sha256": os.urandom(32).hex(), "size": 1}
    tx = Transaction.new(key, n.chain_id, "evidence", "anchor", args).sign(key)
    assert isinstance(n.mempool.admit(tx.to_dict()), str)
    yield n
    n.vote_log.close()
    n.store.close()


def test_a_node_behind_its_peers_does_not_start_a_round(node):
    node.peers[0].height = 1  # a peer has stored the height we would decide
    node.peers[0].up = True
    assert node._start_if_pending() == []
    assert not node.machine.started


def test_a_peer_ahead_that_is_down_or_served_nothing_does_not_hold_the_node_back(node):
    import time

    ahead = node.peers[0]
    ahead.height, ahead.up = 5, False  # down: its claim cannot be checked
    assert node._start_if_pending() != []
    node.machine = Machine(node.params, node.key.key_id, node._sign, 1)
    ahead.up = True
    node._bad_until[ahead.name] = time.monotonic() + 60  # it served nothing when asked
    assert node._start_if_pending() != []


def test_a_node_level_with_its_peers_starts_a_round_when_transactions_wait(node):
    actions = node._start_if_pending()
    assert node.machine.started
    assert any(isinstance(a, GetValue | ScheduleTimeout) for a in actions)


def test_nothing_starts_without_transactions(node):
    node.mempool.remove([tx.tx_id_bytes for tx in node.mempool.take(10)])
    assert node._start_if_pending() == []
    assert not node.machine.started
