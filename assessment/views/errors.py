"""Error pages that say what happened, in the site's layout."""

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from assessment.editing import EditRefused
from assessment.evidence import too_large_message
from assessment.extensions import db
from assessment.logs import current_request_id, security_event

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


def register(app: Flask) -> None:
    """Render every known error status with the shared error page."""

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if request_ctx.url_adapter is None:
            # The host was refused (TRUSTED_HOSTS) before any URL could be built,
            # so the site's layout, full of links, cannot be rendered.
            security_event("untrusted_host", host=request.headers.get("Host", ""))
            return (
                f"{code} {MESSAGES.get(code, MESSAGES[400])[0]}: unknown host.\n",
                code,
                {"Content-Type": "text/plain; charset=utf-8"},
            )
        title, message = MESSAGES.get(code, MESSAGES[500])
        if getattr(error, "description", None) and code in (400, 409, 415):
            message = error.description
        if code == 409:
            security_event("conflict", reason=message[:100])
        if code == 413:
            message = _too_large_message(error)
            security_event("upload_refused", reason="request_too_large")
        # Flask has logged an unhandled exception with this request's id already.
        reference = current_request_id() if code >= 500 else None
        page = render_template(
            "errors/error.html", code=code, title=title, message=message, reference=reference
        )
        return page, code

    def csrf_handler(error):
        message = (
            "The form had expired or was not sent from this site. Reload the page and try again."
        )
        return render_template(
            "errors/error.html", code=400, title="Form expired", message=message
        ), 400

    def edit_refused(error: EditRefused):
        # Whatever the request had written so far goes: the change is refused whole.
        db.session.rollback()
        return render_template(
            "errors/error.html", code=409, title="Nothing was changed", message=error.message
        ), 409

    for code in MESSAGES:
        app.register_error_handler(code, handler)
    app.register_error_handler(CSRFError, csrf_handler)
    app.register_error_handler(EditRefused, edit_refused)


def _too_large_message(error) -> str:
    """Name the limit when a file was too big; Werkzeug's own wording names none."""
    if error.description != RequestEntityTooLarge.description:
        return error.description
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        return too_large_message(current_app.config["EVIDENCE_MAX_BYTES"])
    return MESSAGES[413][1]
