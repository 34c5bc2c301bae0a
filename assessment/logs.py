"""Logging to stdout: one line per request with its id, and security events at WARNING.

Every line carries the request id, taken from a sane `X-Request-ID` (a proxy's)
or generated, and echoed in the response, so a person quoting the reference on
an error page leads straight to the lines of their request. Security events
(failed and throttled logins, refused uploads, conflicts, cross-organisation
lookups) go through `security_event` so they read alike and can be alerted on.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time

import sqlalchemy as sa
from flask import Flask, Request, Response, g, has_request_context, request

LOGGER_NAME = "assessment"
SECURITY_LOGGER_NAME = "assessment.security"
REQUEST_LOGGER_NAME = "assessment.request"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# A proxy's request id is kept only when it cannot forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
# Probes from a load balancer every few seconds would drown the log at INFO.
QUIET_ENDPOINTS = {"health.healthz", "health.readyz", "static"}

security_log = logging.getLogger(SECURITY_LOGGER_NAME)
request_log = logging.getLogger(REQUEST_LOGGER_NAME)


class StdoutHandler(logging.StreamHandler):
    """A handler that writes to whatever `sys.stdout` is when a record is emitted.

    Test runners and gunicorn replace `sys.stdout`; holding on to the first one
    would write into a closed stream later.
    """

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


class RequestIdFilter(logging.Filter):
    """Add the current request's id to every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() if has_request_context() else "-"
        return True


def current_request_id() -> str:
    """Return the id of the request being handled."""
    if "request_id" not in g:
        g.request_id = _incoming_request_id() or secrets.token_hex(8)
    return g.request_id


def _incoming_request_id() -> str | None:
    given = request.headers.get("X-Request-ID", "")
    return given if SANE_REQUEST_ID.fullmatch(given) else None


def configure_logging(level: str | int = "INFO") -> None:
    """Send the app's logs to stdout, once per process, whatever number of apps is built."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    if any(isinstance(h, StdoutHandler) for h in logger.handlers):
        return
    handler = StdoutHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)


PLAIN_FIELD = re.compile(r"[A-Za-z0-9._:/@+-]{1,200}")


def _field(value: object) -> str:
    """Render one field so that a value can never break the line or fake another field."""
    text = str(value)
    if PLAIN_FIELD.fullmatch(text):
        return text
    return repr(text[:200])


def security_event(kind: str, /, **fields: object) -> None:
    """Log a security-relevant event at WARNING: `security <kind> key=value ...`."""
    if has_request_context():
        fields.setdefault("ip", request.remote_addr or "-")
        fields.setdefault("path", _mask_token(request.path))
    details = " ".join(f"{key}={_field(value)}" for key, value in fields.items())
    security_log.warning("security %s %s", kind, details)


def register_logging(app: Flask) -> None:
    """Configure stdout logging and log one line per request, with its id in the response."""
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start_request)
    app.after_request(_log_request)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    current_request_id()


def _log_request(response: Response) -> Response:
    # The request and its `g` looked up once: this runs for every response.
    state, sent = g._get_current_object(), request._get_current_object()
    request_id = state.get("request_id") or current_request_id()
    response.headers["X-Request-ID"] = request_id
    started = state.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    level = logging.DEBUG if sent.endpoint in QUIET_ENDPOINTS else logging.INFO
    if not request_log.isEnabledFor(level):
        return response
    request_log.log(
        level,
        "%s %s %s %.1fms user=%s ip=%s bytes=%s",
        sent.method,
        _field(_loggable_path(sent)),
        response.status_code,
        elapsed,
        _user_id(state),
        sent.remote_addr or "-",
        response.calculate_content_length() or "-",
    )
    return response


def _loggable_path(sent: Request | None = None) -> str:
    """Return the path and query, with secrets in the URL (an invitation token) masked."""
    sent = sent or request._get_current_object()
    return _mask_token(sent.full_path.rstrip("?") if sent.query_string else sent.path, sent)


def _mask_token(path: str, sent: Request | None = None) -> str:
    """Replace the secret in the URL (an invitation or password reset token) by `<token>`."""
    token = ((sent or request).view_args or {}).get("token")
    return path.replace(token, "<token>") if isinstance(token, str) and token else path


def _user_id(state=None) -> str:
    """Return the signed-in user's id for the log line, without loading anything new."""
    user = (state if state is not None else g).get("_login_user")
    if user is None or not user.is_authenticated:  # never loaded: do not query just to log
        return "-"
    # The identity key, not `user.id`: after the view's commit the user is expired,
    # and reading an attribute would load it (and its memberships) again.
    identity = sa.inspect(user).identity
    return str(identity[0]) if identity else "-"
