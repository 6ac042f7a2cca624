"""A structurally damaged SQLite file is an audit finding (check ``database``, naming the
table where it can be known, exit 1), never an internal error; ``audit --consortium``
carries on with the other nodes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from contracts.registry import default_registry
from ledger.audit import audit_store
from ledger.errors import DamagedDatabaseError
from ledger.keys import read_key_file
from ledger.store import Store
from nodes.bootstrap import key_paths, load_genesis
from nodes.config import NodeConfig
from nodes.consortium.init import init_consortium
from nodes.consortium.layout import Layout
from nodes.runtime.apply import seal_executed
from tests.test_cli import run


def _fill(path: Path, genesis, keys, blocks: int = 12, per_block: int = 20) -> None:
    """``blocks`` blocks of anchors, executed by the contracts (the audit re-executes)."""
    registry = default_registry(genesis)
    with Store.create(str(path), genesis) as store:
        for _ in range(blocks):
            txs = [_tx(genesis, keys, i) for i in range(per_block)]
            seal_executed(store, registry, txs, keys["validators"])
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    con.close()


def _tx(genesis, keys, i):
    from ledger.model import Transaction

    key = keys["members"][i % len(keys["members"])]
    args = {"sha256": os.urandom(32).hex(), "size": 1}
    return Transaction.new(key, genesis.chain_id, "evidence", "anchor", args).sign(key)


def _middle_page(path: Path, table: str) -> tuple[int, int]:
    """A leaf page in the middle of ``table``'s b-tree, and the page size, read from the
    table's root page (an interior page: the table spans many pages)."""
    con = sqlite3.connect(path)
    size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    con.close()
    page = path.read_bytes()[(root - 1) * size : root * size]
    assert page[0] == 0x05, "the table's root is an interior table page"
    cells = int.from_bytes(page[3:5], "big")
    assert cells >= 2
    offsets = [int.from_bytes(page[12 + 2 * i : 14 + 2 * i], "big") for i in range(cells)]
    children = [int.from_bytes(page[o : o + 4], "big") for o in offsets]
    return children[len(children) // 2], size


def _damage_page(path: Path, page: int, size: int) -> None:
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * 64)  # the page header and cell pointers: not a b-tree page


@pytest.fixture
def stored(tmp_path, consortium):
    keys = {"members": consortium.members, "validators": consortium.validator_keys[:2]}
    path = tmp_path / "node.sqlite"
    _fill(path, consortium.genesis, keys)
    return path


@pytest.mark.parametrize("table", ["transactions", "merkle_nodes"])
def test_a_damaged_page_in_the_middle_of_a_table_is_a_finding(stored, consortium, table):
    page, size = _middle_page(stored, table)
    with Store.open(str(stored)) as store:
        assert audit_store(store).ok  # sound before
    _damage_page(stored, page, size)
    with Store.open(str(stored)) as store:
        report = audit_store(store)
    assert not report.ok
    f = report.finding
    assert (f.check, f.table) == ("database", table), f
    assert "malformed" in f.message and f.height is not None
    assert 1 <= f.height <= 12 and report.blocks == f.height - 1  # the block being checked
    if table == "transactions":  # log order: the middle page holds a middle block's rows
        assert 1 < f.height < 12

    result = run("audit", "--db", str(stored), "--json")
    assert result.returncode == 1, result.stderr
    finding = json.loads(result.stdout)["finding"]
    assert (finding["check"], finding["table"]) == ("database", table)
    human = run("audit", "--db", str(stored))
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "FAULT" in human.stdout and f"table {table}" in human.stdout


def test_a_truncated_file_is_a_finding(stored):
    with stored.open("r+b") as f:
        f.truncate(stored.stat().st_size * 2 // 5)
    result = run("audit", "--db", str(stored), "--json")
    assert result.returncode == 1, result.stderr
    finding = json.loads(result.stdout)["finding"]
    assert finding["check"] == "database" and "malformed" in finding["message"]
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_is_not_a_database_is_a_finding(tmp_path):
    path = tmp_path / "node.sqlite"
    path.write_bytes(b"certainly not SQLite " * 400)
    result = run("audit", "--db", str(path))
    assert result.returncode == 1, result.stderr
    assert "FAULT" in result.stdout and "not a database" in result.stdout
    with pytest.raises(DamagedDatabaseError, match="not a database"):
        Store.open(str(path))


def test_consortium_audit_carries_on_past_a_damaged_node(tmp_path):
    init_consortium(tmp_path, 3, base_port=7971)
    layout = Layout(tmp_path)
    genesis = load_genesis(layout.genesis)
    configs = [NodeConfig.load(layout.config(name)) for name in layout.node_names()]
    names = {v.key_id: v.name for v in genesis.validators}
    validators = [(names[k.key_id], k) for k in (read_key_file(c.node_key) for c in configs)]
    members = [read_key_file(key_paths(tmp_path, o.name)[0]) for o in genesis.organisations]
    keys = {"members": members, "validators": validators[:2]}
    # the same chain on every node: the first node's file, copied to the others
    _fill(Path(configs[0].database), genesis, keys)
    for config in configs[1:]:
        Path(config.database).write_bytes(Path(configs[0].database).read_bytes())
    damaged = Path(configs[1].database)
    _damage_page(damaged, *_middle_page(damaged, "transactions"))

    result = run("audit", "--consortium", str(tmp_path), "--json")
    assert result.returncode == 1, result.stderr
    nodes = {n["name"]: n for n in json.loads(result.stdout)["nodes"]}
    assert set(nodes) == {c.name for c in configs}
    assert nodes[configs[1].name]["finding"]["check"] == "database"
    assert nodes[configs[1].name]["finding"]["table"] == "transactions"
    for config in (configs[0], configs[2]):
        assert nodes[config.name]["ok"] is True and nodes[config.name]["blocks"] == 12
