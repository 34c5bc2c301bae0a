"""Review and sign-off, owners and due dates, and the history of every change."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from assessment import jobs
from assessment.access import (
    Permission,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    refuse_unless_editable,
    require,
)
from assessment.assignments import current_plans, members_of, record_assignments
from assessment.catalogue import Catalogue
from assessment.catalogue_versions import catalogue_for
from assessment.comments import threads_of
from assessment.extensions import current_catalogue, db
from assessment.forms import (
    ApproveForm,
    ConfirmForm,
    NarrativeForm,
    RequestChangesForm,
    assignment_form_data,
    assignment_plans,
    build_assignment_form,
    field_name,
)
from assessment.history import HistoryFilter, history_csv, history_page, parse_date
from assessment.inputs import parse_id
from assessment.models import (
    CONTENT_EDITABLE,
    PLANNING_EDITABLE,
    Assessment,
    Job,
    JobState,
)
from assessment.review_forms import ConfirmCarriedForm, PeriodForm, SubmitForm
from assessment.snapshot import score_stored
from assessment.workflow import (
    WorkflowError,
    approve,
    confirm_carried,
    latest_event_id,
    record_narrative,
    record_period,
    request_changes,
    review_fingerprint,
    start_next_cycle,
    submit,
)

bp = Blueprint("review", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


def _back(assessment: Assessment):
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


def _refused(assessment: Assessment, message: str):
    """Answer 422 with a page that says why the form was not taken, and links back."""
    page = render_template(
        "errors/error.html",
        code=422,
        title="Nothing was changed",
        message=message,
        back=url_for("assessments.overview", assessment_id=assessment.id),
    )
    return page, 422


def _still_open(assessment: Assessment) -> tuple[list, list]:
    """Return the applicable questions still unanswered, and those carried forward unconfirmed."""
    scored = score_stored(assessment, catalogue_for(assessment), with_trend=False)
    questions = [q for q in scored.questions if q.applicable]
    unanswered = [q for q in questions if not q.answered]
    unconfirmed = [q for q in questions if q.carried_forward]
    return unanswered, unconfirmed


@bp.get("/<int:assessment_id>/submit")
def submit_check(assessment_id: int):
    """Before submitting: list what is still unanswered or unconfirmed, and ask to go on."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    unanswered, unconfirmed = _still_open(assessment)
    return render_template(
        "review/submit.html",
        assessment=assessment,
        unanswered=unanswered,
        unconfirmed=unconfirmed,
        form=SubmitForm(incomplete_ok="yes"),
    )


@bp.post("/<int:assessment_id>/submit")
def submit_for_review(assessment_id: int):
    """Send the assessment to review; with questions still open, only once the person saw them."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.ANSWER)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.acknowledged and any(_still_open(assessment)):
        return redirect(url_for("review.submit_check", assessment_id=assessment.id))
    submit(assessment, current_user)
    db.session.commit()
    flash("Submitted for review. Reviewers can now approve it or request changes.", "success")
    return _back(assessment)


@bp.post("/<int:assessment_id>/request-changes")
def request_changes_view(assessment_id: int):
    """Return the assessment to its respondents with the reviewer's comment."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    form = RequestChangesForm()
    if not form.validate_on_submit():
        reason = "; ".join(form.comment.errors or ["the form was damaged"])
        return _refused(assessment, f"Changes were not requested: {reason}")
    request_changes(assessment, current_user, form.comment.data)
    db.session.commit()
    flash("Changes requested; the respondents see your comment on the overview.", "success")
    return _back(assessment)


def _approval_page(assessment: Assessment, form: ApproveForm, status: int = 200):
    """Show what an approval signs off: score, completion, fingerprint, and the statement."""
    catalogue = catalogue_for(assessment)
    scored = score_stored(assessment, catalogue, with_trend=False)
    unanswered, unconfirmed = _still_open(assessment)
    page = render_template(
        "review/approve.html",
        assessment=assessment,
        scored=scored,
        form=form,
        attestation=current_app.config["ATTESTATION_TEXT"],
        unanswered=unanswered,
        unconfirmed=unconfirmed,
        open_threads=threads_of(assessment.id, open_only=True),
        own_submission=assessment.submitted_by_id == current_user.id,
        changes_form=RequestChangesForm(),
    )
    return page, status


