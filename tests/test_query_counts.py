"""Work that does not grow: queries counted with a SQLAlchemy event listener."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import (
    Assessment,
    Assignment,
    AuditEvent,
    Job,
    JobState,
    Membership,
    Role,
    Status,
)
from tests.factories import PASSWORD, make_answer, make_assessment, make_user


@contextmanager
def counted(app):
    """Collect the SQL statements run inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@contextmanager
def counted_with_ends(app):
    """Collect the SQL statements run inside the block, and each COMMIT and ROLLBACK in turn."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    ends = {
        "commit": lambda _conn: seen.append("COMMIT"),
        "rollback": lambda _conn: seen.append("ROLLBACK"),
    }
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    for name, listener in ends.items():
        sa.event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        for name, listener in ends.items():
            sa.event.remove(engine, name, listener)


def add_assessments(app, email: str, count: int) -> None:
    """Give the user's organisation `count` more assessments, in every state, with answers."""
    with app.app_context():
        user = (
            db.session.scalars(sa.select(Membership).where(Membership.user.has(email=email)))
            .one()
            .user
        )
        statuses = [Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED]
        for n in range(count):
            assessment = make_assessment(user, service_name=f"Service {n}")
            assessment.status = statuses[n % 4]
            for question in ("P1.1", "P1.2", "P2.1"):
                make_answer(assessment, question, str(n % 5), f"note {n}")
            db.session.add(Assignment(assessment=assessment, principle_id="P1", owner_id=user.id))
            if assessment.status == Status.APPROVED:
                db.session.add(
                    Job(
                        organisation_id=assessment.organisation_id,
                        assessment_id=assessment.id,
                        kind="issue_report",
                        state=JobState.QUEUED,
                    )
                )
        db.session.commit()


def queries_for_the_list(app, client) -> tuple[int, str]:
    with counted(app) as seen:
        response = client.get("/assessments/")
    assert response.status_code == 200
    return len(seen), response.text


def test_the_assessment_list_costs_the_same_queries_at_5_and_at_50_assessments(app):
    with app.app_context():
        email = make_user(role=Role.ADMIN).email
        db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"email": email, "password": PASSWORD})

    add_assessments(app, email, 5)
    at_5, page_5 = queries_for_the_list(app, client)
    add_assessments(app, email, 45)
    at_50, page_50 = queries_for_the_list(app, client)

    assert at_5 == at_50, (at_5, at_50)
    assert page_5.count('href="/assessments/') >= 5
    # 25 a page, newest first, with a way to the older ones.
    rows = page_50.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == 25
    assert "Page 1 of 2 (50 assessments)" in page_50
    older = client.get("/assessments/?page=2").text
    assert older.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 25
    assert "Service 0<" in older and "Service 0<" not in page_50
    assert client.get("/assessments/?page=99").status_code == 200
    assert client.get("/assessments/?page=x%00").status_code == 200


def test_the_membership_is_read_once_per_request(app, client, logged_in):
    with counted(app) as seen:
        response = client.post(
            f"/assessments/{logged_in}/principles/P1",
            data={"q_P1_1-answer": "3", "q_P1_1-comment": "x", "q_P1_1-base_version": "0"},
        )
    assert response.status_code == 302
    membership_reads = [
        s for s in seen if s.lstrip().upper().startswith("SELECT") and "membership" in s
    ]
    assert len(membership_reads) == 1, membership_reads


def test_a_page_save_is_a_handful_of_queries_whatever_the_number_of_answers(app, client, logged_in):
    """Seven answers cost what one does: a conditional UPDATE for the page, one insert batch."""
    aid = logged_in
    data = {}
    for n in range(1, 7):
        data |= {
            f"q_P1_{n}-answer": "2",
            f"q_P1_{n}-comment": "first",
            f"q_P1_{n}-base_version": "0",
        }
    with counted(app) as first_save:
        assert client.post(f"/assessments/{aid}/principles/P1", data=data).status_code == 302
    for n in range(1, 7):
        data |= {
            f"q_P1_{n}-answer": "3",
            f"q_P1_{n}-comment": "second",
            f"q_P1_{n}-base_version": "1",
        }
    with counted(app) as second_save:
        assert client.post(f"/assessments/{aid}/principles/P1", data=data).status_code == 302
    one = {"q_P1_1-answer": "4", "q_P1_1-comment": "third", "q_P1_1-base_version": "2"}
    for n in range(2, 7):
        one |= {
            f"q_P1_{n}-answer": "3",
            f"q_P1_{n}-comment": "second",
            f"q_P1_{n}-base_version": "2",
        }
    with counted(app) as single_change:
        assert client.post(f"/assessments/{aid}/principles/P1", data=one).status_code == 302
    assert len(second_save) == len(single_change) <= 8, second_save
    assert len(first_save) <= 8, first_save
    with app.app_context():
        assert db.session.get(Assessment, aid).version_id == 4


def test_a_page_save_reads_the_user_and_the_page_once_then_writes_and_reads_nothing_more(
    app, client, logged_in
):
    """One read (the user with their memberships and the page with its answers), the writes, COMMIT.

    The writes are one statement on PostgreSQL, where every statement is a
    round trip (the touch, the answers and the audit events as CTEs), and
    three on SQLite; the redirect after the commit reads nothing again.
    """
    aid = logged_in
    page = f"/assessments/{aid}/principles/P1"
    first = {"q_P1_1-answer": "2", "q_P1_1-comment": "first", "q_P1_1-base_version": "0"}
    assert client.post(page, data=first).status_code == 302
    changed = {"q_P1_1-answer": "3", "q_P1_1-comment": "second", "q_P1_1-base_version": "1"}
    with counted_with_ends(app) as seen:
        assert client.post(page, data=changed).status_code == 302
    statements = [s for s in seen if not s.startswith("BEGIN")]  # SQLite's own BEGIN IMMEDIATE
    assert statements[-1] == "COMMIT" and statements.count("COMMIT") == 1, statements
    assert "ROLLBACK" not in statements, statements
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1, reads
    assert "FROM user" in reads[0].replace('"', "") and "JOIN membership" in reads[0]
    assert "JOIN assessment" in reads[0] and "JOIN answer" in reads[0]
    writes = [s for s in statements if s not in reads and s != "COMMIT"]
    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert len(writes) == (1 if on_postgres else 3), writes
    assert statements.index("COMMIT") == len(statements) - 1  # nothing read after the commit
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        assert assessment.version_id == 3
        answer = assessment.answers_by_question()["P1.1"]
        assert (answer.value, answer.comment, answer.version) == ("3", "second", 2)
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.assessment_id == aid, AuditEvent.action == "answer"
            )
        ).all()
        assert [(e.target, e.old, e.new) for e in events] == [
            ("P1.1", None, {"value": "2", "comment": "first"}),
            ("P1.1", {"value": "2", "comment": "first"}, {"value": "3", "comment": "second"}),
        ]
