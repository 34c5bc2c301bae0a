"""Whether SQLite's write lock is free: the tests of work that must not hold it ask this."""

from __future__ import annotations

import sqlite3


def write_lock_free(app) -> bool | None:
    """On SQLite, whether another connection could begin writing right now (None elsewhere)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        return None
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()
