"""Assessments: list, create with a service profile, overview, one page per principle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from assessment.catalogue import Catalogue, Principle, Question, is_answered
from assessment.catalogue_versions import catalogue_for
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
    sent_answers,
    sent_back_untouched,
)
from assessment.jobs import latest_job, latest_jobs
from assessment.listing import SORTS, ListFilter, assessments_page, choices, score_listed
from assessment.logs import security_event
from assessment.models import Assessment
from assessment.page_save import StoredAnswer, assessment_to_save_or_404, page_question_ids
from assessment.progress import (
    PrincipleProgress,
    answered_question_ids,
    next_in_scope,
    principle_progress,
)
from assessment.question_filters import FILTERS
from assessment.snapshot import score_stored
from assessment.views.evidence import act_on_evidence, typed_evidence_added
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
        scored=score_listed(page.assessments, catalogue_for),
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
    catalogue = catalogue_for(assessment)
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
        can_upgrade=can(Permission.UPGRADE),
        upgrade_available=assessment.content_editable and catalogue is not current_catalogue(),
        current_catalogue_version=current_catalogue().version,
        scored_catalogue=catalogue,
        to_confirm=_carried_by_principle(assessment, catalogue),
    )


def _carried_by_principle(assessment: Assessment, catalogue: Catalogue) -> list[tuple[str, int]]:
    """Count each principle's carried-forward answers still to confirm, in catalogue order."""
    carried = {
        a.question_id for a in assessment.answers if a.carried_forward and is_answered(a.value)
    }
    counts = [
        (principle.id, sum(q.id in carried for q in principle.questions))
        for principle in catalogue.principles.values()
    ]
    return [(principle_id, count) for principle_id, count in counts if count]


@bp.route("/<int:assessment_id>/profile", methods=["GET", "POST"])
def profile(assessment_id: int):
    """Edit the service profile that decides which questions apply."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)
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


def _with_answers_of(assessment_id: int, catalogue: Catalogue, principle_id: str) -> Assessment:
    """Load the assessment with the answers of one principle of this catalogue (or none)."""
    principle = catalogue.principles.get(principle_id)
    own = [q.id for q in principle.questions] if principle is not None else False
    return get_assessment_or_404(assessment_id, with_answers=own)


def _to_save(
    assessment_id: int, catalogue: Catalogue, principle_id: str
) -> tuple[Assessment, dict[str, StoredAnswer]]:
    """Load the assessment and, as plain rows, the answers of one principle of this catalogue."""
    return assessment_to_save_or_404(assessment_id, page_question_ids(catalogue, principle_id))


@dataclass(frozen=True)
class PrinciplePage:
    """One principle's page of one assessment: what the page shows and the form it sends."""

    assessment: Assessment
    catalogue: Catalogue
    principle: Principle
    questions: list[Question]  # the ones this service answers
    stored: Mapping[str, Any]  # this page's stored answers, by question id

    @property
    def form_class(self) -> type:
        """Return the page's form (built once per catalogue and questions, then remembered)."""
        return build_principle_form(self.catalogue, self.questions)

    @classmethod
    def load(cls, assessment_id: int, principle_id: str) -> PrinciplePage:
        """Load the page's principle and assessment (with this page's answers), or answer 404."""
        # This page's answers only: it shows, saves and scores no others. Most
        # assessments use the running catalogue; one on an older version is read again.
        assessment = _with_answers_of(assessment_id, current_catalogue(), principle_id)
        catalogue = catalogue_for(assessment)
        if catalogue is not current_catalogue():
            db.session.expire(assessment)
            assessment = _with_answers_of(assessment_id, catalogue, principle_id)
        return cls._of(assessment, catalogue, principle_id, assessment.answers_by_question())

    @classmethod
    def load_to_save(cls, assessment_id: int, principle_id: str) -> PrinciplePage:
        """Load the page for a save: as `load`, with this page's answers as plain rows."""
        assessment, stored = _to_save(assessment_id, current_catalogue(), principle_id)
        catalogue = catalogue_for(assessment)
        if catalogue is not current_catalogue():
            assessment, stored = _to_save(assessment_id, catalogue, principle_id)
        return cls._of(assessment, catalogue, principle_id, stored)

    @classmethod
    def _of(
        cls, assessment: Assessment, catalogue: Catalogue, principle_id: str, stored: Mapping
    ) -> PrinciplePage:
        principle = catalogue.principles.get(principle_id)
        if principle is None:
            abort(404)
        questions = applicable_questions(principle, assessment.profile or {})
        return cls(assessment, catalogue, principle, questions, stored)

    def render(self, form, status: int, conflicts: Sequence[Conflict] = ()):
        """Answer with the page: the form, the principle's score, the navigator and any conflicts."""
        result = score_stored(self.assessment, self.catalogue).principle(self.principle.id)
        progress = self.progress()
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
            progress=progress,
            next_id=next_in_scope(progress, self.principle.id),
            stored=self.assessment.answers_by_question(),
            question_filters=FILTERS,
            open_evidence=request.args.get("evidence", ""),
        )
        return page, status

    def touched_questions(self) -> list[Question]:
        """Return the page's questions whose sent answer or comment may differ from the stored one.

        The others were sent back exactly as the page showed them: reading
        and validating them would change nothing, and it was most of a save's
        work when one answer of a page changed.
        """
        stored, sent = self.stored, request.form
        return [q for q in self.questions if not sent_back_untouched(q, stored.get(q.id), sent)]

    def progress(self) -> list[PrincipleProgress]:
        """Return where every principle of this assessment stands, for the navigator."""
        answered = answered_question_ids(self.assessment.id)
        return principle_progress(self.catalogue, self.assessment.profile or {}, answered)


