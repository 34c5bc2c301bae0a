"""Draft PDFs in production: a render job per version, "being prepared" until it is stored.

With REDIS_URL set, a download of a PDF whose version is not cached queues a
render job (once per assessment, document and fingerprint) and answers 202;
a worker renders it and the next reload serves the bytes. Without Redis the
download renders at once. CSV, JSON and XLSX never wait for a job.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from assessment import documents, jobs
from assessment.extensions import db
from assessment.models import Job, JobState, RenderedDocument
from tests.worker import run_burst_worker

URLS = {"pdf": "report.pdf", "public.pdf": "summary.pdf", "board.pdf": "board.pdf"}
BOGUS_REDIS = "unix:///nonexistent/redis.sock"


def url(aid: int, fmt: str) -> str:
    return f"/assessments/{aid}/{URLS.get(fmt, 'report.' + fmt)}"


def render_jobs(app, aid: int) -> list[Job]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(Job).where(Job.assessment_id == aid, Job.kind == jobs.RENDER_DOCUMENT)
        ).all()
        for job in found:
            db.session.expunge(job)
        return found


def cached(app, aid: int) -> dict[str, bytes]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(RenderedDocument).where(RenderedDocument.assessment_id == aid)
        ).all()
        return {row.kind: row.body for row in rows}


def save_comment(client, aid: int, comment: str, version: int = 0):
    response = client.post(
        f"/assessments/{aid}/principles/P1",
        data={
            "q_P1_1-answer": "3",
            "q_P1_1-comment": comment,
            "q_P1_1-base_version": str(version),
        },
    )
    assert response.status_code == 302, response.text
    return response


def test_without_redis_a_draft_pdf_is_rendered_at_once_and_no_job_is_made(app, client, logged_in):
    assert not app.config["REDIS_URL"]
    for fmt in URLS:
        response = client.get(url(logged_in, fmt))
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF-")
    assert render_jobs(app, logged_in) == []
    assert set(cached(app, logged_in)) == set(URLS)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_fast_formats_never_wait_for_a_job(app, client, logged_in, fmt):
    # Even with a queue configured (here one that cannot be reached), they answer at once.
    app.config["REDIS_URL"] = BOGUS_REDIS
    response = client.get(url(logged_in, fmt))
    assert response.status_code == 200
    assert not response.data.startswith(b"<!doctype")
    assert render_jobs(app, logged_in) == []


def test_an_unreachable_queue_shows_the_failure_and_a_retry_that_works(app, client, logged_in):
    app.config["REDIS_URL"] = BOGUS_REDIS
    failed = client.get(url(logged_in, "board.pdf"))
    assert failed.status_code == 409
    assert "Rendering failed: The job queue could not be reached" in failed.text
    [job] = render_jobs(app, logged_in)
    assert (job.state, job.document) == (JobState.FAILED, "board.pdf")
    retry = f"/assessments/{logged_in}/documents/{job.id}/retry"
    assert f'action="{retry}"' in failed.text
    assert cached(app, logged_in) == {}  # nothing half-stored

    # The queue is back (here: jobs run in-process again): the retry renders and stores it.
    app.config["REDIS_URL"] = ""
    again = client.post(retry)
    assert again.status_code == 302
    assert again.headers["Location"].endswith(url(logged_in, "board.pdf"))
    [job] = render_jobs(app, logged_in)
    assert (job.state, job.attempts) == (JobState.DONE, 1)
    served = client.get(url(logged_in, "board.pdf"))
    assert served.status_code == 200 and served.data == cached(app, logged_in)["board.pdf"]


def test_a_render_job_is_unique_per_assessment_document_and_fingerprint(app, logged_in):
    with app.app_context():
        organisation_id = db.session.scalar(sa.text("SELECT organisation_id FROM assessment"))

        def queue(fingerprint: str):
            return jobs.create_job(
                jobs.RENDER_DOCUMENT,
                organisation_id=organisation_id,
                assessment_id=logged_in,
                user_id=None,
                document="pdf",
                fingerprint=fingerprint,
            )

        queue("a" * 64)
        queue("b" * 64)  # another version: another job
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            queue("a" * 64)  # the database refuses a second job for one render


def test_retry_needs_a_render_job_of_this_assessment(app, client, logged_in):
    assert client.post(f"/assessments/{logged_in}/documents/999/retry").status_code == 404


# -- with a real Redis and worker ------------------------------------------------


@pytest.fixture
def redis_queue(app):
    """Point the app at the Redis of REDIS_URL, on a queue of its own; return the queue name."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: the RQ worker tests run in CI's PostgreSQL pass")
    name = f"vp-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=name)
    yield name
    with app.app_context():
        jobs.queue_for(app).delete(delete_jobs=True)


def queued_count(app) -> int:
    return jobs.queue_for(app).count


def run_worker(app, queue: str) -> None:
    """Run a real `flask worker --burst` on the queue, against the test database."""
    run_burst_worker(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], queue)


