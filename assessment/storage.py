"""Where the bytes of uploaded evidence live: a folder on this host, or the database.

`EVIDENCE_STORAGE` (`FLASK_EVIDENCE_STORAGE`) picks one for new uploads:
`filesystem` (the default, `EVIDENCE_DIR`) or `database` (an `evidence_blob`
row per document, so app hosts behind a load balancer share nothing but the
database). Downloads read whichever holds the document, so switching the
setting does not strand what was uploaded before.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from assessment.extensions import db
from assessment.models import Evidence, EvidenceBlob

STORAGES = ("filesystem", "database")


class Storage(Protocol):
    name: str

    def scratch_dir(self) -> Path:
        """Return the folder for an upload's temporary file while it is checked."""

    def keep(self, temporary: Path, key: str) -> None:
        """Keep an accepted upload under its key."""

    def attach(self, item: Evidence) -> None:
        """Add what the evidence row needs to the session (the caller commits both)."""

    def discard(self, key: str) -> None:
        """Forget a document's bytes: after its row is gone or did not commit."""

    def check(self) -> None:
        """Raise if new documents cannot be stored now."""


class FileSystemStorage:
    """Documents as files named by a random key in one folder outside the web root."""

    name = "filesystem"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def scratch_dir(self) -> Path:
        # The same folder, so that keeping a document is an atomic rename.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.directory

    def keep(self, temporary: Path, key: str) -> None:
        os.replace(temporary, self.directory / key)

    def attach(self, item: Evidence) -> None:
        pass

    def discard(self, key: str) -> None:
        from assessment.evidence import remove_stored

        remove_stored(self.directory, key)

    def check(self) -> None:
        self.scratch_dir()
        with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".ready-") as probe:
            probe.write(b"ok")
            probe.flush()


class DatabaseStorage:
    """Documents as rows of `evidence_blob`, written in the transaction of their evidence row."""

    name = "database"

    def __init__(self) -> None:
        self._pending: dict[str, bytes] = {}

    def scratch_dir(self) -> Path:
        return Path(tempfile.gettempdir())

    def keep(self, temporary: Path, key: str) -> None:
        self._pending[key] = temporary.read_bytes()

    def attach(self, item: Evidence) -> None:
        db.session.add(EvidenceBlob(evidence=item, data=self._pending.pop(item.storage_key)))

    def discard(self, key: str) -> None:
        # The row goes with its evidence (ON DELETE CASCADE) or with the rollback.
        self._pending.pop(key, None)

    def check(self) -> None:
        db.session.execute(sa.select(EvidenceBlob.evidence_id).limit(1))


def evidence_storage() -> Storage:
    """Return the storage that new uploads go to, as configured."""
    name = current_app.config["EVIDENCE_STORAGE"]
    if name == "database":
        return DatabaseStorage()
    return FileSystemStorage(Path(current_app.config["EVIDENCE_DIR"]))


def check_storage_setting(value: str) -> str:
    """Return a valid `EVIDENCE_STORAGE` value, or stop the app saying which ones exist."""
    name = (value or "filesystem").strip().lower()
    if name not in STORAGES:
        raise SystemExit(
            f"FLASK_EVIDENCE_STORAGE={value!r} is not a storage: use one of {', '.join(STORAGES)}"
        )
    return name


def read_document(item: Evidence) -> bytes | Path | None:
    """Return a document's bytes (database) or its file (filesystem), or None if gone."""
    data = db.session.scalar(
        sa.select(EvidenceBlob.data).where(EvidenceBlob.evidence_id == item.id)
    )
    if data is not None:
        return data
    from assessment.evidence import stored_path

    try:
        path = stored_path(Path(current_app.config["EVIDENCE_DIR"]), item.storage_key)
    except ValueError:
        return None
    return path if path.is_file() else None
