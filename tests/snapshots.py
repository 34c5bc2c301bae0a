"""What an app stores, built once per test process and copied into each test that wants it.

Building the schema (about 30 tables) costs more than copying a file, and some
modules start every test from the same arranged organisation. A test still gets a
database of its own: the SQLite file (and the evidence folder beside it, where
uploads are kept) is copied into the test's own paths, never shared. On PostgreSQL
(or an in-memory SQLite) the contents are simply built every time.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assessment.extensions import db

_folder = Path(tempfile.mkdtemp(prefix="vp-test-snapshots."))
_saved: dict[str, tuple[Path, Any]] = {}


def _sqlite_file(app) -> Path | None:
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _close(app) -> None:
    """Close every connection, so SQLite folds its write-ahead log into the file."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def contents(app, name: str, build: Callable[[], Any]) -> Any:
    """Give the app's database what `build()` makes, building it once per process; return its result.

    `build` must leave everything committed and return plain data (ids, e-mails); each test
    gets its own copy of it.
    """
    path = _sqlite_file(app)
    if path is None:
        return build()
    evidence = Path(app.config["EVIDENCE_DIR"])
    if name in _saved:
        snapshot, result = _saved[name]
        _close(app)
        shutil.copyfile(snapshot, path)
        if snapshot.with_suffix(".evidence").exists():
            shutil.copytree(snapshot.with_suffix(".evidence"), evidence, dirs_exist_ok=True)
        return copy.deepcopy(result)  # a test may add to what it is given: never to the next one's
    result = build()
    _close(app)
    if not Path(f"{path}-wal").exists():  # a connection still open elsewhere: do not keep it
        snapshot = _folder / f"{name}.db"
        shutil.copyfile(path, snapshot)
        if evidence.exists():
            shutil.copytree(evidence, snapshot.with_suffix(".evidence"))
        _saved[name] = (snapshot, copy.deepcopy(result))
    return result
