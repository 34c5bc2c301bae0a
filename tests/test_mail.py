"""The SMTP layer: settings from the environment, refused when they cannot work, clean headers."""

from __future__ import annotations

import pytest

from assessment import create_app
from assessment.mail import MailError, Outgoing, Postbox
from tests import mailserver
from tests.mailserver import SENDER, free_port, mail_settings

smtp = mailserver.smtp
smtp_with_login = mailserver.smtp_with_login


def test_the_settings_come_from_flask_mail_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("FLASK_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("FLASK_MAIL_USE_TLS", "true")
    monkeypatch.setenv("FLASK_MAIL_USERNAME", "vp-app")
    monkeypatch.setenv("FLASK_MAIL_PASSWORD", "123456")  # JSON would make this a number
    monkeypatch.setenv("FLASK_MAIL_DEFAULT_SENDER", "VP <vp@example.org>")
    app = create_app()
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 587  # the STARTTLS port when none is given
    assert app.config["MAIL_USE_TLS"] is True and app.config["MAIL_USE_SSL"] is False
    assert app.config["MAIL_DEFAULT_SENDER"] == "VP <vp@example.org>"
    assert app.config["MAIL_TIMEOUT"] == 10.0


def test_without_a_server_nothing_else_is_needed(app):
    assert app.config["MAIL_SERVER"] is None
    with app.app_context():
        assert Postbox().configured is False


def _app(**settings):
    return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_SERVER": "smtp.example.org"}, "FLASK_MAIL_DEFAULT_SENDER must give the From"),
        (
            {"MAIL_SERVER": "smtp.example.org", "MAIL_DEFAULT_SENDER": "nobody"},
            "FLASK_MAIL_DEFAULT_SENDER must give the From",
        ),
        (
            {"MAIL_SERVER": "s", "MAIL_DEFAULT_SENDER": SENDER, "MAIL_PORT": "smtp"},
            "FLASK_MAIL_PORT='smtp' is not a port number",
        ),
        (
            {"MAIL_SERVER": "s", "MAIL_DEFAULT_SENDER": SENDER, "MAIL_PORT": 70000},
            "is not a port number",
        ),
        (
            {
                "MAIL_SERVER": "s",
                "MAIL_DEFAULT_SENDER": SENDER,
                "MAIL_USE_TLS": True,
                "MAIL_USE_SSL": True,
            },
            "FLASK_MAIL_USE_TLS and FLASK_MAIL_USE_SSL are both on",
        ),
        ({"MAIL_USE_TLS": "maybe"}, "FLASK_MAIL_USE_TLS='maybe' is not a yes/no setting"),
        (
            {"MAIL_SERVER": "s", "MAIL_DEFAULT_SENDER": SENDER, "MAIL_TIMEOUT": "soon"},
            "FLASK_MAIL_TIMEOUT='soon' is not seconds",
        ),
    ],
)
def test_settings_that_cannot_work_stop_the_app_saying_why(settings, message):
    with pytest.raises(SystemExit) as stopped:
        _app(**settings)
    assert message in str(stopped.value)


def test_the_ssl_port_is_the_default_with_ssl():
    app = _app(MAIL_SERVER="s", MAIL_DEFAULT_SENDER=SENDER, MAIL_USE_SSL="yes")
    assert app.config["MAIL_PORT"] == 465


def test_a_header_cannot_be_injected_through_the_subject():
    message = Outgoing(
        "a@example.org", "Review requested: Acme\r\nBcc: victim@example.org", "Body"
    ).build(SENDER)
    assert message["Subject"] == "Review requested: Acme Bcc: victim@example.org"
    assert message["Bcc"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.org>")


def test_a_message_reaches_the_server_as_plain_text(smtp):
    app = _app(**mail_settings(smtp))
    with app.app_context(), Postbox() as postbox:
        postbox.send(Outgoing("ana@example.org", "Grüße", "Hello Ana,\n\nÄnderungen: keine.\n"))
    (received,) = smtp.messages
    assert received.rcpt_tos == ["ana@example.org"]
    assert received.subject == "Grüße"
    assert received.message.get_content_type() == "text/plain"
    assert received.body == "Hello Ana,\n\nÄnderungen: keine.\n"


def test_a_server_that_cannot_be_reached_is_a_mail_error():
    app = _app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        MAIL_DEFAULT_SENDER=SENDER,
        MAIL_TIMEOUT=5,
    )
    with app.app_context(), Postbox() as postbox, pytest.raises(MailError) as failed:
        postbox.send(Outgoing("a@example.org", "S", "B"))
    assert "ConnectionRefusedError" in str(failed.value)


def test_a_wrong_login_is_a_mail_error(smtp_with_login):
    app = _app(
        **mail_settings(smtp_with_login), MAIL_USERNAME="vp-app", MAIL_PASSWORD="wrong password"
    )
    with app.app_context(), Postbox() as postbox, pytest.raises(MailError) as failed:
        postbox.send(Outgoing("a@example.org", "S", "B"))
    assert "SMTPAuthenticationError: 535" in str(failed.value)
    assert smtp_with_login.messages == []
