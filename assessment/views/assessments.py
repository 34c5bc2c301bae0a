"""Assessments: list, create with a service profile, overview, one page per principle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

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
    Conflict,
    StaleSave,
    answer_versions,
    conflicts_with,
    record_answers,
    record_profile,
)
from assessment.applicability import applicable_questions
from assessment.catalogue import Catalogue, Principle, Question
from assessment.extensions import current_catalogue, db
from assessment.forms import (
    ConfirmForm,
    NarrativeForm,
    RequestChangesForm,
    answer_changes,
    build_principle_form,
    build_profile_form,
    field_name,
    principle_form_data,
    profile_form_data,
    profile_from_form,
    rebase,
)
from assessment.jobs import latest_job, latest_jobs
from assessment.listing import SORTS, ListFilter, assessments_page, choices, score_listed
from assessment.logs import security_event
from assessment.models import Assessment
from assessment.snapshot import score_stored
from assessment.waiting import waiting_for
from assessment.workflow import open_draft

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
    wanted = ListFilter.from_args(request.args)
    page = assessments_page(
        wanted.apply(assessments_query()), request.args.get("page", "1"), sort=wanted.sort
    )
    periods, services = choices(assessments_query())
    return render_template(
        "assessments/index.html",
        page=page,
        assessments=page.assessments,
        scored=score_listed(page.assessments, catalogue),
        jobs=latest_jobs([a.id for a in page.assessments if a.locked]),
        waiting=waiting_for(
            current_user,
            current_organisation_id(),
            may_review=can(Permission.REVIEW),
            may_answer=can(Permission.ANSWER),
            today=date.today(),
        ),
        wanted=wanted,
        periods=periods,
        services=services,
        sorts=SORTS,
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
            details={"service": service_name, "profile": profile, "period": form.period.data or ""},
            period=form.period.data or "",
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
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        scored=scored,
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


@dataclass(frozen=True)
class PrinciplePage:
    """One principle's page of one assessment: what the page shows and the form it sends."""

    assessment: Assessment
    catalogue: Catalogue
    principle: Principle
    questions: list[Question]  # the ones this service answers
    form_class: type

    @classmethod
    def load(cls, assessment_id: int, principle_id: str) -> PrinciplePage:
        """Load the page's principle and assessment (with this page's answers), or answer 404."""
        catalogue = current_catalogue()
        principle = catalogue.principles.get(principle_id)
        if principle is None:
            abort(404)
        # This page's answers only: it shows, saves and scores no others.
        own = [q.id for q in principle.questions]
        assessment = get_assessment_or_404(assessment_id, with_answers=own)
        questions = applicable_questions(principle, assessment.profile or {})
        form_class = build_principle_form(catalogue, questions)
        return cls(assessment, catalogue, principle, questions, form_class)

    def render(self, form, status: int, conflicts: Sequence[Conflict] = ()):
        """Answer with the page: the form, the principle's score and any conflicts."""
        result = score_stored(self.assessment, self.catalogue).principle(self.principle.id)
        page = render_template(
            "assessments/principle.html",
            assessment=self.assessment,
            principle=self.principle,
            theme=self.catalogue.theme_of[self.principle.id],
            result=result,
            questions=self.principle.questions,
            applicable_ids={q.id for q in self.questions},
            # Scoring already said why each out-of-scope question does not apply.
            reasons={r.id: r.scope_reason for r in result.questions},
            form=form,
            field_name=field_name,
            conflicts={c.question_id: c for c in conflicts},
            catalogue=self.catalogue,
            principle_ids=list(self.catalogue.principles),
            editable=may_answer(self.assessment),
        )
        return page, status


@bp.route("/<int:assessment_id>/principles/<principle_id>", methods=["GET", "POST"])
def principle(assessment_id: int, principle_id: str):
    """Answer one principle's questions; a page that fails validation saves nothing."""
    page = PrinciplePage.load(assessment_id, principle_id)
    if request.method == "GET":
        stored = page.assessment.answers_by_question()
        return page.render(page.form_class(data=principle_form_data(page.questions, stored)), 200)
    require(Permission.ANSWER)
    refuse_unless_editable(page.assessment)
    form = page.form_class()
    if not form.validate_on_submit():
        flash("Nothing was saved: correct the answers marked below.", "error")
        return page.render(form, 422)
    count = record_answers(page.assessment, current_user, answer_changes(form, page.questions))
    db.session.commit()
    flash(f"Saved: {count} answer{'s' if count != 1 else ''} changed.", "success")
    target = page.principle.id
    if form.save_next.data:
        target = page.catalogue.principle_after(page.principle.id)
        if target is None:
            return redirect(url_for("assessments.overview", assessment_id=assessment_id))
    return redirect(
        url_for("assessments.principle", assessment_id=assessment_id, principle_id=target)
    )


@bp.errorhandler(StaleSave)
def stale_save(stale: StaleSave):
    """Show the page again with what was sent and, beside it, the answers saved meanwhile."""
    db.session.rollback()  # nothing of the page is written
    page = PrinciplePage.load(**request.view_args)
    security_event("conflict", reason="stale_save", assessment=page.assessment.id)
    flash(
        "Someone else changed answers on this page since you opened it. "
        "Nothing was saved: compare with their answers below, then save again.",
        "error",
    )
    form = page.form_class()  # what this person sent
    rebase(form, answer_versions(page.assessment, [q.id for q in page.questions]))
    return page.render(form, 409, conflicts_with(page.assessment, stale.question_ids))
