"""The audit re-executes the contracts over the committed log from genesis: every state
root, results root, result row, state tree node and stored state and history row is
checked against re-execution, on both backends; a tampered, missing or extra row is a
finding that names it, and so is a certified block whose state the contracts would not
make. The roster comes from re-execution, not from the stored history."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from sqlalchemy import text

from contracts.registry import default_registry
from ledger.audit import AuditReport, audit_store
from ledger.keys import SigningKey
from ledger.model import SignedTransaction, Transaction
from ledger.results import TxResult
from ledger.sealing import seal
from ledger.state_tree import EMPTY, Internal
from ledger.store import Store
from ledger.store.store import StateWrite
from nodes.audit_replay import AuditReplay
from nodes.consortium.audit import audit_database
from nodes.runtime.apply import execute, seal_executed
from tests.conftest import Consortium
from tests.test_cli import run

T = "traceability"
APPLES = "urn:epc:class:lgtin:6923456.000001.APL-2026-10"
FARM = "urn:epc:id:sgln:6923456.00001.0"
NEWCOMER = SigningKey.generate()
TIME = "2999-01-01T00:00:00.000000Z"  # after every block built by now


def call(key: SigningKey, c: Consortium, contract: str, action: str, **args: Any):
    return Transaction.new(key, c.chain_id, contract, action, dict(args)).sign(key)


def block(store: Store, c: Consortium, txs: list[SignedTransaction]):
    """Execute ``txs`` as the next block with the real contracts, and seal it."""
    _, effects = seal_executed(store, default_registry(c.genesis), txs, c.validator_keys[:2])
    return effects


def build_chain(store: Store, c: Consortium) -> dict[str, Any]:
    """Six blocks: anchors (one re-deposit), a product commissioned, shipped, received and
    recalled, a refused call, and a new organisation joining then anchoring."""
    org0, org1, org2 = c.members
    doc = os.urandom(32).hex()
    block(
        store,
        c,
        [
            call(org0, c, "evidence", "anchor", sha256=doc, size=10),
            call(org1, c, "evidence", "anchor", sha256=os.urandom(32).hex(), size=1),
            call(
                org0,
                c,
                T,
                "commission",
                ids=[APPLES],
                quantities=[{"epcClass": APPLES, "quantity": 20_000, "uom": "KGM"}],
                read_point=FARM,
            ),
        ],
    )
    propose = call(
        org0,
        c,
        "membership",
        "propose",
        organisation="greenfarm",
        roles=["producer"],
        keys=[NEWCOMER.public.hex()],
    )
    refused = call(org2, c, T, "commission", ids=["urn:epc:class:lgtin:6923456.000001.X"])
    effects = block(
        store,
        c,
        [
            call(org0, c, T, "ship", ids=[APPLES], receiver="org1"),
            call(org1, c, "evidence", "anchor", sha256=doc, size=10),
            refused,
            propose,
        ],
    )
    assert list(effects.rejected) == [refused.tx_id]
    effects = block(
        store,
        c,
        [
            call(org1, c, T, "receive", ids=[APPLES], read_point=FARM),
            call(org2, c, "membership", "approve", proposal=propose.tx_id),
        ],
    )
    assert effects.rejected == {}
    joined = block(
        store, c, [call(NEWCOMER, c, "evidence", "anchor", sha256=os.urandom(32).hex(), size=1)]
    )
    assert joined.rejected == {}
    block(store, c, [])
    recall = block(store, c, [call(org2, c, T, "recall", id=APPLES)])
    assert recall.rejected == {}
    return {"doc": doc}


@pytest.fixture
def chain(store, consortium):
    build_chain(store, consortium)
    return store


def _sql(store: Store, statement: str, **params: Any) -> None:
    with store.engine.connect() as conn, conn.execution_options(write=True).begin():
        conn.execute(text(statement), params)


def _scalar(store: Store, statement: str, **params: Any) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar_one()


def _audit(store: Store) -> AuditReport:
    return audit_database(store)


def _finding(store: Store):
    report = _audit(store)
    assert not report.ok
    return report.finding


def test_a_really_executed_chain_audits_clean(chain):
    report = _audit(chain)
    assert report.ok, report.finding
    assert (report.blocks, report.transactions) == (6, 11)
    assert chain.state("membership", "roster")["version"] == 1


def test_the_replayed_tree_keeps_exactly_the_head_tree(chain):
    replay = AuditReplay(chain.genesis)
    assert audit_store(chain, replay=replay).ok
    nodes, seen, stack = replay.tree_nodes(), set(), [bytes.fromhex(chain.head().state_root)]
    while stack:
        h = stack.pop()
        if h != EMPTY:
            seen.add(h)
            node = nodes[h]
            if isinstance(node, Internal):
                stack += [node.left, node.right]
    assert seen == set(nodes)


def test_a_tampered_state_row_is_named(chain):
    _sql(
        chain,
        "UPDATE state SET value = :v WHERE contract = 'traceability' AND key = :k",
        v='{"forged":true}',
        k=f"product/{APPLES}",
    )
    f = _finding(chain)
    assert (f.check, f.table, f.row) == (
        "state_row",
        "state",
        f"state traceability/product/{APPLES}",
    )
    assert f.height == 6 and f.actual == '{"forged":true}' and "recalled" in f.expected
    assert "not the one re-execution wrote" in f.message


def test_a_state_row_with_another_height_is_named(chain):
    _sql(chain, "UPDATE state SET height = 2 WHERE contract = 'membership' AND key = 'roster'")
    f = _finding(chain)
    assert (f.check, f.row, f.height) == ("state_row", "state membership/roster", 3)
    assert f.actual.startswith("height 2")


def test_a_missing_state_row_is_named(chain):
    _sql(chain, "DELETE FROM state WHERE contract = 'membership' AND key = 'roster'")
    f = _finding(chain)
    assert (f.check, f.row, f.height) == ("state_row", "state membership/roster", 3)
    assert "missing" in f.message


def test_an_extra_state_row_is_named(chain):
    _sql(
        chain,
        "INSERT INTO state (contract, key, value, height, log_index) "
        "VALUES ('evidence', 'doc/forged', '{}', 2, 4)",
    )
    f = _finding(chain)
    assert (f.check, f.row) == ("state_row", "state evidence/doc/forged")
    assert "never written" in f.message


def test_a_tampered_history_row_is_named(chain, consortium):
    _sql(
        chain,
        "UPDATE history SET value = :v WHERE contract = 'membership' AND key = 'roster'",
        v='{"version":7}',
    )
    f = _finding(chain)
    assert (f.check, f.table) == ("history_row", "history")
    assert f.row.startswith("history membership/roster @ log index ")


def test_a_tampered_result_row_is_named(chain):
    body = json.loads(_scalar(chain, "SELECT body FROM results WHERE log_index = 5"))
    body["status"], body["code"], body["reason"] = "refused", "conflict", "made up"
    _sql(chain, "UPDATE results SET body = :b WHERE log_index = 5", b=json.dumps(body))
    f = _finding(chain)
    assert (f.check, f.height, f.tx_index, f.log_index) == ("result_row", 2, 2, 5)
    assert "differs" in f.message and "made up" in f.actual


def test_a_missing_and_an_extra_result_row_are_named(chain):
    _sql(chain, "INSERT INTO results (log_index, body) VALUES (99, '{}')")
    f = _finding(chain)
    assert (f.check, f.log_index, f.row) == ("result_row", 99, "results @ log index 99")
    _sql(chain, "DELETE FROM results WHERE log_index = 8")
    f = _finding(chain)
    assert (f.check, f.height, f.log_index) == ("result_row", 3, 8) and "missing" in f.message


def test_a_changed_state_root_column_is_named(chain):
    _sql(chain, "UPDATE blocks SET state_root = :r WHERE height = 3", r=b"\x05" * 32)
    f = _finding(chain)
    assert (f.check, f.height, f.actual) == ("state_root", 3, "05" * 32)


def _root_id(chain, height: int) -> int:
    with chain.engine.connect() as conn:
        found = conn.exec_driver_sql(
            f"SELECT state_root_id FROM blocks WHERE height = {height}"
        ).scalar()
    return int(found)


def test_a_missing_state_node_is_named(chain):
    root_id = _root_id(chain, 4)
    _sql(chain, "DELETE FROM state_nodes WHERE id = :i", i=root_id)
    f = _finding(chain)
    assert (f.check, f.height, f.table) == ("state_node", 4, "state_nodes")
    assert f.row == f"state_nodes {root_id}" and "missing" in f.message


def test_an_altered_state_node_is_named(chain):
    root_id = _root_id(chain, 6)
    body = b"\x03" + b"\0" * 64 + (0).to_bytes(8, "big") * 2
    _sql(chain, "UPDATE state_nodes SET body = :b WHERE id = :i", b=body, i=root_id)
    f = _finding(chain)
    assert (f.check, f.height) == ("state_node", 6) and "other bytes" in f.message


def test_a_state_root_id_pointing_at_another_node_is_named(chain):
    assert chain.header(3).state_root != chain.header(6).state_root
    _sql(chain, "UPDATE blocks SET state_root_id = :i WHERE height = 6", i=_root_id(chain, 3))
    f = _finding(chain)
    assert (f.check, f.height) == ("state_node", 6) and "does not hash" in f.message


def test_a_certified_block_with_writes_the_contracts_would_not_make(store, consortium):
    """A quorum of validators sealed state the contracts never wrote: the header's own
    state root is consistent with the store, but not with re-execution."""
    build_chain(store, consortium)
    tx = call(consortium.members[0], consortium, "evidence", "anchor", sha256="ab" * 32, size=1)
    effects = execute(
        store,
        default_registry(consortium.genesis),
        [tx],
        height=7,
        time=TIME,
        first_index=store.log_size(),
    )
    forged = [*effects.writes, StateWrite("evidence", "doc/" + "cd" * 32, {"x": 1}, 11)]
    seal(
        store,
        [tx],
        consortium.validator_keys[:2],
        writes=forged,
        results=effects.results,
        time=TIME,
    )
    f = _finding(store)
    assert (f.check, f.height) == ("state_root", 7)
    assert f.actual == store.header(7).state_root and f.expected != f.actual


def test_a_certified_block_with_results_the_contracts_would_not_give(store, consortium):
    build_chain(store, consortium)
    tx = call(consortium.members[1], consortium, "evidence", "anchor", sha256="ef" * 32, size=1)
    effects = execute(
        store,
        default_registry(consortium.genesis),
        [tx],
        height=7,
        time=TIME,
        first_index=store.log_size(),
    )
    lie = TxResult(tx.tx_id, "refused", effects.results[0].writes, "conflict", "made up")
    seal(
        store, [tx], consortium.validator_keys[:2], writes=effects.writes, results=[lie], time=TIME
    )
    f = _finding(store)
    assert (f.check, f.height) == ("results_root", 7)


def test_the_roster_is_re_executed_not_read_from_the_store(chain, consortium):
    """A stranger's transaction, with a forged roster row (state and history) listing
    the stranger's key since before it: the sender is still not a member, because the
    roster comes from re-executing the membership transactions."""
    stranger = SigningKey.generate()
    block(chain, consortium, [call(stranger, consortium, "evidence", "anchor", sha256="01" * 32)])
    roster = chain.state("membership", "roster")
    roster["organisations"][0]["keys"].append(stranger.public.hex())
    forged = json.dumps(roster, separators=(",", ":"), sort_keys=True)
    for table in ("state", "history"):
        _sql(
            chain,
            f"UPDATE {table} SET value = :v WHERE contract = 'membership' AND key = 'roster'",
            v=forged,
        )
    f = _finding(chain)
    assert (f.check, f.height, f.log_index) == ("sender", 7, 11)


def test_the_cli_names_a_tampered_row(tmp_path, consortium):
    path = tmp_path / "node.sqlite"
    with Store.create(str(path), consortium.genesis) as store:
        build_chain(store, consortium)
    clean = run("audit", "--db", str(path), "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with Store.open(str(path)) as store:
        _sql(
            store,
            "UPDATE state SET value = '{}' WHERE contract = 'traceability' AND key = :k",
            k=f"product/{APPLES}",
        )
    human = run("audit", "--db", str(path))
    assert human.returncode == 1, human.stdout + human.stderr
    assert "FAULT" in human.stdout and "state_row" in human.stdout
    assert f"state traceability/product/{APPLES}" in human.stdout
    finding = json.loads(run("audit", "--db", str(path), "--json").stdout)["finding"]
    assert (finding["check"], finding["row"]) == (
        "state_row",
        f"state traceability/product/{APPLES}",
    )
