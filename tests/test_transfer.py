"""Import through the web form and the CLI, and the export-import-export round trip."""

import io
import json

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import Answer, Assessment, AuditEvent, Role, Status
from tests.factories import PASSWORD, make_answer, make_user


def upload(client, data: bytes, name: str = "export.json"):
    return client.post(
        "/assessments/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def answers_of(document) -> dict:
    """The parts of an export a round trip must keep: answers, comments and profile."""
    return {
        "service": document["assessment"]["service"],
        "profile": {p["id"]: p["value"] for p in document["profile"]},
        "answers": {
            q["id"]: (q["value"], q["comment"])
            for t in document["themes"]
            for p in t["principles"]
            for q in p["questions"]
        },
    }


@pytest.fixture
def answered(app, logged_in):
    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        make_answer(assessment, "P1.1", "3", "Hash matching on all uploads.")
        make_answer(assessment, "P1.2", "1", "")
        make_answer(assessment, "P2.1", None, "Comment without an answer yet.")
        db.session.commit()
    return logged_in


def test_round_trip_export_import_export_keeps_answers(app, answered, client):
    first = client.get(f"/assessments/{answered}/report.json").get_data()
    response = upload(client, first)
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert new_id != answered
    second = client.get(f"/assessments/{new_id}/report.json").get_json()
    assert answers_of(second) == answers_of(json.loads(first))
    assert second["assessment"]["status"] == Status.DRAFT
    assert second["assessment"]["fingerprint"] == json.loads(first)["assessment"]["fingerprint"]
    with app.app_context():
        (event,) = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.assessment_id == new_id)
        ).all()
        assert event.action == "import" and event.new["answers"] == 3
        assert db.session.get(Assessment, new_id).organisation_id == (
            db.session.get(Assessment, answered).organisation_id
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "the file is not JSON"),
        (b'{"schema_version": "0.9"}', "schema_version: &#39;0.9&#39; is not supported"),
    ],
)
def test_a_damaged_file_creates_nothing_and_says_why(app, logged_in, client, data, message):
    response = upload(client, data)
    assert response.status_code == 422
    assert "Nothing was imported" in response.text and message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_an_answer_that_is_not_an_option_creates_nothing(app, answered, client):
    document = client.get(f"/assessments/{answered}/report.json").get_json()
    document["themes"][0]["principles"][0]["questions"][0]["value"] = "excellent"
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 422
    assert "&#39;excellent&#39; is not an answer option of P1.1" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1


def test_unknown_question_ids_are_skipped_and_reported(app, answered, client):
    document = client.get(f"/assessments/{answered}/report.json").get_json()
    document["themes"][0]["principles"][0]["questions"][0]["id"] = "P1.99"
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "P1.99" in page and "unknown question id" in page


def test_the_form_needs_a_file(logged_in, client):
    response = client.post("/assessments/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a JSON export" in response.text


def test_a_viewer_may_not_import(app, client):
    with app.app_context():
        email = make_user(role=Role.VIEWER).email
        db.session.commit()
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert client.get("/assessments/import").status_code == 403
    assert upload(client, b"{}").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/assessments/import")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_cli_imports_into_an_organisation(app, answered, client, runner, tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(client.get(f"/assessments/{answered}/report.json").get_data())
    with app.app_context():
        organisation_id = db.session.get(Assessment, answered).organisation_id
    result = runner.invoke(args=["import-json", str(path), "--organisation-id", organisation_id])
    assert result.exit_code == 0, result.output
    assert "Imported 3 answers as draft assessment" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = runner.invoke(args=["import-json", str(bad), "--organisation-id", organisation_id])
    assert result.exit_code == 1 and "was not imported" in result.output
    result = runner.invoke(args=["import-json", str(path), "--organisation-id", "999"])
    assert result.exit_code == 1 and "no organisation with id 999" in result.output
