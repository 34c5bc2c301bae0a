"""Review and sign-off, owners and due dates, and the history of every change."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from assessment import audit, jobs
from assessment.access import (
    Permission,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    refuse_unless_editable,
    require,
)
from assessment.editing import touch_assessment
from assessment.extensions import current_catalogue, db
from assessment.forms import (
    ApproveForm,
    ConfirmForm,
    NarrativeForm,
    RequestChangesForm,
    build_assignment_form,
    field_name,
)
from assessment.inputs import parse_id
from assessment.logs import security_event
from assessment.models import (
    CONTENT_EDITABLE,
    PLANNING_EDITABLE,
    Assessment,
    Assignment,
    AuditEvent,
    Job,
    JobState,
    Membership,
    User,
)
from assessment.workflow import (
    WorkflowError,
    approve,
    record_narrative,
    request_changes,
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


def _refused(assessment: Assessment, message: str, status: int):
    """Answer with a page that says why nothing changed and links back."""
    if status == 409:
        security_event("conflict", reason=message[:100], assessment=assessment.id)
    page = render_template(
        "errors/error.html",
        code=status,
        title="Nothing was changed",
        message=message,
        back=url_for("assessments.overview", assessment_id=assessment.id),
    )
    return page, status


def _act(assessment_id: int, permission: Permission, action, *, locked_ok: bool = False):
    """Run one workflow action for a confirmed POST; return (assessment, result or response)."""
    assessment = get_changeable_assessment_or_404(assessment_id, permission, locked_ok=locked_ok)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = action(assessment)
    except WorkflowError as exc:
        db.session.rollback()
        return assessment, _refused(assessment, str(exc), 409)
    db.session.commit()
    return assessment, result


@bp.post("/<int:assessment_id>/submit")
def submit_for_review(assessment_id: int):
    """Send the assessment to review."""
    assessment, refusal = _act(assessment_id, Permission.ANSWER, lambda a: submit(a, current_user))
    if refusal is not None:
        return refusal
    flash("Submitted for review. Reviewers can now approve it or request changes.", "success")
    return _back(assessment)


@bp.post("/<int:assessment_id>/request-changes")
def request_changes_view(assessment_id: int):
    """Return the assessment to its respondents with the reviewer's comment."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    form = RequestChangesForm()
    if not form.validate_on_submit():
        reason = "; ".join(form.comment.errors or ["the form was damaged"])
        return _refused(assessment, f"Changes were not requested: {reason}", 422)
    try:
        request_changes(assessment, current_user, form.comment.data)
    except WorkflowError as exc:
        return _refused(assessment, str(exc), 409)
    db.session.commit()
    flash("Changes requested; the respondents see your comment on the overview.", "success")
    return _back(assessment)


@bp.post("/<int:assessment_id>/approve")
def approve_view(assessment_id: int):
    """Approve and lock what the reviewer read; its PDF is issued by a job after the commit."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        job = approve(
            assessment,
            current_user,
            current_catalogue(),
            seen_fingerprint=(form.fingerprint.data or "").strip(),
            seen_event_id=form.seen_event_id(),
        )
    except WorkflowError as exc:
        db.session.rollback()
        return _refused(assessment, str(exc), 409)
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
        return _refused(
            assessment, "This job is not failed or stalled, so it was not retried.", 409
        )
    db.session.commit()
    flash(f"Started again. {ISSUING[jobs.dispatch(job_id)]}", "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment_id))


@bp.post("/<int:assessment_id>/next-cycle")
def next_cycle(assessment_id: int):
    """Start a new draft for the same service from an approved assessment."""
    drafts = []

    def start(assessment):
        drafts.append(start_next_cycle(assessment, current_user, current_catalogue()))

    assessment, refusal = _act(assessment_id, Permission.ANSWER, start, locked_ok=True)
    if refusal is not None:
        return refusal
    flash(
        f"New draft started for {drafts[0].service_name}, with the answers carried forward. "
        "Uploaded files stay with the approved assessment; attach them again where still valid.",
        "success",
    )
    return _back(drafts[0])


@bp.post("/<int:assessment_id>/narrative")
def narrative(assessment_id: int):
    """Save the narrative the organisation chooses to publish in the public summary."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.ANSWER, allowed=CONTENT_EDITABLE
    )
    form = NarrativeForm()
    if not form.validate_on_submit():
        reason = "; ".join(form.narrative.errors or ["the form was damaged"])
        return _refused(assessment, f"The narrative was not saved: {reason}", 422)
    text = (form.narrative.data or "").strip()
    if record_narrative(assessment, current_user, text):
        db.session.commit()
        flash("Narrative saved; it appears in the public summary.", "success")
    return _back(assessment)