@bp.get("/<int:assessment_id>/approve")
def approve_page(assessment_id: int):
    """Show the approval: what is approved and the attestation the approver confirms."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    if not assessment.in_review:
        return _back(assessment)
    # The approval names exactly what this page shows; it is refused if that changes.
    form = ApproveForm(
        fingerprint=review_fingerprint(assessment, catalogue_for(assessment)),
        seen_event=str(latest_event_id(assessment)),
    )
    return _approval_page(assessment, form)


@bp.post("/<int:assessment_id>/approve")
def approve_view(assessment_id: int):
    """Approve and lock what the reviewer read; its PDF is issued by a job after the commit."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.attest.data and assessment.in_review and (form.fingerprint.data or "").strip():
        flash("Nothing was approved: tick the box to confirm the statement first.", "error")
        form.attest.errors = ["Tick the box to confirm the statement."]
        return _approval_page(assessment, form, 422)
    job = approve(
        assessment,
        current_user,
        catalogue_for(assessment),
        seen_fingerprint=(form.fingerprint.data or "").strip(),
        seen_event_id=form.seen_event_id(),
        attestation=current_app.config["ATTESTATION_TEXT"] if form.attest.data else "",
    )
    job_id = job.id
    db.session.commit()
    flash(f"Approved and locked. {ISSUING[jobs.dispatch(job_id)]}", "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment_id))


ISSUING = {
    JobState.DONE: "The issued PDF is stored; downloads serve exactly these bytes.",
    JobState.QUEUED: "The issued PDF is queued for rendering; this page shows when it is stored.",
    JobState.RENDERING: "The issued PDF is being rendered; this page shows when it is stored.",
    JobState.FAILED: "Rendering the issued PDF failed; retry it below. The approval stands.",
}


@bp.post("/<int:assessment_id>/jobs/<int:job_id>/retry")
def retry_job(assessment_id: int, job_id: int):
    """Run a failed (or stalled) job of this assessment again."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW, locked_ok=True)
    job = db.session.scalars(
        sa.select(Job).where(Job.id == job_id, Job.assessment_id == assessment.id)
    ).first()
    if job is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not jobs.retry_job(job):
        raise WorkflowError("This job is not failed or stalled, so it was not retried.")
    db.session.commit()
    flash(f"Started again. {ISSUING[jobs.dispatch(job_id)]}", "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment_id))


@bp.post("/<int:assessment_id>/next-cycle")
def next_cycle(assessment_id: int):
    """Start a new draft for the same service from an approved assessment."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.ANSWER, locked_ok=True)
    form = PeriodForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _refused(assessment, "; ".join(form.period.errors))
    draft = start_next_cycle(assessment, current_user, current_catalogue(), form.period.data or "")
    db.session.commit()
    flash(
        f"New draft started for {draft.service_name}, with the answers carried forward: "
        'each is marked "carried forward: confirm" until someone confirms it still holds. '
        "Uploaded files stay with the approved assessment; attach them again where still valid.",
        "success",
    )
    return _back(draft)


@bp.post("/<int:assessment_id>/period")
def period(assessment_id: int):
    """Name the cycle the assessment covers (while it is a draft or returned)."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    form = PeriodForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _refused(assessment, "The period was not saved: " + "; ".join(form.period.errors))
    if record_period(assessment, current_user, form.period.data or ""):
        db.session.commit()
        flash("Period saved.", "success")
    return _back(assessment)


@bp.post("/<int:assessment_id>/principles/<principle_id>/confirm")
def confirm(assessment_id: int, principle_id: str):
    """Confirm carried-forward answers still hold: one question, or all of a principle."""
    principle = catalogue_for(get_assessment_or_404(assessment_id)).principles.get(principle_id)
    if principle is None:
        abort(404)
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    form = ConfirmCarriedForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [q.id for q in principle.questions]
    wanted = (form.question.data or "").strip()
    if wanted:
        if wanted not in ids:
            abort(404)
        ids = [wanted]
    confirmed = confirm_carried(assessment, current_user, ids)
    db.session.commit()
    count = len(confirmed)
    flash(
        f"Confirmed {count} carried-forward answer{'s' if count != 1 else ''}."
        if count
        else "Nothing to confirm: these answers were confirmed already.",
        "success",
    )
    target = url_for(
        "assessments.principle",
        assessment_id=assessment.id,
        principle_id=principle_id,
        _anchor=wanted or None,
    )
    return redirect(target)


@bp.post("/<int:assessment_id>/narrative")
def narrative(assessment_id: int):
    """Save the narrative the organisation chooses to publish in the public summary."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    form = NarrativeForm()
    if not form.validate_on_submit():
        reason = "; ".join(form.narrative.errors or ["the form was damaged"])
        return _refused(assessment, f"The narrative was not saved: {reason}")
    text = (form.narrative.data or "").strip()
    if record_narrative(assessment, current_user, text):
        db.session.commit()
        flash("Narrative saved; it appears in the public summary.", "success")
    return _back(assessment)


@bp.route("/<int:assessment_id>/assignments", methods=["GET", "POST"])
def assignments(assessment_id: int):
    """Set an owner and a due date for each principle."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = catalogue_for(assessment)
    members = members_of(assessment.organisation_id)
    form_class = build_assignment_form(
        [(p.id, p.title) for p in catalogue.principles.values()], [(u.id, u.name) for u in members]
    )
    if request.method == "GET":
        data = assignment_form_data(catalogue.principles, current_plans(assessment))
        return _assignments_page(assessment, form_class(data=data), 200)
    require(Permission.ASSIGN)
    refuse_unless_editable(assessment, PLANNING_EDITABLE)
    form = form_class()
    if not form.validate_on_submit():
        flash("Nothing was saved: correct the dates marked below.", "error")
        return _assignments_page(assessment, form, 422)
    plans = assignment_plans(form, catalogue.principles)
    if any(p.owner_id not in {None, *(u.id for u in members)} for p in plans.values()):
        abort(400)
    changed = record_assignments(assessment, current_user, plans)
    db.session.commit()
    flash(f"Saved: {changed} assignment{'s' if changed != 1 else ''} changed.", "success")
    return redirect(url_for("review.assignments", assessment_id=assessment.id))


def _assignments_page(assessment: Assessment, form, status: int):
    page = render_template(
        "review/assignments.html",
        assessment=assessment,
        form=form,
        catalogue=catalogue_for(assessment),
        field_name=field_name,
    )
    return page, status


def _history_filter(catalogue: Catalogue, question_id: str = "") -> HistoryFilter:
    principle = request.args.get("principle", "")
    return HistoryFilter(
        principle=principle if principle in catalogue.principles else "",
        question=question_id,
        person=parse_id(request.args.get("person")),
        since=parse_date(request.args.get("from")),
        until=parse_date(request.args.get("to")),
    )


def _history_page(assessment: Assessment, question=None):
    """Render the history of an assessment (or of one question), filtered and paged."""
    catalogue = catalogue_for(assessment)
    wanted = _history_filter(catalogue, question.id if question is not None else "")
    people = members_of(assessment.organisation_id)
    page = history_page(
        assessment,
        catalogue,
        wanted,
        request.args.get("page"),
        {p.id: p.name for p in people},
    )
    return render_template(
        "review/history.html",
        assessment=assessment,
        page=page,
        lines=page.lines,
        people=people,
        wanted=wanted,
        pager_args={**(request.view_args or {}), **wanted.query_args()},
        catalogue=catalogue,
        question=question,
    )


@bp.get("/<int:assessment_id>/history")
def history(assessment_id: int):
    """Show every change to the assessment in words, newest first, filtered and paged."""
    return _history_page(get_assessment_or_404(assessment_id))


@bp.get("/<int:assessment_id>/history.csv")
def history_download(assessment_id: int):
    """Download the (filtered) history as CSV, oldest first."""
    assessment = get_assessment_or_404(assessment_id)
    people = {p.id: p.name for p in members_of(assessment.organisation_id)}
    catalogue = catalogue_for(assessment)
    body = history_csv(assessment, catalogue, _history_filter(catalogue), people)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="history-{assessment.id}.csv"',
        },
    )


@bp.get("/<int:assessment_id>/questions/<question_id>/history")
def question_history(assessment_id: int, question_id: str):
    """Show every change to one question's answer, evidence and comments."""
    assessment = get_assessment_or_404(assessment_id)
    question = catalogue_for(assessment).questions.get(question_id)
    if question is None:
        abort(404)
    return _history_page(assessment, question)


@bp.app_template_global("job_stalled")
def job_stalled(job: Job) -> bool:
    """Return whether a job has waited so long that it may be retried."""
    return jobs.is_stalled(job)
