"""Evidence per question: add links, upload documents, download and delete them."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from assessment import evidence_changes
from assessment.access import (
    Permission,
    can,
    current_organisation_id,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    not_found,
    refuse_unless_editable,
    require,
)
from assessment.catalogue import Question
from assessment.catalogue_versions import catalogue_for
from assessment.db import outside_transaction
from assessment.evidence import (
    ACCEPT,
    RefusedUpload,
    TooLarge,
    check_link,
    label_of,
    store_upload,
)
from assessment.extensions import db
from assessment.formatting import human_size
from assessment.forms import ConfirmForm, LinkForm, UploadForm, field_name
from assessment.inputs import parse_id
from assessment.logs import security_event
from assessment.models import CONTENT_EDITABLE, Assessment, Evidence
from assessment.storage import FileSystemStorage, evidence_storage, read_document

bp = Blueprint("evidence", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every route here needs a signed-in member of an organisation."""
    current_organisation_id()


@bp.app_context_processor
def _template_helpers():
    """Give templates what the evidence partials need, without touching other views."""
    return {
        "evidence_of": evidence_of,
        "evidence_editable": evidence_editable,
        "evidence_error": pop_evidence_error,
        "evidence_accept": ACCEPT,
        "evidence_limit": lambda: human_size(current_app.config["EVIDENCE_MAX_BYTES"]),
        "evidence_label": label_of,
        "human_size": human_size,
    }


def evidence_of(assessment: Assessment, question_id: str) -> list[Evidence]:
    """Return one question's evidence, oldest first."""
    return [item for item in assessment.evidence if item.question_id == question_id]


def evidence_editable(assessment: Assessment) -> bool:
    """Return whether the signed-in user may add or delete evidence here."""
    if "evidence_may_answer" not in g:
        g.evidence_may_answer = can(Permission.ANSWER)
    return g.evidence_may_answer and assessment.content_editable


def pop_evidence_error(question_id: str) -> str | None:
    """Return, once, the refusal of the last evidence sent for this question."""
    stashed = session.get("evidence_error")
    if stashed and stashed.get("question") == question_id:
        session.pop("evidence_error")
        return stashed.get("message")
    return None


@bp.post("/<int:assessment_id>/questions/<question_id>/evidence/link")
def add_link(assessment_id: int, question_id: str):
    """Add a web link as evidence for one question."""
    assessment, question = _changeable(assessment_id, question_id)
    link_added(assessment, question, LinkForm())
    return _back(assessment, question.id)


@bp.post("/<int:assessment_id>/questions/<question_id>/evidence/upload")
def upload(assessment_id: int, question_id: str):
    """Store an uploaded document as evidence, if its content is an accepted type."""
    assessment, question = _changeable(assessment_id, question_id)
    document_uploaded(assessment, question, UploadForm())
    return _back(assessment, question.id)


def link_added(assessment: Assessment, question: Question, form: LinkForm) -> bool:
    """Add the link the form names, committing; say what happened; return whether it was added."""
    if not form.validate_on_submit():
        return _refused(question, _first_error(form))
    try:
        url = check_link(form.url.data)
    except ValueError as problem:
        return _refused(question, str(problem))
    item = evidence_changes.add_link(
        assessment, question.id, current_user, form.title.data.strip(), url
    )
    db.session.commit()
    flash(f"Link “{item.title}” added to {question.id}.", "success")
    return True


def document_uploaded(assessment: Assessment, question: Question, form: UploadForm) -> bool:
    """Store the document the form carries, committing; say what happened; 413 when too large."""
    if not form.validate_on_submit():
        return _refused(question, _first_error(form))
    storage = evidence_storage()
    sent = form.file.data
    try:
        # Reading and checking the document takes a while: no lock held meanwhile.
        with outside_transaction(db.session):
            stored = store_upload(
                sent.stream,
                sent.filename or "",
                storage.scratch_dir(),
                current_app.config["EVIDENCE_MAX_BYTES"],
                keep=storage.keep,
            )
    except TooLarge as refusal:
        security_event("upload_refused", reason="too_large", filename=sent.filename or "")
        abort(413, refusal.message)
    except RefusedUpload as refusal:
        security_event("upload_refused", reason=refusal.message[:80], filename=sent.filename or "")
        return _refused(question, refusal.message)
    try:
        evidence_changes.add_document(assessment, question.id, current_user, stored, storage)
        db.session.commit()
    except BaseException:
        # A row that did not commit must not leave its bytes behind.
        db.session.rollback()
        storage.discard(stored.storage_key)
        raise
    flash(f"{stored.label} “{stored.filename}” uploaded to {question.id}.", "success")
    return True