def _members(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.name)
        )
    )


@bp.route("/<int:assessment_id>/assignments", methods=["GET", "POST"])
def assignments(assessment_id: int):
    """Set an owner and a due date for each principle."""
    assessment = get_assessment_or_404(assessment_id)
    catalogue = current_catalogue()
    members = _members(assessment.organisation_id)
    form_class = build_assignment_form(
        [(p.id, p.title) for p in catalogue.principles.values()], [(u.id, u.name) for u in members]
    )
    stored = {a.principle_id: a for a in assessment.assignments}
    if request.method == "POST":
        require(Permission.ASSIGN)
        refuse_unless_editable(assessment, PLANNING_EDITABLE)
        form = form_class()
        if form.validate_on_submit():
            member_ids = {u.id for u in members}
            changed = 0
            for principle_id in catalogue.principles:
                group = form[field_name(principle_id)]
                owner_id = int(group.owner.data or 0) or None
                if owner_id is not None and owner_id not in member_ids:
                    abort(400)
                row = stored.get(principle_id)
                old = (row.owner_id, row.due_date) if row else (None, None)
                if old == (owner_id, group.due_date.data):
                    continue
                if row is None:
                    row = Assignment(assessment=assessment, principle_id=principle_id)
                    db.session.add(row)
                row.owner_id, row.due_date = owner_id, group.due_date.data
                audit.record_for(
                    assessment,
                    current_user,
                    "assignment",
                    principle_id,
                    old={"owner_id": old[0], "due_date": old[1].isoformat() if old[1] else None},
                    new={
                        "owner_id": owner_id,
                        "due_date": group.due_date.data.isoformat()
                        if group.due_date.data
                        else None,
                    },
                )
                changed += 1
            if changed:
                touch_assessment(assessment, PLANNING_EDITABLE)
            db.session.commit()
            flash(f"Saved: {changed} assignment{'s' if changed != 1 else ''} changed.", "success")
            return redirect(url_for("review.assignments", assessment_id=assessment.id))
        status = 422
        flash("Nothing was saved: correct the dates marked below.", "error")
    else:
        data = {
            field_name(pid): {
                "owner": str(stored[pid].owner_id or 0) if pid in stored else "0",
                "due_date": stored[pid].due_date if pid in stored else None,
            }
            for pid in catalogue.principles
        }
        form = form_class(data=data)
        status = 200
    return (
        render_template(
            "review/assignments.html",
            assessment=assessment,
            form=form,
            catalogue=catalogue,
            field_name=field_name,
        ),
        status,
    )


def _history_query(assessment: Assessment):
    return (
        sa.select(AuditEvent)
        .where(AuditEvent.assessment_id == assessment.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def _history_page(assessment: Assessment, question=None):
    """Render the history of an assessment (or of one question), filterable by person."""
    query = _history_query(assessment)
    if question is not None:
        query = query.where(AuditEvent.target == question.id)
    person = parse_id(request.args.get("person"))
    if person:
        query = query.where(AuditEvent.user_id == person)
    return render_template(
        "review/history.html",
        assessment=assessment,
        events=db.session.scalars(query).all(),
        people=_members(assessment.organisation_id),
        person=person,
        question=question,
    )


@bp.get("/<int:assessment_id>/history")
def history(assessment_id: int):
    """Show every change to the assessment, newest first, filterable by person."""
    return _history_page(get_assessment_or_404(assessment_id))


@bp.get("/<int:assessment_id>/questions/<question_id>/history")
def question_history(assessment_id: int, question_id: str):
    """Show every change to one question's answer and evidence."""
    assessment = get_assessment_or_404(assessment_id)
    question = current_catalogue().questions.get(question_id)
    if question is None:
        abort(404)
    return _history_page(assessment, question)


@bp.app_template_global("job_stalled")
def job_stalled(job: Job) -> bool:
    """Return whether a job has waited so long that it may be retried."""
    return jobs.is_stalled(job)
