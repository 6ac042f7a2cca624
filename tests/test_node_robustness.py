"""A node and its consensus against a lying or broken peer, crashes and restarts: the
defects a review of the consortium found, each kept as a regression test (its docstring
names the defect), and paths that had no test (a relayed proposal; the kept lock).
Everything runs in one process: the consensus ``Driver`` (or its ``Machine``) driven
directly, or a ``Node`` built from a real ``consortium init`` folder whose tasks are not
started (no sockets are opened), driven through its parts' public methods
(``node.consensus.handle(event)``, ``node.catch_up``, ``node.outbox``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import heapq
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import default_registry
from ledger.canonical import now_time
from ledger.checkpoint import checkpoint_of_header, sign_checkpoint
from ledger.keys import SigningKey, read_key_file
from ledger.model.block import Block
from ledger.model.transaction import Transaction
from ledger.model.vote import CommitCertificate, Vote, VoteType
from ledger.sealing import seal
from nodes.bootstrap import key_paths
from nodes.consensus.driver import Driver
from nodes.consensus.events import (
    Backlog,
    ProposalJudged,
    Received,
    ResendTick,
    Resume,
    TimeoutFired,
    ValueBuilt,
)
from nodes.consensus.machine import DECIDED_KEPT, Machine, Params
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import Ready
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.mempool import Mempool, Refused
from nodes.peer.wire import (
    Committed,
    ProposalMessage,
    VoteMessage,
    decode,
    encode_proposal,
    sign_proposal,
)
from nodes.runtime import catch_up as catch_up_module
from nodes.runtime import consensus_loop as loop_module
from nodes.runtime.apply import execute
from nodes.runtime.events import Fetched, Pending
from nodes.runtime.node import Node
from nodes.runtime.outbox import CONSENSUS_PATH
from nodes.server.peer_api import _decode_all
from nodes.server.problems import REFUSAL_STATUS, Problem
from nodes.simulator.run import simulate, violations
from nodes.simulator.scenario import scenario_for
from nodes.vote_log import VoteLog
from tests.conftest import make_consortium

CHAIN = "ab" * 32


# ---- helpers ------------------------------------------------------------------------


class Local:
    """A three-node consortium folder and an in-process ``Node`` of its first validator
    (no task started, nothing bound)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.configs = init_consortium(root, 3, base_port=24_000)
        self.node = Node(self.configs[0])
        n = self.node
        self.params = Params(tuple(v.key_id for v in n.genesis.validators))
        g = n.genesis
        self.node_keys = {
            v.name: read_key_file(key_paths(root, v.organisation)[1]) for v in g.validators
        }
        self.member = read_key_file(key_paths(root, g.organisations[0].name)[0])

    def key(self, i: int) -> SigningKey:
        """Node key of validator ``i`` in genesis order."""
        return self.node_keys[self.node.genesis.validators[i].name]

    def anchor(self) -> Any:
        tx = Transaction.new(
            self.member,
            self.node.chain_id,
            "evidence",
            "anchor",
            {"sha256": os.urandom(32).hex(), "size": 1},
        )
        return tx.sign(self.member)

    def handle(self, *events: Any) -> None:
        """Hand ``events`` to the node's consensus loop, one after the other."""

        async def go() -> None:
            for event in events:
                await self.node.consensus.handle(event)

        asyncio.run(go())

    def close(self) -> None:
        asyncio.run(self.node.close())


def received(message: ProposalMessage | VoteMessage) -> Received:
    """The driver event of an authenticated peer message."""
    if isinstance(message, ProposalMessage):
        return Received(SignedProposal(message.proposal, message.signature))
    return Received(SignedVote(message.vote, message.cosignature))


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    loc = Local(tmp_path / "consortium")
    try:
        yield loc
    finally:
        loc.close()


