"""Assessments: list, create with a service profile, overview, one page per principle."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager

from assessment.access import (
    Permission,
    assessments_query,
    can,
    current_organisation_id,
    get_assessment_or_404,
    may_answer,
    refuse_unless_editable,
    require,
)
from assessment.answers import (
    AnswerChange,
    StaleSave,
    conflicts_with,
    record_answers,
    record_profile,
)
from assessment.applicability import question_applies
from assessment.extensions import current_catalogue, db
from assessment.forms import (
    ApproveForm,
    ConfirmForm,
    NarrativeForm,
    RequestChangesForm,
    answer_from_field,
    build_principle_form,
    build_profile_form,
    field_name,
    profile_form_data,
    profile_from_form,
)
from assessment.jobs import latest_job, latest_jobs
from assessment.listing import assessments_page, score_listed
from assessment.logs import security_event
from assessment.models import Assessment, Assignment, Status
from assessment.snapshot import score_stored
from assessment.workflow import latest_event_id, open_draft, review_fingerprint

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


@bp.get("/")
def index():
    """List the organisation's assessments, a page at a time, with their overall score."""
    catalogue = current_catalogue()
    page = assessments_page(assessments_query(), request.args.get("page", "1"))
    mine = db.session.scalars(
        sa.select(Assignment)
        .join(Assessment)
        .where(
            Assessment.organisation_id == current_organisation_id(),
            Assessment.status != Status.APPROVED,
            Assignment.owner_id == current_user.id,
        )
        .options(contains_eager(Assignment.assessment))
        .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
    ).all()
    return render_template(
        "assessments/index.html",
        page=page,
        assessments=page.assessments,
        scored=score_listed(page.assessments, catalogue),
        jobs=latest_jobs([a.id for a in page.assessments if a.locked]),
        mine=mine,
        catalogue=catalogue,
        today=date.today(),
        can_answer=can(Permission.ANSWER),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create an assessment for a named service, starting with its service profile."""
    require(Permission.ANSWER)
    catalogue = current_catalogue()
    form = build_profile_form(catalogue, with_service_name=True)()
    if form.validate_on_submit():
        service_name = form.service_name.data.strip()
        profile = profile_from_form(catalogue, form)
        assessment = open_draft(
            catalogue,
            organisation_id=current_organisation_id(),
            service_name=service_name,
            profile=profile,
            user=current_user,
            details={"service": service_name, "profile": profile},
        )
        db.session.commit()
        flash(f"Assessment of {assessment.service_name} created.", "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    status = 422 if form.errors else 200
    return render_template("assessments/new.html", form=form, catalogue=catalogue), status


@bp.get("/<int:assessment_id>/")
def overview(assessment_id: int):
    """Show each principle's completion and score, and the downloads."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = current_catalogue()
    scored = score_stored(assessment, catalogue)
    approve_form = None
    if assessment.in_review and can(Permission.REVIEW):
        # The approval names exactly what this page shows; it is refused if that changes.
        approve_form = ApproveForm(
            fingerprint=review_fingerprint(assessment, catalogue),
            seen_event=str(latest_event_id(assessment)),
        )
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        scored=scored,
        approve_form=approve_form,
        job=latest_job(assessment.id) if assessment.locked else None,
        confirm=ConfirmForm(),
        changes_form=RequestChangesForm(),
        narrative_form=NarrativeForm(narrative=assessment.public_narrative),
        can_answer=can(Permission.ANSWER),
        can_review=can(Permission.REVIEW),
        can_assign=can(Permission.ASSIGN),
    )


