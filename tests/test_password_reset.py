"""Password reset by e-mail: a signed link that works once, for one hour, through a real SMTP server.

The request page reads the same whether or not the address has an account,
requests are throttled per address and per e-mail, and a new password logs
out every other session.
"""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from assessment import password_reset
from assessment.extensions import db
from assessment.models import LoginFailure, MailMessage, User
from tests import mailserver
from tests.factories import PASSWORD, make_user
from tests.mailserver import EXTERNAL_URL

# The SMTP server fixtures, shared by the e-mail tests.
smtp = mailserver.smtp


NEW_PASSWORD = "a brand new passphrase"


app_config = mailserver.sending_app_config
app = mailserver.buffered_app


@pytest.fixture
def person(app):
    with app.app_context():
        user = make_user(email="pat@example.org", name="Pat Person")
        db.session.commit()
        return user.email


def ask(client, email, **kwargs):
    return client.post("/auth/forgot", data={"email": email}, **kwargs)


def the_link(smtp) -> str:
    (mail,) = smtp.messages
    (link,) = mail.links
    return link


def local(link: str) -> str:
    assert link.startswith(EXTERNAL_URL + "/auth/reset/"), link
    return link.removeprefix(EXTERNAL_URL)


def flashes(html: str) -> list[str]:
    return re.findall(r'<li class="flash [a-z]+">(.*?)</li>', html, re.S)


def test_the_login_page_offers_a_reset(client):
    page = client.get("/auth/login").text
    assert '<a href="/auth/forgot">Forgot your password?</a>' in page
    forgot = client.get("/auth/forgot")
    assert forgot.status_code == 200
    assert 'autocomplete="email"' in forgot.text
    assert "E-mail is not configured" not in forgot.text


def test_reset_end_to_end(app, client, person, smtp, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    # Someone already logged in elsewhere with the old password.
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": person, "password": PASSWORD})
    assert elsewhere.get("/assessments/").status_code == 200

    response = ask(client, person)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    (mail,) = smtp.messages
    assert mail.rcpt_tos == [person]
    assert mail.subject == "Choose a new password for the VP self-assessment"
    assert mail.body.startswith("Hello Pat Person,")
    assert "works once, for one hour" in mail.body
    assert "Choose which e-mails" not in mail.body  # not a notice anyone can turn off
    link = local(the_link(smtp))

    form = client.get(link)
    assert form.status_code == 200
    assert "pat@example.org" in form.text
    assert form.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="new-password"' in form.text
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/assessments/"
    landing = client.get("/assessments/")
    assert landing.status_code == 200  # logged in with the new password
    assert "Your password is changed and you are logged in." in landing.text

    # The other session is over; the old password is refused, the new one works.
    assert elsewhere.get("/assessments/").status_code == 302
    fresh = app.test_client()
    assert (
        fresh.post("/auth/login", data={"email": person, "password": PASSWORD}).status_code == 401
    )
    assert (
        fresh.post("/auth/login", data={"email": person, "password": NEW_PASSWORD}).status_code
        == 302
    )

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "has been used already" in again.text
    assert 'href="/auth/forgot"' in again.text
    assert (
        app.test_client()
        .post(
            link, data={"password": "yet another passphrase", "confirm": "yet another passphrase"}
        )
        .status_code
        == 400
    )
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == person)).one()
        assert user.check_password(NEW_PASSWORD)
        # The outbox keeps the record, not the link.
        stored = db.session.scalars(sa.select(MailMessage)).one()
        assert (stored.kind, stored.to_address, stored.body) == ("password_reset", person, "")

    events = [r.getMessage() for r in caplog.records if r.name == "assessment.security"]
    assert any("security password_reset_requested" in e and "account=yes" in e for e in events)
    assert any(e.startswith("security password_reset user=") for e in events)
    assert any("security password_reset_refused reason=used" in e for e in events)
    token = link.rsplit("/", 1)[1]
    assert token not in caplog.text  # never written to the log


