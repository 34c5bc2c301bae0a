"""Comment threads on questions: raised, answered, resolved; audited, exported, e-mailed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import AuditEvent, QuestionComment, Role, Status
from tests import mailserver
from tests.factories import (
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)
from tests.mailserver import EXTERNAL_URL
from tests.test_notices import client_for

smtp = mailserver.smtp


app_config = mailserver.sending_app_config
app = mailserver.buffered_app


@pytest.fixture
def team(app):
    """A reviewer, the respondent who answered P1.1, the owner of P1, another respondent."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin", email="ada@example.org")
        org = admin.memberships[0].organisation
        people = {}
        for key, role, name in (
            ("reviewer", Role.REVIEWER, "Rae Reviewer"),
            ("author", Role.RESPONDENT, "Ann Author"),
            ("owner", Role.RESPONDENT, "Otto Owner"),
            ("other", Role.RESPONDENT, "Oli Other"),
            ("viewer", Role.VIEWER, "Vi Viewer"),
        ):
            people[key] = make_user(
                organisation=org, role=role, name=name, email=f"{key}@example.org"
            )
        assessment = make_assessment(admin)
        answer = make_answer(assessment, "P1.1", "3", "PhotoDNA")
        answer.updated_by_id = people["author"].id
        from assessment.models import Assignment

        db.session.add(
            Assignment(assessment=assessment, principle_id="P1", owner_id=people["owner"].id)
        )
        db.session.commit()
        return {"id": assessment.id, **{k: u.email for k, u in people.items()}}


def thread_id(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(QuestionComment.id).where(QuestionComment.thread_id.is_(None))
        )


def test_a_comment_is_raised_answered_and_resolved(app, team, smtp):
    aid = team["id"]
    reviewer = client_for(app, team["reviewer"])
    raised = reviewer.post(
        f"/assessments/{aid}/questions/P1.1/comments", data={"body": "Which hash lists?"}
    )
    assert raised.status_code == 302
    assert raised.headers["Location"].endswith(f"/assessments/{aid}/principles/P1#comments-P1.1")
    # The owner of P1 and the last author of the answer; nobody else.
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == [
        "author@example.org",
        "owner@example.org",
    ]
    (mail,) = smtp.to("author@example.org")
    assert mail.subject.startswith("Comment on P1.1: Acme Chat")
    assert "Which hash lists?" in mail.body
    assert f"{EXTERNAL_URL}/assessments/{aid}/principles/P1#P1.1" in mail.links
    smtp.clear()

    author = client_for(app, team["author"])
    page = author.get(f"/assessments/{aid}/principles/P1").text
    assert "Which hash lists?" in page
    assert "1 open comment" in page
    assert "Resolve" not in page  # respondents answer, reviewers resolve
    listed = author.get(f"/assessments/{aid}/comments").text
    assert "Which hash lists?" in listed

    tid = thread_id(app)
    replied = author.post(
        f"/assessments/{aid}/comments/{tid}/reply", data={"body": "IWF and NCMEC"}
    )
    assert replied.status_code == 302
    assert [a for m in smtp.messages for a in m.rcpt_tos] == ["reviewer@example.org"]
    assert smtp.messages[0].subject.startswith("Reply on P1.1")

    assert author.post(f"/assessments/{aid}/comments/{tid}/resolve").status_code == 403
    assert reviewer.post(f"/assessments/{aid}/comments/{tid}/resolve").status_code == 302
    again = reviewer.post(f"/assessments/{aid}/comments/{tid}/resolve")
    assert again.status_code == 422
    assert "already resolved" in again.text
    late = author.post(f"/assessments/{aid}/comments/{tid}/reply", data={"body": "more"})
    assert late.status_code == 422

    assert "Which hash lists?" not in author.get(f"/assessments/{aid}/comments").text
    assert "Which hash lists?" in author.get(f"/assessments/{aid}/comments?state=all").text
    assert "1 resolved comment" in author.get(f"/assessments/{aid}/principles/P1").text

    with app.app_context():
        trail = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.target)
            .where(AuditEvent.action.like("comment%"))
            .order_by(AuditEvent.id)
        ).all()
    assert trail == [
        ("comment", "P1.1"),
        ("comment_reply", "P1.1"),
        ("comment_resolved", "P1.1"),
    ]
    export = json.loads(author.get(f"/assessments/{aid}/report.json").data)
    first, answer = export["comments"]
    assert (first["body"], first["who"], first["thread_id"]) == (
        "Which hash lists?",
        "Rae Reviewer",
        None,
    )
    assert first["resolved_by"] == "Rae Reviewer" and first["resolved_at"]
    assert (answer["body"], answer["thread_id"]) == ("IWF and NCMEC", first["id"])
    assert [e["action"] for e in export["audit"]][-3:] == [
        "comment",
        "comment_reply",
        "comment_resolved",
    ]
    history = author.get(f"/assessments/{aid}/questions/P1.1/history").text
    assert "Comment raised" in history and "Comment resolved" in history


