"""The JSON API (`/api/v1/`): personal access tokens, the same rules as the web pages.

Built on spectree: each view names its pydantic models, and the OpenAPI 3.1
document at `/api/v1/openapi.json` is generated from them. A request is
authenticated by its bearer token only, never by the session cookie, so the
blueprint is exempt from CSRF (a browser cannot add the header cross-site).
Organisation scoping, roles, locking and the audit trail are those of the
web pages: the same `access`, `answers` and `workflow` functions do the work.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, g, jsonify, request, url_for
from flask_limiter import Limiter
from flask_login import current_user
from pydantic import ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from werkzeug.exceptions import HTTPException

from assessment import api_tokens
from assessment.access import (
    Permission,
    assessments_query,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    refuse_if_locked,
    refuse_unless_editable,
    require,
)
from assessment.answers import AnswerChange, StaleSave, record_answers
from assessment.api_models import (
    AnswerList,
    AnswerWrite,
    AssessmentPage,
    AssessmentSummary,
    CatalogueVersion,
    ListQuery,
    Problem,
    StaleAnswer,
    StoredAnswer,
    Submitted,
)
from assessment.applicability import question_applies
from assessment.catalogue_versions import catalogue_for
from assessment.editing import EditRefused
from assessment.export_document import ExportDocument, export_document
from assessment.extensions import csrf, current_catalogue, db
from assessment.importer import answer_problem
from assessment.listing import assessments_page, score_listed
from assessment.logs import security_event
from assessment.models import Answer, Assessment
from assessment.results import ScoredAssessment
from assessment.snapshot import score_stored
from assessment.workflow import WorkflowError, submit

PREFIX = "/api/v1"
DEFAULT_RATE_LIMIT = "300 per minute"
ERROR_CODES = (400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 428, 429)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)

spec = SpecTree(
    "flask",
    mode="strict",
    title="Voluntary Principles self-assessment API",
    version="1",
    description="Read and answer an organisation's assessments with a personal access token.",
    page_templates={},
    annotations=False,
    validation_error_status=422,
    validation_error_model=Problem,
    security_schemes=[
        SecurityScheme(
            name="token",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="A personal access token"
            ),
        )
    ],
    security={"token": []},
)


def _responses(**models) -> Response:
    """Return the documented answers of an operation: its own, and every refusal as a Problem."""
    refusals = {f"HTTP_{code}": Problem for code in (400, 401, 403, 404, 413, 415, 429, 503)}
    return Response(**{**refusals, **models})


def _problem(code: int, message: str, problems: list[str] | None = None, **headers):
    body = Problem(error=message, problems=problems or [])
    return current_app.response_class(body.model_dump_json(), code, headers, "application/json")


# What a refusal says when the code that refused gave no words of its own.
MESSAGES = {
    403: "Your role in this organisation, or this token's scope, does not allow that.",
    404: "There is nothing here, or the token's organisation has no access to it.",
    405: "This address does not take that method.",
    429: "Too many requests with this token: wait a little (see Retry-After) and try again.",
}


def problem_response(error: HTTPException):
    """Answer an HTTP error raised under /api/ as a JSON Problem (the views' aborts, routing)."""
    code = error.code or 500
    own_words = error.description and error.description != type(error).description
    message = error.description if own_words else MESSAGES.get(code, error.name)
    if code == 429:  # Flask-Limiter's description is the limit itself: "300 per 1 minute"
        message = f"{MESSAGES[429]} This token may send {error.description}."
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if code == 401 else {}
    return _problem(code, message, **headers)


def _refused(error: EditRefused | WorkflowError):
    """Refuse a change the assessment's state does not allow; nothing of it is written."""
    db.session.rollback()
    message = getattr(error, "message", None) or str(error)
    security_event("conflict", reason=message[:100])
    return _problem(409, message)


for _code in ERROR_CODES:
    bp.register_error_handler(_code, problem_response)
bp.register_error_handler(EditRefused, _refused)
bp.register_error_handler(WorkflowError, _refused)


def _validation_problem(_request, response, error, *_rest) -> None:
    """Rewrite spectree's list of pydantic errors as a Problem naming each place."""
    if error is None or response is None or not isinstance(error, ValidationError):
        return
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}"
        for e in error.errors(include_url=False, include_context=False)[:20]
    ]
    body = Problem(error="The request does not fit this operation.", problems=problems)
    response.set_data(body.model_dump_json())
    response.mimetype = "application/json"


spec.before = _validation_problem


