"""The node runtime driven in one process, without tasks, sockets or HTTP, through its
public parts: ``node.consensus.handle(event)`` performs what the driver asks,
``node.catch_up`` knows the peers, ``node.consensus_view()`` says where consensus is."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.keys import read_key_file
from ledger.model.transaction import Transaction
from nodes.bootstrap import key_paths
from nodes.config import NodeConfig
from nodes.consensus.driver import Driver
from nodes.consensus.events import Resume
from nodes.consensus.machine import Params
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.runtime.events import Pending
from nodes.runtime.node import Node
from nodes.runtime.outbox import CONSENSUS_PATH
from nodes.simulator import scenario_for
from nodes.simulator.identities import Identities
from nodes.simulator.network import Network
from nodes.simulator.node import Context
from nodes.simulator.node import Node as SimulatedNode
from nodes.simulator.record import Log
from nodes.vote_log import VoteLog


@pytest.fixture
def node(tmp_path) -> Iterator[Node]:
    init_consortium(tmp_path, 3, base_port=7901)
    layout = Layout(tmp_path)
    n = Node(NodeConfig.load(layout.config(layout.node_names()[0])))
    key = read_key_file(key_paths(tmp_path, n.genesis.organisations[0].name)[0])
    args = {"sha256": os.urandom(32).hex(), "size": 1}
    tx = Transaction.new(key, n.chain_id, "evidence", "anchor", args).sign(key)
    assert isinstance(n.mempool.admit(tx.to_dict()), str)
    yield n
    asyncio.run(n.close())


def handle(node: Node, *events: Any) -> None:
    async def go() -> None:
        for event in events:
            await node.consensus.handle(event)

    asyncio.run(go())


def sent(node: Node) -> int:
    return sum(node.outbox.queued(p.name, CONSENSUS_PATH) for p in node.peers)


def test_a_node_behind_its_peers_does_not_start_a_round(node):
    node.peers[0].height = 1  # a peer has stored the height we would decide
    node.peers[0].up = True
    handle(node, Resume(), Pending())
    assert not node.consensus.driver.started
    assert sent(node) == 0


def test_a_peer_ahead_that_is_down_does_not_hold_the_node_back(node):
    ahead = node.peers[0]
    ahead.height, ahead.up = 5, False  # down: its claim cannot be checked
    handle(node, Resume(), Pending())
    assert node.consensus.driver.started


def test_a_peer_ahead_that_served_nothing_does_not_hold_the_node_back(node):
    ahead = node.peers[0]
    ahead.height, ahead.up = 5, True
    node.catch_up.avoid(ahead.name)  # it served nothing when asked
    assert node.catch_up.peer_height() == 0
    handle(node, Resume(), Pending())
    assert node.consensus.driver.started


def test_a_node_level_with_its_peers_starts_a_round_when_transactions_wait(node):
    handle(node, Pending())
    assert not node.consensus.driver.started  # not before it resumed
    handle(node, Resume(), Pending())
    assert node.consensus.driver.started
    driver = node.consensus.driver
    proposes = driver.params.proposer(1, 0) == driver.me  # it built, proposed and prevoted
    view = node.consensus_view()
    step = "prevote" if proposes else "propose"
    assert (view.height, view.round, view.step, view.locked_round) == (1, 0, step, -1)
    assert sent(node) == (2 * len(node.peers) if proposes else 0)


def test_nothing_starts_without_transactions(node):
    node.mempool.remove([tx.tx_id_bytes for tx in node.mempool.take(10)])
    handle(node, Resume(), Pending())
    assert not node.consensus.driver.started


def test_the_proposer_builds_signs_and_sends_its_proposal_and_prevote(tmp_path, monkeypatch):
    """The validator that proposes at height 1 round 0 builds a block of the pending
    transaction, sends the proposal and its prevote, and logs the prevote first."""
    init_consortium(tmp_path, 3, base_port=7911)
    layout = Layout(tmp_path)
    names = layout.node_names()
    nodes = [Node(NodeConfig.load(layout.config(name))) for name in names]
    try:
        ids = [v.key_id for v in nodes[0].genesis.validators]
        proposer = next(n for n in nodes if n.consensus.driver.me == ids[1])
        key = read_key_file(key_paths(tmp_path, proposer.genesis.organisations[0].name)[0])
        tx = Transaction.new(
            key,
            proposer.chain_id,
            "evidence",
            "anchor",
            {
                "sha256": os.urandom(32).hex(),
                "size": 1,
            },
        ).sign(key)
        assert isinstance(proposer.mempool.admit(tx.to_dict()), str)
        queued_at_record: list[int] = []
        record = VoteLog.record

        def spy(self: VoteLog, vote: Any) -> None:
            queued_at_record.append(sent(proposer))
            record(self, vote)

        monkeypatch.setattr(VoteLog, "record", spy)
        handle(proposer, Resume(), Pending())
        assert queued_at_record == [0], "a vote was sent before it was on disk"
        log = VoteLog(proposer.config.votes)
        votes = log.load()
        log.close()
        assert [(v.type.value, v.height, v.round) for v in votes] == [("prevote", 1, 0)]
        assert votes[0].block_hash is not None
        assert proposer.consensus_view().step == "prevote"
        for peer in proposer.peers:  # the proposal and the prevote, to every peer
            assert proposer.outbox.queued(peer.name, CONSENSUS_PATH) == 2
    finally:
        for n in nodes:
            asyncio.run(n.close())


def test_the_node_and_the_simulator_drive_the_same_driver(node):
    """No consensus rule is written twice: a node's consensus loop and a simulated
    validator both drive ``nodes.consensus.driver.Driver`` itself."""
    s = scenario_for(1, 3, 2)
    ids = Identities.for_seed(s.seed, s.n)
    net = Network(s, random.Random(1))
    simulated = SimulatedNode(
        0, Context(s, Params(ids.ids), ids, net, Log(s.n, False), lambda i: None)
    )
    simulated.boot()
    assert type(node.consensus.driver) is Driver
    assert type(simulated.driver) is Driver
