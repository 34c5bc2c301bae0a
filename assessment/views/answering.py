"""Answering, a question at a time: autosave of one question, and questions across principles."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from assessment.access import Permission, get_assessment_or_404, require
from assessment.answers import (
    StaleSave,
    answer_versions,
    conflicts_with,
    record_answers,
)
from assessment.applicability import question_applies
from assessment.assignments import current_plans
from assessment.catalogue import Catalogue, Question
from assessment.catalogue_versions import catalogue_for
from assessment.editing import EditRefused, refusal_for
from assessment.extensions import db
from assessment.forms import answer_changes, build_principle_form, field_name
from assessment.logs import security_event
from assessment.models import Assessment
from assessment.question_filters import FILTERS, matching_questions
from assessment.snapshot import previous_approved, score_stored

bp = Blueprint("answering", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


@bp.post("/<int:assessment_id>/principles/<principle_id>/questions/<question_id>")
def save_question(assessment_id: int, principle_id: str, question_id: str):
    """Save one question as soon as it changes; answer with its state, a page fragment.

    The same write path as the page's Save: the version the page saw, a
    conditional UPDATE, a refusal (409 with their answer) when someone else
    changed it meanwhile. Only this question is read, checked and written.
    """
    require(Permission.ANSWER)
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)  # the version it was answered against
    question = _question_or_404(catalogue, principle_id, question_id)
    principle = catalogue.principles[principle_id]
    if not question_applies(principle, question, assessment.profile or {}):
        abort(404)
    reason = refusal_for(assessment.status)
    if reason is not None:
        return _state(assessment, catalogue, question, "refused", 409, message=reason)
    form = build_principle_form(catalogue, [question])()
    if not form.validate_on_submit():
        by_field = form[field_name(question.id)].errors
        errors = [e for errors in by_field.values() for e in errors]
        return _state(
            assessment,
            catalogue,
            question,
            "invalid",
            422,
            errors=errors or ["Not a valid answer."],
            invalid_fields=sorted(by_field),
        )
    try:
        record_answers(assessment, current_user, answer_changes(form, [question]))
        db.session.commit()
    except StaleSave:
        db.session.rollback()
        security_event("conflict", reason="stale_save", assessment=assessment.id)
        conflict = conflicts_with(assessment, [question.id])[0]
        return _state(assessment, catalogue, question, "conflict", 409, conflict=conflict)
    except EditRefused as refusal:
        db.session.rollback()
        return _state(assessment, catalogue, question, "refused", 409, message=refusal.message)
    return _state(assessment, catalogue, question, "saved", 200)


def _question_or_404(catalogue: Catalogue, principle_id: str, question_id: str) -> Question:
    """Return the question if it is one of this principle's, else answer 404."""
    principle = catalogue.principles.get(principle_id)
    question = catalogue.questions.get(question_id)
    if principle is None or question is None or question not in principle.questions:
        abort(404)
    return question


def _state(
    assessment: Assessment,
    catalogue: Catalogue,
    question: Question,
    state: str,
    status: int,
    **details,
):
    """Answer with one question's state and the answer version the page now builds on."""
    stored = assessment.answers_by_question().get(question.id)
    version = answer_versions(assessment, [question.id])[question.id]
    fragment = render_template(
        "assessments/_question_state.html",
        q=question,
        state=state,
        answer=stored,
        version=version,
        field_name=field_name,
        catalogue=catalogue,
        **details,
    )
    return fragment, status


@bp.get("/<int:assessment_id>/questions")
def questions(assessment_id: int):
    """List the questions across every principle that match a filter, each linked to its page."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)
    chosen = request.args.get("show", "unanswered")
    if chosen not in FILTERS:
        chosen = "unanswered"
    scored = score_stored(assessment, catalogue, with_trend=False)
    previous = previous_approved(assessment) if chosen == "changed" else None
    mine = {
        pid for pid, plan in current_plans(assessment).items() if plan.owner_id == current_user.id
    }
    found = matching_questions(
        scored,
        chosen,
        mine=mine,
        previous=(
            score_stored(previous, catalogue_for(previous), with_trend=False) if previous else None
        ),
    )
    return render_template(
        "assessments/questions.html",
        assessment=assessment,
        filters=FILTERS,
        chosen=chosen,
        found=found,
        has_previous=previous is not None,
        threshold=round(catalogue.scoring.gap_threshold * 100),
    )
