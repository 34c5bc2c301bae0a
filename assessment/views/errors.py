"""Error pages that say what happened, in the site's layout.

HTTP errors get the shared error page; so do the domain's refusals
(`EditRefused`, `WorkflowError`), which roll back whatever the request wrote:
the change is refused whole. Views raise them and never build these pages.
A database that cannot be reached, or stays busy, is a 503 that says so.
"""

import logging

from flask import Flask, current_app, g, render_template, request, url_for
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, ServiceUnavailable

from assessment.editing import EditRefused
from assessment.evidence import too_large_message
from assessment.extensions import db
from assessment.logs import current_request_id, security_event
from assessment.views.api import PREFIX as API_PREFIX
from assessment.views.api import problem_response
from assessment.workflow import WorkflowError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Locked", "This assessment is approved and can no longer be changed."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    415: ("Not accepted", "This address does not take what was sent."),
    500: ("Something went wrong", "The error has been logged. Nothing you saved before was lost."),
}
UNAVAILABLE = (
    "Briefly unavailable",
    "The site's database could not be reached, or was too busy to answer in time. Nothing you "
    "saved before was lost. If you were saving a change, check that it is there once the page "
    "loads again.",
)
# What a 503 asks a browser or an API client to wait before trying again.
RETRY_AFTER_SECONDS = 30
# Statuses whose page shows what the code that refused said, not the stock message.
OWN_WORDS = (400, 409, 415)


def register(app: Flask) -> None:
    """Render every known error status, and every refusal of the domain, with the error page."""
    for code in MESSAGES:
        app.register_error_handler(code, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(EditRefused, edit_refused)
    app.register_error_handler(WorkflowError, workflow_refused)
    app.register_error_handler(OperationalError, database_unavailable)


def error_page(code: int, title: str, message: str, template="errors/error.html", **extra):
    """Answer with the shared error page (or a variant of it)."""
    return render_template(template, code=code, title=title, message=message, **extra), code


def http_error(error: HTTPException | Exception):
    """Say what an HTTP error means here (or what the code that raised it said)."""
    code = getattr(error, "code", 500) or 500
    if request_ctx.url_adapter is None:
        return _unknown_host(code)
    if request.path.startswith(API_PREFIX + "/") and isinstance(error, HTTPException):
        return problem_response(error)  # no such API address or method: JSON, as the API speaks
    title, message = MESSAGES.get(code, MESSAGES[500])
    if getattr(error, "description", None) and code in OWN_WORDS:
        message = error.description
    if code == 409:
        security_event("conflict", reason=message[:100])
    if code == 413:
        message = _too_large_message(error)
        security_event("upload_refused", reason="request_too_large")
    # Flask has logged an unhandled exception with this request's id already.
    reference = current_request_id() if code >= 500 else None
    return error_page(code, title, message, reference=reference)


def _unknown_host(code: int):
    """Answer in plain text: the host was refused (TRUSTED_HOSTS) before any URL could be built.

    The site's layout, full of links, cannot be rendered without one.
    """
    security_event("untrusted_host", host=request.headers.get("Host", ""))
    return (
        f"{code} {MESSAGES.get(code, MESSAGES[400])[0]}: unknown host.\n",
        code,
        {"Content-Type": "text/plain; charset=utf-8"},
    )


def csrf_error(_error: CSRFError):
    message = "The form had expired or was not sent from this site. Reload the page and try again."
    return error_page(400, "Form expired", message)


def edit_refused(error: EditRefused):
    """Refuse a change the assessment's state does not allow, writing nothing."""
    db.session.rollback()
    return error_page(409, "Nothing was changed", error.message)


def workflow_refused(error: WorkflowError):
    """Refuse a status change (submit, approve, ...) with the reason, and link back."""
    db.session.rollback()
    message = str(error)
    assessment_id = (request.view_args or {}).get("assessment_id")
    security_event("conflict", reason=message[:100], assessment=assessment_id)
    back = url_for("assessments.overview", assessment_id=assessment_id) if assessment_id else None
    return error_page(409, "Nothing was changed", message, back=back)


def _too_large_message(error) -> str:
    """Name the limit when a file was too big; Werkzeug's own wording names none."""
    if error.description != RequestEntityTooLarge.description:
        return error.description
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        return too_large_message(current_app.config["EVIDENCE_MAX_BYTES"])
    return MESSAGES[413][1]


def database_unavailable(error: OperationalError):
    """Answer 503 when the database cannot be reached or stays locked, asking it nothing more.

    The page is rendered without the user's name and organisation: reading
    them would need the database again. Whoever was not yet loaded counts as
    signed out for the rest of this request (the headers, the log line).
    """
    log.error("database unavailable (503): %s", _driver_words(error), exc_info=error)
    db.session.rollback()
    if "_login_user" not in g:  # Flask-Login's per-request user: do not load it now
        g._login_user = current_app.login_manager.anonymous_user()
    title, message = UNAVAILABLE
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.path.startswith(API_PREFIX + "/"):
        response = problem_response(ServiceUnavailable(message))
    else:
        response = current_app.make_response(
            error_page(
                503, title, message, "errors/unavailable.html", reference=current_request_id()
            )
        )
    response.headers.update(headers)
    return response


def _driver_words(error: OperationalError) -> str:
    """Return the driver's error on one line: unreachable, locked, or a table not migrated yet."""
    first_line = next(iter(str(error.orig).splitlines()), "")
    return f"{type(error.orig).__name__}: {first_line}"