def signed_proposal(loc: Local, proposer: int, *, forged_by: int | None = None) -> dict[str, Any]:
    """The wire form (decoded JSON) of an empty block proposed at height 1, round
    ``(proposer - 1) mod n`` by validator ``proposer``; signed by ``forged_by`` instead
    when given."""
    n = loc.node
    proposer_id = n.genesis.validators[proposer].key_id
    rounds = [r for r in range(3) if loc.params.proposer(1, r) == proposer_id]
    header = n.store.next_header([], now_time(), proposer_id)
    p = Proposal(1, rounds[0], header.block_hash, -1, proposer_id, Block(header, ()))
    signer = loc.key(proposer if forged_by is None else forged_by)
    return json.loads(encode_proposal(p, sign_proposal(signer, n.chain_id, p)))


# ---- 1. liveness: restarted validators locked on a value nobody can re-justify ---------


class _Keys:
    """A ``Signing`` with real vote signatures and no checkpoint cosignatures."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def vote(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        return Vote.signed(self.key, CHAIN, height, round, type, value_id)

    def proposal(self, proposal: Proposal) -> None:
        return None

    def endorse(self, vote: Vote, value: Any) -> None:
        return None

    def endorsed(self, vote: Vote, attachment: str | None, value: Any) -> bool:
        return True


def _drive_locked_restart(horizon: float = 300.0) -> dict[int, str]:
    """Four validators at height 2; validator 0 (Byzantine) has gone silent. Validators
    2 and 3 had prevoted and precommitted X in round 0 (the polka that locked them
    counted validator 0's prevote) and then restarted: each is a ``Driver`` rebuilt from
    its vote log and its kept lock proposal, exactly as ``Node`` builds it. Validator 1
    never saw round 0. The three correct validators exchange every message and hand
    their drivers a ``ResendTick`` every second (the runtime's resender).
    Returns who decided what within ``horizon`` virtual seconds."""
    keys = [SigningKey.generate() for _ in range(4)]
    ids = tuple(k.key_id for k in keys)
    params = Params(ids)
    h = 2
    assert params.proposer(h, 0) == ids[2]
    x = Proposal(h, 0, "11" * 32, -1, ids[2], "X")

    drivers: dict[int, Driver] = {}
    for i in (2, 3):
        own = [Vote.signed(keys[i], CHAIN, h, 0, t, x.value_id) for t in VoteType]
        drivers[i] = Driver(params, ids[i], _Keys(keys[i]), h, own, [SignedProposal(x)])
    drivers[1] = Driver(params, ids[1], _Keys(keys[1]), h)
    now, timers, queue, decided, seq = 0.0, [], [], {}, [0]

    def perform(i: int, ready: Ready) -> None:
        queue.extend((j, m) for m in ready.send for j in drivers if j != i)
        for t in ready.timeouts:
            seq[0] += 1
            heapq.heappush(timers, (now + t.delay, seq[0], i, (t.height, t.round, t.step)))
        for g in ready.build:
            vid = hashlib.sha256(f"{i}/{g.round}".encode()).hexdigest()
            perform(i, drivers[i].step(ValueBuilt(g.height, g.round, f"V{i}.{g.round}", vid)))
        for p in ready.judge:
            perform(i, drivers[i].step(ProposalJudged(p, True)))
        for d in ready.decisions:
            decided[i] = d.value_id

    for i in (2, 3):
        perform(i, drivers[i].step(Resume()))  # judges the kept lock proposal again
    perform(1, drivers[1].step(Resume()))
    perform(1, drivers[1].step(Backlog(1)))
    next_resend = 1.0
    while not decided and now < horizon:
        while queue:
            j, msg = queue.pop(0)
            perform(j, drivers[j].step(Received(msg)))
        if timers and timers[0][0] < next_resend:
            now, _, i, (hh, r, s) = heapq.heappop(timers)
            perform(i, drivers[i].step(TimeoutFired(hh, r, s)))
        else:
            now, next_resend = next_resend, next_resend + 1.0
            for i, d in drivers.items():
                perform(i, d.step(ResendTick()))
    return decided


def test_restarted_validators_locked_on_a_value_stall_forever():
    """Found in review (liveness, n = 4 with one Byzantine validator): a restarted validator
    keeps its lock (``locked_id``) and the locked proposal, but not the prevotes that
    justified it, so it has no valid value; as proposer it asks for a fresh value
    (``GetValue``) instead of re-proposing what it is locked on. Two correct
    validators locked on X whose polka counted the now-silent Byzantine validator's
    prevote then prevote nil on every new value, and the third can never see a polka
    for X: no round ever decides (machine.py ``_start_round`` / ``_restore``)."""
    decided = _drive_locked_restart()
    assert decided, "no correct validator decided height 2 in 300 virtual seconds"


def test_simulator_soak_seed_50190_n4_makes_progress():
    """Found in review (same as above, found by ``provledger sim soak --start 50000``): seed
    50190 with n = 4 stalls at height 2 for ten virtual minutes after every fault is
    over (nodes 2 and 3 locked on the block of round 0 and restarted; the Byzantine
    validator serves no catch-up)."""
    result = simulate(scenario_for(50190, 4, 50))
    assert not violations(result), violations(result)


# ---- 1b. liveness: one "committed" notice halts every height start ------------------


def test_one_false_committed_notice_does_not_stop_the_node_starting_heights(local: Local):
    """Found in review (liveness, node.py ``receive`` + ``_start_if_pending``): a ``committed``
    notice is taken at its word and kept forever (``peer.height = max(...)``, never
    lowered). Since 56384a2 a node does not start a height while any peer is "ahead",
    so one validator posting ``{"type": "committed", "height": 2**53 - 1}`` to every
    node stops all of them from ever starting a round on their pending transactions;
    catch-up from that peer finds nothing and nothing resets its height."""
    node = local.node
    node.mempool.admit(local.anchor())
    node.receive(Committed(2**53 - 1), local.key(1).key_id)
    local.handle(Resume(), Pending())
    assert node.consensus.driver.started, "transactions wait but the height never starts"


# ---- 2. a Byzantine validator grows a node's memory without bound ---------------------


def test_heard_votes_are_bounded(local: Local):
    """Found in review (memory, node.py ``_dispatch``): every verified vote is stored in
    ``Node._heard`` keyed by (height, round, type, validator, block hash) before the
    machine's height/round window is applied, and only heights at or below the next
    committed one are ever pruned. One validator signing votes for many block hashes
    at the current height, or for far-future heights, grows it without bound (and the
    resender re-broadcasts every one of the current height to every peer each
    second)."""
    node, other = local.node, local.key(1)
    events = []
    for _ in range(300):
        v = Vote.signed(other, node.chain_id, 1, 0, VoteType.PREVOTE, os.urandom(32).hex())
        events.append(received(VoteMessage(v, None)))
    for i in range(300):
        v = Vote.signed(other, node.chain_id, 10**9 + i, 0, VoteType.PREVOTE, None)
        events.append(received(VoteMessage(v, None)))
    local.handle(*events)
    # At most a first vote and one conflicting vote per (validator, height, round,
    # step) inside the machine's window matter; 600 entries from one validator do not.
    heard = node.consensus.driver.memory()["heard"]
    assert heard == 2, heard
    assert len(node.evidence) == 1  # the flood is one equivocation, caught once


def test_signed_proposals_far_ahead_are_not_kept(local: Local):
    """Found in review (memory, node.py ``_dispatch``): ``Node._signed`` keeps every validly
    signed proposal by (height, round) before the machine checks that its sender is
    the proposer of that height and round or that the height is within the window.
    A validator can sign proposals (each up to half the body limit) for any far-future
    heights; they are never pruned."""
    node, byz = local.node, local.key(1)
    byz_id = byz.key_id

    events = []
    for i in range(200):
        h = 10**9 + i
        header = node.store.next_header([], now_time(), byz_id)
        header = type(header)(**{**header.__dict__, "height": h})
        p = Proposal(h, 0, header.block_hash, -1, byz_id, Block(header, ()))
        events.append(received(ProposalMessage(p, sign_proposal(byz, node.chain_id, p))))
    local.handle(*events)
    kept = node.consensus.driver.memory()["proposals"]
    assert kept == 0, f"{kept} far-future proposals kept"


def test_a_proposal_already_judged_is_not_judged_again(local: Local, monkeypatch):
    """Found in review (CPU amplification, node.py ``_dispatch``/``_on_proposal``): every copy of
    a proposal is judged again in full (admission of every transaction, a committed
    query, the new Merkle root) before the machine drops it as already held. Peers
    re-send their proposals every second while a height stalls, and one validator can
    put the same proposal 4,096 times in one request (``MAX_MESSAGES``), each queued on
    the unbounded event queue: the single consensus task is kept busy re-judging."""
    node = local.node
    calls = []
    real = loop_module.judge_block

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(loop_module, "judge_block", counting)
    (message,) = _decode_all([signed_proposal(local, 1)], node, local.key(2).key_id)
    local.handle(*[received(message)] * 20)
    assert len(calls) == 1, f"the same proposal was judged {len(calls)} times"


# ---- 3. robustness: one bad answer from a peer disables a node for good -------------


def _mock_peers(node: Node, handler: Any) -> None:
    for peer in node.peers:
        peer.use(httpx.MockTransport(handler))


def test_poller_survives_a_peer_answering_deeply_nested_json(local: Local, monkeypatch):
    """Found in review (liveness/DoS, peer/client.py ``get`` + node.py ``_poller``): ``PeerClient
    .get`` catches only ``httpx.HTTPError`` and ``ValueError``; a peer (or whatever
    answers at its URL) returning deeply nested JSON makes ``json.loads`` raise
    ``RecursionError``, which kills the unguarded ``_poller`` task: the node never polls
    heads or catches up again until restarted. Since 56384a2 the ``resume`` event is
    posted only after the poller's first round, so a node whose first poll meets such an
    answer never even resumes consensus."""
    monkeypatch.setattr(catch_up_module, "POLL_INTERVAL", 0.01)
    deep = b"[" * 100_000 + b"]" * 100_000
    _mock_peers(local.node, lambda request: httpx.Response(200, content=deep))

    async def go() -> BaseException | None:
        task = asyncio.create_task(local.node.catch_up.run())
        await asyncio.sleep(0.3)
        died = task.exception() if task.done() else None
        task.cancel()
        return died

    died = asyncio.run(go())
    assert died is None, f"the poller task died: {died!r}"


def test_sender_survives_a_peer_answering_200_without_json(local: Local):
    """Found in review (liveness, peer/client.py ``post_raw`` + node.py ``_sender``): a 2xx answer
    whose body is not JSON (a proxy page, a half-restarted peer) raises
    ``JSONDecodeError`` out of ``post_raw``; the per-peer ``_sender`` task has no guard
    and dies, so nothing is ever sent to that peer again until restart."""
    _mock_peers(local.node, lambda request: httpx.Response(200, content=b"<html>ok</html>"))
    node = local.node
    peer = node.peers[0]

    async def go() -> BaseException | None:
        node.outbox.put(peer.name, CONSENSUS_PATH, [b'{"type":"committed","height":1}'] * 2)
        task = asyncio.create_task(node.outbox.run(peer, CONSENSUS_PATH))
        await asyncio.sleep(0.2)
        died = task.exception() if task.done() else None
        task.cancel()
        return died

    died = asyncio.run(go())
    assert died is None, f"the sender task died: {died!r}"
    assert node.outbox.queued(peer.name, CONSENSUS_PATH) == 0  # it went on sending


def test_catch_up_avoids_a_peer_serving_a_block_that_raises_recursion_error(local: Local):
    """Found in review (liveness, node.py ``_sync``): only ``LedgerError``, ``KeyError`` and
    ``TypeError`` mark a peer bad. A block whose transaction args nest a few hundred
    levels (valid JSON) raises ``RecursionError`` in decoding; it escapes ``_sync``, the
    peer is not avoided, and ``_catch_up`` asks the same peer again every poll."""
    node = local.node
    tx = local.anchor().to_dict()
    tx["tx"]["args"]["x"] = json.loads("[" * 600 + "]" * 600)
    header = node.store.next_header([], now_time(), local.key(0).key_id)
    item = {
        "block": {"header": header.to_dict(), "transactions": [tx]},
        "certificate": {},
        "checkpoint": "",
    }
    name = node.peers[0].name

    async def go() -> bool:
        done = asyncio.get_running_loop().create_future()
        await node.consensus.handle(Fetched(name, [item], done))
        return done.done()

    assert not node.catch_up.avoided(name)
    assert asyncio.run(go()), "catch-up would wait forever for its fetched blocks"
    assert node.catch_up.avoided(name)
    assert node.store.height() == 0


def _certified_item(local: Local, block: Block) -> dict[str, Any]:
    """The catch-up item of ``block``, certified and cosigned by every validator."""
    header = block.header
    keys = [(v.name, local.node_keys[v.name]) for v in local.node.genesis.validators]
    votes = [
        Vote.signed(k, header.chain_id, header.height, 0, VoteType.PRECOMMIT, header.block_hash)
        for _, k in keys
    ]
    return {
        "block": block.to_dict(),
        "certificate": CommitCertificate.from_votes(votes).to_dict(),
        "checkpoint": sign_checkpoint(checkpoint_of_header(header), keys),
    }


def test_catch_up_refuses_a_certified_block_whose_roots_differ_from_its_execution(
    local: Local, caplog: pytest.LogCaptureFixture
):
    """Catch-up re-executes every fetched block: even a block certified by every validator
    is refused, and its peer avoided and named, when executing it here gives another state
    root than its header's (a quorum cannot make a node store a state it disagrees with)."""
    node = local.node
    tx, time = local.anchor(), now_time()
    effects = execute(node.store, node.registry, [tx], height=1, time=time, first_index=0)
    honest = node.store.next_header(
        [tx], time, local.key(0).key_id, writes=effects.writes, results=effects.results
    )
    forged = dataclasses.replace(honest, state_root="77" * 32)
    name = node.peers[0].name

    async def go() -> None:
        done = asyncio.get_running_loop().create_future()
        item = _certified_item(local, Block(forged, (tx,)))
        await node.consensus.handle(Fetched(name, [item], done))

    with caplog.at_level("WARNING", logger="provledger.node"):
        asyncio.run(go())
    assert node.store.height() == 0
    assert node.catch_up.avoided(name)
    (line,) = [r.getMessage() for r in caplog.records if "served a bad block" in r.getMessage()]
    assert name in line and "state_root is not the root of the state after this block" in line

    async def good() -> None:
        done = asyncio.get_running_loop().create_future()
        item = _certified_item(local, Block(honest, (tx,)))
        await node.consensus.handle(Fetched(node.peers[1].name, [item], done))

    asyncio.run(good())
    assert node.store.height() == 1
    assert node.store.head().state_root == honest.state_root


def test_deeply_nested_args_are_refused_400_not_an_internal_error():
    """Found in review (API errors, ledger/canonical.py ``_plain``/``_jsonable`` + mempool
    ``_decode``): args nested 600 levels deep (far below what ``json.loads`` accepts)
    make ``canonical`` raise ``RecursionError`` instead of ``CanonicalError``; admission
    lets it escape, so ``POST /v1/transactions`` answers 500 "internal error" (and logs a
    traceback) instead of 400 "malformed transaction", and a whole batch fails."""
    c = make_consortium()
    pool = Mempool(c.genesis, default_registry(c.genesis), lambda ids: set())
    item = c.tx(0, sha256="ab" * 32, size=1).to_dict()
    item["tx"]["args"]["x"] = json.loads("[" * 600 + "]" * 600)
    (result,) = pool.admit_many([item])
    assert isinstance(result, Refused) and REFUSAL_STATUS[result.kind] == 400


def test_proposal_with_non_hex_tx_id_is_a_validation_error(local: Local):
    """Found in review (API errors, peer/wire.py ``_block``): a 64-character ``tx_ids`` entry that
    is not hex reaches ``bytes.fromhex`` and raises ``ValueError``, not
    ``ValidationError``; ``_decode_all`` does not catch it and ``POST /peer/consensus``
    answers 500 "internal error" with a traceback in the log instead of 400."""
    wire = signed_proposal(local, 1)
    wire["tx_ids"] = ["zz" * 32]
    wire["block"]["transactions"] = [local.anchor().to_dict()]
    with pytest.raises(Problem) as info:
        _decode_all([wire], local.node, local.key(2).key_id)
    assert info.value.status == 400


# ---- 4. durability ----------------------------------------------------------------------


def _directory_fsyncs(monkeypatch) -> list[bool]:
    seen: list[bool] = []
    real = os.fsync

    def spy(fd: int) -> None:
        seen.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return seen


def test_vote_log_prune_makes_its_rename_durable(tmp_path: Path, monkeypatch):
    """Found in review (restart safety on power loss, vote_log.py ``prune``): the pruned copy
    replaces ``votes.jsonl`` by rename, but the directory is never fsynced. After a power
    cut the old directory entry may come back while votes recorded (and sent) after the
    prune were fsynced only into the new file: the restarted validator does not know
    them and may sign conflicting votes."""
    key = SigningKey.generate()
    log = VoteLog(tmp_path / "votes.jsonl")
    for h in (1, 2):
        log.record(Vote.signed(key, CHAIN, h, 0, VoteType.PREVOTE, None))
    seen = _directory_fsyncs(monkeypatch)
    log.prune(2)
    log.close()
    assert any(seen), "no directory fsync after replacing votes.jsonl"


def test_record_lock_makes_its_rename_durable(tmp_path: Path, monkeypatch):
    """Found in review (restart liveness on power loss, vote_log.py ``record_lock``): ``lock.json``
    is replaced by rename without fsyncing its directory, so the precommit recorded right
    after it can survive a power cut while the lock proposal it depends on does not."""
    log = VoteLog(tmp_path / "votes.jsonl")
    seen = _directory_fsyncs(monkeypatch)
    log.record_lock(b'{"type":"proposal"}')
    log.close()
    assert any(seen), "no directory fsync after replacing lock.json"


def test_stored_on_drops_a_peer_whose_head_went_back(local: Local, monkeypatch):
    """Found in review (durability report, node.py ``_poller``/``receive``): a peer's height is
    ``max(old, new)``, never lowered. A peer that said it stored block 1 and then came
    back on an empty disk (which the README supports: it catches up from height 1)
    keeps counting in ``stored_on``: with the third node down, a transaction stored on
    this node alone is reported ``committed``."""
    node = local.node
    tx = local.anchor()
    keys = [(v.name, local.key(i)) for i, v in enumerate(node.genesis.validators)]
    seal(node.store, [tx], keys)
    b, c = node.peers
    b_id = next(v.key_id for v in node.genesis.validators if v.name == b.name)
    node.receive(Committed(1), b_id)
    assert node.status(tx.tx_id)["status"] == "committed"  # B and this node hold it

    async def head(path: str, params: Any = None) -> Any:
        return {"height": 0} if path == "/v1/head" else None

    async def down(path: str, params: Any = None) -> Any:
        return None

    monkeypatch.setattr(b, "get", head)  # B restarted on an empty disk
    monkeypatch.setattr(c, "get", down)  # C is down and never stored block 1
    monkeypatch.setattr(catch_up_module, "POLL_INTERVAL", 0.01)

    async def poll() -> None:
        task = asyncio.create_task(node.catch_up.run())
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(poll())
    st = node.status(tx.tx_id)
    assert st["stored_on"] == 1 and st["status"] == "pending", st


# ---- 5. restart state from another chain -------------------------------------------------


def test_init_force_removes_the_kept_lock_and_evidence(tmp_path: Path):
    """Found in review (consortium/init.py ``init_consortium``): ``--force`` deletes each node's
    SQLite files and ``votes.jsonl`` but leaves ``lock.json`` and ``evidence.jsonl``.
    Keys are reused, so after re-init a node at height 1 re-delivers the old chain's
    kept proposal (``_restore_lock`` checks neither chain id nor signature): the machine
    holds it as round r's proposal (refusing the real one) and the resender relays it,
    which makes peers refuse the whole batch (400 "proposal is for another chain")."""
    root = tmp_path / "c"
    configs = init_consortium(root, 3, base_port=24_100)
    folder = Layout(root).node_dir(configs[0].name)
    log = VoteLog(configs[0].votes)
    log.record_lock(b'{"type":"proposal"}')
    log.close()
    (folder / "evidence.jsonl").write_text("{}\n")
    init_consortium(root, 3, base_port=24_100, force=True)
    left = [p.name for p in (folder / "lock.json", folder / "evidence.jsonl") if p.exists()]
    assert not left, f"left from the old chain: {left}"


def test_machine_memory_of_decisions_is_bounded():
    """Found in review (memory, machine.py ``decided``): the machine promises bounded
    memory; ``Machine.decided`` keeps only the latest decisions."""
    keys = [SigningKey.generate() for _ in range(3)]
    params = Params(tuple(k.key_id for k in keys))
    m = Machine(params, None, None, 1)
    for h in range(1, 2001):
        m.on_synced(h, os.urandom(32).hex())
    assert len(m.decided) <= DECIDED_KEPT, len(m.decided)


# ---- uncovered paths (these pass) -------------------------------------------------------


def test_relayed_proposal_with_the_proposers_signature_is_accepted(local: Local):
    """A proposal relayed by a validator that is not its proposer passes
    ``_decode_all`` when the proposer's signature verifies, and the node then judges it
    and prevotes for it."""
    node = local.node
    relayer = local.key(2).key_id
    wire = signed_proposal(local, 1)
    assert wire["proposer"] != relayer
    (message,) = _decode_all([wire], node, relayer)
    assert isinstance(message, ProposalMessage)
    assert message.proposal.proposer == node.genesis.validators[1].key_id
    local.handle(received(message))
    log = VoteLog(local.configs[0].votes)
    prevotes = [v for v in log.load() if v.type is VoteType.PREVOTE]
    log.close()
    assert [v.block_hash for v in prevotes] == [message.proposal.value_id]
    assert node.consensus_view().step == "prevote"


@pytest.mark.parametrize("forger", [0, 2])
def test_relayed_proposal_with_a_forged_signature_is_refused_403(local: Local, forger: int):
    """A proposal naming validator 1 as proposer but signed by another validator key
    (the relayer's or ours) is refused 403, whoever relays it."""
    wire = signed_proposal(local, 1, forged_by=forger)
    with pytest.raises(Problem) as info:
        _decode_all([wire], local.node, local.key(2).key_id)
    assert info.value.status == 403
    # The same bytes decode fine: it is the signature that is refused.
    assert isinstance(decode(wire), ProposalMessage)


def test_vote_log_lock_round_trip(tmp_path: Path):
    """``VoteLog.record_lock``/``load_lock``: nothing before the first lock; the last
    recorded proposal bytes afterwards, also from a new ``VoteLog`` (a restart); no
    temporary file is left behind."""
    path = tmp_path / "votes.jsonl"
    log = VoteLog(path)
    assert log.load_lock() is None
    log.record_lock(b'{"first":1}')
    assert log.load_lock() == b'{"first":1}'
    log.record_lock(b'{"second":2}')
    log.close()
    again = VoteLog(path)
    assert again.load_lock() == b'{"second":2}'
    assert again.lock_path == tmp_path / "lock.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lock.json", "votes.jsonl"]
    again.close()
