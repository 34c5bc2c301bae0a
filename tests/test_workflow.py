"""Review and sign-off: the status path, the lock, issued copies and the next cycle."""

import hashlib

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import Answer, Assessment, AuditEvent, Evidence, IssuedReport, Role
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)


@pytest.fixture
def team(app):
    """An organisation with one member of each role and a draft with one answer."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        org = admin.memberships[0].organisation
        people = {"admin": admin.email}
        for role in (Role.RESPONDENT, Role.REVIEWER, Role.VIEWER):
            people[role.value] = make_user(organisation=org, role=role).email
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "3", "PhotoDNA on every upload")
        db.session.add(
            Evidence(
                organisation_id=org.id,
                assessment=assessment,
                question_id="P1.1",
                kind="link",
                title="Hash policy",
                url="https://intranet.example/hash-policy",
            )
        )
        db.session.commit()
        people["assessment_id"] = assessment.id
        return people


def client_for(app, email):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def status_of(app, assessment_id):
    with app.app_context():
        return db.session.get(Assessment, assessment_id).status


def test_the_full_path_from_draft_to_approved(app, team):
    aid = team["assessment_id"]
    respondent = client_for(app, team["respondent"])
    reviewer = client_for(app, team["reviewer"])

    assert respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY).status_code == 302
    assert status_of(app, aid) == "in_review"

    response = reviewer.post(
        f"/assessments/{aid}/request-changes", data={"comment": "Add the IWF list"}
    )
    assert response.status_code == 302
    assert status_of(app, aid) == "changes_requested"
    assert "Add the IWF list" in respondent.get(f"/assessments/{aid}/").text

    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    approval = approval_data(reviewer, aid)
    assert reviewer.post(f"/assessments/{aid}/approve", data=approval).status_code == 302
    assert status_of(app, aid) == "approved"
    with app.app_context():
        statuses = [
            (e.old["status"], e.new["status"])
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "status").order_by(AuditEvent.id)
            )
        ]
    assert statuses == [
        ("draft", "in_review"),
        ("in_review", "changes_requested"),
        ("changes_requested", "in_review"),
        ("in_review", "approved"),
    ]


def test_request_changes_needs_a_comment(app, team):
    aid = team["assessment_id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    response = client_for(app, team["reviewer"]).post(
        f"/assessments/{aid}/request-changes", data={"comment": " "}
    )
    assert response.status_code == 422
    assert "Say what needs to change." in response.text
    assert status_of(app, aid) == "in_review"


def test_a_draft_cannot_be_approved_before_review(app, team):
    aid = team["assessment_id"]
    response = client_for(app, team["reviewer"]).post(f"/assessments/{aid}/approve")
    assert response.status_code == 409
    assert status_of(app, aid) == "draft"


def test_the_submitter_cannot_approve_their_own_submission(app, team):
    aid = team["assessment_id"]
    admin = client_for(app, team["admin"])
    admin.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    response = admin.post(f"/assessments/{aid}/approve", data=approval_data(admin, aid))
    assert response.status_code == 409
    assert "someone else" in response.text
    assert "Location" not in response.headers
    assert status_of(app, aid) == "in_review"


@pytest.fixture
def approved(app, team):
    aid = team["assessment_id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    approval = approval_data(reviewer, aid)
    assert reviewer.post(f"/assessments/{aid}/approve", data=approval).status_code == 302
    return team


LOCKED_CHANGES = [
    (
        "/assessments/{id}/principles/P1",
        {"q_P1_1-answer": "0", "q_P1_1-comment": "x", "q_P1_1-base_version": "1"},
    ),
    ("/assessments/{id}/profile", {"q_search": "no"}),
    ("/assessments/{id}/assignments", {}),
    ("/assessments/{id}/submit", SUBMIT_ANYWAY),
    ("/assessments/{id}/request-changes", {"comment": "reopen"}),
    ("/assessments/{id}/approve", {}),
]


def _database_state(app, aid):
    with app.app_context():
        a = db.session.get(Assessment, aid)
        return (
            a.status,
            a.profile,
            a.version_id,
            sorted((x.question_id, x.value, x.comment, x.version) for x in a.answers),
            len(a.assignments),
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
        )


@pytest.mark.parametrize(("route", "data"), LOCKED_CHANGES)
def test_a_locked_assessment_refuses_every_change(app, approved, route, data):
    aid = approved["assessment_id"]
    admin = client_for(app, approved["admin"])
    before = _database_state(app, aid)
    response = admin.post(route.format(id=aid), data=data)
    assert response.status_code == 409
    assert "approved and locked" in response.text
    assert _database_state(app, aid) == before


def test_approval_issues_the_pdf_once_and_serves_the_same_bytes(app, approved):
    aid = approved["assessment_id"]
    viewer = client_for(app, approved["viewer"])
    first = viewer.get(f"/assessments/{aid}/report.pdf")
    second = viewer.get(f"/assessments/{aid}/report.pdf")
    assert first.status_code == 200
    assert first.data == second.data
    with app.app_context():
        issued = db.session.scalars(sa.select(IssuedReport)).one()
        assert issued.sha256 == hashlib.sha256(first.data).hexdigest()
        assert issued.pdf == first.data


def test_the_next_cycle_carries_answers_forward_into_a_linked_draft(app, approved):
    aid = approved["assessment_id"]
    respondent = client_for(app, approved["respondent"])
    response = respondent.post(f"/assessments/{aid}/next-cycle")
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.scalars(sa.select(Assessment).where(Assessment.id != aid)).one()
        assert draft.status == "draft"
        assert draft.previous_id == aid
        assert [(a.question_id, a.value, a.comment) for a in draft.answers] == [
            ("P1.1", "3", "PhotoDNA on every upload")
        ]
        assert [(e.kind, e.url) for e in draft.evidence] == [
            ("link", "https://intranet.example/hash-policy")
        ]
        # The approved one is untouched.
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Answer.id)).where(Answer.assessment_id == aid)
            )
            == 1
        )
        new_id = draft.id
    assert "Carried forward from" in respondent.get(f"/assessments/{new_id}/").text


def test_the_next_cycle_starts_only_from_an_approved_assessment(app, team):
    aid = team["assessment_id"]
    response = client_for(app, team["admin"]).post(f"/assessments/{aid}/next-cycle")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1


def test_owners_and_due_dates_show_on_the_owners_dashboard(app, team):
    aid = team["assessment_id"]
    with app.app_context():
        from assessment.models import User

        respondent_id = db.session.scalars(
            sa.select(User.id).where(User.email == team["respondent"])
        ).one()
    reviewer = client_for(app, team["reviewer"])
    response = reviewer.post(
        f"/assessments/{aid}/assignments",
        data={
            "q_P1-owner": str(respondent_id),
            "q_P1-due_date": "2020-01-31",
            "q_P3-owner": str(respondent_id),
            "q_P3-due_date": "2099-12-31",
        },
    )
    assert response.status_code == 302
    dashboard = client_for(app, team["respondent"]).get("/assessments/").text
    assert "Assigned to you" in dashboard
    assert "overdue: was due 31 Jan 2020" in dashboard
    assert "due 31 Dec 2099" in dashboard
    assert "Assigned to you" not in client_for(app, team["viewer"]).get("/assessments/").text


def test_assignment_to_someone_outside_the_organisation_is_refused(app, team):
    aid = team["assessment_id"]
    with app.app_context():
        outsider_id = make_user().id
        db.session.commit()
    response = client_for(app, team["admin"]).post(
        f"/assessments/{aid}/assignments", data={"q_P1-owner": str(outsider_id)}
    )
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.get(Assessment, aid).assignments == []


def test_history_shows_who_changed_what_and_filters_by_person(app, team):
    aid = team["assessment_id"]
    respondent = client_for(app, team["respondent"])
    saved = respondent.post(
        f"/assessments/{aid}/principles/P1",
        data={"q_P1_1-answer": "4", "q_P1_1-comment": "now leading", "q_P1_1-base_version": "1"},
    )
    assert saved.status_code == 302
    with app.app_context():
        from assessment.models import User

        ids = {u.email: u.id for u in db.session.scalars(sa.select(User))}
    page = respondent.get(f"/assessments/{aid}/history").text
    assert "now leading" in page
    mine = respondent.get(f"/assessments/{aid}/history?person={ids[team['respondent']]}").text
    assert "now leading" in mine
    others = respondent.get(f"/assessments/{aid}/history?person={ids[team['viewer']]}").text
    assert "now leading" not in others
    question = respondent.get(f"/assessments/{aid}/questions/P1.1/history").text
    assert "now leading" in question
    assert respondent.get(f"/assessments/{aid}/questions/NOPE/history").status_code == 404


def test_flask_verify_accepts_an_issued_copy_and_rejects_a_modified_one(app, approved, tmp_path):
    aid = approved["assessment_id"]
    pdf = client_for(app, approved["viewer"]).get(f"/assessments/{aid}/report.pdf").data
    good = tmp_path / "issued.pdf"
    good.write_bytes(pdf)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(
        pdf.replace(b"PhotoDNA", b"PhotoDNX", 1) if b"PhotoDNA" in pdf else pdf + b"\n%"
    )
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert f"issued copy of assessment {aid}" in ok.output
    bad = runner.invoke(args=["verify", str(tampered)])
    assert bad.exit_code == 1
    assert "NOT an issued copy" in bad.output
    missing = runner.invoke(args=["verify", str(tmp_path / "nope.pdf")])
    assert missing.exit_code == 2
