"""Background jobs: long work (issuing a PDF, rendering a draft's PDF, sending e-mail) outside requests.

A job is a row (`Job`), so every page can show its state: queued, rendering,
done, or failed with a retry. With `REDIS_URL` set, `dispatch` puts the job's
id on an RQ queue and a `flask worker` process runs it; without Redis (the
default of `make run`) the same `run_job` runs in-process right after the
request commits, so nothing else is needed. (Draft documents go further
without Redis: the download renders them at once, with no job at all; see
`assessment.documents`.)

A job runs in three steps, each in its own short transaction or none: claim it
(queued -> rendering), read and score the assessment and end that read, render
with no transaction open, then store the result and mark the job done in one
transaction. A failure rolls the store back and marks the job failed, so
nothing is ever half-stored and the job can be retried.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from assessment.db import end_read_transaction, intent, write_transaction
from assessment.extensions import db
from assessment.models import IssuedReport, Job, JobState, RenderedDocument, Status, utcnow

ISSUE_REPORT = "issue_report"
SEND_MAIL = "send_mail"  # see assessment.notices.outbox
# Render a draft's PDF (full report, public summary, board page) into the document cache.
RENDER_DOCUMENT = "render_document"
DEFAULT_QUEUE = "vp-assessment"
JOB_TIMEOUT_SECONDS = 600
# A job still queued or rendering after this long lost its worker: it may be retried.
STALLED_AFTER = timedelta(minutes=15)
ERROR_MAX = 500

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """Work that could not be done; the message is shown next to the retry button."""


def create_job(
    kind: str,
    *,
    organisation_id: int | None,
    assessment_id: int | None,
    user_id: int | None,
    document: str | None = None,
    fingerprint: str | None = None,
):
    """Add a queued job to the session; the caller commits, then calls `dispatch`."""
    job = Job(
        organisation_id=organisation_id,
        assessment_id=assessment_id,
        kind=kind,
        state=JobState.QUEUED,
        created_by_id=user_id,
        document=document,
        fingerprint=fingerprint,
    )
    db.session.add(job)
    db.session.flush()
    return job


def runs_elsewhere(app) -> bool:
    """Return whether jobs go to a queue that a worker runs (Redis), not in this process."""
    return bool(app.config.get("REDIS_URL"))


def queue_for(app):
    """Return the RQ queue of this app, or None when jobs run in-process."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(app.config.get("JOBS_QUEUE") or DEFAULT_QUEUE, connection=Redis.from_url(url))


def dispatch(job_id: int) -> str:
    """Start a committed job: on the RQ queue when Redis is configured, else here and now.

    Returns the job's state afterwards (done or failed in-process; queued, or
    failed when the queue cannot be reached).
    """
    app = current_app._get_current_object()
    queue = queue_for(app)
    if queue is None:
        # The caller's transaction must be over: the job takes SQLite's write lock itself.
        end_read_transaction(db.session)
        run_job(job_id)
        return _state(job_id)
    from redis.exceptions import RedisError

    try:
        queue.enqueue(
            "assessment.jobs.run_job",
            job_id,
            job_id=f"vp-job-{job_id}-{uuid.uuid4().hex[:8]}",
            job_timeout=JOB_TIMEOUT_SECONDS,
        )
    except RedisError as exc:
        log.warning("job %s could not be queued: %s", job_id, exc)
        with app.app_context():
            _finish(job_id, JobState.FAILED, "The job queue could not be reached; retry.")
    return _state(job_id)


def _state(job_id: int) -> str:
    return db.session.scalar(sa.select(Job.state).where(Job.id == job_id))


def run_job(job_id: int) -> None:
    """Run one job to the end (the RQ worker and in-process dispatch both call this)."""
    app = current_app._get_current_object()
    with app.app_context():  # a database session of its own
        try:
            _run(job_id)
        finally:
            db.session.remove()


def _run(job_id: int) -> None:
    if not _claim(job_id):
        return  # done, failed, or being run by someone else
    try:
        with intent(False):
            job = db.session.get(Job, job_id)
            work = WORK[job.kind]
            store = work(job)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        db.session.rollback()
        log.exception("job %s failed", job_id)
        _finish(job_id, JobState.FAILED, _describe(exc))
        return
    try:
        with write_transaction(db.session):
            store()
            _mark(job_id, JobState.DONE, "")
    except Exception as exc:  # noqa: BLE001
        log.exception("job %s could not store its result", job_id)
        _finish(job_id, JobState.FAILED, _describe(exc))


