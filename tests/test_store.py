"""The store, on SQLite and PostgreSQL: appends, refusals, atomicity, proofs, state."""

from __future__ import annotations

import dataclasses

import pytest

from ledger import merkle
from ledger.canonical import now_time
from ledger.checkpoint import checkpoint_of_header, sign_checkpoint
from ledger.errors import NotFoundError, StoreError
from ledger.model import Block, CommitCertificate, Vote, VoteType
from ledger.receipt import verify_receipt
from ledger.results import applied_results
from ledger.sealing import seal
from ledger.store import StateWrite, Store
from ledger.trust import Trust
from tests.conftest import make_consortium


def _fill(store, consortium, sizes=(3, 0, 5, 1, 7)):
    txs = []
    for n in sizes:
        batch = [consortium.tx(i % 3) for i in range(n)]
        seal(store, batch, consortium.validator_keys[:2])
        txs += batch
    return txs


def _rows(store):
    with store.snapshot() as snap:
        return snap.count_rows()


def test_create_open_and_chain_binding(db_url, consortium):
    with Store.create(db_url, consortium.genesis) as s:
        assert s.height() == 0 and s.head() is None and s.log_size() == 0
        assert s.root() == merkle.EMPTY_ROOT
    with Store.open(db_url) as s:
        assert s.chain_id == consortium.chain_id
    # creating again is idempotent for the same chain
    with Store.create(db_url, consortium.genesis) as s, s.snapshot() as snap:
        assert snap.meta()["chain_id"] == consortium.chain_id
    with pytest.raises(StoreError, match="holds chain"):
        Store.create(db_url, make_consortium().genesis)


def test_open_refuses_what_is_not_a_store(tmp_path):
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(StoreError, match="not a provledger store"):
        Store.open(str(tmp_path / "empty.sqlite"))
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(str(tmp_path / "no" / "such" / "dir.sqlite"))
    with pytest.raises(StoreError, match="unsupported"):
        Store.open("mysql://root@localhost/x")
    with pytest.raises(StoreError, match="no such database file"):
        Store.open(str(tmp_path / "typo.sqlite"))
    assert not (tmp_path / "typo.sqlite").exists()  # opening never creates a file


def test_append_and_read_back(store, consortium):
    txs = _fill(store, consortium)
    assert store.height() == 5
    assert store.log_size() == len(txs) == 16
    head = store.head()
    assert head.height == 5 and head.log_size == 16
    block = store.block(3)
    assert [t.tx_id for t in block.transactions] == [t.tx_id for t in txs[3:8]]
    assert store.header(1).prev_hash == consortium.chain_id
    assert store.header(2).prev_hash == store.header(1).block_hash
    cert = store.certificate(4)
    cert.verify(
        store.validators,
        chain_id=consortium.chain_id,
        height=4,
        block_hash=store.header(4).block_hash,
    )
    assert store.checkpoint(4).startswith(consortium.chain_id + "\n9\n")
    where = store.locate(txs[9].tx_id)
    assert (where.log_index, where.height) == (9, 5)  # sizes 3,0,5,1 end at 9
    assert store.transaction(txs[9].tx_id) == txs[9]
    assert len(store.transactions_by_sender(consortium.members[0].key_id)) == 7
    with pytest.raises(NotFoundError):
        store.locate("00" * 32)
    with pytest.raises(NotFoundError):
        store.header(6)


def test_roots_and_proofs_equal_the_in_memory_functions(store, consortium):
    txs = _fill(store, consortium)
    leaves = [merkle.leaf_hash(t.tx_id_bytes) for t in txs]
    for size in range(len(leaves) + 1):
        assert store.root(size) == merkle.root(leaves[:size])
        assert store.consistency_proof(size, len(leaves)) == merkle.consistency_proof(leaves, size)
        for index in range(size):
            assert store.inclusion_proof(index, size) == merkle.inclusion_proof(
                leaves[:size], index
            )
    for height in range(1, 6):
        header = store.header(height)
        assert store.root(header.log_size).hex() == header.log_root
    with pytest.raises(NotFoundError, match="beyond"):
        store.root(17)


def _next(store, consortium, txs, signers=(0, 1), writes=()):
    results = applied_results(txs, writes, store.log_size())
    header = store.next_header(
        txs, now_time(), consortium.nodes[0].key_id, writes=writes, results=results
    )
    return Block(header, tuple(txs)), certify(consortium, header, signers)


def _append(store, block, cert, checkpoint, writes=()):
    """Append ``block`` with the results of applying it with ``writes``."""
    results = applied_results(block.transactions, writes, block.header.first_index)
    store.append_block(block, cert, checkpoint, writes=writes, results=results)


def certify(consortium, header, signers=(0, 1)):
    """A commit certificate of ``header`` signed by the validators at ``signers``."""
    votes = [
        Vote.signed(
            consortium.nodes[i],
            header.chain_id,
            header.height,
            0,
            VoteType.PRECOMMIT,
            header.block_hash,
        )
        for i in signers
    ]
    return CommitCertificate.from_votes(votes)


def _checkpoint(consortium, header, signers=(0, 1)):
    cp = checkpoint_of_header(header)
    return sign_checkpoint(cp, [consortium.validator_keys[i] for i in signers])


def _refused(store, block, cert, match, checkpoint=None, writes=()):
    if checkpoint is None:
        checkpoint = _checkpoint(store.consortium, block.header)
    before = (store.height(), _rows(store))
    with pytest.raises(StoreError, match=match):
        _append(store, block, cert, checkpoint, writes)
    assert (store.height(), _rows(store)) == before  # nothing was written


