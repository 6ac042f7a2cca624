"""Storage of one node's copy of the chain (SQLAlchemy 2.0; SQLite or PostgreSQL)."""

from ledger.store.engine import open_engine
from ledger.store.store import StateWrite, Store

__all__ = ["StateWrite", "Store", "open_engine"]
