"""Opening a database: SQLite (WAL, file per node) by default, PostgreSQL by URL.

Accepted locations: a plain file path or ``sqlite:///path`` (SQLite), and
``postgresql://...`` or ``postgresql+psycopg://...`` (PostgreSQL via psycopg 3).

SQLite runs in WAL mode with ``synchronous=FULL``: a stored block survives power
loss, and readers never block the writer (writers open with ``BEGIN IMMEDIATE``). A
busy timeout lets a second process wait for the writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ledger.errors import StoreError


def database_url(location: str) -> str:
    """Normalise a path or URL into an SQLAlchemy URL."""
    if location.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + location.split("://", 1)[1]
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser()}"


def open_engine(location: str, *, must_exist: bool = False, echo: bool = False) -> Engine:
    """An engine for ``location``; raise ``StoreError`` for an unusable location, or, with
    ``must_exist``, for an SQLite file that is not there (rather than creating it)."""
    url_text = database_url(location)
    try:
        url = make_url(url_text)
    except ArgumentError as exc:
        raise StoreError(f"{location!r} is neither a file path nor a database URL") from exc
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            path = Path(url.database)
            if not path.parent.is_dir():
                raise StoreError(f"{location}: folder {path.parent} does not exist")
            if must_exist and not path.is_file():
                raise StoreError(f"{location}: no such database file")
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    raise StoreError(f"{location}: unsupported database {url.get_backend_name()!r}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is off: ``_sqlite_begin`` issues BEGIN.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: keeps the upper Merkle levels hot
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front (no upgrade deadlock); readers do not block.
    immediate = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
