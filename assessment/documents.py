"""Downloads of an assessment: the issued copy, a cached render, or a fresh one.

Rendering a PDF takes seconds, so a rendered PDF is stored (`RenderedDocument`,
in the database, shared by every app host) under a fingerprint of everything
it shows; the next download of an unchanged assessment serves those bytes.
The render itself runs with no transaction open, and the store is a short
transaction of its own. Only the JSON export and the full report show (parts
of) the audit trail, so only they read it.

In production (jobs on Redis) a PDF that is not cached is never rendered in
the web request: the download queues a render job, once per assessment,
document and fingerprint (the database refuses a second), and answers "being
prepared" until the worker has stored it; the next reload serves the bytes.
Without Redis (`make run`, the tests) the download renders at once, as one
person at a desk expects. CSV, JSON and XLSX are fast and always answered at
once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from assessment.catalogue import Catalogue
from assessment.catalogue_versions import catalogue_for
from assessment.db import end_read_transaction, write_transaction
from assessment.extensions import db
from assessment.models import Assessment, Job, JobState, RenderedDocument, Status
from assessment.results import ScoredAssessment
from assessment.snapshot import issued_report, score_stored
from reports import render

CACHED_FORMATS = frozenset({"pdf", "public.pdf", "board.pdf"})
# The only documents that show the audit trail: the JSON export carries it, and
# the full report names contributors, reviewer comments and who changed what.
AUDITED_FORMATS = frozenset({"json", "pdf"})


class IssuedCopyPending(Exception):
    """An approved assessment whose issued PDF is not stored yet; `job` says how it is going."""

    def __init__(self, job: Job | None):
        super().__init__("the issued PDF is not ready")
        self.job = job


class DocumentPending(Exception):
    """A document that a render job is preparing; `job` says how it is going."""

    def __init__(self, job: Job):
        super().__init__("the document is being prepared")
        self.job = job


def document(
    assessment: Assessment, fmt: str, catalogue: Catalogue, *, requested_by: int | None = None
) -> bytes:
    """Return the bytes of one download of an assessment, rendering only when needed.

    Raises DocumentPending when a worker renders it (jobs on Redis), and
    IssuedCopyPending for an approved assessment whose issued copy is not stored yet.
    """
    if fmt == "pdf" and assessment.status == Status.APPROVED:
        issued = issued_report(assessment)
        if issued is None:
            from assessment.jobs import latest_job

            raise IssuedCopyPending(latest_job(assessment.id))
        return issued.pdf
    scored = score_stored(assessment, catalogue, with_audit=fmt in AUDITED_FORMATS)
    if fmt not in CACHED_FORMATS:
        return render(fmt, scored, catalogue)
    key = render_fingerprint(fmt, scored)
    assessment_id, organisation_id = assessment.id, assessment.organisation_id
    cached = _cached(assessment_id, fmt, key)
    if cached is not None:
        return cached
    from assessment.jobs import runs_elsewhere

    if runs_elsewhere(current_app):
        raise DocumentPending(_render_job(assessment_id, organisation_id, fmt, key, requested_by))
    end_read_transaction(db.session)  # nothing is open while the PDF renders
    body = render(fmt, scored, catalogue)
    _store(assessment_id, fmt, key, body)
    return body


def _cached(assessment_id: int, fmt: str, key: str) -> bytes | None:
    return db.session.scalar(
        sa.select(RenderedDocument.body).where(
            RenderedDocument.assessment_id == assessment_id,
            RenderedDocument.kind == fmt,
            RenderedDocument.fingerprint == key,
        )
    )


def _store(assessment_id: int, fmt: str, key: str, body: bytes) -> None:
    """Keep this render as the one cached for the assessment and format."""
    with write_transaction(db.session):
        _keep(assessment_id, fmt, key, body)


def _keep(assessment_id: int, fmt: str, key: str, body: bytes) -> None:
    """Replace the cached render of this assessment and format, inside the caller's transaction."""
    try:
        with db.session.begin_nested():
            db.session.execute(
                sa.delete(RenderedDocument).where(
                    RenderedDocument.assessment_id == assessment_id, RenderedDocument.kind == fmt
                )
            )
            db.session.add(
                RenderedDocument(assessment_id=assessment_id, kind=fmt, fingerprint=key, body=body)
            )
    except sa.exc.IntegrityError:
        pass  # a concurrent render stored its copy first, or the assessment is gone


