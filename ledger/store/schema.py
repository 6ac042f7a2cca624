"""The tables of a node's store. Canonical JSON is stored as text, hashes as bytes.

- ``meta``: chain id, genesis, schema version.
- ``blocks``, ``certificates``, ``checkpoints``: one row per height.
- ``transactions``: one row per log index (the log order), with its ``tx_id``.
- ``merkle_nodes``: every perfect subtree hash, keyed ``level << 48 | index``.
- ``state`` and ``history``: contract state and every write to each key.
- ``state_nodes``: the nodes of the state tree, appended in write order under a sequence
  number (never rewritten or deleted); ``blocks.state_root_id`` names each block's root.
- ``results``: each transaction's result (``ledger.results``), by log index.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = "2"
metadata = MetaData()

# A 64-bit key that SQLite stores as the rowid itself ("INTEGER PRIMARY KEY"), so an
# insert writes one B-tree, not a table plus an index. PostgreSQL gets BIGINT.
RowKey = BigInteger().with_variant(Integer(), "sqlite")

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

blocks = Table(
    "blocks",
    metadata,
    Column("height", RowKey, primary_key=True, autoincrement=False),
    Column("block_hash", LargeBinary(32), nullable=False, unique=True),
    Column("header", Text, nullable=False),
    Column("time", String(40), nullable=False),
    Column("tx_count", Integer, nullable=False),
    Column("log_size", BigInteger, nullable=False),
    Column("state_root", LargeBinary(32), nullable=False),
    Column("state_root_id", BigInteger, nullable=False),
)

certificates = Table(
    "certificates",
    metadata,
    Column("height", RowKey, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("height", RowKey, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("log_index", RowKey, primary_key=True, autoincrement=False),
    Column("tx_id", LargeBinary(32), nullable=False, unique=True),
    Column("height", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("contract", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("sender", String(64), nullable=False),
    Index("ix_transactions_height", "height"),
    Index("ix_transactions_sender", "sender"),
)

merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

state = Table(
    "state",
    metadata,
    Column("contract", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("height", BigInteger, nullable=False),
    Column("log_index", BigInteger, nullable=False),
)

history = Table(
    "history",
    metadata,
    Column("contract", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("log_index", BigInteger, primary_key=True, autoincrement=False),
    Column("height", BigInteger, nullable=False),
    Column("value", Text, nullable=False),
)

state_nodes = Table(
    "state_nodes",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=False),
    Column("body", LargeBinary(81), nullable=False),
)

results = Table(
    "results",
    metadata,
    Column("log_index", RowKey, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
)
