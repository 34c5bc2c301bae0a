"""Issuing the PDF as a job: in-process without Redis, on RQ with a real worker when REDIS_URL is set.

A render never runs inside a database transaction; a failed render leaves
the assessment approved, stores nothing, and can be retried.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

import reports.pdf
from assessment.extensions import db
from assessment.models import Assessment, IssuedReport, Job, JobState, Role, Status
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)
from tests.sqlite_lock import write_lock_free
from tests.worker import run_burst_worker


@pytest.fixture
def in_review(app):
    """A draft submitted by a respondent, with a reviewer to approve it; returns their clients."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        org = admin.memberships[0].organisation
        respondent = make_user(organisation=org, role=Role.RESPONDENT)
        reviewer = make_user(organisation=org, role=Role.REVIEWER)
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "3", "PhotoDNA on every upload")
        db.session.commit()
        emails = (respondent.email, reviewer.email)
        aid = assessment.id
    respondent_client, reviewer_client = (app.test_client(), app.test_client())
    for client, email in zip((respondent_client, reviewer_client), emails, strict=True):
        client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert (
        respondent_client.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY).status_code == 302
    )
    return {"id": aid, "reviewer": reviewer_client}


def approve(client, aid):
    return client.post(f"/assessments/{aid}/approve", data=approval_data(client, aid))


def the_job(app, aid):
    with app.app_context():
        job = db.session.scalars(sa.select(Job).where(Job.assessment_id == aid)).one()
        db.session.expunge(job)
        return job


def issued_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(IssuedReport.id)))


