"""Review that guides, cycles with carried answers to confirm, and a history people can read."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.importer import parse_export
from assessment.models import (
    Answer,
    Assessment,
    AuditEvent,
    QuestionComment,
    Role,
    Status,
    User,
    utcnow,
)
from assessment.workflow import DEFAULT_ATTESTATION
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)
from tests.pdf_text import page_texts


@pytest.fixture
def team(app):
    """An admin, a respondent, a reviewer and a viewer; a draft with two answers."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin")
        org = admin.memberships[0].organisation
        people = {"admin": admin.email}
        for role, name in (
            (Role.RESPONDENT, "Res Pondent"),
            (Role.REVIEWER, "Rae Reviewer"),
            (Role.VIEWER, "Vi Viewer"),
        ):
            people[role.value] = make_user(organisation=org, role=role, name=name).email
        assessment = make_assessment(admin, period="FY2026 H1")
        make_answer(assessment, "P1.1", "3", "PhotoDNA on every upload")
        make_answer(assessment, "P1.2", "alt", "Our own classifier")
        db.session.commit()
        people["id"] = assessment.id
        people["org"] = org.id
        return people


def client_for(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def stored(app, aid) -> Assessment:
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        db.session.expunge(assessment)
        return assessment


# -- submit ------------------------------------------------------------------------


def test_submit_with_unanswered_questions_lists_them_and_asks_first(app, team):
    aid = team["id"]
    respondent = client_for(app, team["respondent"])
    response = respondent.post(f"/assessments/{aid}/submit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{aid}/submit")
    assert stored(app, aid).status == Status.DRAFT
    page = respondent.get(f"/assessments/{aid}/submit").text
    assert "Some questions are still open" in page
    assert f'href="/assessments/{aid}/principles/P1#P1.3"' in page
    assert "P1.1</a>" not in page  # answered
    assert 'name="incomplete_ok" type="hidden" value="yes"' in page
    assert respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY).status_code == 302
    assert stored(app, aid).status == Status.IN_REVIEW


def test_the_submitter_never_sees_approve(app, team):
    aid = team["id"]
    admin = client_for(app, team["admin"])
    admin.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    overview = admin.get(f"/assessments/{aid}/").text
    assert "Approve and lock" not in overview
    assert "another reviewer or admin approves it" in overview
    page = admin.get(f"/assessments/{aid}/approve").text
    assert "Approve and lock" not in page
    assert "someone else" in page
    reviewer_view = client_for(app, team["reviewer"]).get(f"/assessments/{aid}/").text
    assert "Approve and lock" in reviewer_view
    for who in ("respondent", "viewer"):
        assert "Approve and lock" not in client_for(app, team[who]).get(f"/assessments/{aid}/").text


def test_approval_shows_what_is_approved_and_needs_the_attestation(app, team):
    aid = team["id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    page = reviewer.get(f"/assessments/{aid}/approve").text
    assert DEFAULT_ATTESTATION.split(".")[0] in page
    assert "Fingerprint" in page and "Completion" in page and "Overall score" in page
    data = approval_data(reviewer, aid)
    unticked = {k: v for k, v in data.items() if k != "attest"}
    refused = reviewer.post(f"/assessments/{aid}/approve", data=unticked)
    assert refused.status_code == 422
    assert "Tick the box to confirm the statement." in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert stored(app, aid).status == Status.IN_REVIEW
    assert reviewer.post(f"/assessments/{aid}/approve", data=data).status_code == 302
    approved = stored(app, aid)
    assert approved.status == Status.APPROVED
    assert approved.attestation == DEFAULT_ATTESTATION
    assert approved.approved_by_role == "Reviewer"
    export = json.loads(reviewer.get(f"/assessments/{aid}/report.json").data)
    assert export["schema_version"] == "1.2"
    assert export["assessment"]["attestation"] == DEFAULT_ATTESTATION
    assert export["assessment"]["approved_by_role"] == "Reviewer"
    assert export["assessment"]["period"] == "FY2026 H1"


def test_the_attestation_text_is_a_setting(app_config, team, app):
    app.config["ATTESTATION_TEXT"] = "We attest: the Acme way."
    aid = team["id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    assert "We attest: the Acme way." in reviewer.get(f"/assessments/{aid}/approve").text
    reviewer.post(f"/assessments/{aid}/approve", data=approval_data(reviewer, aid))
    assert stored(app, aid).attestation == "We attest: the Acme way."


# -- cycles --------------------------------------------------------------------------


@pytest.fixture
def next_draft(app, team):
    """Approve the team's draft and start the next cycle; return the new draft's id."""
    aid = team["id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    reviewer.post(f"/assessments/{aid}/approve", data=approval_data(reviewer, aid))
    respondent = client_for(app, team["respondent"])
    response = respondent.post(f"/assessments/{aid}/next-cycle", data={"period": "FY2026 H2"})
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Assessment.id)))


