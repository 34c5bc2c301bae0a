"""Slow work in a writing request holds no lock: a slow login or upload never holds up a save.

Every POST takes SQLite's write lock at its first statement. Checking a
password (scrypt) and reading and checking an uploaded document take a
while, so they run with no transaction open. Each test stops a request in
the middle of its slow part (an Event, not a timer) and, meanwhile, another
person's save goes through and SQLite's write lock is free. The command-line
tools that read and then write take the lock at their first statement.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import assessment.evidence
import assessment.views.auth
from assessment.extensions import db
from assessment.models import Answer, Evidence, Role
from tests.factories import PASSWORD, make_assessment, make_user
from tests.sqlite_lock import write_lock_free

WAIT_SECONDS = 60


@pytest.fixture
def people(app):
    """Two members of one organisation and a draft; returns their emails and its id."""
    with app.app_context():
        first = make_user(role=Role.ADMIN)
        second = make_user(organisation=first.memberships[0].organisation, role=Role.RESPONDENT)
        assessment = make_assessment(first)
        db.session.commit()
        return first.email, second.email, assessment.id


def logged_in(app, email):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


class Paused:
    """Wrap a slow function so that a call stops inside it until released."""

    def __init__(self, real):
        self.real = real
        self.inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args, **kwargs):
        self.inside.set()
        assert self.release.wait(WAIT_SECONDS), "never released"
        return self.real(*args, **kwargs)


def in_thread(call):
    """Start `call` in a thread; return the thread and a list that will hold its result."""
    result: list = []

    def run():
        result.append(call())

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def save_while_paused(app, client, assessment_id, comment):
    """Save an answer from another session; return the response."""
    return client.post(
        f"/assessments/{assessment_id}/principles/P1",
        data={"q_P1_1-answer": "3", "q_P1_1-comment": comment, "q_P1_1-base_version": "0"},
    )


def stored_comment(app, assessment_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(Answer.comment).where(
                Answer.assessment_id == assessment_id, Answer.question_id == "P1.1"
            )
        )


def test_a_slow_login_holds_no_lock_while_it_checks_the_password(app, people, monkeypatch):
    first, second, aid = people
    saver = logged_in(app, second)  # before the password check is slowed down
    paused = Paused(assessment.views.auth.check_password_hash)
    monkeypatch.setattr(assessment.views.auth, "check_password_hash", paused)

    login = app.test_client()
    thread, result = in_thread(
        lambda: login.post("/auth/login", data={"email": first, "password": PASSWORD})
    )
    try:
        assert paused.inside.wait(WAIT_SECONDS)
        assert write_lock_free(app) in (True, None)
        saved = save_while_paused(app, saver, aid, "saved during a login")
        assert saved.status_code == 302
        assert thread.is_alive()  # the login is still checking the password
    finally:
        paused.release.set()
        thread.join(WAIT_SECONDS)
    assert result[0].status_code == 302  # and it logged in
    assert login.get(f"/assessments/{aid}/").status_code == 200
    assert stored_comment(app, aid) == "saved during a login"


def test_a_failed_slow_login_is_still_counted(app, people, monkeypatch):
    first, _, _ = people
    paused = Paused(assessment.views.auth.check_password_hash)
    paused.release.set()  # no pause: only the outcome matters here
    monkeypatch.setattr(assessment.views.auth, "check_password_hash", paused)
    response = app.test_client().post(
        "/auth/login", data={"email": first, "password": "not the password"}
    )
    assert response.status_code == 401
    from assessment.models import LoginFailure

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(LoginFailure.id))) == 2


def test_a_slow_upload_holds_no_lock_while_its_document_is_checked(app, people, monkeypatch):
    import io

    first, second, aid = people
    uploader, saver = logged_in(app, first), logged_in(app, second)
    paused = Paused(assessment.evidence.sniff_document)
    monkeypatch.setattr(assessment.evidence, "sniff_document", paused)

    thread, result = in_thread(
        lambda: uploader.post(
            f"/assessments/{aid}/questions/P1.2/evidence/upload",
            data={"file": (io.BytesIO(b"Our policy, in plain text.\n"), "policy.txt")},
            content_type="multipart/form-data",
        )
    )
    try:
        assert paused.inside.wait(WAIT_SECONDS)
        assert write_lock_free(app) in (True, None)
        saved = save_while_paused(app, saver, aid, "saved during an upload")
        assert saved.status_code == 302
        assert thread.is_alive()  # the upload is still being checked
    finally:
        paused.release.set()
        thread.join(WAIT_SECONDS)
    assert result[0].status_code == 302
    with app.app_context():
        titles = db.session.scalars(sa.select(Evidence.title)).all()
    assert titles == ["policy.txt"]
    assert stored_comment(app, aid) == "saved during an upload"


def _lock_seen_by_first_read(app, monkeypatch, module, name):
    """Wrap `module.name` so that it first reads, then notes whether the write lock is held."""
    seen = []
    real = getattr(module, name)

    def watched(*args, **kwargs):
        db.session.scalar(sa.select(sa.literal(1)))  # the command's first statement
        seen.append(not write_lock_free(app))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)
    return seen


def test_flask_demo_takes_the_write_lock_at_its_first_statement(app, runner, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    import assessment.demo

    seen = _lock_seen_by_first_read(app, monkeypatch, assessment.demo, "seed_demo")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert seen == [True]


def test_flask_import_json_takes_the_write_lock_at_its_first_statement(
    app, runner, monkeypatch, tmp_path, people
):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    import assessment.importer

    first, _, aid = people
    export = logged_in(app, first).get(f"/assessments/{aid}/report.json").get_data()
    path = tmp_path / "export.json"
    path.write_bytes(export)
    seen = _lock_seen_by_first_read(app, monkeypatch, assessment.importer, "parse_export")
    with app.app_context():
        organisation_id = db.session.scalar(sa.text("SELECT organisation_id FROM assessment"))
    result = runner.invoke(args=["import-json", str(path), "--organisation-id", organisation_id])
    assert result.exit_code == 0, result.output
    assert seen == [True]