def _rate_key() -> str:
    """Count requests per token (by its hash): every token has its own allowance."""
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return "api-token:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def rate_storage_uri(redis_url: str | None) -> str:
    """Return where the limiter counts: the app's Redis (`unix://` is `redis+unix://` there)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def init_app(app: Flask) -> None:
    """Limit each token's request rate, in Redis when REDIS_URL is set (else in memory)."""
    app.config.setdefault("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    app.config.setdefault("RATELIMIT_STORAGE_URI", rate_storage_uri(app.config.get("REDIS_URL")))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter = Limiter(key_func=_rate_key, app=app, default_limits=[])
    # Only the API has limits: every other request is let through before the
    # limiter looks for any (it ran on every page and every save otherwise).
    limiter.request_filter(lambda: request.blueprint != bp.name)
    limiter.limit(
        lambda: current_app.config["API_RATE_LIMIT"],
        exempt_when=lambda: request.endpoint == "api.openapi",
    )(bp)
    app.extensions["api_limiter"] = limiter


@bp.before_request
def _authenticate():
    """Take the person and organisation from the bearer token; refuse with 401 without one."""
    if request.endpoint == "api.openapi":
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, "Send a personal access token: Authorization: Bearer <token>.")
    token = api_tokens.find_token(secret.strip())
    membership = api_tokens.membership_of(token) if token is not None else None
    if token is None or membership is None:
        security_event("api_token_refused")
        abort(401, "The token is unknown, expired or revoked.")
    # This request acts as the token's person in the token's organisation, within its scope.
    g._login_user = token.user
    g.api_membership = membership
    g.api_permissions = api_tokens.token_permissions(token, membership)
    return None


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from its pydantic models."""
    return jsonify(spec.spec)


@bp.get("/assessments")
@spec.validate(query=ListQuery, resp=_responses(HTTP_200=AssessmentPage), tags=["assessments"])
def list_assessments():
    """List the organisation's assessments, newest first, with their scores."""
    wanted: ListQuery = request.context.query
    query = assessments_query()
    if wanted.status:
        query = query.where(Assessment.status == wanted.status.value)
    if wanted.service:
        name = sa.func.lower(Assessment.service_name)
        query = query.where(name.contains(wanted.service.lower(), autoescape=True))
    page = assessments_page(query, str(wanted.page), size=wanted.per_page)
    scored = score_listed(page.assessments, catalogue_for)
    return AssessmentPage(
        assessments=[_summary(a, scored[a.id]) for a in page.assessments],
        page=page.number,
        per_page=wanted.per_page,
        pages=page.pages,
        total=page.total,
    )


def _summary(assessment: Assessment, scored: ScoredAssessment) -> AssessmentSummary:
    return AssessmentSummary.model_construct(
        id=assessment.id,
        service=assessment.service_name,
        status=assessment.status,
        catalogue_version=assessment.catalogue_version,
        created_at=assessment.created_at,
        updated_at=assessment.updated_at,
        score=scored.score,
        display_score=scored.display_score,
        band=scored.band,
        band_colour=scored.band_colour,
        completion=scored.completion,
        url=url_for("api.read_assessment", assessment_id=assessment.id),
    )


@bp.get("/assessments/<int:assessment_id>")
@spec.validate(resp=_responses(HTTP_200=ExportDocument), tags=["assessments"])
def read_assessment(assessment_id: int):
    """Read an assessment with its scores: the same document as its JSON export."""
    assessment = get_assessment_or_404(assessment_id)
    return export_document(score_stored(assessment, catalogue_for(assessment), with_audit=True))