def _claim(job_id: int) -> bool:
    """Move a queued job to rendering; return False when it is not queued."""
    with write_transaction(db.session):
        claimed = db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.RENDERING,
                started_at=utcnow(),
                attempts=Job.attempts + 1,
                error="",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    return claimed == 1


def _mark(job_id: int, state: JobState, error: str) -> None:
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id)
        .values(state=state, error=error[:ERROR_MAX], finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _finish(job_id: int, state: JobState, error: str) -> None:
    """Record a job's end in a transaction of its own."""
    db.session.rollback()
    with write_transaction(db.session):
        _mark(job_id, state, error)


def _describe(exc: Exception) -> str:
    if isinstance(exc, JobFailed):
        return str(exc)
    return f"The work stopped with an error ({type(exc).__name__}); retry it."


def retry_job(job: Job) -> bool:
    """Queue a failed (or stalled) job again; return whether it was; the caller commits."""
    cutoff = utcnow() - STALLED_AFTER
    stalled = sa.and_(
        Job.state.in_([JobState.QUEUED, JobState.RENDERING]),
        sa.func.coalesce(Job.started_at, Job.created_at) < cutoff,
    )
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id, sa.or_(Job.state == JobState.FAILED, stalled))
        .values(state=JobState.QUEUED, error="", started_at=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(job)
    return result.rowcount == 1


def requeue_done(job: Job) -> bool:
    """Queue a done job again (its result was replaced since); return whether it was."""
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id, Job.state == JobState.DONE)
        .values(state=JobState.QUEUED, error="", started_at=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(job)
    return result.rowcount == 1


def is_stalled(job: Job) -> bool:
    """Return whether a queued or rendering job has waited so long that it may be retried."""
    started = job.started_at or job.created_at
    return job.state in (JobState.QUEUED, JobState.RENDERING) and started < utcnow() - STALLED_AFTER


def latest_job(assessment_id: int, kind: str = ISSUE_REPORT) -> Job | None:
    """Return the newest job of this kind for an assessment."""
    return db.session.scalars(
        sa.select(Job)
        .where(Job.assessment_id == assessment_id, Job.kind == kind)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()


def latest_jobs(assessment_ids: list[int], kind: str = ISSUE_REPORT) -> dict[int, Job]:
    """Return the newest job of this kind for each of these assessments, in one query."""
    if not assessment_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Job.id))
        .where(Job.assessment_id.in_(assessment_ids), Job.kind == kind)
        .group_by(Job.assessment_id)
    )
    return {
        job.assessment_id: job
        for job in db.session.scalars(sa.select(Job).where(Job.id.in_(newest)))
    }


def _issue_report(job: Job):
    """Read and score the approved assessment, end the read, render; return the store step."""
    from assessment.catalogue_versions import catalogue_for
    from assessment.models import Assessment
    from assessment.snapshot import score_for_report
    from reports.pdf import render_pdf

    assessment = db.session.get(Assessment, job.assessment_id)
    if assessment is None or assessment.status != Status.APPROVED:
        raise JobFailed("Only an approved assessment has an issued PDF.")
    catalogue = catalogue_for(assessment)
    assessment_id, approved_at = assessment.id, assessment.approved_at
    already = db.session.scalar(
        sa.select(IssuedReport.id).where(IssuedReport.assessment_id == assessment_id)
    )
    scored = None if already else score_for_report(assessment, catalogue)
    end_read_transaction(db.session)  # nothing is open while the PDF renders
    pdf = render_pdf(scored, catalogue, issued_at=approved_at) if scored else None

    def store() -> None:
        exists = db.session.scalar(
            sa.select(IssuedReport.id).where(IssuedReport.assessment_id == assessment_id)
        )
        if pdf is None or exists:
            return  # issued once already: that copy stays the one served
        db.session.add(
            IssuedReport(
                assessment_id=assessment_id,
                fingerprint=scored.fingerprint,
                sha256=hashlib.sha256(pdf).hexdigest(),
                pdf=pdf,
            )
        )
        # The working copy of the full report is superseded by the issued one.
        db.session.execute(
            sa.delete(RenderedDocument).where(
                RenderedDocument.assessment_id == assessment_id, RenderedDocument.kind == "pdf"
            )
        )

    return store


def _send_mail(job: Job):
    """Send the job's e-mail from the outbox (imported here: the outbox creates jobs)."""
    from assessment.notices.outbox import send_job

    return send_job(job)


def _render_document(job: Job):
    """Render a draft's PDF into the cache (imported here: documents creates jobs)."""
    from assessment.documents import render_job_work

    return render_job_work(job)


WORK = {ISSUE_REPORT: _issue_report, RENDER_DOCUMENT: _render_document, SEND_MAIL: _send_mail}