@pytest.fixture
def render_watch(app, monkeypatch):
    """Record, for every PDF render, whether a transaction or SQLite's write lock was held."""
    seen = []
    real = reports.pdf.render_pdf

    def watched(*args, **kwargs):
        seen.append(
            {
                "in_transaction": db.session().in_transaction(),
                "write_lock_free": write_lock_free(app),
            }
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(reports.pdf, "render_pdf", watched)
    return seen


def test_without_redis_approval_issues_the_pdf_in_process_outside_any_transaction(
    app, in_review, render_watch
):
    aid, reviewer = in_review["id"], in_review["reviewer"]
    assert not app.config["REDIS_URL"]
    assert approve(reviewer, aid).status_code == 302
    job = the_job(app, aid)
    assert (job.kind, job.state, job.attempts, job.error) == ("issue_report", "done", 1, "")
    assert issued_count(app) == 1
    # Rendered once, with no transaction open and (on SQLite) nobody's write lock held.
    assert len(render_watch) == 1
    assert render_watch[0]["in_transaction"] is False
    assert render_watch[0]["write_lock_free"] in (True, None)
    overview = reviewer.get(f"/assessments/{aid}/").text
    assert "Issued PDF:" in overview and "stored" in overview
    pdf = reviewer.get(f"/assessments/{aid}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_a_failed_render_leaves_the_assessment_approved_and_the_job_retryable(
    app, in_review, monkeypatch
):
    aid, reviewer = in_review["id"], in_review["reviewer"]
    real = reports.pdf.render_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("out of fonts")

    monkeypatch.setattr(reports.pdf, "render_pdf", broken)
    assert approve(reviewer, aid).status_code == 302
    job = the_job(app, aid)
    assert job.state == JobState.FAILED
    assert "RuntimeError" in job.error
    with app.app_context():
        assert db.session.get(Assessment, aid).status == Status.APPROVED
    assert issued_count(app) == 0  # nothing half-stored

    overview = reviewer.get(f"/assessments/{aid}/").text
    assert "rendering failed" in overview
    assert f"/assessments/{aid}/jobs/{job.id}/retry" in overview
    download = reviewer.get(f"/assessments/{aid}/report.pdf")
    assert download.status_code == 409
    assert "Rendering the issued PDF failed" in download.text

    monkeypatch.setattr(reports.pdf, "render_pdf", real)
    assert reviewer.post(f"/assessments/{aid}/jobs/{job.id}/retry").status_code == 302
    job = the_job(app, aid)
    assert (job.state, job.attempts, job.error) == ("done", 2, "")
    assert issued_count(app) == 1
    assert reviewer.get(f"/assessments/{aid}/report.pdf").data.startswith(b"%PDF-")
    # A done job is not run again.
    assert reviewer.post(f"/assessments/{aid}/jobs/{job.id}/retry").status_code == 409
    assert issued_count(app) == 1


def test_a_failing_store_keeps_nothing_and_the_job_fails(app, in_review, monkeypatch):
    """The issued copy and the job's 'done' are one transaction: both or neither."""
    import assessment.jobs as jobs

    aid, reviewer = in_review["id"], in_review["reviewer"]
    real = jobs._mark

    def mark(job_id, state, error):
        if state == JobState.DONE:
            db.session.flush()  # the issued copy is written, then the transaction fails
            raise RuntimeError("disk full")
        return real(job_id, state, error)

    monkeypatch.setattr(jobs, "_mark", mark)
    assert approve(reviewer, aid).status_code == 302
    assert the_job(app, aid).state == JobState.FAILED
    assert issued_count(app) == 0


def test_a_viewer_cannot_retry_a_job(app, in_review, monkeypatch):
    aid, reviewer = in_review["id"], in_review["reviewer"]
    monkeypatch.setattr(reports.pdf, "render_pdf", lambda *a, **k: 1 / 0)
    approve(reviewer, aid)
    job = the_job(app, aid)
    with app.app_context():
        org = db.session.get(Assessment, aid).organisation
        viewer = make_user(organisation=org, role=Role.VIEWER)
        db.session.commit()
        email = viewer.email
    client = app.test_client()
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert client.post(f"/assessments/{aid}/jobs/{job.id}/retry").status_code == 403
    assert "Retry rendering" not in client.get(f"/assessments/{aid}/").text
    assert the_job(app, aid).state == JobState.FAILED


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set: the RQ worker tests run in CI's PostgreSQL pass")
    return url


def test_with_redis_a_real_worker_issues_the_pdf(app, app_config, redis_url, in_review):
    aid, reviewer = in_review["id"], in_review["reviewer"]
    queue = f"vp-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=queue)
    assert approve(reviewer, aid).status_code == 302
    job = the_job(app, aid)
    assert job.state == JobState.QUEUED  # nothing rendered in the web request
    assert issued_count(app) == 0
    assert "queued" in reviewer.get(f"/assessments/{aid}/").text
    pending = reviewer.get(f"/assessments/{aid}/report.pdf")
    assert pending.status_code == 202
    assert "being prepared (queued)" in pending.text

    run_burst_worker(app_config["SQLALCHEMY_DATABASE_URI"], redis_url, queue)
    job = the_job(app, aid)
    assert (job.state, job.attempts) == (JobState.DONE, 1), job.error
    assert issued_count(app) == 1
    assert reviewer.get(f"/assessments/{aid}/report.pdf").data.startswith(b"%PDF-")


def test_with_redis_unreachable_the_job_fails_and_can_be_retried(app, in_review):
    aid, reviewer = in_review["id"], in_review["reviewer"]
    app.config["REDIS_URL"] = "unix:///nonexistent/redis.sock"
    assert approve(reviewer, aid).status_code == 302
    job = the_job(app, aid)
    assert job.state == JobState.FAILED
    assert "queue could not be reached" in job.error
    with app.app_context():
        assert db.session.get(Assessment, aid).status == Status.APPROVED
    app.config["REDIS_URL"] = ""
    assert reviewer.post(f"/assessments/{aid}/jobs/{job.id}/retry").status_code == 302
    assert the_job(app, aid).state == JobState.DONE


def test_flask_worker_without_redis_says_why(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
