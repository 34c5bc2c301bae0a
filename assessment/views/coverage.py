"""Coverage of other frameworks: one assessment's answers read against each mapped framework.

`/assessments/<id>/frameworks/` lists the frameworks with a count per status;
`/assessments/<id>/frameworks/<framework>` shows every mapped item, its
questions, answers, scores and status; `.csv` and `.xlsx` download one
framework, and `/assessments/<id>/frameworks.xlsx` all of them in one workbook.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import login_required

from assessment.access import Permission, get_assessment_or_404, require
from assessment.catalogue import Catalogue
from assessment.catalogue_versions import catalogue_for
from assessment.coverage import (
    DISCLAIMER,
    ItemStatus,
    UnknownFramework,
    all_coverage,
    find_framework,
    framework_coverage,
    rule_items,
)
from assessment.models import Assessment
from assessment.results import ScoredAssessment, round_half_up
from assessment.snapshot import score_stored
from assessment.views.reports import MEDIA_TYPES, download_name
from reports.coverage import coverage_csv, coverage_xlsx

bp = Blueprint("coverage", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


def _scored(assessment_id: int) -> tuple[Assessment, Catalogue, ScoredAssessment]:
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)
    return assessment, catalogue, score_stored(assessment, catalogue, with_trend=False)


def _known(catalogue: Catalogue, framework_id: str) -> str:
    """Return a framework id the catalogue maps to, or answer 404."""
    try:
        return find_framework(catalogue, framework_id).id
    except UnknownFramework:
        abort(404)


def _page_context() -> dict:
    return {
        "disclaimer": DISCLAIMER,
        "rule": rule_items(),
        "statuses": list(ItemStatus),
        "display": round_half_up,
    }


@bp.get("/<int:assessment_id>/frameworks/")
def index(assessment_id: int):
    """List the frameworks the catalogue maps to, with how many items stand where."""
    assessment, catalogue, scored = _scored(assessment_id)
    return render_template(
        "coverage/index.html",
        assessment=assessment,
        coverages=all_coverage(scored, catalogue),
        threshold=catalogue.scoring.gap_threshold * 100,
        **_page_context(),
    )


@bp.get("/<int:assessment_id>/frameworks/<framework_id>")
def framework(assessment_id: int, framework_id: str):
    """Show one framework item by item: mapped questions, answers, scores and status."""
    assessment, catalogue, scored = _scored(assessment_id)
    coverage = framework_coverage(scored, catalogue, _known(catalogue, framework_id))
    return render_template(
        "coverage/framework.html", assessment=assessment, coverage=coverage, **_page_context()
    )


def _attachment(body: bytes, fmt: str, name: str) -> Response:
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/<int:assessment_id>/frameworks/<framework_id>.<any(csv, xlsx):fmt>")
def download(assessment_id: int, framework_id: str, fmt: str):
    """Send one framework's coverage as CSV or as a workbook."""
    assessment, catalogue, scored = _scored(assessment_id)
    known = _known(catalogue, framework_id)
    if fmt == "csv":
        body = coverage_csv(scored, catalogue, known)
    else:
        body = coverage_xlsx(scored, catalogue, [known])
    name = download_name(assessment.service_name, assessment.id, fmt)
    return _attachment(body, fmt, name.replace(f".{fmt}", f"-{known}.{fmt}"))


@bp.get("/<int:assessment_id>/frameworks.xlsx")
def workbook(assessment_id: int):
    """Send every framework's coverage in one workbook, a sheet each."""
    assessment, catalogue, scored = _scored(assessment_id)
    name = download_name(assessment.service_name, assessment.id, "xlsx")
    return _attachment(
        coverage_xlsx(scored, catalogue), "xlsx", name.replace(".xlsx", "-frameworks.xlsx")
    )
