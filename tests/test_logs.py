"""Logging: a line per request with its id, security events at WARNING, 500s logged."""

from __future__ import annotations

import logging

import pytest

from tests.factories import PASSWORD


def _records(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


def test_every_request_gets_an_id_in_the_response_and_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    response = client.get("/catalogue/")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 16
    (line,) = _records(caplog, "assessment.request")
    assert line.request_id == request_id
    assert line.getMessage().startswith("GET /catalogue/ 200 ")


def test_a_sane_incoming_request_id_is_kept_and_a_forged_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    kept = client.get("/catalogue/", headers={"X-Request-ID": "lb-7f3a.19"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.19"
    forged = client.get("/catalogue/", headers={"X-Request-ID": "x] GET /admin 200\tfake"})
    assert forged.headers["X-Request-ID"] != "x] GET /admin 200\tfake"
    assert all("fake" not in r.getMessage() for r in caplog.records)


def test_invitation_tokens_are_not_written_to_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    client.get("/invite/a-secret-token-value")
    assert "a-secret-token-value" not in caplog.text
    assert "/invite/<token>" in caplog.text


def test_failed_and_throttled_logins_are_security_events(app, client, member, caplog):
    app.config["LOGIN_MAX_FAILURES"] = 2
    caplog.set_level(logging.INFO, logger="assessment")
    for _ in range(3):
        client.post("/auth/login", data={"email": member[0], "password": "wrong password"})
    events = [r.getMessage() for r in _records(caplog, "assessment.security")]
    assert sum("security login_failed" in e for e in events) == 2
    assert any("security login_throttled" in e and f"email={member[0]}" in e for e in events)
    assert all(r.levelno == logging.WARNING for r in _records(caplog, "assessment.security"))
    assert "wrong password" not in caplog.text


def test_cross_organisation_lookups_are_security_events(app, client, logged_in, caplog):
    from assessment.extensions import db
    from tests.factories import make_assessment, make_user

    with app.app_context():
        theirs = make_assessment(make_user()).id
        db.session.commit()
    caplog.set_level(logging.INFO, logger="assessment")
    assert client.get(f"/assessments/{theirs}/").status_code == 404
    assert client.get("/assessments/999/").status_code == 404  # exists nowhere: not an event
    events = [r.getMessage() for r in _records(caplog, "assessment.security")]
    assert events == [
        f"security cross_organisation what=assessment id={theirs} ip=127.0.0.1 "
        f"path=/assessments/{theirs}/"
    ]


def test_conflicts_are_security_events(app, client, logged_in, caplog):
    from assessment.extensions import db
    from assessment.models import Assessment, Status

    with app.app_context():
        db.session.get(Assessment, logged_in).status = Status.APPROVED
        db.session.commit()
    caplog.set_level(logging.INFO, logger="assessment")
    response = client.post(f"/assessments/{logged_in}/profile", data={})
    assert response.status_code == 409
    assert any("security conflict" in r.getMessage() for r in caplog.records)


def test_refused_uploads_are_security_events(client, logged_in, caplog):
    import io

    caplog.set_level(logging.INFO, logger="assessment")
    client.post(
        f"/assessments/{logged_in}/questions/P1.1/evidence/upload",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "cat.png")},
        content_type="multipart/form-data",
    )
    (event,) = [r.getMessage() for r in _records(caplog, "assessment.security")]
    assert event.startswith("security upload_refused reason='Images and video cannot")
    assert "filename=cat.png" in event


class TestServerError:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["PROPAGATE_EXCEPTIONS"] = False
        return app_config

    def test_the_500_page_is_true_the_error_is_logged_with_the_request_id(
        self, app, client, logged_in, caplog, monkeypatch
    ):
        import assessment.views.assessments as views

        def broken(*args, **kwargs):
            raise RuntimeError("the disk is on fire")

        monkeypatch.setattr(views, "score_stored", broken)
        caplog.set_level(logging.INFO, logger="assessment")
        response = client.get(f"/assessments/{logged_in}/", headers={"X-Request-ID": "req-500"})
        assert response.status_code == 500
        assert "The error has been logged" in response.text
        assert "req-500" in response.text
        (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert error.request_id == "req-500"
        assert "the disk is on fire" in caplog.text  # the traceback is in the log
        assert "the disk is on fire" not in response.text


def test_logs_go_to_stdout(client, capsys):
    client.post("/auth/login", data={"email": "nobody@example.org", "password": PASSWORD})
    out = capsys.readouterr().out
    assert "WARNING assessment.security" in out
    assert "INFO assessment.request" in out