@bp.get("/<int:assessment_id>/evidence/<int:evidence_id>")
def download(assessment_id: int, evidence_id: int):
    """Send a stored document as an attachment that the browser will not render."""
    assessment = get_assessment_or_404(assessment_id)
    require(Permission.VIEW)
    item = evidence_or_404(assessment, evidence_id)
    if item.kind != "file":
        abort(404)
    document = read_document(item)
    if document is None:
        abort(404)
    response = send_file(
        document if isinstance(document, Path) else io.BytesIO(document),
        mimetype=item.media_type,
        as_attachment=True,
        download_name=item.filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:assessment_id>/evidence/<int:evidence_id>/delete")
def delete(assessment_id: int, evidence_id: int):
    """Remove one piece of evidence, and its stored bytes."""
    assessment = get_assessment_or_404(assessment_id)
    require(Permission.ANSWER)
    refuse_unless_editable(assessment)
    item = evidence_or_404(assessment, evidence_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _back(assessment, evidence_removed(assessment, item))


def evidence_removed(assessment: Assessment, item: Evidence) -> str:
    """Remove one piece of evidence and its bytes, committing; return its question's id."""
    question_id, storage_key, name = item.question_id, item.storage_key, _name(item)
    evidence_changes.remove_evidence(assessment, item, current_user)
    db.session.commit()
    if storage_key:
        # After the commit: a failed delete keeps both the row and its bytes.
        FileSystemStorage(_evidence_dir()).discard(storage_key)
    flash(f"“{name}” removed from {question_id}.", "success")
    return question_id


def _changeable(assessment_id: int, question_id: str) -> tuple[Assessment, Question]:
    """Return the assessment and question a change is for, or refuse: 404, 403 or 409."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    question = catalogue_for(assessment).questions.get(question_id)
    if question is None:
        abort(404)
    return assessment, question


def evidence_or_404(assessment: Assessment, evidence_id: int) -> Evidence:
    """Return evidence of this (already organisation-scoped) assessment, or answer 404."""
    item = db.session.scalars(
        sa.select(Evidence).where(
            Evidence.id == evidence_id,
            Evidence.assessment_id == assessment.id,
            Evidence.organisation_id == assessment.organisation_id,
        )
    ).first()
    if item is None:
        not_found(Evidence, evidence_id)
    return item


def _evidence_dir() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"])


def _name(item: Evidence) -> str:
    return item.title or item.filename or item.url


def _first_error(form: FlaskForm) -> str:
    for field in form:
        if field.errors:
            label = field.label.text if field.type != "CSRFTokenField" else "Form"
            return f"{label}: {field.errors[0]}"
    return "The form could not be read; reload the page and try again."


def _refused(question: Question, message: str) -> bool:
    """Say why nothing was added, at the top of the page and next to the question."""
    flash(f"{question.id}: nothing was added. {message}", "error")
    session["evidence_error"] = {"question": question.id, "message": message}
    return False


def _back(assessment: Assessment, question_id: str):
    """Redirect to the question on its principle's page, or to the overview."""
    catalogue = catalogue_for(assessment)
    for principle in catalogue.principles.values():
        if any(q.id == question_id for q in principle.questions):
            url = url_for(
                "assessments.principle",
                assessment_id=assessment.id,
                principle_id=principle.id,
                _anchor=question_id,
            )
            return redirect(url)
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


def evidence_prefix(question_id: str) -> str:
    """Return the prefix of a question's evidence fields inside its principle's page form."""
    return f"{field_name(question_id)}-evidence"


def act_on_evidence(assessment: Assessment, action: str) -> str | None:
    """Carry out the evidence button pressed in a principle's page form; return its question.

    The page's answers are saved before this runs, so adding or removing
    evidence never discards what was typed. `link:P1.1`, `upload:P1.1` or
    `remove:<evidence id>`; anything else (the Save buttons) does nothing.
    """
    kind, _, key = action.partition(":")
    if not kind:
        return None
    if kind == "remove":
        evidence_id = parse_id(key)
        if evidence_id is None:
            abort(404)
        return evidence_removed(assessment, evidence_or_404(assessment, evidence_id))
    if kind not in ("link", "upload"):
        return None
    question = catalogue_for(assessment).questions.get(key)
    if question is None:
        abort(404)
    # The page form carried the CSRF token (CSRFProtect checked it); these are its parts.
    options = {"prefix": evidence_prefix(question.id), "meta": {"csrf": False}}
    if kind == "link":
        link_added(assessment, question, LinkForm(**options))
    else:
        document_uploaded(assessment, question, UploadForm(**options))
    return question.id


def typed_evidence_added(assessment: Assessment, questions: list[Question]) -> None:
    """Add the links and documents typed or chosen on the page when Save was pressed instead.

    Nothing typed is lost: a link with its title and address, or a chosen
    document, is added as if its own button had been pressed.
    """
    # Read once: every lookup through `request` costs, and a missing key in
    # werkzeug's dicts raises (and catches) an exception. A page saved without
    # a document chosen sends no files at all.
    form, files = request.form, request.files
    for question in questions:
        prefix = evidence_prefix(question.id)
        title = form.get(f"{prefix}-title", "").strip()
        url = form.get(f"{prefix}-url", "").strip()
        if title or url:
            link_added(assessment, question, LinkForm(prefix=prefix, meta={"csrf": False}))
        sent = files.get(f"{prefix}-file") if files else None
        if sent is not None and sent.filename:
            document_uploaded(assessment, question, UploadForm(prefix=prefix, meta={"csrf": False}))
