"""E-mail notices through a real SMTP server: who gets what, with links from FLASK_EXTERNAL_URL.

Each kind of notice is sent by the workflow event that causes it, after the
commit; preferences turn kinds off; without a mail server the e-mail goes to
the log and the page says so; with the server down the action still succeeds
and the failure is logged and recorded.
"""

from __future__ import annotations

import logging
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from markupsafe import escape

from assessment.extensions import db
from assessment.models import (
    Assessment,
    Invitation,
    Job,
    JobState,
    MailMessage,
    MailState,
    Role,
    Status,
)
from assessment.notices import kinds
from tests import mailserver, test_jobs
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)
from tests.mailserver import EXTERNAL_URL, SENDER, free_port
from tests.worker import run_burst_worker

# The SMTP server fixtures, shared by the e-mail tests.
smtp = mailserver.smtp
smtp_with_login = mailserver.smtp_with_login


app_config = mailserver.sending_app_config
app = mailserver.buffered_app


@pytest.fixture
def team(app):
    """One organisation: an admin, a reviewer, two respondents and a viewer; one draft."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin", email="ada@example.org")
        org = admin.memberships[0].organisation
        people = {"admin": admin}
        for key, role, name in (
            ("reviewer", Role.REVIEWER, "Rae Reviewer"),
            ("respondent", Role.RESPONDENT, "Res Pondent"),
            ("helper", Role.RESPONDENT, "Hal Helper"),
            ("viewer", Role.VIEWER, "Vi Viewer"),
        ):
            people[key] = make_user(
                organisation=org, role=role, name=name, email=f"{key}@example.org"
            )
        outsider = make_user(name="Out Sider", email="outsider@example.org", role=Role.REVIEWER)
        assessment = make_assessment(admin, service_name="Acme Chat")
        db.session.commit()
        return SimpleNamespace(
            id=assessment.id,
            org=org.name,
            emails={key: user.email for key, user in people.items()},
            outsider=outsider.email,
        )


def client_for(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def answer(client, aid, value="3"):
    response = client.post(
        f"/assessments/{aid}/principles/P1",
        data={"q_P1_1-answer": value, "q_P1_1-base_version": "0"},
    )
    assert response.status_code in (200, 302), response.status_code


def recipients(smtp):
    return sorted(address for m in smtp.messages for address in m.rcpt_tos)


def stored_mail(app):
    with app.app_context():
        return [
            (m.kind, m.to_address, m.state)
            for m in db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id))
        ]


# --- each kind -------------------------------------------------------------------------------


def test_submitting_tells_the_reviewers_and_admins_with_a_link_to_the_assessment(app, team, smtp):
    respondent = client_for(app, team.emails["respondent"])
    response = respondent.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY)
    assert response.status_code == 302
    # The reviewer and the admin; not the submitter, the viewer, another respondent or outsiders.
    assert recipients(smtp) == ["ada@example.org", "reviewer@example.org"]
    (mail,) = smtp.to("reviewer@example.org")
    assert mail.subject == f"Review requested: Acme Chat ({team.org})"
    assert mail.mail_from == "vp@example.org"
    assert mail.message["From"] == SENDER
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.body.startswith("Hello Rae Reviewer,")
    assert "Res Pondent submitted the self-assessment of Acme Chat" in mail.body
    assert f"{EXTERNAL_URL}/assessments/{team.id}/" in mail.links
    assert f"{EXTERNAL_URL}/account/notices" in mail.links
    # Every link comes from FLASK_EXTERNAL_URL, never the request's host (localhost here).
    assert all(link.startswith(EXTERNAL_URL) for link in mail.links)
    assert stored_mail(app) == [
        ("review_requested", "ada@example.org", MailState.SENT),
        ("review_requested", "reviewer@example.org", MailState.SENT),
    ]


def test_a_host_header_never_makes_the_links(app, team, smtp):
    client = app.test_client()
    evil = {"base_url": "http://evil.example"}
    login = {"email": team.emails["respondent"], "password": PASSWORD}
    assert client.post("/auth/login", data=login, **evil).status_code == 302
    assert (
        client.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY, **evil).status_code == 302
    )
    assert len(smtp.messages) == 2
    assert not any("evil.example" in m.body for m in smtp.messages)


def test_requesting_changes_tells_the_submitter_and_the_owners(app, team, smtp):
    admin = client_for(app, team.emails["admin"])
    assert (
        admin.post(
            f"/assessments/{team.id}/assignments",
            data={"q_P1-owner": _user_id(app, "helper"), "q_P2-owner": _user_id(app, "reviewer")},
        ).status_code
        == 302
    )
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    smtp.clear()
    reviewer = client_for(app, team.emails["reviewer"])
    response = reviewer.post(
        f"/assessments/{team.id}/request-changes",
        data={"comment": "P1.1 needs the hash-matching figures.\nAnd a date."},
    )
    assert response.status_code == 302
    # The submitter and the owner of P1; the reviewer owns P2 but made the request.
    assert recipients(smtp) == ["helper@example.org", "respondent@example.org"]
    (mail,) = smtp.to("respondent@example.org")
    assert mail.subject == f"Changes requested: Acme Chat ({team.org})"
    assert "    P1.1 needs the hash-matching figures.\n    And a date." in mail.body
    assert f"{EXTERNAL_URL}/assessments/{team.id}/" in mail.links


def test_approval_tells_the_submitter_and_the_contributors(app, team, smtp):
    helper = client_for(app, team.emails["helper"])
    answer(helper, team.id)
    respondent = client_for(app, team.emails["respondent"])
    respondent.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY)
    smtp.clear()
    reviewer = client_for(app, team.emails["reviewer"])
    response = reviewer.post(
        f"/assessments/{team.id}/approve", data=approval_data(reviewer, team.id)
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assessment, team.id).status == Status.APPROVED
    # Submitter, the person who answered, and the admin who created the draft.
    assert recipients(smtp) == ["ada@example.org", "helper@example.org", "respondent@example.org"]
    (mail,) = smtp.to("helper@example.org")
    assert mail.subject == f"Approved: Acme Chat ({team.org})"
    assert "Rae Reviewer approved the self-assessment of Acme Chat" in mail.body
    # The issued PDF job and the e-mail job both ran, each on its own.
    with app.app_context():
        kinds_done = sorted(
            (j.kind, j.state) for j in db.session.scalars(sa.select(Job).order_by(Job.id))
        )
    assert ("issue_report", JobState.DONE) in kinds_done
    assert ("send_mail", JobState.DONE) in kinds_done


def test_assignments_tell_each_new_owner_once_with_the_due_dates(app, team, smtp):
    reviewer = client_for(app, team.emails["reviewer"])
    helper_id = _user_id(app, "helper")
    response = reviewer.post(
        f"/assessments/{team.id}/assignments",
        data={
            "q_P1-owner": helper_id,
            "q_P1-due_date": "2030-01-05",
            "q_P3-owner": helper_id,
            "q_P4-owner": _user_id(app, "reviewer"),  # their own: no e-mail to themselves
        },
    )
    assert response.status_code == 302
    assert recipients(smtp) == ["helper@example.org"]
    (mail,) = smtp.messages
    assert mail.subject == f"Assigned to you: 2 principles of Acme Chat ({team.org})"
    assert "Rae Reviewer made you the owner of these principles" in mail.body
    assert "P1 · " in mail.body and "due 05 Jan 2030" in mail.body
    assert "P3 · " in mail.body and "no due date" in mail.body
    assert f"{EXTERNAL_URL}/assessments/{team.id}/principles/P1" in mail.links
    assert f"{EXTERNAL_URL}/assessments/{team.id}/principles/P3" in mail.links

    # Saving again unchanged sends nothing; a new due date tells the owner.
    smtp.clear()
    same = {"q_P1-owner": helper_id, "q_P1-due_date": "2030-01-05", "q_P3-owner": helper_id}
    same["q_P4-owner"] = _user_id(app, "reviewer")
    reviewer.post(f"/assessments/{team.id}/assignments", data=same)
    assert smtp.messages == []
    reviewer.post(
        f"/assessments/{team.id}/assignments", data={**same, "q_P3-due_date": "2030-02-01"}
    )
    (mail,) = smtp.messages
    assert "P3 · " in mail.body and "due 01 Feb 2030" in mail.body
    assert "P1 · " not in mail.body


def test_an_invitation_is_e_mailed_and_its_link_works(app, team, smtp):
    admin = client_for(app, team.emails["admin"])
    response = admin.post("/members/invite", data={"role": "reviewer", "email": "new@example.org"})
    assert response.status_code == 302
    page = admin.get("/members/").text
    assert "Invitation e-mailed to new@example.org" in page
    assert '<code class="link">' not in page  # sent, not shown
    assert "new@example.org as reviewer" in page and "e-mailed" in page
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["new@example.org"]
    assert mail.subject == f"Ada Admin invites you to {team.org} on the VP self-assessment"
    (link,) = mail.links
    assert link.startswith(f"{EXTERNAL_URL}/invite/")
    joined = app.test_client().post(
        link.removeprefix(EXTERNAL_URL),
        data={"name": "New Person", "email": "new@example.org", "password": "long password!"},
    )
    assert joined.status_code == 302
    with app.app_context():
        invitation = db.session.scalars(sa.select(Invitation)).one()
        assert invitation.used_at is not None
        # The outbox keeps who got what, but not the secret link once it is sent.
        stored = db.session.scalars(sa.select(MailMessage)).one()
        assert (stored.state, stored.body, stored.ref) == (
            MailState.SENT,
            "",
            f"invitation:{invitation.id}",
        )


def test_an_invitation_e_mail_that_failed_says_so_on_the_members_page(app, team, smtp):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    admin = client_for(app, team.emails["admin"])
    response = admin.post("/members/invite", data={"role": "viewer", "email": "new@example.org"})
    assert response.status_code == 302
    page = admin.get("/members/").text
    assert "new@example.org as viewer" in page
    assert "<strong>the e-mail could not be sent</strong>" in page


def test_an_invitation_without_an_address_shows_the_link(app, team, smtp):
    admin = client_for(app, team.emails["admin"])
    admin.post("/members/invite", data={"role": "viewer", "email": ""})
    assert '<code class="link">https://vp.example.org/invite/' in admin.get("/members/").text
    assert smtp.messages == []


def test_the_server_login_is_used_when_configured(app, team, smtp_with_login):
    app.config.update(
        MAIL_PORT=smtp_with_login.port, MAIL_USERNAME="vp-app", MAIL_PASSWORD="s3cret-123"
    )
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    assert smtp_with_login.logins == [("vp-app", "s3cret-123")]  # one connection for both
    assert recipients(smtp_with_login) == ["ada@example.org", "reviewer@example.org"]


# --- preferences -----------------------------------------------------------------------------


def test_the_preferences_page_lists_every_optional_kind_and_is_linked_from_the_header(app, team):
    client = client_for(app, team.emails["reviewer"])
    header = client.get("/assessments/").text.split("</header>")[0]
    assert 'href="/account/notices"' in header
    page = client.get("/account/notices")
    assert page.status_code == 200
    for kind in kinds.optional_kinds():
        assert f'value="{kind.name}"' in page.text
        assert str(escape(kind.label)) in page.text
    assert 'value="password_reset"' not in page.text  # not optional
    assert 'value="invitation"' not in page.text
    assert page.text.count("checked") == len(kinds.optional_kinds())  # all on at first


def test_a_kind_turned_off_sends_nothing_of_that_kind(app, team, smtp):
    reviewer = client_for(app, team.emails["reviewer"])
    wanted = [k.name for k in kinds.optional_kinds() if k.name != "review_requested"]
    response = reviewer.post("/account/notices", data={"wanted": wanted, "submit": "Save"})
    assert response.status_code == 302
    page = reviewer.get("/account/notices").text
    assert "Your e-mail choices are saved." in page
    assert 'value="review_requested">' in page  # shown, unchecked
    assert 'checked id="wanted-0"' not in page

    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    assert recipients(smtp) == ["ada@example.org"]  # the admin still gets it

    # Other kinds still come: an assignment reaches the reviewer.
    smtp.clear()
    client_for(app, team.emails["admin"]).post(
        f"/assessments/{team.id}/assignments", data={"q_P1-owner": _user_id(app, "reviewer")}
    )
    assert recipients(smtp) == ["reviewer@example.org"]


def test_all_off_silences_every_kind_and_turning_it_on_again_restores_the_choices(app, team, smtp):
    reviewer = client_for(app, team.emails["reviewer"])
    wanted = [k.name for k in kinds.optional_kinds() if k.name != "assignment"]
    reviewer.post("/account/notices", data={"wanted": wanted, "all_off": "y", "submit": "Save"})
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    client_for(app, team.emails["admin"]).post(
        f"/assessments/{team.id}/assignments", data={"q_P1-owner": _user_id(app, "reviewer")}
    )
    assert smtp.to("reviewer@example.org") == []
    assert len(smtp.to("ada@example.org")) == 1

    reviewer.post("/account/notices", data={"wanted": wanted, "submit": "Save"})
    smtp.clear()
    client_for(app, team.emails["admin"]).post(
        f"/assessments/{team.id}/assignments", data={"q_P2-owner": _user_id(app, "reviewer")}
    )
    assert smtp.to("reviewer@example.org") == []  # assignments stay off
    reviewer.post(
        f"/assessments/{team.id}/request-changes", data={"comment": "More, please."}
    )  # reviewer's own action: nobody mails themselves
    assert smtp.to("reviewer@example.org") == []


def test_preferences_refuse_an_unknown_kind(app, team):
    client = client_for(app, team.emails["reviewer"])
    response = client.post("/account/notices", data={"wanted": ["spam"], "submit": "Save"})
    assert response.status_code == 422
    assert "is not a valid choice" in response.text


def test_the_preferences_form_needs_its_csrf_token(app, team):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login_page = client.get("/auth/login").text
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/auth/login",
        data={"email": team.emails["viewer"], "password": PASSWORD, "csrf_token": token},
    )
    refused = client.post("/account/notices", data={"wanted": [], "submit": "Save"})
    assert refused.status_code == 400
    page = client.get("/account/notices").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post(
        "/account/notices", data={"wanted": [], "csrf_token": token, "submit": "Save"}
    )
    assert accepted.status_code == 302
    assert client.get("/account/notices").text.count("checked") == 0


# --- no mail server, a server that is down ------------------------------------------------------


def test_without_a_mail_server_the_e_mail_goes_to_the_log_and_the_page_says_so(
    app, team, smtp, caplog
):
    app.config["MAIL_SERVER"] = None
    caplog.set_level(logging.INFO, logger="assessment")
    respondent = client_for(app, team.emails["respondent"])
    response = respondent.post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY, follow_redirects=True
    )
    assert response.status_code == 200
    assert (
        "E-mail is not configured, so 2 e-mails (review requested) "
        "went to the server log instead of being sent." in response.text
    )
    assert smtp.messages == []
    logged = [r.getMessage() for r in caplog.records if "e-mail not sent" in r.getMessage()]
    assert len(logged) == 2
    assert any("to=reviewer@example.org" in line for line in logged)
    assert any(f"{EXTERNAL_URL}/assessments/{team.id}/" in line for line in logged)
    assert {state for *_, state in stored_mail(app)} == {MailState.LOGGED}


def test_without_a_mail_server_the_invitation_link_is_shown_instead(app, team, smtp, caplog):
    app.config["MAIL_SERVER"] = None
    caplog.set_level(logging.INFO, logger="assessment")
    admin = client_for(app, team.emails["admin"])
    response = admin.post(
        "/members/invite",
        data={"role": "viewer", "email": "new@example.org"},
        follow_redirects=True,
    )
    assert "E-mail is not configured: the invitation link is shown here instead." in response.text
    link = response.text.split('<code class="link">')[1].split("</code>")[0]
    assert link.startswith(f"{EXTERNAL_URL}/invite/")
    assert "copy the link and send it yourself" in response.text
    assert smtp.messages == [] and stored_mail(app) == []
    assert link not in caplog.text  # the secret link is not written to the log


def test_with_the_mail_server_down_the_action_succeeds_and_the_failure_is_logged(
    app, team, smtp, caplog
):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    caplog.set_level(logging.INFO, logger="assessment")
    respondent = client_for(app, team.emails["respondent"])
    response = respondent.post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Submitted for review." in response.text
    with app.app_context():
        assert db.session.get(Assessment, team.id).status == Status.IN_REVIEW
        job = db.session.scalars(sa.select(Job).where(Job.kind == "send_mail")).one()
        assert job.state == JobState.FAILED
        assert "2 e-mails could not be sent" in job.error
        failed = db.session.scalars(sa.select(MailMessage)).all()
        assert {(m.state, m.attempts) for m in failed} == {(MailState.FAILED, 1)}
        assert all("ConnectionRefusedError" in m.error for m in failed)
    warnings = [r for r in caplog.records if "could not be sent" in r.getMessage()]
    assert len(warnings) >= 2 and all(r.levelno >= logging.WARNING for r in warnings)

    # The next `flask send-reminders` tries them again, and they arrive.
    app.config["MAIL_PORT"] = smtp.port
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 earlier e-mails queued again" in result.output
    retried = [m for m in smtp.messages if m.subject.startswith("Review requested")]
    assert sorted(m.rcpt_tos[0] for m in retried) == ["ada@example.org", "reviewer@example.org"]
    assert {state for *_, state in stored_mail(app)} == {MailState.SENT}


def test_a_failed_e_mail_is_tried_three_times_at_most(app, team, smtp):
    app.config["MAIL_PORT"] = free_port()
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    runner = app.test_cli_runner()
    for _ in range(3):
        runner.invoke(args=["send-reminders"])
    with app.app_context():
        attempts = {
            m.attempts
            for m in db.session.scalars(
                sa.select(MailMessage).where(MailMessage.kind == "review_requested")
            )
        }
    assert attempts == {3}
    app.config["MAIL_PORT"] = smtp.port
    runner.invoke(args=["send-reminders"])
    assert not [m for m in smtp.messages if m.subject.startswith("Review requested")]
    assert stored_mail(app)[:2] == [
        ("review_requested", "ada@example.org", MailState.FAILED),
        ("review_requested", "reviewer@example.org", MailState.FAILED),
    ]


def test_a_change_that_rolls_back_sends_nothing(app, team, smtp):
    respondent = client_for(app, team.emails["respondent"])
    respondent.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY)
    smtp.clear()
    # Submitting again is refused (already in review): no e-mail for a change that did not happen.
    refused = respondent.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY)
    assert refused.status_code == 409
    assert smtp.messages == []
    assert len(stored_mail(app)) == 2


def test_nothing_is_sent_inside_a_database_transaction(app, team, smtp, monkeypatch):
    """The SMTP conversation happens with no transaction open in the sending session."""
    import assessment.mail as mail

    seen = []
    real_send = mail.Postbox.send

    def watched(self, outgoing):
        seen.append(db.session().in_transaction())
        return real_send(self, outgoing)

    monkeypatch.setattr(mail.Postbox, "send", watched)
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    assert seen == [False, False]
    assert len(smtp.messages) == 2


def _user_id(app, key):
    from assessment.models import User

    with app.app_context():
        return str(
            db.session.scalars(sa.select(User.id).where(User.email == f"{key}@example.org")).one()
        )


def test_removed_members_get_nothing(app, team, smtp):
    from assessment.models import Membership, User

    with app.app_context():
        reviewer = db.session.scalars(
            sa.select(User).where(User.email == "reviewer@example.org")
        ).one()
        db.session.execute(sa.delete(Membership).where(Membership.user_id == reviewer.id))
        db.session.commit()
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    assert recipients(smtp) == ["ada@example.org"]


def test_answers_by_the_approver_do_not_make_them_a_recipient(app, team, smtp):
    with app.app_context():
        make_answer(db.session.get(Assessment, team.id), "P1.2", "2")
        db.session.commit()
    client_for(app, team.emails["respondent"]).post(
        f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY
    )
    smtp.clear()
    admin = client_for(app, team.emails["admin"])
    admin.post(f"/assessments/{team.id}/approve", data=approval_data(admin, team.id))
    assert "ada@example.org" not in recipients(smtp)
    assert recipients(smtp) == ["respondent@example.org"]


# --- through the job queue ---------------------------------------------------------------------

redis_url = test_jobs.redis_url


def test_with_redis_the_e_mail_goes_through_the_queue_and_a_worker_sends_it(
    app, app_config, team, smtp, redis_url
):
    queue = f"vp-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=queue)
    respondent = client_for(app, team.emails["respondent"])
    assert respondent.post(f"/assessments/{team.id}/submit", data=SUBMIT_ANYWAY).status_code == 302
    assert smtp.messages == []  # the web process only queued it
    with app.app_context():
        job = db.session.scalars(sa.select(Job).where(Job.kind == "send_mail")).one()
        assert job.state == JobState.QUEUED
    run_burst_worker(
        app_config["SQLALCHEMY_DATABASE_URI"],
        redis_url,
        queue,
        FLASK_MAIL_SERVER="127.0.0.1",
        FLASK_MAIL_PORT=str(smtp.port),
        FLASK_MAIL_DEFAULT_SENDER=SENDER,
    )
    assert recipients(smtp) == ["ada@example.org", "reviewer@example.org"]
    assert {state for *_, state in stored_mail(app)} == {MailState.SENT}
