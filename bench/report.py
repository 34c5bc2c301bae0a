"""Benchmark the PDF report: app overhead over WeasyPrint, pages per second, issued copies.

It also prints the demo assessment's page count now and before the board pack's
second edition (issue 10), whose baseline was measured on main at e55a747.

Run with `make bench`. Prints `name: value` lines; figures are medians of
repeated runs. Not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import hashlib
import io
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader
from weasyprint import HTML

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment import create_app  # noqa: E402
from assessment.demo import seed_demo  # noqa: E402
from assessment.extensions import current_catalogue, db  # noqa: E402
from assessment.models import (  # noqa: E402
    Answer,
    Assessment,
    Assignment,
    Evidence,
    IssuedReport,
    Membership,
    Organisation,
    Role,
    Status,
    User,
)
from assessment.snapshot import score_for_report  # noqa: E402
from reports import pdf as report_pdf  # noqa: E402
from reports.fetcher import AssetFetcher  # noqa: E402

RUNS = 5
FETCHES = 50
COMMENT = (
    "Reviewed quarterly by the trust and safety lead; the runbook, metrics and "
    "escalation paths are documented and tested. "
) * 3
PASSWORD = "bench-password-2026"
EVIDENCE_ITEMS = 20
# `flask demo` then `flask report 1` on main at e55a747, before issue 10: 29 pages.
DEMO_PAGES_BEFORE = 29


def median_seconds(action, runs: int = RUNS) -> float:
    """Time an action several times and return the median in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seed(catalogue) -> int:
    """Store a complete assessment: every question answered, owners, 20 evidence items."""
    organisation = Organisation(name="Bench Social Ltd")
    user = User(email="bench@example.org", name="Bea Bench")
    user.set_password(PASSWORD)
    db.session.add_all(
        [organisation, user, Membership(user=user, organisation=organisation, role=Role.ADMIN)]
    )
    assessment = Assessment(
        organisation=organisation,
        service_name="Bench Social (app and web)",
        profile={},
        catalogue_version=catalogue.version,
        catalogue_fingerprint=catalogue.fingerprint,
        created_by=user,
    )
    db.session.add(assessment)
    db.session.flush()
    questions = list(catalogue.questions.values())
    for i, question in enumerate(questions):
        options = [o.value for o in catalogue.options_for(question) if not o.na]
        if question.type == "multi":
            value = options[:1]
        elif question.type == "number":
            value = 100 + i
        elif question.type == "text":
            value = "Described in the internal policy handbook."
        else:
            value = options[i % len(options)]
        db.session.add(
            Answer(
                assessment=assessment,
                question_id=question.id,
                value=value,
                comment=COMMENT[:300],
                updated_by=user,
            )
        )
    for i in range(EVIDENCE_ITEMS):
        question = questions[i % len(questions)]
        is_file = i % 2 == 0
        db.session.add(
            Evidence(
                organisation_id=organisation.id,
                assessment=assessment,
                question_id=question.id,
                kind="file" if is_file else "link",
                title=f"Evidence {i + 1}",
                url="" if is_file else f"https://intranet.example.org/policies/{i + 1}",
                filename=f"evidence-{i + 1}.pdf" if is_file else "",
                media_type="application/pdf" if is_file else "",
                size=40_000 + i if is_file else 0,
                sha256=hashlib.sha256(str(i).encode()).hexdigest() if is_file else "",
                uploaded_by=user,
            )
        )
    for principle_id in catalogue.principles:
        db.session.add(
            Assignment(
                assessment=assessment,
                principle_id=principle_id,
                owner=user,
                due_date=date(2026, 12, 31),
            )
        )
    db.session.commit()
    return assessment.id


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="vp-bench-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        catalogue = current_catalogue()
        assessment_id = seed(catalogue)

        def full_render() -> bytes:
            db.session.expire_all()  # read the rows again, as a request would
            assessment = db.session.get(Assessment, assessment_id)
            return report_pdf.render_pdf(score_for_report(assessment, catalogue), catalogue)

        demo, _ = seed_demo(catalogue)
        db.session.commit()
        demo_scored = score_for_report(demo, catalogue)
        demo_pages = len(PdfReader(io.BytesIO(report_pdf.render_pdf(demo_scored, catalogue))).pages)
        board_pages = len(
            PdfReader(io.BytesIO(report_pdf.render_board_pdf(demo_scored, catalogue))).pages
        )

        pdf = full_render()  # warm the caches (fonts, CSS, templates) once
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        html = report_pdf.render_html(
            score_for_report(db.session.get(Assessment, assessment_id), catalogue), catalogue
        )
        css, font_config = report_pdf._stylesheet()

        def weasyprint_alone() -> bytes:
            # The same HTML, stylesheet, fonts and PDF options; no DB, scoring, Jinja or JSON.
            return HTML(
                string=html, base_url=report_pdf.BASE_URL, url_fetcher=AssetFetcher()
            ).write_pdf(stylesheets=[css], font_config=font_config, **report_pdf.PDF_OPTIONS)

        app_seconds = median_seconds(full_render)
        alone_seconds = median_seconds(weasyprint_alone)

        # The issued copy: the approved assessment's PDF stored once, served after.
        assessment = db.session.get(Assessment, assessment_id)
        assessment.status = Status.APPROVED
        assessment.approved_at = datetime.now(UTC)
        db.session.add(
            IssuedReport(
                assessment_id=assessment_id,
                fingerprint="0" * 64,
                sha256=hashlib.sha256(pdf).hexdigest(),
                pdf=pdf,
            )
        )
        db.session.commit()

    client = app.test_client()
    client.post("/auth/login", data={"email": "bench@example.org", "password": PASSWORD})
    url = f"/assessments/{assessment_id}/report.pdf"
    served = client.get(url).get_data()
    if served == pdf:
        method = "flask test client GET of the stored issued copy"

        def fetch_issued() -> bytes:
            return client.get(url).get_data()
    else:
        method = "DB read of IssuedReport.pdf (the report view renders afresh; it does not serve issued copies yet)"

        def fetch_issued() -> bytes:
            with app.app_context():
                return db.session.execute(
                    sa.select(IssuedReport.pdf).where(IssuedReport.assessment_id == assessment_id)
                ).scalar_one()

    fetch_seconds = median_seconds(fetch_issued, FETCHES)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"demo_pages_before: {DEMO_PAGES_BEFORE}  (main at e55a747, before issue 10)")
    print(f"demo_pages_after: {demo_pages}")
    print(f"demo_board_pages: {board_pages}  (target 1)")
    print(f"pages: {pages}")
    print(f"pdf_bytes: {len(pdf)}")
    print(f"runs: {RUNS}")
    print(f"app_render_seconds: {app_seconds:.3f}")
    print(f"weasyprint_alone_seconds: {alone_seconds:.3f}")
    print(f"render_overhead_ratio: {app_seconds / alone_seconds:.3f}  (target <= 1.15)")
    print(f"pages_per_second: {pages / app_seconds:.2f}")
    print(f"issued_copy_method: {method}")
    print(f"issued_copy_fetch_seconds: {fetch_seconds:.6f}")
    print(f"issued_copy_speedup: {app_seconds / fetch_seconds:.0f}  (target >= 50)")
    print(f"peak_rss_mb: {peak_rss_mb:.1f}")


if __name__ == "__main__":
    main()