@pytest.fixture
def store(store, consortium):
    store.consortium = consortium  # lets _refused build a matching checkpoint
    return store


def test_refuses_blocks_that_do_not_extend_the_head(store, consortium):
    _fill(store, consortium, (2,))
    txs = [consortium.tx(1), consortium.tx(2)]
    block, cert = _next(store, consortium, txs)
    _refused(store, block, CommitCertificate.from_votes(cert.votes()[:1]), "quorum is 2")
    outsider_cert = _next(store, make_consortium(), txs)[1]
    _refused(store, block, outsider_cert, "refused")

    def variant(**changes):
        header = dataclasses.replace(block.header, **changes)
        b = Block(header, block.transactions)
        return b, certify(consortium, header)

    _refused(store, *variant(height=3), "does not follow")
    _refused(store, *variant(prev_hash="11" * 32), "prev_hash")
    _refused(store, *variant(log_root="22" * 32), "log_root")
    _refused(store, *variant(log_size=5), "log_size")
    _refused(store, *variant(chain_id="33" * 32), "refused")
    short = Block(block.header, block.transactions[:1])
    _refused(store, short, cert, "body has 1")
    _refused(store, *variant(time="2000-01-01T00:00:00.000000Z"), "before the head")
    _refused(store, *variant(proposer=consortium.members[0].key_id), "proposer")
    _refused(store, *variant(state_root="44" * 32), "state_root is not the root of the state")
    _refused(store, *variant(results_root="55" * 32), "results_root is not the root")
    _refused(  # writes the header does not commit to
        store,
        block,
        cert,
        "(state|results)_root is not the root",
        writes=[StateWrite("evidence", "k", {"v": 1}, log_index=3)],
    )
    _append(store, block, cert, _checkpoint(consortium, block.header))
    assert store.height() == 2
    _refused(store, block, cert, "does not follow")  # the same block twice


def test_append_is_all_or_nothing(store, consortium):
    txs = _fill(store, consortium, (2,))
    # a transaction committed before: every check up front passes, the insert fails late
    block, cert = _next(store, consortium, [consortium.tx(0), txs[0]])
    _refused(store, block, cert, "duplicate row")
    outside = [StateWrite("evidence", "k", {"v": 1}, log_index=0)]
    block, cert = _next(store, consortium, [consortium.tx(0)], writes=outside)
    _refused(store, block, cert, "outside block", writes=outside)
    block, cert = _next(store, consortium, [consortium.tx(0)])
    _append(store, block, cert, _checkpoint(consortium, block.header))  # still usable
    assert store.height() == 2 and store.log_size() == 3


def test_checkpoints_must_match_and_verify(store, consortium):
    block, cert = _next(store, consortium, [consortium.tx(0)])
    h = block.header
    good = checkpoint_of_header(h)
    wrong = dataclasses.replace(good, size=h.log_size + 1)
    _refused(
        store,
        block,
        cert,
        "does not match",
        checkpoint=sign_checkpoint(wrong, consortium.validator_keys),
    )
    _refused(
        store,
        block,
        cert,
        "0 valid signature",
        checkpoint=sign_checkpoint(good, [("intruder", consortium.members[0])]),
    )
    _append(store, block, cert, sign_checkpoint(good, consortium.validator_keys[:2]))
    better = sign_checkpoint(good, consortium.validator_keys)
    store.put_checkpoint(1, better)
    assert store.checkpoint(1) == better
    with pytest.raises(StoreError):
        store.put_checkpoint(1, sign_checkpoint(wrong, consortium.validator_keys))
    with pytest.raises(StoreError, match="the stored one has 3"):
        store.put_checkpoint(1, sign_checkpoint(good, consortium.validator_keys[1:]))
    assert store.checkpoint(1) == better


def test_state_and_history(store, consortium):
    txs = [consortium.tx(0), consortium.tx(1)]
    seal(
        store,
        txs,
        consortium.validator_keys,
        writes=[
            StateWrite("evidence", "doc:1", {"owner": "org0"}, 0),
            StateWrite("evidence", "doc:1", {"owner": "org1"}, 1),
        ],
    )
    seal(
        store,
        [consortium.tx(2)],
        consortium.validator_keys,
        writes=[StateWrite("evidence", "doc:1", {"owner": "org2"}, 2)],
    )
    assert store.state("evidence", "doc:1") == {"owner": "org2"}
    assert store.state("evidence", "nothing") is None
    assert store.history("evidence", "doc:1") == [
        (1, 0, {"owner": "org0"}),
        (1, 1, {"owner": "org1"}),
        (2, 2, {"owner": "org2"}),
    ]


def test_receipts_from_the_store_verify(store, consortium):
    txs = _fill(store, consortium)
    trust = Trust.from_genesis(consortium.genesis)
    for index, tx in enumerate(txs):
        result = verify_receipt(store.receipt(tx.tx_id), trust)
        assert (result.tx_id, result.index) == (tx.tx_id, index)
        assert result.height == store.locate(tx.tx_id).height
        assert result.organisation == f"org{consortium.members.index(_signer(consortium, tx))}"


def _signer(consortium, tx):
    return next(k for k in consortium.members if k.key_id == tx.tx.sender)


def test_sqlite_runs_in_wal_with_full_sync(tmp_path, consortium):
    s = Store.create(str(tmp_path / "n.sqlite"), consortium.genesis)
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    s.close()