def run_in_process_worker(app) -> None:
    """Run the queue's jobs with RQ's worker in this process (so a test can break the renderer)."""
    from rq import SimpleWorker

    queue = jobs.queue_for(app)
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_with_redis_a_download_queues_one_render_and_then_serves_its_bytes(
    app, client, logged_in, redis_queue
):
    for fmt in URLS:
        first = client.get(url(logged_in, fmt))
        assert first.status_code == 202
        assert first.headers["Retry-After"] == "2"
        [job] = [j for j in render_jobs(app, logged_in) if j.document == fmt]
        again = f"{url(logged_in, fmt)}?job={job.id}"
        assert first.headers["Refresh"] == f"2; url={again}"
        assert "being prepared (queued)" in first.text
        # A reload finds the same job: nothing is queued twice.
        assert client.get(url(logged_in, fmt)).status_code == 202
        assert client.get(again).status_code == 202
    assert sorted(job.document for job in render_jobs(app, logged_in)) == sorted(URLS)
    assert queued_count(app) == len(URLS)
    assert cached(app, logged_in) == {}  # nothing rendered in a web request

    run_worker(app, redis_queue)

    assert {job.state for job in render_jobs(app, logged_in)} == {JobState.DONE}
    stored = cached(app, logged_in)
    for fmt in URLS:
        served = client.get(url(logged_in, fmt))
        assert served.status_code == 200
        assert served.data.startswith(b"%PDF-") and served.data == stored[fmt]
    assert queued_count(app) == 0


def test_with_redis_a_changed_draft_renders_its_new_version(app, client, logged_in, redis_queue):
    assert client.get(url(logged_in, "pdf")).status_code == 202
    run_worker(app, redis_queue)
    old = client.get(url(logged_in, "pdf")).data
    save_comment(client, logged_in, "changed since the last render")
    assert client.get(url(logged_in, "pdf")).status_code == 202  # a new version, a new job
    # The finished job of the old version was dropped; one job is left.
    [job] = render_jobs(app, logged_in)
    assert job.state == JobState.QUEUED
    run_worker(app, redis_queue)
    new = client.get(url(logged_in, "pdf"))
    assert new.status_code == 200 and new.data.startswith(b"%PDF-") and new.data != old


def test_with_redis_a_job_of_a_version_changed_meanwhile_renders_nothing(
    app, client, logged_in, redis_queue, monkeypatch
):
    renders = []
    real = documents.render
    monkeypatch.setattr(documents, "render", lambda *a: renders.append(a[0]) or real(*a))
    assert client.get(url(logged_in, "public.pdf")).status_code == 202
    save_comment(client, logged_in, "changed before the worker got to it")
    run_in_process_worker(app)
    [job] = render_jobs(app, logged_in)
    assert job.state == JobState.DONE
    assert renders == [] and cached(app, logged_in) == {}
    assert client.get(url(logged_in, "public.pdf")).status_code == 202  # the new version
    run_in_process_worker(app)
    assert renders == ["public.pdf"]
    assert client.get(url(logged_in, "public.pdf")).status_code == 200


def test_with_redis_a_failed_render_shows_why_and_a_retry_renders_it(
    app, client, logged_in, redis_queue, monkeypatch
):
    real = documents.render

    def broken(*args):
        raise RuntimeError("out of fonts")

    monkeypatch.setattr(documents, "render", broken)
    assert client.get(url(logged_in, "pdf")).status_code == 202
    run_in_process_worker(app)
    [job] = render_jobs(app, logged_in)
    assert job.state == JobState.FAILED and "RuntimeError" in job.error
    failed = client.get(url(logged_in, "pdf"))
    assert failed.status_code == 409
    assert "Rendering failed" in failed.text and "RuntimeError" in failed.text
    assert cached(app, logged_in) == {}

    monkeypatch.setattr(documents, "render", real)
    retried = client.post(f"/assessments/{logged_in}/documents/{job.id}/retry")
    assert retried.status_code == 302
    assert client.get(url(logged_in, "pdf")).status_code == 202  # queued again, not a new job
    [job] = render_jobs(app, logged_in)
    assert job.state == JobState.QUEUED
    run_worker(app, redis_queue)
    [job] = render_jobs(app, logged_in)
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    served = client.get(url(logged_in, "pdf"))
    assert served.status_code == 200 and served.data.startswith(b"%PDF-")


def test_with_redis_a_reload_of_a_running_render_does_not_score_again(
    app, client, logged_in, redis_queue, monkeypatch
):
    scored = []
    real = documents.score_stored
    monkeypatch.setattr(
        documents, "score_stored", lambda *a, **k: scored.append(1) or real(*a, **k)
    )
    first = client.get(url(logged_in, "pdf"))
    assert first.status_code == 202 and scored == [1]
    again = first.headers["Refresh"].split("url=", 1)[1]
    assert client.get(again).status_code == 202
    assert scored == [1]  # the reload only looked at the job
    # Another document's job, or one that is done, goes the whole way.
    assert client.get(url(logged_in, "board.pdf") + again[again.index("?") :]).status_code == 202
    assert len(scored) == 2
    run_worker(app, redis_queue)
    served = client.get(again)
    assert served.status_code == 200 and served.data.startswith(b"%PDF-")
