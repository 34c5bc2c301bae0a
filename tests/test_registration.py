"""Registering an organisation: the address is proved by an e-mailed link, through a real SMTP server.

The form answers the same for every address; a new address gets a link to
choose a password (the account and organisation are made then), a known one
a note with links to log in and reset. The link works once, for one day.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment import password_reset
from assessment.extensions import db
from assessment.models import AuditEvent, MailMessage, Membership, Organisation, Role, User
from tests import mailserver
from tests.factories import make_user
from tests.mailserver import EXTERNAL_URL

smtp = mailserver.smtp

REGISTRATION = {"organisation": "Acme Social", "name": "Ada Admin", "email": "Ada@Example.org "}
PASSWORDS = {"password": "a long enough password", "confirm": "a long enough password"}


app_config = mailserver.sending_app_config
app = mailserver.buffered_app


def the_link(smtp) -> str:
    (mail,) = smtp.messages
    (link,) = mail.links
    assert link.startswith(EXTERNAL_URL + "/auth/register/"), link
    return link.removeprefix(EXTERNAL_URL)


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count(model.id)))
            for model in (User, Organisation, Membership)
        )


def test_register_creates_organisation_and_admin_and_logs_in(client, app, smtp):
    sent = client.post("/auth/register", data=REGISTRATION)
    assert sent.status_code == 200
    assert "Check your e-mail" in sent.text
    assert counts(app) == (0, 0, 0)  # nothing until the address is proved
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["ada@example.org"]
    assert "Finish setting up Acme Social" in mail.subject
    link = the_link(smtp)
    finish = client.get(link)
    assert finish.status_code == 200
    assert "Finish setting up Acme Social" in finish.text
    assert 'autocomplete="new-password"' in finish.text
    response = client.post(link, data=PASSWORDS)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/assessments/")
    assert "Acme Social is set up" in client.get("/assessments/").text
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        assert user.email == "ada@example.org"
        assert user.name == "Ada Admin"
        assert user.password_hash.startswith("scrypt:")
        assert "a long enough password" not in user.password_hash
        membership = db.session.scalars(sa.select(Membership)).one()
        assert membership.role == Role.ADMIN
        assert db.session.scalars(sa.select(AuditEvent)).one().action == "membership"
        # The link is a secret: blanked in the outbox once sent.
        assert "/auth/register/" not in db.session.scalars(sa.select(MailMessage.body)).one()


def test_register_refuses_mismatched_passwords_next_to_the_field(client, app, smtp):
    client.post("/auth/register", data=REGISTRATION)
    response = client.post(the_link(smtp), data={**PASSWORDS, "confirm": "something else!"})
    assert response.status_code == 422
    assert "The passwords do not match." in response.text
    assert counts(app) == (0, 0, 0)


def test_register_refuses_a_taken_email_and_keeps_the_existing_account(client, app, smtp):
    with app.app_context():
        make_user(email="ada@example.org", name="Ada Original")
        db.session.commit()
    before = counts(app)
    response = client.post("/auth/register", data=REGISTRATION)
    # Issue 8: the answer must not say that the account exists: it is the same page.
    assert response.status_code == 200
    assert "already exists" not in response.text
    assert "Check your e-mail" in response.text
    assert counts(app) == before
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["ada@example.org"]
    assert "already have" in mail.subject
    assert "Hello Ada Original" in mail.body
    assert [link.removeprefix(EXTERNAL_URL) for link in mail.links] == [
        "/auth/login",
        "/auth/forgot",
    ]


def test_the_answer_is_the_same_for_a_new_and_a_known_address(client, app):
    with app.app_context():
        make_user(email="known@example.org")
        db.session.commit()
    pages = [
        client.post("/auth/register", data={**REGISTRATION, "email": email}).text
        for email in ("known@example.org", "new@example.org")
    ]
    assert pages[0].replace("known@", "new@") == pages[1]


def test_the_link_works_once(client, app, smtp):
    client.post("/auth/register", data=REGISTRATION)
    link = the_link(smtp)
    assert client.post(link, data=PASSWORDS).status_code == 302
    client.post("/auth/logout")
    again = client.get(link)
    assert again.status_code == 400
    assert "has an account already" in again.text
    assert client.post(link, data=PASSWORDS).status_code == 400
    assert counts(app) == (1, 1, 1)


def test_the_link_expires_after_a_day(client, app, smtp, monkeypatch):
    client.post("/auth/register", data=REGISTRATION)
    link = the_link(smtp)
    later = password_reset.now() + int(dt.timedelta(days=1, seconds=1).total_seconds())
    monkeypatch.setattr(password_reset, "now", lambda: later)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "expired" in expired.text
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("token", ["x", "a" * 500, "eyJlIjoiYUBiLmMifQ.abc.def"])
def test_a_forged_or_mangled_link_is_refused(client, app, token):
    response = client.get(f"/auth/register/{token}")
    assert response.status_code == 400
    assert "not valid" in response.text


def test_a_link_for_another_organisation_name_cannot_be_made_without_the_key(client, app, smtp):
    client.post("/auth/register", data=REGISTRATION)
    link = the_link(smtp)
    body, signature = link.rsplit(".", 1)
    tampered = body[:-2] + ("AA" if not body.endswith("AA") else "BB") + "." + signature
    assert client.get(tampered).status_code == 400


def test_requests_are_throttled_per_address(client, app, smtp):
    for _ in range(3):
        assert client.post("/auth/register", data=REGISTRATION).status_code == 200
    refused = client.post("/auth/register", data=REGISTRATION)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert len(smtp.messages) == 3


def test_without_a_mail_server_the_page_says_the_link_is_in_the_log(app, client):
    app.config["MAIL_SERVER"] = None
    page = client.get("/auth/register").text
    assert "E-mail is not configured on this server" in page


def test_line_breaks_in_the_names_cannot_reach_the_e_mail_headers(client, app, smtp):
    form = {**REGISTRATION, "organisation": "Acme\r\nBcc: victim@example.org", "name": "A\nB"}
    assert client.post("/auth/register", data=form).status_code == 200
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["ada@example.org"]
    assert (
        " ".join(mail.subject.split())
        == "Finish setting up Acme Bcc: victim@example.org on the VP self-assessment"
    )
    assert "Hello A B," in mail.body


def test_the_link_is_masked_in_the_request_log(client, app, smtp, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    client.post("/auth/register", data=REGISTRATION)
    link = the_link(smtp)
    client.get(link)
    token = link.rsplit("/", 1)[1]
    assert "GET '/auth/register/<token>' 200" in caplog.text
    assert token not in caplog.text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.fixed_dictionaries(
        {key: st.text(max_size=60) for key in ("organisation", "name", "email")}
    ),
    token=st.text(max_size=80),
)
def test_hostile_registration_input_is_a_4xx_or_the_same_answer(app, fields, token):
    client = app.test_client()
    form = client.post("/auth/register", data=fields)
    assert form.status_code in (200, 400, 422, 429)
    finish = client.post(
        f"/auth/register/{quote(token, safe='')}", data={"password": token, "confirm": token}
    )
    # 308: a token with a slash in it is a path Werkzeug tidies (merging "//") and redirects.
    assert finish.status_code in (308, 400, 404, 405)