def test_who_may_do_what_with_comments(app, team):
    aid = team["id"]
    author = client_for(app, team["author"])
    viewer = client_for(app, team["viewer"])
    assert (
        author.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "x"}).status_code
        == 403
    )
    reviewer = client_for(app, team["reviewer"])
    assert (
        reviewer.post(
            f"/assessments/{aid}/questions/P99.1/comments", data={"body": "x"}
        ).status_code
        == 404
    )
    empty = reviewer.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "  "})
    assert empty.status_code == 422
    long = reviewer.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "x" * 2001})
    assert long.status_code == 422
    reviewer.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "Why?"})
    tid = thread_id(app)
    assert (
        viewer.post(f"/assessments/{aid}/comments/{tid}/reply", data={"body": "x"}).status_code
        == 403
    )
    assert (
        author.post(f"/assessments/{aid}/comments/{tid + 99}/reply", data={"body": "x"}).status_code
        == 404
    )
    with app.app_context():
        outsider = make_user(organisation_name="Elsewhere", role=Role.ADMIN).email
        db.session.commit()
    other = client_for(app, outsider)
    assert other.get(f"/assessments/{aid}/comments").status_code == 404
    assert (
        other.post(f"/assessments/{aid}/comments/{tid}/reply", data={"body": "x"}).status_code
        == 404
    )


def test_comments_work_in_review_and_stop_at_approval(app, team):
    aid = team["id"]
    client_for(app, team["author"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    reviewer = client_for(app, team["reviewer"])
    raised = reviewer.post(f"/assessments/{aid}/questions/P1.1/comments", data={"body": "Why?"})
    assert raised.status_code == 302  # in review: the content is read-only, comments are not
    tid = thread_id(app)
    author = client_for(app, team["author"])
    assert (
        author.post(f"/assessments/{aid}/comments/{tid}/reply", data={"body": "B"}).status_code
        == 302
    )
    # Comments are not what the approver signs off: an approval after them goes through.
    admin = client_for(app, "ada@example.org")
    assert (
        admin.post(f"/assessments/{aid}/approve", data=approval_data(admin, aid)).status_code == 302
    )
    with app.app_context():
        from assessment.models import Assessment

        assert db.session.get(Assessment, aid).status == Status.APPROVED
    assert reviewer.post(f"/assessments/{aid}/comments/{tid}/resolve").status_code == 409
    assert (
        author.post(f"/assessments/{aid}/comments/{tid}/reply", data={"body": "C"}).status_code
        == 409
    )


def test_the_notice_can_be_turned_off(app, team, smtp):
    author = client_for(app, team["author"])
    author.post("/account/notices", data={"wanted": ["digest", "approved"], "submit": "Save"})
    reviewer = client_for(app, team["reviewer"])
    reviewer.post(f"/assessments/{team['id']}/questions/P1.1/comments", data={"body": "Why?"})
    assert [a for m in smtp.messages for a in m.rcpt_tos] == ["owner@example.org"]


def test_waiting_comments_are_in_the_daily_digest_once_a_day(app, team, smtp, monkeypatch):
    from datetime import date

    from assessment.notices import digest

    monkeypatch.setattr(digest, "today", lambda: date(2030, 3, 11))
    reviewer = client_for(app, team["reviewer"])
    reviewer.post(f"/assessments/{team['id']}/questions/P1.1/comments", data={"body": "Why?"})
    smtp.clear()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    got = sorted(a for m in smtp.messages for a in m.rcpt_tos)
    assert got == ["author@example.org", "owner@example.org"]
    (mail,) = smtp.to("author@example.org")
    assert "Answer the comment on P1.1" in mail.body
    assert f"{EXTERNAL_URL}/assessments/{team['id']}/principles/P1#comments-P1.1" in mail.links
    smtp.clear()
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert smtp.messages == []  # the same day: nobody gets the same reminder twice
    author = client_for(app, team["author"])
    author.post(f"/assessments/{team['id']}/comments/{thread_id(app)}/reply", data={"body": "B"})
    smtp.clear()
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert [a for m in smtp.messages for a in m.rcpt_tos] == ["reviewer@example.org"]
