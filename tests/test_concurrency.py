"""Concurrency is enforced by the database: two sessions in two threads, lined up by a barrier.

Each thread has its own app context, so its own database session and
connection. The HTTP tests line two people up at the moment they press
save (the barrier sits before both requests); the domain tests on PostgreSQL
put the barrier between each transaction's reads and its writes, where a
check in Python would pass for both. SQLite serialises writers at BEGIN
IMMEDIATE, so there the barrier cannot sit inside two write transactions:
the SQLite tests at the end prove that lock instead.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from assessment import answer_writes
from assessment.answers import AnswerChange, StaleSave, record_answers
from assessment.db import intent
from assessment.editing import EditRefused, touch_assessment
from assessment.extensions import current_catalogue, db
from assessment.models import (
    PLANNING_EDITABLE,
    Answer,
    Assessment,
    AuditEvent,
    IssuedReport,
    Role,
    Status,
    User,
    utcnow,
)
from assessment.snapshot import score_stored
from assessment.workflow import WorkflowError, approve, review_fingerprint, submit
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)

ROUNDS = 4
# The page sends every question: P1.1 as the fixture stored it.
UNCHANGED_P1_1 = {
    "q_P1_1-answer": "2",
    "q_P1_1-comment": "first answer",
    "q_P1_1-base_version": "1",
}
BARRIER_TIMEOUT = 30


def on_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


@pytest.fixture
def pair(app):
    """An organisation with an admin, a respondent and a reviewer, and a draft with one answer."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin")
        org = admin.memberships[0].organisation
        respondent = make_user(organisation=org, role=Role.RESPONDENT, name="Rita Respondent")
        reviewer = make_user(organisation=org, role=Role.REVIEWER, name="Rex Reviewer")
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "2", "first answer")
        db.session.commit()
        return {
            "admin": admin.email,
            "respondent": respondent.email,
            "reviewer": reviewer.email,
            "ids": {"admin": admin.id, "respondent": respondent.id, "reviewer": reviewer.id},
            "assessment_id": assessment.id,
        }