def test_carried_answers_wait_for_confirmation_and_count_only_then(app, team, next_draft):
    draft = stored(app, next_draft)
    assert draft.period == "FY2026 H2"
    respondent = client_for(app, team["respondent"])
    page = respondent.get(f"/assessments/{next_draft}/principles/P1").text
    assert "Carried forward: confirm" in page
    assert "2 answers carried forward: confirm." in page
    assert "Confirm all 2 carried-forward answers of P1" in page
    export = json.loads(respondent.get(f"/assessments/{next_draft}/report.json").data)
    p1 = export["themes"][0]["principles"][0]
    assert (p1["answered_count"], p1["carried_count"]) == (0, 2)
    assert {q["id"] for q in p1["questions"] if q["carried_forward"]} == {"P1.1", "P1.2"}

    confirmed = respondent.post(
        f"/assessments/{next_draft}/principles/P1/confirm", data={"question": "P1.1"}
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/principles/P1#P1.1")
    export = json.loads(respondent.get(f"/assessments/{next_draft}/report.json").data)
    p1 = export["themes"][0]["principles"][0]
    assert (p1["answered_count"], p1["carried_count"]) == (1, 1)
    page = respondent.get(f"/assessments/{next_draft}/principles/P1").text
    assert "Confirm the carried-forward answer of P1" in page and "Confirm all" not in page

    respondent.post(f"/assessments/{next_draft}/principles/P1/confirm", data={})
    with app.app_context():
        answers = db.session.scalars(
            sa.select(Answer).where(Answer.assessment_id == next_draft)
        ).all()
        assert not any(a.carried_forward for a in answers)
        events = db.session.scalars(
            sa.select(AuditEvent.target)
            .where(AuditEvent.assessment_id == next_draft, AuditEvent.action == "confirm")
            .order_by(AuditEvent.id)
        ).all()
    assert events == ["P1.1", "P1.2"]  # each once, though P1.1 was in both confirmations
    assert (
        "Carried forward: confirm"
        not in respondent.get(f"/assessments/{next_draft}/principles/P1").text
    )


def test_changing_a_carried_answer_confirms_it(app, team, next_draft):
    respondent = client_for(app, team["respondent"])
    with app.app_context():
        versions = dict(
            db.session.execute(
                sa.select(Answer.question_id, Answer.version).where(
                    Answer.assessment_id == next_draft
                )
            ).all()
        )
    saved = respondent.post(
        f"/assessments/{next_draft}/principles/P1",
        data={
            "q_P1_1-answer": "4",
            "q_P1_1-comment": "PhotoDNA on every upload",
            "q_P1_1-base_version": str(versions["P1.1"]),
            "q_P1_2-answer": "alt",
            "q_P1_2-comment": "Our own classifier",
            "q_P1_2-base_version": str(versions["P1.2"]),
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        carried = dict(
            db.session.execute(
                sa.select(Answer.question_id, Answer.carried_forward).where(
                    Answer.assessment_id == next_draft
                )
            ).all()
        )
    assert carried == {"P1.1": False, "P1.2": True}


def test_submitting_lists_unconfirmed_answers(app, team, next_draft):
    respondent = client_for(app, team["respondent"])
    page = respondent.get(f"/assessments/{next_draft}/submit").text
    assert "Carried forward, not yet confirmed (2)" in page


def test_confirming_is_refused_in_review_and_for_viewers(app, team, next_draft):
    viewer = client_for(app, team["viewer"])
    assert viewer.post(f"/assessments/{next_draft}/principles/P1/confirm").status_code == 403
    respondent = client_for(app, team["respondent"])
    respondent.post(f"/assessments/{next_draft}/submit", data=SUBMIT_ANYWAY)
    assert respondent.post(f"/assessments/{next_draft}/principles/P1/confirm").status_code == 409
    assert respondent.post(f"/assessments/{next_draft}/principles/P99/confirm").status_code == 404


def test_the_period_is_set_at_start_editable_in_draft_and_shown(app, team):
    respondent = client_for(app, team["respondent"])
    aid = team["id"]
    assert (
        respondent.post(f"/assessments/{aid}/period", data={"period": "FY2027 H1"}).status_code
        == 302
    )
    assert stored(app, aid).period == "FY2027 H1"
    assert (
        respondent.post(f"/assessments/{aid}/period", data={"period": "x" * 41}).status_code == 422
    )
    listing = respondent.get("/assessments/").text
    assert "FY2027 H1" in listing
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    assert respondent.post(f"/assessments/{aid}/period", data={"period": "late"}).status_code == 409
    assert stored(app, aid).period == "FY2027 H1"


def test_the_list_filters_and_sorts(app, team, next_draft):
    client = client_for(app, team["viewer"])
    listing = client.get("/assessments/").text
    assert "FY2026 H1" in listing and "FY2026 H2" in listing
    assert "Approved</th>" in listing
    approved = client.get("/assessments/?status=approved").text.split("<tbody>")[1]
    assert "FY2026 H1" in approved and "FY2026 H2" not in approved
    by_period = client.get("/assessments/?period=FY2026+H2").text
    assert (
        "FY2026 H2" in by_period.split("<tbody>")[1]
        and "FY2026 H1" not in by_period.split("<tbody>")[1]
    )
    assert "No assessment matches" in client.get("/assessments/?service=Nothing").text
    assert "No assessment matches" in client.get("/assessments/?service=%25").text  # a literal %
    assert "FY2026 H2" in client.get("/assessments/?service=acme").text.split("<tbody>")[1]
    for junk in ("?status=%00", "?sort=drop", "?period=" + "x" * 500, "?page=-1"):
        assert client.get("/assessments/" + junk).status_code == 200


# -- landing page ----------------------------------------------------------------------


def test_the_landing_page_says_what_waits(app, team):
    aid = team["id"]
    respondent = client_for(app, team["respondent"])
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    page = reviewer.get("/assessments/").text
    assert "Reviews to do (1)" in page
    assert f'href="/assessments/{aid}/approve"' in page
    assert "Reviews to do" not in respondent.get("/assessments/").text  # not theirs
    reviewer.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "Which lists?"})
    waiting = respondent.get("/assessments/").text
    assert "Comments to answer (1)" in waiting
    assert "#comments-P1.1" in waiting
    assert "Comments to answer" not in reviewer.get("/assessments/").text  # their turn is over
    with app.app_context():
        thread = db.session.scalar(sa.select(QuestionComment.id))
    respondent.post(f"/assessments/{aid}/comments/{thread}/reply", data={"body": "IWF"})
    assert "Comments to answer (1)" in reviewer.get("/assessments/").text
    assert "Comments to answer" not in respondent.get("/assessments/").text


# -- history ---------------------------------------------------------------------------


def _answer_events(app, aid, user_email, count):
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == user_email))
        assessment = db.session.get(Assessment, aid)
        base = utcnow() - timedelta(days=10)
        for i in range(count):
            db.session.add(
                AuditEvent(
                    organisation_id=assessment.organisation_id,
                    assessment_id=aid,
                    user_id=user_id,
                    at=base + timedelta(days=i % 5),
                    action="answer",
                    target="P1.2" if i % 2 else "P3.1",
                    old={"value": "2", "comment": ""},
                    new={"value": "alt", "comment": f"change {i}"},
                )
            )
        db.session.commit()
        return base