def _render_job(
    assessment_id: int, organisation_id: int, fmt: str, key: str, user_id: int | None
) -> Job:
    """Return the job that renders this version of the document, queuing it if need be.

    One job per assessment, document and fingerprint: a reload finds the job
    queued, rendering, done or failed, and starts nothing new. A done job
    whose render was replaced since (the content went back to an earlier
    version) is queued again.
    """
    from assessment import jobs

    start = False
    try:
        with write_transaction(db.session):
            job = _find_render_job(assessment_id, fmt, key)
            if job is None:
                # Renders of other versions are of no more use once finished.
                db.session.execute(
                    sa.delete(Job).where(
                        Job.assessment_id == assessment_id,
                        Job.kind == jobs.RENDER_DOCUMENT,
                        Job.document == fmt,
                        Job.state.in_([JobState.DONE, JobState.FAILED]),
                    )
                )
                job = jobs.create_job(
                    jobs.RENDER_DOCUMENT,
                    organisation_id=organisation_id,
                    assessment_id=assessment_id,
                    user_id=user_id,
                    document=fmt,
                    fingerprint=key,
                )
                start = True
            elif job.state == JobState.DONE:
                start = jobs.requeue_done(job)
            job_id = job.id
    except sa.exc.IntegrityError:
        # Another request queued this very render first: that job is the one.
        job_id = _find_render_job(assessment_id, fmt, key).id
    if start:
        jobs.dispatch(job_id)
    return db.session.get(Job, job_id, populate_existing=True)


def _find_render_job(assessment_id: int, fmt: str, key: str) -> Job | None:
    from assessment.jobs import RENDER_DOCUMENT

    return db.session.scalars(
        sa.select(Job).where(
            Job.assessment_id == assessment_id,
            Job.kind == RENDER_DOCUMENT,
            Job.document == fmt,
            Job.fingerprint == key,
        )
    ).first()


def render_job_work(job: Job):
    """Read and score the assessment, end the read, render the job's document; return the store.

    A job whose version is no longer the assessment's (it changed since the
    download asked) renders nothing: the next download asks for the new one.
    """
    from assessment.jobs import JobFailed

    fmt, wanted = job.document, job.fingerprint
    if fmt not in CACHED_FORMATS:
        raise JobFailed(f"There is no {fmt!r} document to render.")
    assessment = db.session.get(Assessment, job.assessment_id)
    if assessment is None:
        raise JobFailed("The assessment no longer exists.")
    catalogue = catalogue_for(assessment)
    nothing = lambda: None  # noqa: E731
    if fmt == "pdf" and assessment.status == Status.APPROVED:
        end_read_transaction(db.session)
        return nothing  # downloads serve the issued copy now
    scored = score_stored(assessment, catalogue, with_audit=fmt in AUDITED_FORMATS)
    key = render_fingerprint(fmt, scored)
    assessment_id = assessment.id
    stale_or_done = key != wanted or _cached(assessment_id, fmt, key) is not None
    end_read_transaction(db.session)  # nothing is open while the PDF renders
    if stale_or_done:
        return nothing
    body = render(fmt, scored, catalogue)
    return lambda: _keep(assessment_id, fmt, key, body)


def render_fingerprint(fmt: str, scored: ScoredAssessment) -> str:
    """Return the sha256 of everything a rendered document of this format depends on.

    That is the scored assessment in full (answers, evidence, profile, owners,
    status, dates, trend, catalogue fingerprint) and the renderer's own
    templates and code, so a new release never serves an old layout.
    """
    data = scored.model_dump()
    # Excluded from the export, but the PDF prints each theme's change.
    data["previous_theme_scores"] = scored.trend.previous_theme_scores if scored.trend else None
    text = json.dumps(
        {"format": fmt, "renderer": _renderer_fingerprint(), "scored": data},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def renderer_files() -> list[Path]:
    """Return the files a rendered document depends on besides the scored assessment.

    The report templates, stylesheet and rendering code, and the coverage
    module: the PDF prints its rule and counts, which the scored assessment
    does not hold.
    """
    from assessment import coverage
    from assessment.resources import TEMPLATES_DIR
    from reports.assets import ASSETS_DIR

    return sorted(
        [
            *(TEMPLATES_DIR / "report").glob("*.html"),
            *ASSETS_DIR.glob("*.py"),
            *ASSETS_DIR.glob("*.css"),
            Path(coverage.__file__),
        ]
    )


@functools.cache
def _renderer_fingerprint() -> str:
    """Return the sha256 of every file in `renderer_files`."""
    digest = hashlib.sha256()
    for path in renderer_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
