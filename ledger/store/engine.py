"""Opening a database: SQLite (WAL, file per node) by default, PostgreSQL by URL.

Accepted locations: a plain file path or ``sqlite:///path`` (SQLite), and
``postgresql://...`` or ``postgresql+psycopg://...`` (PostgreSQL via psycopg 3).

SQLite runs in WAL mode with ``synchronous=FULL``: a stored block survives power
loss, and readers never block the writer (writers open with ``BEGIN IMMEDIATE``). A
busy timeout lets a second process wait for the writer.

A statement that fails because the database file is damaged raises
``DamagedDatabaseError`` naming the tables it reads, on every path (opening, reading,
writing, committing), never a bare driver error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError

from ledger.errors import DamagedDatabaseError, StoreError
from ledger.store.schema import metadata

_DAMAGE_SQLSTATES = {"XX001", "XX002"}  # PostgreSQL: data_corrupted, index_corrupted
_WORD = re.compile(r"[a-z_]+")


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
    elif url.get_backend_name() == "postgresql":
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    else:
        raise StoreError(f"{location}: unsupported database {url.get_backend_name()!r}")
    event.listen(engine, "handle_error", _damage)
    return engine


def _damage(context: ExceptionContext) -> None:
    """Raise ``DamagedDatabaseError`` in place of a driver error that says the database
    file is damaged (not for locks, lost connections or constraint violations)."""
    error = context.sqlalchemy_exception
    sqlstate = getattr(context.original_exception, "sqlstate", None)
    if type(error) is not DatabaseError and sqlstate not in _DAMAGE_SQLSTATES:
        return
    tables = ", ".join(tables_of(context.statement or "")) or None
    raise damaged_error(context.original_exception, tables) from context.original_exception


def damaged_error(cause: BaseException, tables: str | None) -> DamagedDatabaseError:
    """The error that says the database file is damaged, and where when known."""
    where = f" in table {tables}" if tables else ""
    return DamagedDatabaseError(f"the database file is damaged ({cause}){where}", tables)


def tables_of(statement: str) -> list[str]:
    """The store's tables that ``statement`` names, in the order it names them."""
    names = [w for w in _WORD.findall(statement.lower()) if w in metadata.tables]
    return list(dict.fromkeys(names))


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