@bp.get("/assessments/<int:assessment_id>/catalogue")
@spec.validate(resp=_responses(HTTP_200=CatalogueVersion), tags=["assessments"])
def read_catalogue(assessment_id: int):
    """Read the catalogue version the assessment was answered against."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)  # the kept version, whatever the app runs now
    running = catalogue.fingerprint == current_catalogue().fingerprint
    meta = catalogue.spec.catalogue
    return CatalogueVersion.model_construct(
        id=meta.id,
        title=meta.title,
        version=assessment.catalogue_version,
        fingerprint=assessment.catalogue_fingerprint,
        running=running,
        catalogue=catalogue.spec,
    )


def _stored(question_id: str, answer: Answer | None) -> StoredAnswer:
    return StoredAnswer.model_construct(
        question_id=question_id,
        value=answer.value if answer else None,
        comment=(answer.comment or "") if answer else "",
        version=answer.version if answer else 0,
        updated_by=answer.updated_by.name if answer and answer.updated_by else "",
        updated_at=answer.updated_at if answer else None,
    )


def _etag(answer: StoredAnswer) -> str:
    return f'"{answer.version}"'


@bp.get("/assessments/<int:assessment_id>/answers")
@spec.validate(resp=_responses(HTTP_200=AnswerList), tags=["answers"])
def list_answers(assessment_id: int):
    """Read every stored answer with its version (the ETag a write must send back)."""
    assessment = get_assessment_or_404(assessment_id, with_answers=True)
    stored = assessment.answers_by_question()
    order = list(catalogue_for(assessment).questions)
    known = sorted(stored, key=lambda q: (order.index(q) if q in order else len(order), q))
    return AnswerList(assessment_id=assessment.id, answers=[_stored(q, stored[q]) for q in known])


def _question(assessment: Assessment, question_id: str):
    question = catalogue_for(assessment).questions.get(question_id)
    if question is None:
        abort(404, f"The catalogue has no question {question_id[:64]!r}.")
    return question


@bp.get("/assessments/<int:assessment_id>/answers/<question_id>")
@spec.validate(resp=_responses(HTTP_200=StoredAnswer), tags=["answers"])
def read_answer(assessment_id: int, question_id: str):
    """Read one answer; its ETag header is the version to send in If-Match when writing it."""
    _question(get_assessment_or_404(assessment_id), question_id)
    return _answer_with_etag(assessment_id, question_id)


def _if_match() -> int:
    """Return the answer version a write is based on, from If-Match (428 or 400 without one)."""
    raw = request.headers.get("If-Match")
    if raw is None:
        abort(428, 'Send If-Match with the ETag of the answer you change ("0" for a first one).')
    tag = raw.strip().removeprefix("W/")
    digits = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        abort(400, 'If-Match must be one ETag of this answer, such as "3".')
    return int(digits)


@bp.put("/assessments/<int:assessment_id>/answers/<question_id>")
@spec.validate(
    json=AnswerWrite,
    resp=_responses(
        HTTP_200=StoredAnswer, HTTP_409=Problem, HTTP_412=StaleAnswer, HTTP_428=Problem
    ),
    tags=["answers"],
)
def write_answer(assessment_id: int, question_id: str):
    """Write one answer if it is still the version If-Match names; 412 with the current one if not."""
    assessment = get_assessment_or_404(assessment_id, with_answers=[question_id[:64]])
    question = _question(assessment, question_id)
    base_version = _if_match()
    require(Permission.ANSWER)
    refuse_if_locked(assessment)
    refuse_unless_editable(assessment)
    sent: AnswerWrite | None = request.context.json
    if sent is None:
        abort(415, "Send the answer as JSON (Content-Type: application/json).")
    catalogue = catalogue_for(assessment)
    principle = catalogue.principles[catalogue.principle_of(question.id)]
    if not question_applies(principle, question, assessment.profile or {}):
        abort(422, f"{question.id} does not apply to this service, so it takes no answer.")
    problem = answer_problem(catalogue, question, sent.value)
    if problem:
        abort(422, f"value: {problem}")
    change = AnswerChange(question.id, sent.value, sent.comment.strip(), base_version)
    try:
        record_answers(assessment, current_user, [change])
    except StaleSave:
        return _stale(assessment_id, question_id)
    db.session.commit()
    return _answer_with_etag(assessment_id, question_id)


def _answer_with_etag(assessment_id: int, question_id: str):
    """Answer with one stored answer (as it is now) and its version as the ETag."""
    assessment = get_assessment_or_404(assessment_id, with_answers=[question_id])
    answer = _stored(question_id, assessment.answers_by_question().get(question_id))
    return answer, 200, {"ETag": _etag(answer)}


def _stale(assessment_id: int, question_id: str):
    """Answer 412 with the answer as it is now; nothing of the write was stored."""
    db.session.rollback()
    security_event("conflict", reason="stale_api_write", assessment=assessment_id)
    assessment = get_assessment_or_404(assessment_id, with_answers=[question_id])
    current = _stored(question_id, assessment.answers_by_question().get(question_id))
    body = StaleAnswer(
        error=(
            "This answer changed since the version If-Match names. Nothing was written: "
            "read the current answer below and write again with its ETag."
        ),
        current=current,
    )
    return body, 412, {"ETag": _etag(current)}


@bp.post("/assessments/<int:assessment_id>/submit")
@spec.validate(resp=_responses(HTTP_200=Submitted, HTTP_409=Problem), tags=["workflow"])
def submit_for_review(assessment_id: int):
    """Send the assessment to review, as the overview's button does."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.ANSWER)
    submit(assessment, current_user)
    db.session.commit()
    return Submitted(
        id=assessment.id, status=assessment.status, submitted_at=assessment.submitted_at
    )