def test_a_link_is_refused_after_an_hour(app, client, person, smtp, monkeypatch):
    ask(client, person)
    link = local(the_link(smtp))
    sent_at = password_reset.now()
    monkeypatch.setattr(password_reset, "now", lambda: sent_at + 59 * 60)
    assert client.get(link).status_code == 200
    monkeypatch.setattr(password_reset, "now", lambda: sent_at + 60 * 60 + 1)
    late = client.get(link)
    assert late.status_code == 400
    assert "This link has expired" in late.text
    refused = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 400
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == person)).one()
        assert user.check_password(PASSWORD)


def test_a_new_password_makes_every_earlier_link_useless(app, client, person, smtp):
    ask(client, person)
    ask(client, person)
    first, second = (local(m.links[0]) for m in smtp.messages)
    assert (
        client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    assert app.test_client().get(first).status_code == 400


@pytest.mark.parametrize(
    "token",
    ["x", "not.a.token", "A" * 120, "A" * 5000, "eyJ1IjoxLCJmIjoiYWJjIn0.Zz9kLw.Zm9yZ2Vk"],
)
def test_a_forged_or_damaged_link_is_refused(client, person, token):
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 400
    assert "This link to reset a password is not valid" in response.text


def test_a_tampered_link_is_refused(app, client, person, smtp):
    ask(client, person)
    link = local(the_link(smtp))
    payload, stamp, signature = link.rsplit("/", 1)[1].split(".")
    forged = f"/auth/reset/{payload}.{stamp}.{signature[:-2]}AA"
    assert client.get(forged).status_code == 400


def test_a_short_new_password_is_refused_and_the_link_still_works(client, person, smtp):
    ask(client, person)
    link = local(the_link(smtp))
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text.lower()
    assert client.get(link).status_code == 200


def test_the_answer_never_says_whether_the_address_has_an_account(app, person, smtp, monkeypatch):
    calls = []
    real = password_reset.events.render_password_reset

    def counted(name, link):
        calls.append(link.startswith(EXTERNAL_URL + "/auth/reset/"))
        return real(name, link)

    monkeypatch.setattr(password_reset.events, "render_password_reset", counted)
    pages = {}
    for email in (person, "nobody@example.org"):
        client = app.test_client()
        response = ask(client, email)
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/login"
        page = client.get("/auth/login").text
        pages[email] = page.replace(email, "EMAIL")
    assert pages[person] == pages["nobody@example.org"]
    assert "If an account uses" in pages[person]
    # The same work either way: a signed link and a rendered e-mail; only one is sent.
    assert calls == [True, True]
    assert [m.rcpt_tos for m in smtp.messages] == [[person]]


def test_requests_are_throttled_per_e_mail_the_same_way_for_unknown_addresses(app, person, smtp):
    app.config["PASSWORD_RESET_MAX_PER_EMAIL"] = 2
    statuses = {}
    for email in (person, "nobody@example.org"):
        client = app.test_client()
        statuses[email] = [ask(client, email).status_code for _ in range(3)]
        refused = ask(client, email)
        assert "Too many requests to reset a password. Wait 60 minutes" in refused.text
        assert refused.headers["Retry-After"]
    assert statuses == {person: [302, 302, 429], "nobody@example.org": [302, 302, 429]}
    assert len(smtp.messages) == 2  # the throttled request sent nothing


def test_requests_are_throttled_per_address(app, person, smtp, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] = 3
    client = app.test_client()
    for n in range(3):
        assert ask(client, f"probe{n}@example.org").status_code == 302
    assert ask(client, person).status_code == 429
    assert smtp.messages == []
    # Another address may still ask for the same account.
    other = app.test_client()
    assert ask(other, person, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302
    assert len(smtp.messages) == 1
    assert "security password_reset_throttled" in caplog.text


def test_reset_requests_do_not_throttle_logins_and_expire_on_their_own_window(
    app, person, smtp, monkeypatch
):
    from datetime import timedelta

    from assessment import throttle
    from assessment.models import utcnow

    client = app.test_client()
    for _ in range(3):
        ask(client, person)
    assert (
        client.post("/auth/login", data={"email": person, "password": PASSWORD}).status_code == 302
    )
    # Half an hour on (past the 15-minute login window), requests still count...
    later = utcnow() + timedelta(minutes=30)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert ask(app.test_client(), person).status_code == 429
    with app.app_context():
        throttle.prune(later)
        db.session.commit()
        kept = db.session.scalars(sa.select(LoginFailure.key)).all()
    assert kept.count("reset-email:pat@example.org") == 3
    # ...and after the hour they are gone.
    much_later = utcnow() + timedelta(minutes=61)
    monkeypatch.setattr(throttle, "utcnow", lambda: much_later)
    assert ask(app.test_client(), person).status_code == 302


def test_without_a_mail_server_the_link_goes_to_the_log_and_the_page_says_so(
    app, client, person, smtp, caplog
):
    app.config["MAIL_SERVER"] = None
    caplog.set_level(logging.INFO, logger="assessment")
    page = client.get("/auth/forgot").text
    assert "E-mail is not configured on this server" in page
    response = ask(client, person, follow_redirects=True)
    # The answer is the one for any address: no "went to the log" count that would give it away.
    assert flashes(response.text) == [
        "If an account uses pat@example.org, an e-mail with a link to choose a new password is "
        "on its way. The link works once, for one hour. Nothing after a few minutes? Check the "
        "address and your spam folder, then ask again."
    ]
    assert smtp.messages == []
    logged = [r.getMessage() for r in caplog.records if "e-mail not sent" in r.getMessage()]
    (line,) = logged
    assert "to=pat@example.org" in line
    assert f"{EXTERNAL_URL}/auth/reset/" in line


def test_the_reset_pages_are_public_and_work_for_a_signed_in_person_too(app, person, smtp):
    signed_in = app.test_client()
    signed_in.post("/auth/login", data={"email": person, "password": PASSWORD})
    assert signed_in.get("/auth/forgot").status_code == 200
    assert ask(signed_in, person).status_code == 302
    assert signed_in.get(local(the_link(smtp))).status_code == 200


def test_without_an_external_url_an_untrusted_host_gets_no_link(app, client, person, smtp):
    app.config["EXTERNAL_URL"] = None
    response = client.post("/auth/forgot", data={"email": person}, base_url="http://evil.example")
    assert response.status_code == 400
    assert "FLASK_EXTERNAL_URL" in response.text
    assert smtp.messages == []


@pytest.mark.parametrize(
    "email",
    ["", "\x00", "a\r\nBcc: x@example.org", "x" * 300, "٣@example.org", "<script>@x", "@", "a@b"],
)
def test_hostile_addresses_get_a_clear_answer(app, person, smtp, email):
    response = ask(app.test_client(), email)
    # 400: a NUL character is refused by the guard on every form (assessment.inputs).
    assert response.status_code in (302, 400, 422, 429), response.status_code
    assert all("Bcc" not in str(m.message) for m in smtp.messages)


def test_the_reset_e_mail_is_written_and_sent_only_once_the_response_has_gone(app, person, smtp):
    """In the request, a known address writes exactly what an unknown one does."""
    from flask.testing import FlaskClient

    from assessment.models import Job

    client = FlaskClient(app, app.response_class)  # reads the response, not to its end
    response = client.post("/auth/forgot", data={"email": person})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(MailMessage)).first() is None
        assert db.session.scalars(sa.select(Job)).first() is None
    assert smtp.messages == []
    response.close()  # what the server does once the browser has the response
    assert [m.rcpt_tos for m in smtp.messages] == [[person]]
    with app.app_context():
        assert db.session.scalars(sa.select(MailMessage.state)).one() == "sent"
