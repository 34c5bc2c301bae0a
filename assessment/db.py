"""Database configuration: the URL from the environment and SQLite's pragmas."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine


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


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on foreign keys and WAL for every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL is durable across application crashes and much faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
