"""One statement of the chain rules: ``ledger.successor`` and ``ledger.certified``, and
the validator's judgement of a proposal (``nodes.runtime.blocks.judge_block``), which
words the same faults as the store."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta

import pytest

from contracts import default_registry
from ledger.canonical import format_time, now_time, parse_time
from ledger.certified import certificate_faults, checkpoint_faults, head_faults
from ledger.checkpoint import checkpoint_of_header, sign_checkpoint
from ledger.merkle import leaf_hash, root
from ledger.model import Block, BlockHeader, SignedTransaction
from ledger.sealing import seal
from ledger.store import Store
from ledger.successor import Tip, link_faults, log_faults, successor_faults
from nodes.mempool import Mempool
from nodes.runtime.apply import execute, execute_block
from nodes.runtime.blocks import MAX_CLOCK_AHEAD, judge_block
from tests.conftest import Consortium
from tests.test_store import certify


def _anchor(consortium: Consortium) -> SignedTransaction:
    return consortium.tx(0, sha256=os.urandom(32).hex(), size=100)


@pytest.fixture
def chain(tmp_path, consortium):
    """A store with two blocks and the next block of two new transactions."""
    store = Store.create(str(tmp_path / "s.sqlite"), consortium.genesis)
    seal(store, [consortium.tx(0), consortium.tx(1)], consortium.validator_keys[:2])
    seal(store, [consortium.tx(2)], consortium.validator_keys[:2])
    txs = (_anchor(consortium), _anchor(consortium))  # admissible: judged by the mempool too
    yield store, Block(_executed_header(store, txs, now_time(), consortium.nodes[1].key_id), txs)
    store.close()


def _executed_header(store: Store, txs, time: str, proposer: str) -> BlockHeader:
    """The header of ``txs`` on the store's head, executed by the real contracts."""
    effects = execute(
        store,
        default_registry(store.genesis),
        txs,
        height=store.height() + 1,
        time=time,
        first_index=store.log_size(),
    )
    return store.next_header(txs, time, proposer, writes=effects.writes, results=effects.results)


def _effects(store: Store, block: Block):
    return execute_block(store, default_registry(store.genesis), block)


def _log_root_after(store: Store, block: Block) -> str:
    leaves = [
        leaf_hash(bytes.fromhex(i))
        for h in range(1, store.height() + 1)
        for i in store.tx_ids_at(h)
    ]
    return root(leaves + [leaf_hash(t.tx_id_bytes) for t in block.transactions]).hex()


def _changed(block: Block, **fields: object) -> Block:
    return Block(dataclasses.replace(block.header, **fields), block.transactions)


def test_a_valid_successor_has_no_faults(chain):
    store, block = chain
    tip = Tip.of(store.head())
    assert successor_faults(tip, block, store.validators, _log_root_after(store, block)) == []
    effects = _effects(store, block)
    assert store.successor_faults(block, writes=effects.writes, results=effects.results) == []
    assert Tip.genesis(store.chain_id) == Tip(store.chain_id, 0, store.chain_id, None, 0, "00" * 32)


@pytest.mark.parametrize(
    ("fields", "check", "expected", "actual"),
    [
        ({"chain_id": "33" * 32}, "chain_id", None, "33" * 32),
        ({"height": 4}, "height", "3", "4"),
        ({"prev_hash": "11" * 32}, "prev_hash", None, "11" * 32),
        ({"log_size": 6}, "log_size", "5", "6"),
        ({"time": "2000-01-01T00:00:00.000000Z"}, "time", None, "2000-01-01T00:00:00.000000Z"),
        ({"tx_count": 1, "log_size": 4}, "tx_count", "1", "2"),
        ({"tx_root": "44" * 32}, "tx_root", None, "44" * 32),
        ({"log_root": "55" * 32}, "log_root", None, "55" * 32),
    ],
)
def test_each_rule_is_named_with_what_differs(chain, fields, check, expected, actual):
    store, block = chain
    bad = _changed(block, **fields)
    faults = successor_faults(
        Tip.of(store.head()), bad, store.validators, _log_root_after(store, block)
    )
    assert faults, fields
    first = faults[0]
    assert first.check == check, faults
    if expected is not None:
        assert first.expected == expected
    assert first.actual == actual
    assert first.expected != first.actual
    # the store words the same fault, and refuses the block for it
    assert store.successor_faults(bad, results=None)[0] == first


def test_a_proposer_outside_the_validators_and_several_faults_at_once(chain, consortium):
    store, block = chain
    tip = Tip.of(store.head())
    member = consortium.members[0].key_id
    faults = link_faults(tip, dataclasses.replace(block.header, proposer=member), store.validators)
    assert [(f.check, f.actual) for f in faults] == [("proposer", member)]
    many = dataclasses.replace(block.header, height=9, prev_hash="11" * 32, proposer=member)
    assert [f.check for f in link_faults(tip, many, store.validators)] == [
        "height",
        "prev_hash",
        "proposer",
    ]