def test_history_reads_as_words_is_paged_and_filtered(app, team):
    aid = team["id"]
    base = _answer_events(app, aid, team["respondent"], 60)
    client = client_for(app, team["viewer"])
    page = client.get(f"/assessments/{aid}/history").text
    assert "Alternative measure" in page
    assert "Answer: Developing" in page
    assert '"value"' not in page and "{&#34;" not in page
    assert "60 changes, page 1 of 2" in page
    assert page.count('<p class="history-head">') == 50
    second = client.get(f"/assessments/{aid}/history?page=2").text
    assert second.count('<p class="history-head">') == 10
    p1 = client.get(f"/assessments/{aid}/history?principle=P1").text
    assert "30 changes" in p1
    day = (base + timedelta(days=1)).date().isoformat()
    one_day = client.get(f"/assessments/{aid}/history?from={day}&to={day}").text
    assert "12 changes" in one_day
    for junk in (
        "?from=2026-13-45",
        "?to=%00",
        "?to=9999-12-31",
        "?from=0001-01-01",
        "?principle=<script>",
        "?page=9999999999999",
    ):
        assert client.get(f"/assessments/{aid}/history{junk}").status_code == 200


def test_history_downloads_as_csv_for_the_organisation_only(app, team):
    aid = team["id"]
    _answer_events(app, aid, team["respondent"], 3)
    client = client_for(app, team["viewer"])
    response = client.get(f"/assessments/{aid}/history.csv?principle=P1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["after"] == "Answer: Alternative measure; Comment: change 1"
    assert rows[0]["principle_id"] == "P1" and rows[0]["who"] == "Res Pondent"
    with app.app_context():
        outsider = make_user(organisation_name="Another Org").email
        db.session.commit()
    other = client_for(app, outsider)
    assert other.get(f"/assessments/{aid}/history.csv").status_code == 404
    assert other.get(f"/assessments/{aid}/history").status_code == 404


def test_a_version_1_1_export_still_imports(app, team):
    client = client_for(app, team["viewer"])
    export = json.loads(client.get(f"/assessments/{team['id']}/report.json").data)
    export["schema_version"] = "1.1"
    del export["comments"]
    for key in ("period", "attestation", "approved_by_role"):
        del export["assessment"][key]
    for theme in export["themes"]:
        for principle in theme["principles"]:
            del principle["carried_count"]
            for question in principle["questions"]:
                del question["carried_forward"]
    with app.app_context():
        from assessment.extensions import current_catalogue

        imported = parse_export(json.dumps(export).encode(), current_catalogue())
    assert imported.answers["P1.1"].value == "3"


def test_the_overview_says_when_the_issued_pdf_is_being_produced(app, team):
    from assessment import jobs
    from assessment.models import Job, JobState

    aid = team["id"]
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        assessment.status = Status.APPROVED
        assessment.approved_at = utcnow()
        job = Job(
            organisation_id=team["org"],
            assessment_id=aid,
            kind=jobs.ISSUE_REPORT,
            state=JobState.RENDERING,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    client = client_for(app, team["viewer"])
    page = client.get(f"/assessments/{aid}/").text
    assert "Issued PDF:" in page and "<strong>rendering</strong>" in page
    assert "reload this page</a> to see when the PDF is stored" in page
    with app.app_context():
        db.session.get(Job, job_id).state = JobState.DONE
        db.session.commit()
    assert "<strong>stored</strong>" in client.get(f"/assessments/{aid}/").text


def test_a_new_assessment_is_started_with_its_period(app, team):
    from tests.test_roles import PROFILE

    client = client_for(app, team["respondent"])
    response = client.post("/assessments/new", data={**PROFILE, "period": " FY2027 H1 "})
    assert response.status_code == 302
    with app.app_context():
        newest = db.session.scalars(sa.select(Assessment).order_by(Assessment.id.desc())).first()
        assert (newest.service_name, newest.period) == ("Second service", "FY2027 H1")


@pytest.mark.real_pdf
def test_the_issued_report_prints_the_stored_period_role_and_attestation(app, team):

    aid = team["id"]
    client_for(app, team["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    reviewer.post(f"/assessments/{aid}/approve", data=approval_data(reviewer, aid))
    pdf = reviewer.get(f"/assessments/{aid}/report.pdf").data
    text = " ".join(" ".join(page.split()) for page in page_texts(pdf))
    assert "Assessment period FY2026 H1" in text
    assert "Role Reviewer" in text
    assert "Attestation statement I have read this self-assessment." in text
