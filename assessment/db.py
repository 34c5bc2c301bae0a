"""Database configuration: the URL from the environment, and SQLite's transactions.

SQLite in WAL mode lets readers work alongside one writer, but a transaction
that starts by reading and later writes cannot wait for the write lock: if
another writer committed since its snapshot, SQLite refuses at once with
"database is locked" (a busy timeout does not help). So the app takes control
of SQLite's transactions (the driver's own implicit BEGIN is turned off) and:

- a transaction meant to write (every POST request, `write_transaction()`)
  starts with `BEGIN IMMEDIATE`: it takes the write lock first and waits for
  it up to the busy timeout, then reads current data;
- every other transaction starts with a plain `BEGIN`: a consistent snapshot
  that never blocks anyone and never writes.

A writer holds the lock from its first statement to its commit, so slow work
inside a writing request (checking a password with scrypt, reading and
checking an uploaded document) runs in `outside_transaction()`: the short
reads before it end, the lock is let go, and the writes after it begin a new
writer's transaction that reads what it needs again, current. Command-line
tools that read and then write (`flask demo`, `flask import-json`) are
`writes_up_front` commands: they take the lock at their first statement.

PostgreSQL needs none of this: its default READ COMMITTED transactions plus
conditional UPDATEs (see `assessment.editing`) do the same job.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assessment import read_transactions

# How long a SQLite writer waits for the write lock before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 20_000

_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate", default=False)


def database_url(raw: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL for `DATABASE_URL`, defaulting to a SQLite file.

    Plain `postgres://` and `postgresql://` URLs are pointed at psycopg 3,
    the driver the `[postgres]` extra installs.
    """
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'assessment.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _is_pysqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on foreign keys, WAL and a busy timeout; take over transaction control."""
    if not _is_pysqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL is durable across application crashes and much faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    # The driver would BEGIN only before the first write, after reads outside any
    # transaction; `_sqlite_begin` below says BEGIN itself, at the start.
    dbapi_connection.isolation_level = None


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    """Start SQLite transactions ourselves: IMMEDIATE for writers, deferred for readers."""
    if connection.dialect.name != "sqlite" or connection.dialect.driver != "pysqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def set_write_intent(immediate: bool) -> contextvars.Token:
    """Say whether transactions begun from now on in this context will write; return a token."""
    return _immediate.set(immediate)


def reset_write_intent(token: contextvars.Token) -> None:
    """Undo `set_write_intent`."""
    _immediate.reset(token)


@contextmanager
def intent(immediate: bool) -> Iterator[None]:
    """Begin the transactions inside the block as writers (True) or readers (False)."""
    token = set_write_intent(immediate)
    try:
        yield
    finally:
        reset_write_intent(token)


def end_read_transaction(session) -> None:
    """End the session's open read transaction, so slow work after it holds no snapshot or lock.

    Refuses when the session holds unwritten changes: those belong to a
    write transaction the caller must commit first.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("the session holds unsaved changes; commit them before slow work")
    read_transactions.end_read_transaction(session)


@contextmanager
def outside_transaction(session) -> Iterator[None]:
    """Run slow work with no transaction open, so it holds no lock (SQLite's write lock) or snapshot.

    The session's reads so far end (it must hold no unsaved changes) and what
    it loaded is expired; the next statement after the block begins a new
    transaction, a writer's in a writing request, and reads it again.
    """
    end_read_transaction(session)
    yield


def writes_up_front(command):
    """Make a command-line tool's transactions writers from their first statement (SQLite).

    A tool that reads and then writes would otherwise begin as a reader and
    fail with "database is locked" if a web request wrote in between.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with intent(True):
            return command(*args, **kwargs)

    return wrapper


@contextmanager
def write_transaction(session) -> Iterator[None]:
    """Run the block in a transaction of its own that writes, and commit it.

    On SQLite it takes the write lock at BEGIN (see the module docstring), so
    the reads inside it see the latest data; any error rolls everything back.
    """
    end_read_transaction(session)
    with intent(True):
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app) -> None:
    """Make every request that may write begin as a SQLite writer; end read-only ones with COMMIT."""
    from flask import g, request

    read_transactions.init_app(app)

    @app.before_request
    def _writers_take_the_lock_first() -> None:
        if request.method not in SAFE_METHODS:
            g._write_intent_token = set_write_intent(True)

    @app.teardown_request
    def _forget_write_intent(_exc) -> None:
        token = g.pop("_write_intent_token", None)
        if token is not None:
            reset_write_intent(token)
