"""Report downloads of one assessment: full PDF, public summary PDF, CSV, JSON and XLSX.

The full report is `/assessments/<id>/report.<fmt>`; the publishable summary
(principle 11) is `/assessments/<id>/summary.pdf`; the one-page board summary
is `/assessments/<id>/board.pdf`.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from assessment import jobs
from assessment.access import Permission, get_assessment_or_404, require
from assessment.catalogue_versions import catalogue_for
from assessment.documents import CACHED_FORMATS, DocumentPending, IssuedCopyPending, document
from assessment.extensions import db
from assessment.forms import ConfirmForm
from assessment.inputs import parse_id
from assessment.models import Job, JobState
from assessment.snapshot import score_for_report
from reports.charts import assessment_charts, score_text

bp = Blueprint("reports", __name__, url_prefix="/assessments")

# Flask adds "; charset=utf-8" to text/* types itself: naming it here would say it twice.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "public.pdf": "application/pdf",
    "board.pdf": "application/pdf",
}


@bp.app_template_global()
def report_charts(scored) -> dict[str, Markup]:
    """Return the report's SVG charts for a web page (labels are escaped by reports.charts)."""
    return {name: Markup(svg) for name, svg in assessment_charts(scored).items()}


@bp.app_template_filter()
def chart_score(score: float | None) -> str:
    """Return a score as the charts print it, for the table of their figures."""
    return score_text(score)


def download_name(service: str, assessment_id: int, fmt: str) -> str:
    """Return a safe file name for a download."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", service).strip("-").lower() or "service"
    if fmt == "public.pdf":
        return f"vp-assessment-{assessment_id}-{slug[:40]}-public-summary.pdf"
    if fmt == "board.pdf":
        return f"vp-assessment-{assessment_id}-{slug[:40]}-board-summary.pdf"
    return f"vp-assessment-{assessment_id}-{slug[:40]}.{fmt}"


@bp.get("/<int:assessment_id>/summary.pdf", defaults={"fmt": "public.pdf"})
@bp.get("/<int:assessment_id>/board.pdf", defaults={"fmt": "board.pdf"})
@bp.get("/<int:assessment_id>/report.<any(pdf, csv, json, xlsx):fmt>")
@login_required
def download(assessment_id: int, fmt: str):
    """Send the report of one assessment in the format asked for."""
    require(Permission.VIEW)
    assessment = get_assessment_or_404(assessment_id)
    if fmt in CACHED_FORMATS and "job" in request.args:
        # A "being prepared" page reloading: while its job runs, say so again without
        # scoring the assessment (the reload comes every few seconds).
        running = _running_render(assessment.id, fmt, parse_id(request.args["job"]))
        if running is not None:
            return _document_pending(assessment_id, fmt, running)
    name = download_name(assessment.service_name, assessment.id, fmt)
    try:
        body = document(assessment, fmt, catalogue_for(assessment), requested_by=current_user.id)
    except IssuedCopyPending as pending:
        return _issued_copy_pending(assessment_id, pending.job)
    except DocumentPending as pending:
        return _document_pending(assessment_id, fmt, pending.job)
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _issued_copy_pending(assessment_id: int, job: Job | None):
    """Say that the issued PDF is not stored yet, and how its job is going."""
    back = url_for("assessments.overview", assessment_id=assessment_id)
    if job is not None and job.state == JobState.FAILED:
        message = (
            "Rendering the issued PDF failed, so there is no issued copy yet. "
            "A reviewer can retry it from the overview."
        )
        page = render_template(
            "errors/error.html", code=409, title="Issued PDF", message=message, back=back
        )
        return page, 409
    state = JobState(job.state).label.lower() if job is not None else "queued"
    message = (
        f"The issued PDF is being prepared ({state}). This page reloads by itself; "
        "the download starts once it is stored."
    )
    page = render_template("reports/pending.html", message=message, back=back)
    return page, 202, {"Refresh": "5", "Retry-After": "5", "Cache-Control": "no-store"}


# What each document is called on its "being prepared" page.
DOCUMENT_TITLES = {
    "pdf": "The full report (PDF)",
    "public.pdf": "The public summary (PDF)",
    "board.pdf": "The board summary (PDF)",
}
# A draft renders in a few seconds: look again soon.
DOCUMENT_REFRESH_SECONDS = 2


def download_url(assessment_id: int, fmt: str) -> str:
    """Return the download address of one document of an assessment."""
    return url_for("reports.download", assessment_id=assessment_id, fmt=fmt)


def _running_render(assessment_id: int, fmt: str, job_id: int | None) -> Job | None:
    """Return this render job of the assessment's document if it is queued or rendering."""
    if job_id is None:
        return None
    job = db.session.scalars(
        sa.select(Job).where(
            Job.id == job_id,
            Job.assessment_id == assessment_id,
            Job.kind == jobs.RENDER_DOCUMENT,
            Job.document == fmt,
        )
    ).first()
    if job is None or job.state not in (JobState.QUEUED, JobState.RENDERING):
        return None
    return None if jobs.is_stalled(job) else job


def _document_pending(assessment_id: int, fmt: str, job: Job):
    """Say that a worker is rendering this document; the page reloads until it is stored."""
    back = url_for("assessments.overview", assessment_id=assessment_id)
    title = DOCUMENT_TITLES[fmt]
    retry = url_for("reports.retry_render", assessment_id=assessment_id, job_id=job.id)
    if job.state == JobState.FAILED:
        message = f"Rendering failed: {job.error or 'no reason was given.'} Nothing is lost."
        page = render_template(
            "reports/pending.html",
            title=title,
            message=message,
            back=back,
            retry_url=retry,
            confirm=ConfirmForm(),
        )
        return page, 409, {"Cache-Control": "no-store"}
    message = (
        f"It is being prepared ({JobState(job.state).label.lower()}). This page reloads "
        "by itself; the download starts once it is ready."
    )
    page = render_template(
        "reports/pending.html",
        title=title,
        message=message,
        back=back,
        retry_url=retry if jobs.is_stalled(job) else None,
        confirm=ConfirmForm(),
    )
    wait = str(DOCUMENT_REFRESH_SECONDS)
    again = url_for("reports.download", assessment_id=assessment_id, fmt=fmt, job=job.id)
    headers = {"Refresh": f"{wait}; url={again}", "Retry-After": wait, "Cache-Control": "no-store"}
    return page, 202, headers


@bp.post("/<int:assessment_id>/documents/<int:job_id>/retry")
@login_required
def retry_render(assessment_id: int, job_id: int):
    """Render a document again after a failed (or stalled) render, then go back to its download."""
    require(Permission.VIEW)
    assessment = get_assessment_or_404(assessment_id)
    job = db.session.scalars(
        sa.select(Job).where(
            Job.id == job_id, Job.assessment_id == assessment.id, Job.kind == jobs.RENDER_DOCUMENT
        )
    ).first()
    if job is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    fmt = job.document
    if jobs.retry_job(job):
        db.session.commit()
        jobs.dispatch(job_id)
    return redirect(download_url(assessment_id, fmt))


@bp.get("/<int:assessment_id>/changes")
@login_required
def changes(assessment_id: int):
    """Show what changed since the previous approved assessment: the PDF's section, as a page."""
    require(Permission.VIEW)
    assessment = get_assessment_or_404(assessment_id)
    scored = score_for_report(assessment, catalogue_for(assessment))
    return render_template("reports/changes.html", assessment=assessment, scored=scored)