def test_the_first_block_extends_the_genesis_tip(consortium):
    tx = consortium.tx(0)
    leaf = leaf_hash(tx.tx_id_bytes)
    header = BlockHeader(
        consortium.chain_id,
        1,
        consortium.chain_id,
        now_time(),
        consortium.nodes[0].key_id,
        1,
        root([leaf]).hex(),
        1,
        root([leaf]).hex(),
        "00" * 32,
        root([]).hex(),
    )
    validators = consortium.genesis.validator_set()
    tip = Tip.genesis(consortium.chain_id)
    assert successor_faults(tip, Block(header, (tx,)), validators, root([leaf]).hex()) == []
    assert [f.check for f in log_faults(header, "00" * 32)] == ["log_root"]
    assert [f.check for f in successor_faults(tip, Block(header, ()), validators)] == ["tx_count"]


def test_certificate_and_checkpoint_faults(chain, consortium):
    store, block = chain
    header, validators = block.header, store.validators
    assert certificate_faults(header, certify(consortium, header, (0, 1)), validators) == []
    (few,) = certificate_faults(header, certify(consortium, header, (0,)), validators)
    assert few.check == "certificate" and "quorum is 2" in few.message
    other = dataclasses.replace(header, time=format_time(parse_time(header.time) + timedelta(1)))
    (wrong,) = certificate_faults(other, certify(consortium, header, (0, 1)), validators)
    assert wrong.check == "certificate" and "not height" in wrong.message

    note = sign_checkpoint(checkpoint_of_header(header), consortium.validator_keys[:2])
    assert checkpoint_faults(header, note, validators) == []
    (unsigned,) = checkpoint_faults(
        header,
        sign_checkpoint(checkpoint_of_header(header), consortium.validator_keys[:1]),
        validators,
    )
    assert unsigned.check == "checkpoint" and "signature" in unsigned.message
    stated = dataclasses.replace(checkpoint_of_header(header), size=header.log_size + 1)
    (size,) = head_faults(header, stated)
    assert "another log size or root" in size.message
    assert (size.expected, size.actual) == (
        f"size {header.log_size} root {header.log_root}",
        f"size {header.log_size + 1} root {header.log_root}",
    )
    (block_fault,) = head_faults(other, checkpoint_of_header(header))
    assert "another block" in block_fault.message
    later = sign_checkpoint(stated, consortium.validator_keys)
    assert [f.message for f in checkpoint_faults(header, later, validators)] == [size.message]


def _pool(consortium: Consortium, store: Store) -> Mempool:
    genesis = consortium.genesis
    return Mempool(genesis, default_registry(genesis), store.committed_among)


def _judge(store: Store, pool: Mempool, block: Block, limit: int) -> str | None:
    return judge_block(store, default_registry(store.genesis), pool, block, limit).reason


def test_judge_block_accepts_the_next_block_and_names_why_not(chain, consortium):
    store, block = chain
    pool = _pool(consortium, store)
    verdict = judge_block(store, default_registry(store.genesis), pool, block, 10)
    assert verdict.reason is None and verdict.divergence == ()
    assert verdict.effects is not None and len(verdict.effects.results) == 2
    assert _judge(store, pool, block, limit=1) == "block has 2 transactions, the limit is 1"
    assert _judge(store, pool, _changed(block, height=4), 10) == "height 4 does not follow 2"
    assert _judge(store, pool, _changed(block, chain_id="33" * 32), 10) == (
        "block is for another chain"
    )
    short = Block(block.header, block.transactions[:1])
    assert _judge(store, pool, short, 10) == "header says 2 transactions, body has 1"
    ahead = format_time(parse_time(now_time()) + MAX_CLOCK_AHEAD + timedelta(minutes=5))
    future = Block(
        _executed_header(store, block.transactions, ahead, block.header.proposer),
        block.transactions,
    )
    assert _judge(store, pool, future, 10) == "block time is too far in the future"
    committed = store.block(2).transactions
    again = Block(_executed_header(store, committed, now_time(), block.header.proposer), committed)
    reason = _judge(store, pool, again, 10)
    assert reason is not None and "committed" in reason


@pytest.mark.parametrize("field", ["state_root", "results_root"])
def test_a_block_whose_roots_differ_from_our_execution_is_a_divergence(chain, consortium, field):
    store, block = chain
    other = "66" * 32
    verdict = judge_block(
        store,
        default_registry(store.genesis),
        _pool(consortium, store),
        _changed(block, **{field: other}),
        10,
    )
    assert verdict.reason is not None and field in verdict.reason
    assert verdict.effects is None
    (fault,) = verdict.divergence
    assert (fault.check, fault.actual, fault.expected) == (
        field,
        other,
        getattr(block.header, field),
    )


def test_a_block_that_fails_before_execution_is_not_a_divergence(chain, consortium):
    store, block = chain
    bad = _changed(block, prev_hash="11" * 32, state_root="66" * 32)
    verdict = judge_block(store, default_registry(store.genesis), _pool(consortium, store), bad, 10)
    assert verdict.reason == "prev_hash is not the block hash of the block before"
    assert verdict.divergence == ()


def test_judge_and_store_refuse_with_the_same_words(chain, consortium):
    store, block = chain
    bad = _changed(block, prev_hash="11" * 32)
    reason = _judge(store, _pool(consortium, store), bad, 10)
    assert reason == "prev_hash is not the block hash of the block before"
    cert = certify(consortium, bad.header, (0, 1))
    note = sign_checkpoint(checkpoint_of_header(bad.header), consortium.validator_keys[:2])
    effects = _effects(store, block)
    with pytest.raises(Exception, match=f"block 3 refused: {reason}"):
        store.append_block(bad, cert, note, writes=effects.writes, results=effects.results)