def logged_in(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def run_together(*calls):
    """Run each call in its own thread, released together by a barrier; return their results."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT)
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        try:
            results[index] = call(barrier)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def stored_answer(app, assessment_id, question_id="P1.1"):
    with app.app_context():
        answer = db.session.scalars(
            sa.select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == question_id
            )
        ).first()
        return (answer.value, answer.comment, answer.version) if answer else None


def answer_events(app, assessment_id) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.assessment_id == assessment_id, AuditEvent.action == "answer"
            )
        )


def save_page(client, assessment_id, value, comment, base_version, *, path=""):
    """Return a call that waits at the barrier, then saves P1.1 with the P1 page (or `path`)."""

    def call(barrier):
        barrier.wait()
        return client.post(
            f"/assessments/{assessment_id}/principles/P1{path}",
            data={
                "q_P1_1-answer": value,
                "q_P1_1-comment": comment,
                "q_P1_1-base_version": str(base_version),
            },
        )

    return call


def test_the_second_of_two_saves_on_one_version_is_refused_and_nothing_is_lost(app, pair):
    aid = pair["assessment_id"]
    admin, respondent = logged_in(app, pair["admin"]), logged_in(app, pair["respondent"])
    for round_ in range(ROUNDS):
        version = stored_answer(app, aid)[2]
        events = answer_events(app, aid)
        first, second = run_together(
            save_page(admin, aid, "3", f"admin round {round_}", version),
            save_page(respondent, aid, "4", f"respondent round {round_}", version),
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [302, 409], (first.status_code, second.status_code)
        saved, refused = (first, second) if first.status_code == 302 else (second, first)
        winner = (
            ("3", f"admin round {round_}")
            if saved is first
            else ("4", f"respondent round {round_}")
        )
        # The winner's answer is stored, once; the refused person sees it and lost nothing
        # that was stored before.
        assert stored_answer(app, aid) == (*winner, version + 1)
        assert answer_events(app, aid) == events + 1
        assert winner[1] in refused.text
        assert "Nothing was saved" in refused.text


def test_two_first_answers_to_one_question_are_one_answer_and_one_refusal(app, pair):
    aid = pair["assessment_id"]
    admin, respondent = logged_in(app, pair["admin"]), logged_in(app, pair["respondent"])
    page = dict(UNCHANGED_P1_1)  # the page sends every question, as it stands
    for round_, question in enumerate(["P1.2", "P1.3", "P1.4"]):
        field = "q_" + question.replace(".", "_")

        sent = dict(page)

        def first_answer(client, value, comment, field=field, page=sent):
            def call(barrier):
                barrier.wait()
                return client.post(
                    f"/assessments/{aid}/principles/P1",
                    data={
                        **page,
                        f"{field}-answer": value,
                        f"{field}-comment": comment,
                        f"{field}-base_version": "0",
                    },
                )

            return call

        first, second = run_together(
            first_answer(admin, "1", f"admin {round_}"),
            first_answer(respondent, "4", f"respondent {round_}"),
        )
        assert sorted([first.status_code, second.status_code]) == [302, 409]
        winner = (
            ("1", f"admin {round_}") if first.status_code == 302 else ("4", f"respondent {round_}")
        )
        assert stored_answer(app, aid, question) == (*winner, 1)
        refused = second if first.status_code == 302 else first
        assert winner[1] in refused.text
        page |= {
            f"{field}-answer": winner[0],
            f"{field}-comment": winner[1],
            f"{field}-base_version": "1",
        }


def test_a_save_racing_an_approval_lands_before_it_or_is_refused(app, pair):
    """Whichever commits first wins; the other is refused, and what is issued is what is stored."""
    aid = pair["assessment_id"]
    respondent, reviewer = logged_in(app, pair["respondent"]), logged_in(app, pair["reviewer"])
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    approval = approval_data(reviewer, aid)
    assert approval["fingerprint"]

    def approve_now(barrier):
        barrier.wait()
        return reviewer.post(f"/assessments/{aid}/approve", data=approval)

    saved, approved = run_together(
        save_page(respondent, aid, "4", "changed during review", 1), approve_now
    )
    assert sorted([saved.status_code, approved.status_code]) == [302, 409]
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        issued = db.session.scalars(sa.select(IssuedReport)).first()
        if approved.status_code == 302:
            assert assessment.status == Status.APPROVED
            assert stored_answer(app, aid)[:2] == ("2", "first answer")
            assert issued.fingerprint == score_stored(assessment, current_catalogue()).fingerprint
        else:
            assert assessment.status != Status.APPROVED
            assert issued is None
            assert stored_answer(app, aid)[:2] == ("4", "changed during review")


def test_an_owner_change_racing_an_approval_lands_before_it_or_is_refused(app, pair):
    """Owners print on the issued PDF and may change in review: a real race with two outcomes."""
    aid = pair["assessment_id"]
    respondent = logged_in(app, pair["respondent"])
    reviewer, admin = logged_in(app, pair["reviewer"]), logged_in(app, pair["admin"])
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    outcomes = set()
    approval = approval_data(reviewer, aid)

    def assign(barrier):
        barrier.wait()
        return admin.post(
            f"/assessments/{aid}/assignments",
            data={"q_P1-owner": str(pair["ids"]["respondent"]), "q_P1-due_date": "2031-01-31"},
        )

    def approve_now(barrier):
        barrier.wait()
        return reviewer.post(f"/assessments/{aid}/approve", data=approval)

    assigned, approved = run_together(assign, approve_now)
    assert sorted([assigned.status_code, approved.status_code]) == [302, 409]
    outcomes.add("approved" if approved.status_code == 302 else "assigned")
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        owners = [(a.principle_id, a.owner_id) for a in assessment.assignments]
        if approved.status_code == 302:
            assert owners == []
            assert "approved and locked" in assigned.text
        else:
            assert owners == [("P1", pair["ids"]["respondent"])]
            assert "owner or due date of P1" in approved.text
            assert assessment.status == Status.IN_REVIEW


def test_an_approval_of_a_page_that_changed_since_says_what_changed(app, pair):
    aid = pair["assessment_id"]
    respondent, reviewer = logged_in(app, pair["respondent"]), logged_in(app, pair["reviewer"])
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    seen = approval_data(reviewer, aid)
    # Another reviewer sends it back, the respondent changes an answer and submits again.
    other = logged_in(app, pair["admin"])
    other.post(f"/assessments/{aid}/request-changes", data={"comment": "Say more about P1.1"})
    saved = respondent.post(
        f"/assessments/{aid}/principles/P1",
        data={"q_P1_1-answer": "4", "q_P1_1-comment": "now leading", "q_P1_1-base_version": "1"},
    )
    assert saved.status_code == 302
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)

    response = reviewer.post(f"/assessments/{aid}/approve", data=seen)
    assert response.status_code == 409
    assert "changed since you opened it" in response.text
    assert "the answer to P1.1 (by Rita Respondent)" in response.text
    with app.app_context():
        assert db.session.get(Assessment, aid).status == Status.IN_REVIEW
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0
    # Approving what is there now works.
    assert (
        reviewer.post(f"/assessments/{aid}/approve", data=approval_data(reviewer, aid)).status_code
        == 302
    )


def test_an_approval_without_a_fingerprint_is_refused(app, pair):
    aid = pair["assessment_id"]
    logged_in(app, pair["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    response = logged_in(app, pair["reviewer"]).post(f"/assessments/{aid}/approve")
    assert response.status_code == 409
    assert "did not say which version you reviewed" in response.text
    with app.app_context():
        assert db.session.get(Assessment, aid).status == Status.IN_REVIEW


IN_REVIEW_CHANGES = [
    (
        "/assessments/{id}/principles/P1",
        {"q_P1_1-answer": "0", "q_P1_1-comment": "x", "q_P1_1-base_version": "1"},
    ),
    ("/assessments/{id}/profile", {"q_search": "no"}),
    ("/assessments/{id}/narrative", {"narrative": "We publish yearly."}),
    (
        "/assessments/{id}/questions/P1.1/evidence/link",
        {"title": "Policy", "url": "https://example.org/p"},
    ),
]


def _content(app, aid):
    with app.app_context():
        a = db.session.get(Assessment, aid)
        return (
            a.profile,
            a.public_narrative,
            a.version_id,
            sorted((x.question_id, x.value, x.comment, x.version) for x in a.answers),
            len(a.evidence),
        )


@pytest.mark.parametrize("who", ["respondent", "admin"])
@pytest.mark.parametrize(("route", "data"), IN_REVIEW_CHANGES)
def test_in_review_the_content_is_read_only(app, pair, who, route, data):
    aid = pair["assessment_id"]
    logged_in(app, pair["respondent"]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    before = _content(app, aid)
    response = logged_in(app, pair[who]).post(route.format(id=aid), data=data)
    assert response.status_code == 409
    assert "in review" in response.text
    assert _content(app, aid) == before


def test_in_review_the_pages_say_they_are_read_only(app, pair):
    aid = pair["assessment_id"]
    respondent = logged_in(app, pair["respondent"])
    respondent.post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY)
    page = respondent.get(f"/assessments/{aid}/principles/P1").text
    assert "in review: answers are read-only until a reviewer requests changes" in page
    assert 'name="save"' not in page
    assert "the profile is read-only" in respondent.get(f"/assessments/{aid}/profile").text
    overview = respondent.get(f"/assessments/{aid}/").text
    assert "In review: the answers, profile, evidence and narrative are read-only" in overview


def test_every_content_change_moves_the_assessment_version_and_updated_at(app, pair):
    aid = pair["assessment_id"]
    admin = logged_in(app, pair["admin"])

    def version_and_time():
        with app.app_context():
            a = db.session.get(Assessment, aid)
            return a.version_id, a.updated_at

    steps = [
        (
            f"/assessments/{aid}/principles/P1",
            {"q_P1_1-answer": "3", "q_P1_1-comment": "c", "q_P1_1-base_version": "1"},
        ),
        (f"/assessments/{aid}/narrative", {"narrative": "We publish yearly."}),
        (
            f"/assessments/{aid}/questions/P1.1/evidence/link",
            {"title": "Policy", "url": "https://example.org/p"},
        ),
        (f"/assessments/{aid}/assignments", {"q_P1-due_date": "2030-01-01"}),
        (f"/assessments/{aid}/submit", SUBMIT_ANYWAY),
    ]
    version, updated = version_and_time()
    for url, data in steps:
        assert admin.post(url, data=data).status_code == 302, url
        new_version, new_updated = version_and_time()
        assert new_version == version + 1, url
        assert new_updated >= updated, url
        version, updated = new_version, new_updated


# The domain functions, with the barrier between each transaction's reads and its writes.


def _in_thread(app, work):
    """Run `work(barrier)` in its own app context (its own session) as a writer."""

    def call(barrier):
        with app.app_context():
            try:
                with intent(True):
                    outcome = work(barrier)
                    db.session.commit()
                    return outcome
            except (StaleSave, EditRefused, WorkflowError) as refused:
                db.session.rollback()
                return f"refused: {refused}"
            finally:
                db.session.remove()

    return call


def _barrier_inside(app):
    if on_sqlite(app):
        pytest.skip(
            "SQLite serialises writers at BEGIN IMMEDIATE: two write transactions cannot both "
            "hold a barrier; the SQLite lock tests below cover it"
        )


def test_two_saves_read_the_same_version_and_the_database_refuses_the_second(app, pair):
    _barrier_inside(app)
    aid, users = pair["assessment_id"], pair["ids"]

    def save(user_key, value):
        def work(barrier):
            assessment = db.session.get(Assessment, aid)
            user = db.session.get(User, users[user_key])
            assert assessment.answers_by_question()["P1.1"].version == 1  # both read version 1
            barrier.wait()
            record_answers(assessment, user, [AnswerChange("P1.1", value, user_key, 1)])
            return "saved"

        return work

    for _round in range(ROUNDS):
        with app.app_context():
            answer = db.session.scalars(sa.select(Answer).where(Answer.question_id == "P1.1")).one()
            answer.value, answer.comment, answer.version = "2", "first answer", 1
            db.session.commit()
        outcomes = run_together(
            _in_thread(app, save("admin", "3")), _in_thread(app, save("respondent", "4"))
        )
        assert sorted(o[:7] for o in outcomes) == ["refused", "saved"], outcomes
        value, comment, version = stored_answer(app, aid)
        assert version == 2
        assert (value, comment) == (
            ("3", "admin") if outcomes[0] == "saved" else ("4", "respondent")
        )


def test_two_page_saves_that_both_read_version_one_write_one_page_and_nothing_of_the_other(
    app, pair, monkeypatch
):
    """The barrier sits inside both page saves, after their read and before their write.

    On PostgreSQL a page save holds no transaction (`page_save`), so both
    get there. The admin's page changes P1.1 and P1.2, the respondent's only
    P1.2: when the respondent's write lands first, the admin's statement finds
    P1.2 moved on and refuses itself whole, so the admin's P1.1 is not
    written either (nor the touch, nor an audit event).
    """
    _barrier_inside(app)
    aid = pair["assessment_id"]
    inside = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    write_page = answer_writes.write_page
    seen_autocommit = []

    def write_after_both_read(*args, **kwargs):
        seen_autocommit.append(db.session.connection().connection.driver_connection.autocommit)
        inside.wait()
        return write_page(*args, **kwargs)

    monkeypatch.setattr(answer_writes, "write_page", write_after_both_read)
    admin, respondent = logged_in(app, pair["admin"]), logged_in(app, pair["respondent"])
    for round_ in range(ROUNDS):
        with app.app_context():
            for question in ("P1.1", "P1.2"):
                answer = db.session.scalars(
                    sa.select(Answer).where(
                        Answer.assessment_id == aid, Answer.question_id == question
                    )
                ).first() or Answer(assessment_id=aid, question_id=question)
                answer.value, answer.comment, answer.version = "2", "as read", 1
                db.session.add(answer)
            db.session.commit()
            version = db.session.get(Assessment, aid).version_id
        events = answer_events(app, aid)
        page = {f"q_P1_{n}-{k}": v for n in (1, 2) for k, v in
                (("answer", "2"), ("comment", "as read"), ("base_version", "1"))}  # fmt: skip
        both = page | {"q_P1_1-answer": "3", "q_P1_2-answer": "3", "q_P1_1-comment": "admin"}
        one = page | {"q_P1_2-answer": "4", "q_P1_2-comment": f"respondent {round_}"}

        def post(client, data):
            def call(barrier):
                barrier.wait()
                return client.post(f"/assessments/{aid}/principles/P1", data=data)

            return call

        first, second = run_together(post(admin, both), post(respondent, one))
        assert sorted([first.status_code, second.status_code]) == [302, 409]
        with app.app_context():
            assert db.session.get(Assessment, aid).version_id == version + 1  # one touch
        if first.status_code == 302:  # the admin's whole page, nothing of the respondent's
            assert stored_answer(app, aid, "P1.1") == ("3", "admin", 2)
            assert stored_answer(app, aid, "P1.2") == ("3", "as read", 2)
            assert answer_events(app, aid) == events + 2
        else:  # the respondent's answer; the admin's P1.1 was refused with the rest of the page
            assert stored_answer(app, aid, "P1.1") == ("2", "as read", 1)
            assert stored_answer(app, aid, "P1.2") == ("4", f"respondent {round_}", 2)
            assert answer_events(app, aid) == events + 1
            assert "Nothing was saved" in first.text
    assert seen_autocommit == [True] * (2 * ROUNDS)  # no BEGIN and COMMIT around a page save


def test_a_submit_and_a_save_on_the_same_state_never_both_succeed(app, pair):
    _barrier_inside(app)
    aid, users = pair["assessment_id"], pair["ids"]

    def do_submit(barrier):
        assessment = db.session.get(Assessment, aid)
        user = db.session.get(User, users["admin"])
        assessment.answers_by_question()
        barrier.wait()
        submit(assessment, user)
        return "submitted"

    def do_save(barrier):
        assessment = db.session.get(Assessment, aid)
        user = db.session.get(User, users["respondent"])
        assessment.answers_by_question()
        barrier.wait()
        record_answers(assessment, user, [AnswerChange("P1.1", "4", "late", 1)])
        return "saved"

    submitted, saved = run_together(_in_thread(app, do_submit), _in_thread(app, do_save))
    assert [submitted.startswith("refused"), saved.startswith("refused")].count(True) == 1
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        if submitted == "submitted":
            # In review nothing changes, so the reviewer reads what was submitted.
            assert assessment.status == Status.IN_REVIEW
            assert stored_answer(app, aid)[:2] == ("2", "first answer")
        else:
            assert assessment.status == Status.DRAFT
            assert stored_answer(app, aid)[:2] == ("4", "late")


def test_an_approval_and_an_owner_change_on_the_same_state_never_both_succeed(app, pair):
    _barrier_inside(app)
    aid, users = pair["assessment_id"], pair["ids"]
    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        assessment.status = Status.IN_REVIEW
        assessment.submitted_by_id = users["respondent"]
        assessment.submitted_at = utcnow()
        db.session.commit()

    def do_approve(barrier):
        assessment = db.session.get(Assessment, aid)
        user = db.session.get(User, users["reviewer"])
        seen = review_fingerprint(assessment, current_catalogue())
        barrier.wait()
        approve(
            assessment, user, current_catalogue(), seen_fingerprint=seen, attestation="I attest."
        )
        return "approved"

    def do_touch(barrier):
        assessment = db.session.get(Assessment, aid)
        assessment.answers_by_question()
        barrier.wait()
        touch_assessment(assessment, PLANNING_EDITABLE)
        return "touched"

    approved, touched = run_together(_in_thread(app, do_approve), _in_thread(app, do_touch))
    assert [approved.startswith("refused"), touched.startswith("refused")].count(True) == 1
    with app.app_context():
        status = db.session.get(Assessment, aid).status
    assert status == (Status.APPROVED if approved == "approved" else Status.IN_REVIEW)


# SQLite: a writer takes the write lock when its transaction begins.


def _sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def _sqlite_only(app):
    if not on_sqlite(app):
        pytest.skip("SQLite's locking; PostgreSQL relies on conditional UPDATEs instead")


def test_sqlite_writers_take_the_write_lock_at_begin_and_readers_do_not(app, pair):
    _sqlite_only(app)
    other = sqlite3.connect(_sqlite_path(app), timeout=0, isolation_level=None)
    with app.app_context():
        with intent(True):
            db.session.scalar(
                sa.select(sa.func.count(User.id))
            )  # a read, in a writer's transaction
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            db.session.rollback()
        with intent(False):
            db.session.scalar(sa.select(sa.func.count(User.id)))
            other.execute("BEGIN IMMEDIATE")  # a reader holds no lock that stops a writer
            other.execute("ROLLBACK")
            db.session.rollback()
    other.close()


def _increment_counter(app):
    """Read the assessment's version and write it back plus one, as one transaction."""
    with app.app_context():
        assessment = db.session.get(Assessment, 1)
        seen = assessment.version_id
        db.session.execute(
            sa.update(Assessment).where(Assessment.id == 1).values(version_id=seen + 1)
        )
        db.session.commit()
        db.session.remove()


def test_sqlite_a_writer_that_reads_first_waits_for_the_lock_and_loses_nothing(app, pair):
    """Two read-then-write transactions at once: the second waits, then reads the first's write."""
    _sqlite_only(app)
    started = threading.Event()
    errors = []

    def second_writer():
        try:
            with intent(True):
                started.set()
                _increment_counter(app)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    with app.app_context(), intent(True):
        before = db.session.get(Assessment, 1).version_id  # holds the write lock from here
        thread = threading.Thread(target=second_writer)
        thread.start()
        started.wait(10)
        db.session.execute(
            sa.update(Assessment).where(Assessment.id == 1).values(version_id=before + 1)
        )
        db.session.commit()
    thread.join(60)
    assert errors == []
    with app.app_context():
        assert db.session.get(Assessment, 1).version_id == before + 2


def test_sqlite_the_hazard_is_real_a_deferred_reader_cannot_write_after_another_commit(app, pair):
    """Why writers BEGIN IMMEDIATE: a deferred transaction that read first is refused at once."""
    _sqlite_only(app)
    with app.app_context():
        engine = db.engine
        with intent(False), engine.connect() as reader:
            reader.execute(sa.select(Assessment.version_id).where(Assessment.id == 1)).scalar()
            with intent(True), engine.connect() as writer:
                writer.execute(sa.update(Assessment).values(version_id=Assessment.version_id + 1))
                writer.commit()
            with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                reader.execute(sa.update(Assessment).values(version_id=Assessment.version_id + 1))
            reader.rollback()


def save_question(client, assessment_id, value, comment, base_version):
    """The same, through the question's own save (what the page's script sends)."""
    return save_page(client, assessment_id, value, comment, base_version, path="/questions/P1.1")


def test_two_questions_saving_themselves_on_one_version_keep_one_and_show_it(app, pair):
    aid = pair["assessment_id"]
    admin, respondent = logged_in(app, pair["admin"]), logged_in(app, pair["respondent"])
    for round_ in range(ROUNDS):
        version = stored_answer(app, aid)[2]
        events = answer_events(app, aid)
        first, second = run_together(
            save_question(admin, aid, "3", f"admin autosave {round_}", version),
            # The other person's page Save races the autosave on the same version.
            save_page(respondent, aid, "4", f"respondent page {round_}", version),
        )
        saved_first = first.status_code == 200
        assert (first.status_code, second.status_code) in [(200, 409), (409, 302)]
        winner = (
            ("3", f"admin autosave {round_}") if saved_first else ("4", f"respondent page {round_}")
        )
        assert stored_answer(app, aid) == (*winner, version + 1)
        assert answer_events(app, aid) == events + 1
        refused = second if saved_first else first
        assert winner[1] in refused.text  # the refused one shows the answer that won