@bp.route("/<int:assessment_id>/profile", methods=["GET", "POST"])
def profile(assessment_id: int):
    """Edit the service profile that decides which questions apply."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = current_catalogue()
    form_class = build_profile_form(catalogue, with_service_name=False)
    if request.method == "POST":
        require(Permission.ANSWER)
        refuse_unless_editable(assessment)
        form = form_class()
        if form.validate_on_submit():
            if record_profile(assessment, current_user, profile_from_form(catalogue, form)):
                db.session.commit()
                flash("Service profile saved; the questions in scope are updated.", "success")
            return redirect(url_for("assessments.overview", assessment_id=assessment_id))
        status = 422
    else:
        form = form_class(data=profile_form_data(catalogue, assessment.profile or {}))
        status = 200
    return (
        render_template(
            "assessments/profile.html",
            assessment=assessment,
            form=form,
            editable=may_answer(assessment),
        ),
        status,
    )


@bp.route("/<int:assessment_id>/principles/<principle_id>", methods=["GET", "POST"])
def principle(assessment_id: int, principle_id: str):
    """Answer one principle's questions; a page that fails validation saves nothing."""
    assessment = get_assessment_or_404(assessment_id, with_answers=True)
    catalogue = current_catalogue()
    the_principle = catalogue.principles.get(principle_id)
    if the_principle is None:
        abort(404)
    profile = assessment.profile or {}
    applicable = [q for q in the_principle.questions if question_applies(the_principle, q, profile)]
    stored = assessment.answers_by_question()
    form_class = build_principle_form(catalogue, applicable)
    conflicts = []
    status = 200

    if request.method == "POST":
        require(Permission.ANSWER)
        refuse_unless_editable(assessment)
        form = form_class()
        if form.validate_on_submit():
            changes = []
            for question in applicable:
                sub = form[field_name(question.id)]
                changes.append(
                    AnswerChange(
                        question_id=question.id,
                        value=answer_from_field(question, sub.answer.data),
                        comment=(sub.comment.data or "").strip(),
                        base_version=int(sub.base_version.data or 0),
                    )
                )
            try:
                count = record_answers(assessment, current_user, changes)
            except StaleSave as stale:
                db.session.rollback()
                assessment = get_assessment_or_404(assessment_id)
                conflicts = conflicts_with(assessment, stale.question_ids)
                status = 409
                security_event("conflict", reason="stale_save", assessment=assessment.id)
                flash(
                    "Someone else changed answers on this page since you opened it. "
                    "Nothing was saved: compare with their answers below, then save again.",
                    "error",
                )
                stored = assessment.answers_by_question()
                for question in applicable:
                    current = stored.get(question.id)
                    form[field_name(question.id)].base_version.data = str(
                        current.version if current else 0
                    )
            else:
                db.session.commit()
                flash(f"Saved: {count} answer{'s' if count != 1 else ''} changed.", "success")
                target = the_principle.id
                if form.save_next.data:
                    ids = list(catalogue.principles)
                    position = ids.index(the_principle.id)
                    if position + 1 < len(ids):
                        target = ids[position + 1]
                    else:
                        return redirect(
                            url_for("assessments.overview", assessment_id=assessment_id)
                        )
                return redirect(
                    url_for(
                        "assessments.principle", assessment_id=assessment_id, principle_id=target
                    )
                )
        else:
            status = 422
            flash("Nothing was saved: correct the answers marked below.", "error")
    else:
        data = {}
        for question in applicable:
            answer = stored.get(question.id)
            data[field_name(question.id)] = {
                "answer": answer.value if answer else None,
                "comment": answer.comment if answer else "",
                "base_version": str(answer.version if answer else 0),
            }
        form = form_class(data=data)

    result = score_stored(assessment, catalogue).principle(the_principle.id)
    return (
        render_template(
            "assessments/principle.html",
            assessment=assessment,
            principle=the_principle,
            theme=catalogue.theme_of[the_principle.id],
            result=result,
            questions=the_principle.questions,
            applicable_ids={q.id for q in applicable},
            # Scoring already said why each out-of-scope question does not apply.
            reasons={r.id: r.scope_reason for r in result.questions},
            form=form,
            field_name=field_name,
            conflicts={c.question_id: c for c in conflicts},
            catalogue=catalogue,
            principle_ids=list(catalogue.principles),
            editable=may_answer(assessment),
        ),
        status,
    )
