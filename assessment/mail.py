"""Sending e-mail through SMTP from the environment, or to the log when no server is set.

The standard library does the work (`smtplib`, `email.message`): the app
needs plain-text messages handed to one configured server, which is what
they do. Flask-Mail would add a barely maintained dependency for the same
calls, and queueing, retries and the record of what was sent live in the
app's own outbox and jobs anyway (`assessment.notices.outbox`).

Settings (Flask config, from `FLASK_MAIL_...` in the environment):
`MAIL_SERVER` (unset: messages go to the log), `MAIL_PORT` (25, 587 with
STARTTLS, 465 with SSL), `MAIL_USE_TLS` (STARTTLS), `MAIL_USE_SSL` (TLS from
the first byte), `MAIL_USERNAME`, `MAIL_PASSWORD`, `MAIL_DEFAULT_SENDER`
(required with a server) and `MAIL_TIMEOUT` (seconds, 10). TLS verifies the
server's certificate and name against the system's trust store.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask, current_app

log = logging.getLogger(__name__)

DEFAULTS = {
    "MAIL_SERVER": None,
    "MAIL_PORT": None,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": None,
    "MAIL_TIMEOUT": 10,
}
TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off", "none"}
# Header text is one line: folding whitespace and control characters become a space.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class MailError(Exception):
    """The message could not be handed to the mail server; the text says why."""


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise SystemExit(f"FLASK_{name}={value!r} is not a yes/no setting: use true or false.")


def check_mail_settings(app: Flask) -> None:
    """Normalise the mail settings and refuse to start with ones that cannot work, saying why."""
    for name, default in DEFAULTS.items():
        app.config.setdefault(name, default)
    config = app.config
    config["MAIL_USE_TLS"] = _flag("MAIL_USE_TLS", config["MAIL_USE_TLS"])
    config["MAIL_USE_SSL"] = _flag("MAIL_USE_SSL", config["MAIL_USE_SSL"])
    config["MAIL_SERVER"] = str(config["MAIL_SERVER"]).strip() if config["MAIL_SERVER"] else None
    if not config["MAIL_SERVER"]:
        return
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise SystemExit(
            "FLASK_MAIL_USE_TLS and FLASK_MAIL_USE_SSL are both on: use TLS for STARTTLS "
            "(usually port 587) or SSL for TLS from the start (usually port 465), not both."
        )
    config["MAIL_PORT"] = _port(config)
    config["MAIL_DEFAULT_SENDER"] = _sender(config["MAIL_DEFAULT_SENDER"])
    try:
        config["MAIL_TIMEOUT"] = float(config["MAIL_TIMEOUT"])
    except (TypeError, ValueError):
        raise SystemExit(f"FLASK_MAIL_TIMEOUT={config['MAIL_TIMEOUT']!r} is not seconds.") from None


def _port(config) -> int:
    port = config["MAIL_PORT"]
    if port in (None, ""):
        return 465 if config["MAIL_USE_SSL"] else 587 if config["MAIL_USE_TLS"] else 25
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 65536:
        raise SystemExit(f"FLASK_MAIL_PORT={port!r} is not a port number.")
    return number


def _sender(value: object) -> str:
    sender = str(value or "").strip()
    if "@" not in parseaddr(sender)[1]:
        raise SystemExit(
            "FLASK_MAIL_SERVER is set, so FLASK_MAIL_DEFAULT_SENDER must give the From address "
            "of the app's e-mail, e.g. 'VP self-assessment <vp@example.org>'."
        )
    return sender


def mail_configured(app: Flask | None = None) -> bool:
    """Return whether e-mail goes to a mail server (otherwise it is written to the log)."""
    return bool((app or current_app).config.get("MAIL_SERVER"))


def one_line(text: str, limit: int = 250) -> str:
    """Return text fit for a header: one line, trimmed."""
    return " ".join(_LINE_BREAKS.sub(" ", text).split())[:limit]


@dataclass(frozen=True)
class Outgoing:
    """What one message says and to whom; `build` turns it into a MIME message."""

    to_address: str
    subject: str
    body: str

    def build(self, sender: str) -> EmailMessage:
        """Return the plain-text message, marked as sent by a program (no auto-replies)."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = one_line(self.to_address)
        message["Subject"] = one_line(self.subject)
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834
        message.set_content(self.body)
        return message


class Postbox:
    """Hand messages to the configured server over one connection, or log them.

    Use as a context manager; `send` raises MailError for a message the server
    did not take, and the next `send` opens a fresh connection.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.app = app or current_app._get_current_object()
        self.config = self.app.config
        self._smtp: smtplib.SMTP | None = None

    @property
    def configured(self) -> bool:
        return mail_configured(self.app)

    def __enter__(self) -> Postbox:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def send(self, outgoing: Outgoing) -> None:
        """Send one message (or, with no server configured, write it to the log)."""
        if not self.configured:
            _log_instead(outgoing)
            return
        message = outgoing.build(self.config["MAIL_DEFAULT_SENDER"])
        try:
            smtp = self._connection()
            refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise MailError(_describe(exc)) from exc
        if refused:  # pragma: no cover - one recipient per message: refusing it raises
            raise MailError(f"the server refused {', '.join(refused)}")

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        host, port = self.config["MAIL_SERVER"], self.config["MAIL_PORT"]
        timeout = self.config["MAIL_TIMEOUT"]
        if self.config["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if self.config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if self.config.get("MAIL_USERNAME"):
                # The environment's JSON parsing may turn a password of digits into a number.
                username, password = self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD")
                smtp.login(str(username), "" if password is None else str(password))
        except BaseException:
            _quietly_close(smtp)
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, ignoring a connection that is already gone."""
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(smtp)


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):  # closing a dead socket
        smtp.close()


def _describe(exc: BaseException) -> str:
    """Say what went wrong in one line, without the server's whole transcript."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        return one_line(f"{type(exc).__name__}: {exc.smtp_code} {text}", 300)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return one_line(f"the server refused the recipient ({', '.join(exc.recipients)})", 300)
    return one_line(f"{type(exc).__name__}: {exc}", 300)


def _log_instead(outgoing: Outgoing) -> None:
    body = "\n".join("    " + line for line in outgoing.body.splitlines())
    log.info(
        "e-mail not sent (e-mail is not configured: set FLASK_MAIL_SERVER) to=%s subject=%r\n%s",
        one_line(outgoing.to_address),
        one_line(outgoing.subject),
        body,
    )