@bp.route("/<int:assessment_id>/principles/<principle_id>", methods=["GET", "POST"])
def principle(assessment_id: int, principle_id: str):
    """Answer one principle's questions: valid answers save, each invalid one shows its error."""
    if request.method == "GET":
        page = PrinciplePage.load(assessment_id, principle_id)
        data = principle_form_data(page.questions, page.stored)
        return page.render(page.form_class(data=data), 200)
    page = PrinciplePage.load_to_save(assessment_id, principle_id)
    require(Permission.ANSWER)
    refuse_unless_editable(page.assessment)
    sent = page.touched_questions()
    form = sent_answers(page.catalogue, sent, request.form)  # CSRFProtect checked the token
    valid = [q for q in sent if not form[field_name(q.id)].errors]
    user = current_user._get_current_object()  # read often below: the proxy resolves once
    count = record_answers(page.assessment, user, answer_changes(form, valid), page.stored)
    db.session.commit()
    acted_on = act_on_evidence(page.assessment, request.form.get("evidence", ""))
    if acted_on is None:
        typed_evidence_added(page.assessment, page.questions)
    refused = len(sent) - len(valid)
    if refused:
        page = PrinciplePage.load(assessment_id, principle_id)  # to show, as a page is shown
        form = page.form_class()  # the whole page again, each refused answer with its error
        form.validate()
        # Saved answers are now at new versions; the refused ones stay based on what was seen.
        kept = [q.id for q in page.questions if q in valid or q not in sent]
        rebase(form, answer_versions(page.assessment, kept))
        flash(_partly_saved(count, refused), "error")
        return page.render(form, 422)
    if count or acted_on is None:
        flash(f"Saved: {count} answer{'s' if count != 1 else ''} changed.", "success")
    return redirect(_after_save(page, acted_on))


def _partly_saved(count: int, refused: int) -> str:
    """Say what a page save with invalid answers did and did not keep."""
    if not count:
        return "Nothing was saved: correct the answers marked below."
    return (
        f"Saved: {count} answer{'s' if count != 1 else ''} changed. "
        f"{refused} answer{'s were' if refused != 1 else ' was'} not saved: "
        "correct the answers marked below."
    )


def _after_save(page: PrinciplePage, acted_on: str | None) -> str:
    """Return where a saved page goes: its evidence, the next principle in scope, or itself."""
    # From the URL, not `page.assessment.id`: the commit expired the assessment, and
    # reading its id would load it again in a transaction of its own.
    assessment_id, target = request.view_args["assessment_id"], page.principle.id
    if acted_on is not None:
        return url_for(
            "assessments.principle",
            assessment_id=assessment_id,
            principle_id=target,
            evidence=acted_on,
            _anchor=acted_on,
        )
    if request.form.get("save_next"):  # the page's "Save and go to the next principle"
        target = next_in_scope(page.progress(), page.principle.id)
        if target is None:
            return url_for("assessments.overview", assessment_id=assessment_id)
    return url_for("assessments.principle", assessment_id=assessment_id, principle_id=target)


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
