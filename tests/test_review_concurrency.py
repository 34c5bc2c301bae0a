"""Two people resolving one comment or confirming one carried answer at once: the database decides.

On PostgreSQL the barrier sits between each transaction's reads and its
writes, where a check in Python would pass for both; on SQLite (writers
serialised at BEGIN IMMEDIATE) two requests are released together instead.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment.comments import CommentRefused, get_thread, resolve
from assessment.db import intent
from assessment.extensions import db
from assessment.models import Answer, Assessment, AuditEvent, QuestionComment, Role, User
from assessment.workflow import confirm_carried
from tests.factories import make_answer, make_assessment, make_user
from tests.test_concurrency import logged_in, on_sqlite, run_together


@pytest.fixture
def two(app):
    """Two reviewers, two respondents, a draft with a carried answer and an open comment."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin")
        org = admin.memberships[0].organisation
        people = {
            key: make_user(organisation=org, role=role, name=key.title())
            for key, role in (
                ("rex", Role.REVIEWER),
                ("rae", Role.REVIEWER),
                ("rita", Role.RESPONDENT),
                ("rob", Role.RESPONDENT),
            )
        }
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "3", "carried").carried_forward = True
        comment = QuestionComment(
            organisation_id=org.id,
            assessment_id=assessment.id,
            question_id="P1.1",
            author_id=people["rex"].id,
            body="Which lists?",
        )
        db.session.add(comment)
        db.session.commit()
        return {
            "id": assessment.id,
            "thread": comment.id,
            "ids": {k: u.id for k, u in people.items()},
            "emails": {k: u.email for k, u in people.items()},
        }


def events(app, aid, action):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.assessment_id == aid, AuditEvent.action == action
            )
        )


def in_thread(app, work):
    def call(barrier):
        with app.app_context():
            try:
                with intent(True):
                    outcome = work(barrier)
                    db.session.commit()
                    return outcome
            except CommentRefused as refused:
                db.session.rollback()
                return f"refused: {refused}"
            finally:
                db.session.remove()

    return call


def test_two_resolutions_of_one_comment_record_one(app, two):
    aid = two["id"]
    if on_sqlite(app):
        clients = [logged_in(app, two["emails"][k]) for k in ("rex", "rae")]

        def press(client):
            def call(barrier):
                barrier.wait()
                return client.post(f"/assessments/{aid}/comments/{two['thread']}/resolve")

            return call

        responses = run_together(*(press(c) for c in clients))
        assert sorted(r.status_code for r in responses) == [302, 422]
    else:

        def work(key):
            def run(barrier):
                assessment = db.session.get(Assessment, aid)
                thread = get_thread(assessment, two["thread"])
                assert not thread.resolved  # both read it open
                barrier.wait()
                resolve(assessment, db.session.get(User, two["ids"][key]), thread)
                return "resolved"

            return run

        outcomes = run_together(in_thread(app, work("rex")), in_thread(app, work("rae")))
        assert sorted(o[:8] for o in outcomes) == ["refused:", "resolved"], outcomes
    assert events(app, aid, "comment_resolved") == 1


def test_two_confirmations_of_one_answer_record_one(app, two):
    aid = two["id"]
    if on_sqlite(app):
        clients = [logged_in(app, two["emails"][k]) for k in ("rita", "rob")]

        def press(client):
            def call(barrier):
                barrier.wait()
                return client.post(
                    f"/assessments/{aid}/principles/P1/confirm", data={"question": "P1.1"}
                )

            return call

        responses = run_together(*(press(c) for c in clients))
        assert [r.status_code for r in responses] == [302, 302]
    else:

        def work(key):
            def run(barrier):
                assessment = db.session.get(Assessment, aid)
                assert assessment.answers_by_question()["P1.1"].carried_forward
                barrier.wait()
                return confirm_carried(assessment, db.session.get(User, two["ids"][key]), ["P1.1"])

            return run

        outcomes = run_together(in_thread(app, work("rita")), in_thread(app, work("rob")))
        assert sorted(outcomes) == [[], ["P1.1"]], outcomes
    assert events(app, aid, "confirm") == 1
    with app.app_context():
        assert not db.session.scalar(
            sa.select(Answer.carried_forward).where(Answer.assessment_id == aid)
        )
