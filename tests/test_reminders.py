"""`flask send-reminders`: a daily digest of due, overdue and waiting items, never sent twice.

The digests go through a real SMTP server started by the test; the day is a
clock the tests move (`digest.today`), never a sleep.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from assessment import jobs
from assessment.extensions import db
from assessment.models import (
    Assessment,
    Assignment,
    MailMessage,
    MailState,
    Membership,
    NoticeOptOut,
    ReminderSent,
    Role,
    Status,
    utcnow,
)
from assessment.notices import digest, outbox
from tests import mailserver
from tests.factories import make_assessment, make_user
from tests.mailserver import EXTERNAL_URL, free_port, mail_settings

# The SMTP server fixtures, shared by the e-mail tests.
smtp = mailserver.smtp


DAY = date(2030, 3, 11)


@pytest.fixture
def app_config(app_config, smtp):
    app_config.update(mail_settings(smtp))
    return app_config


@pytest.fixture
def clock(monkeypatch):
    """The digest's day, which a test can move."""
    state = SimpleNamespace(day=DAY)
    monkeypatch.setattr(digest, "today", lambda: state.day)
    return state


@pytest.fixture
def org(app):
    """Owners with due dates in a draft, an approved assessment, and one waiting for review."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin", email="ada@example.org")
        organisation = admin.memberships[0].organisation
        owner = make_user(
            organisation=organisation,
            role=Role.RESPONDENT,
            name="Owen Owner",
            email="owen@example.org",
        )
        reviewer = make_user(
            organisation=organisation,
            role=Role.REVIEWER,
            name="Rae Reviewer",
            email="rae@example.org",
        )
        make_user(organisation=organisation, role=Role.VIEWER, email="vi@example.org")
        draft = make_assessment(admin, service_name="Acme Chat")
        for principle, due in (
            ("P1", DAY - timedelta(days=2)),  # overdue
            ("P2", DAY + timedelta(days=7)),  # due within 7 days
            ("P3", DAY + timedelta(days=8)),  # not yet
            ("P4", None),  # no due date
        ):
            db.session.add(
                Assignment(assessment=draft, principle_id=principle, owner=owner, due_date=due)
            )
        done = make_assessment(admin, service_name="Old Chat", status=Status.APPROVED)
        db.session.add(Assignment(assessment=done, principle_id="P1", owner=owner, due_date=DAY))
        waiting = make_assessment(
            admin,
            service_name="Acme Search",
            status=Status.IN_REVIEW,
            submitted_by=owner,
            submitted_at=utcnow(),
        )
        db.session.commit()
        return SimpleNamespace(
            draft=draft.id, waiting=waiting.id, owner=owner.id, reviewer=reviewer.id
        )


def run(app):
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    return result


def digests(smtp, address=None):
    return [
        m
        for m in smtp.messages
        if m.subject.startswith("Your VP self-assessment digest")
        and (address is None or address in m.rcpt_tos)
    ]


def test_run_twice_a_day_nobody_gets_the_same_reminder_twice(app, org, smtp, clock):
    first = run(app)
    assert first.exit_code == 0, first.output
    assert "2030-03-11: 3 digests (4 items) queued" in first.output
    assert sorted(m.rcpt_tos[0] for m in digests(smtp)) == [
        "ada@example.org",
        "owen@example.org",
        "rae@example.org",
    ]
    (owen,) = digests(smtp, "owen@example.org")
    assert owen.subject == "Your VP self-assessment digest for 11 Mar 2030: 2 items, 1 overdue"
    assert "Acme Chat (Org " in owen.body
    assert "P1 · " in owen.body and "overdue by 2 days (due 09 Mar)" in owen.body
    assert "P2 · " in owen.body and "due in 7 days (18 Mar)" in owen.body
    assert "P3 · " not in owen.body and "P4 · " not in owen.body  # not due soon; no date
    assert "Old Chat" not in owen.body  # approved
    assert "Acme Search" not in owen.body  # their own submission is not theirs to review
    assert f"{EXTERNAL_URL}/assessments/{org.draft}/principles/P1" in owen.links
    assert f"{EXTERNAL_URL}/account/notices" in owen.links
    (rae,) = digests(smtp, "rae@example.org")
    assert "Acme Search" in rae.body and "Review and approve, or request changes" in rae.body
    assert f"{EXTERNAL_URL}/assessments/{org.waiting}/" in rae.links
    assert "Acme Chat" not in rae.body

    second = run(app)
    assert second.exit_code == 0, second.output
    assert "0 digests (0 items) queued; 3 people already reminded today" in second.output
    assert len(digests(smtp)) == 3  # nothing new arrived
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 4
        assert (
            db.session.scalar(
                sa.select(sa.func.count(MailMessage.id)).where(MailMessage.kind == "digest")
            )
            == 3
        )


def test_the_next_day_brings_the_next_digest(app, org, smtp, clock):
    run(app)
    clock.day = DAY + timedelta(days=1)
    run(app)
    owen = digests(smtp, "owen@example.org")
    assert len(owen) == 2
    assert "overdue by 3 days" in owen[1].body
    assert "P3 · " in owen[1].body  # now within 7 days


def test_a_new_item_the_same_day_comes_alone(app, org, smtp, clock):
    run(app)
    with app.app_context():
        row = db.session.scalars(
            sa.select(Assignment).where(
                Assignment.assessment_id == org.draft, Assignment.principle_id == "P4"
            )
        ).one()
        row.due_date = DAY + timedelta(days=1)
        db.session.commit()
    run(app)
    owen = digests(smtp, "owen@example.org")
    assert len(owen) == 2
    assert "P4 · " in owen[1].body and "due in 1 day" in owen[1].body
    assert "P1 · " not in owen[1].body and "P2 · " not in owen[1].body
    assert owen[1].subject.endswith(": 1 item")


def test_a_person_who_turned_the_digest_off_gets_none(app, org, smtp, clock):
    with app.app_context():
        db.session.add(NoticeOptOut(user_id=org.owner, kind="digest"))
        db.session.add(NoticeOptOut(user_id=org.reviewer, kind="all"))
        db.session.commit()
    result = run(app)
    assert "1 digest (1 item) queued" in result.output
    assert [m.rcpt_tos for m in digests(smtp)] == [["ada@example.org"]]


def test_former_members_get_no_reminders_for_that_organisation(app, org, smtp, clock):
    with app.app_context():
        db.session.execute(sa.delete(Membership).where(Membership.user_id == org.owner))
        db.session.commit()
    run(app)
    assert digests(smtp, "owen@example.org") == []


def test_a_crash_after_recording_never_sends_a_second_digest(app, org, smtp, clock, monkeypatch):
    """The items are recorded with the e-mail before it goes: a crash then loses no digest
    and doubles none; the queued e-mail is sent by a later run."""

    def crash(job_id):
        raise SystemExit("killed by the OOM killer")

    monkeypatch.setattr(jobs, "dispatch", crash)
    crashed = run(app)
    assert crashed.exit_code != 0
    assert digests(smtp) == []
    monkeypatch.undo()
    monkeypatch.setattr(digest, "today", lambda: DAY)

    # Straight away: already recorded, the e-mail still queued (its job might yet run).
    run(app)
    assert digests(smtp) == []
    # Once that job has clearly stalled, the next run sends the queued e-mail, once.
    later = utcnow() + jobs.STALLED_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(outbox, "utcnow", lambda: later)
    result = run(app)
    assert "3 earlier e-mails queued again" in result.output
    assert len(digests(smtp)) == 3
    run(app)
    assert len(digests(smtp)) == 3


def test_with_the_mail_server_down_the_digest_is_retried_not_doubled(app, org, smtp, clock):
    app.config["MAIL_PORT"] = free_port()
    down = run(app)
    assert down.exit_code == 1
    assert "e-mail job(s) failed" in down.output
    app.config["MAIL_PORT"] = smtp.port
    up = run(app)
    assert up.exit_code == 0, up.output
    assert "3 earlier e-mails queued again" in up.output
    assert "0 digests (0 items) queued; 3 people already reminded today" in up.output
    assert sorted(m.rcpt_tos[0] for m in digests(smtp)) == [
        "ada@example.org",
        "owen@example.org",
        "rae@example.org",
    ]


def test_without_a_mail_server_the_digests_go_to_the_log(app, org, smtp, clock, caplog):
    import logging

    app.config["MAIL_SERVER"] = None
    caplog.set_level(logging.INFO, logger="assessment")
    result = run(app)
    assert result.exit_code == 0
    assert "E-mail is not configured (FLASK_MAIL_SERVER): the digests went to the log." in (
        result.output
    )
    assert smtp.messages == []
    assert caplog.text.count("e-mail not sent (e-mail is not configured") == 3
    with app.app_context():
        states = set(db.session.scalars(sa.select(MailMessage.state)))
    assert states == {MailState.LOGGED}


def test_without_an_external_url_the_digest_has_no_links_and_says_why(app, org, smtp, clock):
    app.config["EXTERNAL_URL"] = None
    result = run(app)
    assert "FLASK_EXTERNAL_URL is not set: the digests carry no links." in result.output
    (owen,) = digests(smtp, "owen@example.org")
    assert owen.links == []
    assert "P1 · " in owen.body


def test_two_runs_at_the_same_moment_send_each_digest_once(app, org, smtp, clock, monkeypatch):
    """Both runs read who is due, then both write: the unique key lets one of them through."""
    barrier = threading.Barrier(2, timeout=30)
    real_due_items = digest.due_items

    def due_items_then_wait(day):
        found = real_due_items(day)
        barrier.wait()  # both have read; neither has written
        return found

    monkeypatch.setattr(digest, "due_items", due_items_then_wait)
    runs, errors = [], []

    def one_run():
        try:
            with app.app_context():
                result = digest.send_reminders()
                for job_id in result.job_ids:
                    jobs.dispatch(job_id)
                runs.append(result)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.digests for r in runs) == 3
    assert sum(r.already for r in runs) == 3
    assert len(digests(smtp)) == 3
    assert len({m.rcpt_tos[0] for m in digests(smtp)}) == 3


def test_an_approved_assessment_stops_the_reminders(app, org, smtp, clock):
    with app.app_context():
        db.session.get(Assessment, org.draft).status = Status.APPROVED
        db.session.get(Assessment, org.waiting).status = Status.APPROVED
        db.session.commit()
    result = run(app)
    assert "0 digests (0 items) queued" in result.output
    assert digests(smtp) == []
