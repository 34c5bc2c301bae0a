"""Catalogue versions as rows: register the running catalogue, read an assessment with its own.

Every assessment records the fingerprint of the catalogue it was answered
against; `catalogue_for` returns that catalogue, from the running one or from
the canonical text kept in `catalogue_version`, so pages, exports, reports and
jobs show an assessment as it was answered whatever `principles.yaml` holds
now. Registration is an insert-or-ignore on the unique fingerprint: several
workers starting at once on a new catalogue all succeed and keep one row.
"""

from __future__ import annotations

import functools
import json
import logging
import threading

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from assessment.catalogue import Catalogue, CatalogueError, build_catalogue
from assessment.extensions import current_catalogue, db
from assessment.models import Assessment, CatalogueVersion, utcnow

log = logging.getLogger(__name__)

# Catalogues by fingerprint: a fingerprint is the sha256 of the text, so an entry never goes stale.
_loaded: dict[str, Catalogue] = {}
_loaded_lock = threading.Lock()


@functools.cache
def _insert_or_ignore(dialect: str) -> sa.Insert:
    """Build, once per dialect, an INSERT that does nothing when the fingerprint is already there."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ("fingerprint", "version", "title", "canonical", "registered_at")
    return (
        insert(CatalogueVersion.__table__)
        .values({column: sa.bindparam(column) for column in columns})
        .on_conflict_do_nothing(index_elements=["fingerprint"])
    )


def register(catalogue: Catalogue, connection: sa.Connection | None = None) -> None:
    """Keep this catalogue version, unless it is kept already (in the caller's transaction)."""
    target = connection if connection is not None else db.session
    dialect = (connection.dialect if connection is not None else db.session.get_bind().dialect).name
    row = {
        "fingerprint": catalogue.fingerprint,
        "version": catalogue.version,
        "title": catalogue.title,
        "canonical": catalogue.canonical,
        "registered_at": utcnow(),
    }
    target.execute(_insert_or_ignore(dialect), row)


def register_at_start(app: Flask) -> None:
    """Register the app's catalogue when it starts; a database not migrated yet is left alone."""
    with app.app_context():
        try:
            with db.engine.begin() as connection:
                register(app.extensions["catalogue"], connection)
        except sa.exc.SQLAlchemyError as exc:
            # Before `flask db upgrade`, or the database is down (`/readyz` says so):
            # the version is registered with the first assessment opened on it.
            log.info("catalogue version not registered at start: %s", type(exc).__name__)


def catalogue_for(assessment: Assessment) -> Catalogue:
    """Return the catalogue this assessment was answered against."""
    return catalogue_by_fingerprint(assessment.catalogue_fingerprint)


def catalogue_by_fingerprint(fingerprint: str) -> Catalogue:
    """Return the catalogue with this fingerprint: the running one, or the kept version.

    An assessment opened before versions were kept, on a catalogue no longer
    running, is read with the running catalogue (and logged): nothing else is known.
    """
    current = current_catalogue()
    if fingerprint == current.fingerprint:
        return current
    stored = stored_catalogue(fingerprint)
    if stored is None:
        log.warning("catalogue %s is not kept; using the running catalogue", fingerprint[:12])
        return current
    return stored


def stored_catalogue(fingerprint: str) -> Catalogue | None:
    """Return the kept catalogue version with this fingerprint, or None."""
    cached = _loaded.get(fingerprint)
    if cached is not None:
        return cached
    text = db.session.scalar(
        sa.select(CatalogueVersion.canonical).where(CatalogueVersion.fingerprint == fingerprint)
    )
    if text is None:
        return None
    try:
        catalogue = catalogue_from_text(text)
    except CatalogueError as exc:
        log.error("kept catalogue %s cannot be read: %s", fingerprint[:12], exc)
        return None
    if catalogue.fingerprint != fingerprint:
        log.error("kept catalogue %s does not match its fingerprint", fingerprint[:12])
        return None
    with _loaded_lock:
        _loaded[fingerprint] = catalogue
    return catalogue


def catalogue_from_text(text: str) -> Catalogue:
    """Build a catalogue from its kept canonical text."""
    try:
        return build_catalogue(json.loads(text))
    except (ValueError, CatalogueError) as exc:
        raise CatalogueError([f"kept catalogue text: {exc}"]) from None


def kept_versions() -> list[CatalogueVersion]:
    """Return every kept catalogue version, oldest first."""
    return list(
        db.session.scalars(
            sa.select(CatalogueVersion).order_by(
                CatalogueVersion.registered_at, CatalogueVersion.id
            )
        )
    )


def find_version(ref: str) -> CatalogueVersion | None:
    """Return the kept version named by a fingerprint (or its first 8+ characters) or a version number.

    A version number kept more than once (edited without a new number) names the latest.
    """
    ref = ref.strip().lower()
    if len(ref) >= 8 and all(c in "0123456789abcdef" for c in ref):
        return db.session.scalars(
            sa.select(CatalogueVersion)
            .where(CatalogueVersion.fingerprint.startswith(ref, autoescape=True))
            .order_by(CatalogueVersion.id)
        ).first()
    return db.session.scalars(
        sa.select(CatalogueVersion)
        .where(CatalogueVersion.version == ref)
        .order_by(CatalogueVersion.registered_at.desc(), CatalogueVersion.id.desc())
    ).first()


def upgrade_path(own: Catalogue, target: Catalogue) -> list[Catalogue] | None:
    """Return the versions from `own` to `target` along their `changes.previous`, or None.

    Each kept version names the one it follows; the walk goes back from the
    target until it reaches the draft's version number.
    """
    path = [target]
    seen = {target.fingerprint}
    while path[0].version != own.version:
        changes = path[0].changes
        row = find_version(changes.previous) if changes is not None else None
        if row is None or row.fingerprint in seen:
            return None
        seen.add(row.fingerprint)
        step = own if row.version == own.version else stored_catalogue(row.fingerprint)
        if step is None:
            return None
        path.insert(0, step)
    if path[0] is not own:
        path.insert(0, own)  # the same version number edited in place: ids lead the way
    return path
