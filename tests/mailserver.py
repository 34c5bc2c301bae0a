"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what arrives.

The app sends to it through smtplib exactly as it would to a production
server; tests read the messages as a mail program would (parsed MIME).

E-mail is sent once a response has gone (`response.call_on_close`), so the
clients here read their responses whole (`buffered`), as a browser does, and
the e-mail of a request has arrived when the call returns.
"""

from __future__ import annotations

import email
import re
import socket
import threading
import warnings
from contextlib import closing
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask.testing import FlaskClient

EXTERNAL_URL = "https://vp.example.org"
SENDER = "VP self-assessment <vp@example.org>"
LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content().replace("\r\n", "\n")  # as sent: CRLF

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.body)


class Inbox:
    """An aiosmtpd handler that keeps every message, and the server's address."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.logins: list[tuple[str, str]] = []
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        """Return the messages that went to this address."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        """Accept one username and password (see `smtp_with_login`)."""
        if isinstance(auth_data, LoginPassword):
            login = (auth_data.login.decode(), auth_data.password.decode())
            self.logins.append(login)
            # handled=False: the server answers 535 itself when the login is wrong.
            return AuthResult(success=login == ("vp-app", "s3cret-123"), handled=False)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Controller(Controller):
    def factory(self):
        with warnings.catch_warnings():
            # AUTH without TLS is what `smtp_with_login` means to test, on loopback only.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


def _start(inbox: Inbox, **kwargs) -> Controller:
    last: Exception | None = None
    for _ in range(5):  # another process may take the free port before the server does
        inbox.port = free_port()
        controller = _Controller(inbox, hostname="127.0.0.1", port=inbox.port, **kwargs)
        try:
            controller.start()
            return controller
        except (OSError, RuntimeError) as exc:
            last = exc
    raise RuntimeError(f"the test SMTP server could not start: {last}")


@pytest.fixture
def smtp():
    """A running SMTP server on loopback; yields its inbox."""
    inbox = Inbox()
    controller = _start(inbox)
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_with_login():
    """An SMTP server that wants a login (plain AUTH without TLS, on loopback only)."""
    inbox = Inbox()
    controller = _start(
        inbox, authenticator=inbox.authenticate, auth_required=True, auth_require_tls=False
    )
    yield inbox
    controller.stop()


def mail_settings(inbox: Inbox) -> dict[str, object]:
    """Return the app settings that send to this server, with links from EXTERNAL_URL."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": inbox.port,
        "MAIL_DEFAULT_SENDER": SENDER,
        "EXTERNAL_URL": EXTERNAL_URL,
    }


class BufferedClient(FlaskClient):
    """A test client that reads every response whole, as a browser does (see the docstring)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


# The e-mail test modules' own app: sending to the test's SMTP server, reading responses
# whole. A module takes them with `app_config = mailserver.sending_app_config` and
# `app = mailserver.buffered_app` (each overrides the conftest fixture of the same name).
@pytest.fixture(name="app_config")
def sending_app_config(app_config, smtp):
    app_config.update(mail_settings(smtp))
    return app_config


@pytest.fixture(name="app")
def buffered_app(app):
    app.test_client_class = BufferedClient
    return app
