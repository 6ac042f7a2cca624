"""Shared fixtures: a small consortium's keys and genesis, and stores on every backend.

PostgreSQL tests use the server at ``PROVLEDGER_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``), each in a schema of its own that is
dropped afterwards; they skip, saying why, when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ledger.canonical import now_time
from ledger.keys import SigningKey
from ledger.model import Genesis, Organisation, SignedTransaction, Transaction, Validator
from ledger.store import Store

PG_URL = os.environ.get("PROVLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Consortium:
    """Keys and genesis of a test consortium."""

    genesis: Genesis
    members: list[SigningKey]
    nodes: list[SigningKey]

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def validator_keys(self) -> list[tuple[str, SigningKey]]:
        return [(v.name, k) for v, k in zip(self.genesis.validators, self.nodes, strict=True)]

    def tx(self, member: int = 0, action: str = "anchor", **args: object) -> SignedTransaction:
        key = self.members[member]
        args = args or {"sha256": os.urandom(32).hex()}
        return Transaction.new(key, self.chain_id, "evidence", action, dict(args)).sign(key)


def make_consortium(n: int = 3) -> Consortium:
    members = [SigningKey.generate() for _ in range(n)]
    nodes = [SigningKey.generate() for _ in range(n)]
    roles = [("producer", "processor"), ("notary", "carrier"), ("regulator",), ("retailer",)]
    genesis = Genesis(
        "test-chain",
        now_time(),
        tuple(Organisation(f"org{i}", roles[i % 4], (members[i].public,)) for i in range(n)),
        tuple(Validator(f"org{i}-node", f"org{i}", nodes[i].public) for i in range(n)),
    )
    return Consortium(genesis, members, nodes)


@pytest.fixture
def consortium() -> Consortium:
    return make_consortium(3)


def _postgres_url() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
    except Exception as exc:  # any failure to reach the server means: skip, say why
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(exc).strip()[:120]}")
    return PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database location on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "node.sqlite")
        return
    import psycopg

    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(db_url: str, consortium: Consortium) -> Iterator[Store]:
    s = Store.create(db_url, consortium.genesis)
    yield s
    s.close()
