"""Report downloads of one assessment: full PDF, public summary PDF, CSV, JSON and XLSX.

The full report is `/assessments/<id>/report.<fmt>`; the publishable summary
(principle 11) is `/assessments/<id>/summary.pdf`; the one-page board summary
is `/assessments/<id>/board.pdf`.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, url_for
from flask_login import login_required
from markupsafe import Markup

from assessment.access import Permission, get_assessment_or_404, require
from assessment.documents import IssuedCopyPending, document
from assessment.extensions import current_catalogue
from assessment.models import Job, JobState
from assessment.snapshot import score_for_report
from reports.charts import assessment_charts

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
    name = download_name(assessment.service_name, assessment.id, fmt)
    try:
        body = document(assessment, fmt, current_catalogue())
    except IssuedCopyPending as pending:
        return _issued_copy_pending(assessment_id, pending.job)
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


@bp.get("/<int:assessment_id>/changes")
@login_required
def changes(assessment_id: int):
    """Show what changed since the previous approved assessment: the PDF's section, as a page."""
    require(Permission.VIEW)
    assessment = get_assessment_or_404(assessment_id)
    scored = score_for_report(assessment, current_catalogue())
    return render_template("reports/changes.html", assessment=assessment, scored=scored)
