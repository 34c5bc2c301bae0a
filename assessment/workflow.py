"""The sign-off workflow: draft -> in review -> changes requested -> approved.

Approval locks the assessment (if it is still exactly what the reviewer read)
in a short transaction, and queues a job that issues its PDF once
(`assessment.jobs`); later downloads serve those exact bytes. Every status
change is a conditional UPDATE through `assessment.editing.touch_assessment`. "Start the next cycle" opens a new draft for the same
service with the answers carried forward.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from assessment import audit, jobs, notices
from assessment.catalogue import Catalogue, is_answered
from assessment.catalogue_versions import register as register_catalogue
from assessment.editing import EditRefused, touch_assessment
from assessment.extensions import db
from assessment.importer import ImportedAssessment
from assessment.models import (
    CONTENT_EDITABLE,
    Answer,
    Assessment,
    AuditEvent,
    Evidence,
    Job,
    Status,
    User,
    utcnow,
)
from assessment.scoring import assessment_fingerprint
from assessment.snapshot import answer_inputs, role_title

DEFAULT_ATTESTATION = (
    "I have read this self-assessment. To the best of my knowledge its answers, comments and "
    "evidence describe the service as it is operated today, and I approve it on behalf of "
    "the organisation."
)


class WorkflowError(Exception):
    """A status change that is not allowed now; the message says why."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "Submit for review",
            frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}),
            Status.IN_REVIEW,
        ),
        Transition(
            "request_changes",
            "Request changes",
            frozenset({Status.IN_REVIEW}),
            Status.CHANGES_REQUESTED,
        ),
        Transition("approve", "Approve and lock", frozenset({Status.IN_REVIEW}), Status.APPROVED),
    )
}


class ContentChanged(WorkflowError):
    """The assessment is not what the reviewer read; the message says what changed."""


def _move(assessment: Assessment, user: User, name: str, comment: str = "", **values) -> None:
    """Change the status, only if the status and version are still the ones just read."""
    transition = TRANSITIONS[name]
    current = Status(assessment.status)
    if current == Status.APPROVED:
        raise WorkflowError("This assessment is approved and locked.")
    if current not in transition.sources:
        raise WorkflowError(
            f"'{transition.label}' is not possible while the assessment is {current.label.lower()}."
        )
    try:
        touch_assessment(
            assessment,
            [current],
            expect_version=assessment.version_id,
            status=transition.target.value,
            **values,
        )
    except EditRefused as refused:
        if refused.changed_meanwhile:
            raise ContentChanged(refused.message) from None
        raise WorkflowError(refused.message) from None
    audit.record_for(
        assessment,
        user,
        "status",
        "status",
        old={"status": current.value},
        new={"status": transition.target.value, **({"comment": comment} if comment else {})},
    )


def submit(assessment: Assessment, user: User) -> None:
    """Send a draft (or a returned one) to review, telling the reviewers by e-mail."""
    _move(assessment, user, "submit", submitted_by_id=user.id, submitted_at=utcnow())
    notices.review_requested(assessment, user)


def request_changes(assessment: Assessment, user: User, comment: str) -> None:
    """Return an assessment in review to its respondents, saying what to change (by e-mail too)."""
    if not comment.strip():
        raise WorkflowError("Say what needs to change: the comment is what the respondents see.")
    _move(assessment, user, "request_changes", comment.strip(), review_comment=comment.strip())
    notices.changes_requested(assessment, user, comment.strip())


def approve(
    assessment: Assessment,
    user: User,
    catalogue: Catalogue,
    *,
    seen_fingerprint: str,
    seen_event_id: int | None = None,
    attestation: str = "",
) -> Job:
    """Approve and lock exactly what the reviewer read, and queue the issuing of its PDF.

    `seen_fingerprint` is the review fingerprint of the page the reviewer
    approved from; if the assessment differs now, nothing changes and the
    refusal says what changed since `seen_event_id` (the newest audit event
    on that page). The person who submitted it cannot approve it: sign-off
    takes a second pair of eyes. `attestation` is the statement the approver
    confirmed; it is stored with the approval, with their role. The PDF is rendered by the returned job,
    after this short transaction commits.
    """
    if assessment.submitted_by_id == user.id:
        raise WorkflowError(
            "You submitted this assessment, so someone else (a reviewer or admin) must approve it."
        )
    if Status(assessment.status) == Status.IN_REVIEW:
        if not seen_fingerprint:
            raise ContentChanged(
                "The approval did not say which version you reviewed. Open the approval "
                "page, read what it shows and approve from there."
            )
        if seen_fingerprint != review_fingerprint(assessment, catalogue):
            raise ContentChanged(_changed_since(assessment, seen_event_id))
        if not attestation.strip():
            raise WorkflowError(
                "Confirm the attestation statement to approve: tick the box above the button."
            )
    try:
        _move(
            assessment,
            user,
            "approve",
            approved_by_id=user.id,
            approved_at=utcnow(),
            review_comment="",
            attestation=attestation,
            approved_by_role=role_title(user.id, assessment.organisation_id),
        )
    except ContentChanged:
        # Changed between this request's reads and its write: say what, as above.
        raise ContentChanged(_changed_since(assessment, seen_event_id)) from None
    notices.approved(assessment, user)
    return jobs.create_job(
        jobs.ISSUE_REPORT,
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        user_id=user.id,
    )


CHANGE_NAMES = {
    "answer": "the answer to {target}",
    "evidence": "the evidence for {target}",
    "profile": "the service profile",
    "narrative": "the public narrative",
    "assignment": "the owner or due date of {target}",
    "status": "the status",
    "confirm": "the confirmation of {target}",
    "period": "the period",
}


def _changed_since(assessment: Assessment, seen_event_id: int | None) -> str:
    """Say what changed since the reviewer's page, from the audit trail."""
    lead = "The assessment changed since you opened it, so it was not approved."
    if seen_event_id is None:
        return f"{lead} Read it again and approve what is there now."
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.assessment_id == assessment.id, AuditEvent.id > seen_event_id)
        .order_by(AuditEvent.id)
    ).all()
    changes: dict[str, set[str]] = {}
    for event in events:
        what = CHANGE_NAMES.get(event.action, "{target}").format(target=event.target)
        who = event.user.name if event.user else "a former member"
        changes.setdefault(what, set()).add(who)
    if not changes:
        return f"{lead} Read it again and approve what is there now."
    listed = "; ".join(f"{what} (by {', '.join(sorted(who))})" for what, who in changes.items())
    return f"{lead} Changed: {listed}. Read it again and approve what is there now."


def review_fingerprint(assessment: Assessment, catalogue: Catalogue) -> str:
    """Return the sha256 of everything an approval signs off, as stored now.

    It covers what the issued PDF shows: answers, comments, evidence and the
    profile (the assessment fingerprint printed on the report), the service
    name, the public narrative, and the owners and due dates.
    """
    canonical = {
        "content": assessment_fingerprint(
            catalogue.fingerprint, dict(assessment.profile or {}), answer_inputs(assessment)
        ),
        "service": assessment.service_name,
        "narrative": assessment.public_narrative or "",
        "assignments": sorted(
            [a.principle_id, a.owner_id, a.due_date.isoformat() if a.due_date else None]
            for a in assessment.assignments
        ),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_event_id(assessment: Assessment) -> int:
    """Return the id of the assessment's newest audit event (0 when none)."""
    return (
        db.session.scalar(
            sa.select(sa.func.max(AuditEvent.id)).where(AuditEvent.assessment_id == assessment.id)
        )
        or 0
    )


def record_narrative(assessment: Assessment, user: User, text: str) -> bool:
    """Replace the public narrative, auditing the change; return whether it changed."""
    old = assessment.public_narrative or ""
    if text == old:
        return False
    touch_assessment(assessment, public_narrative=text)
    audit.record_for(assessment, user, "narrative", "public_narrative", old=old, new=text)
    return True


def open_draft(
    catalogue: Catalogue,
    *,
    organisation_id: int,
    service_name: str,
    profile: dict,
    user: User | None,
    action: str = "create",
    details: dict | None = None,
    **fields,
) -> Assessment:
    """Add a new draft answered against this catalogue, with its audit event; the caller commits."""
    assessment = Assessment(
        organisation_id=organisation_id,
        service_name=service_name,
        profile=dict(profile),
        catalogue_version=catalogue.version,
        catalogue_fingerprint=catalogue.fingerprint,
        created_by_id=user.id if user is not None else None,
        **fields,
    )
    db.session.add(assessment)
    db.session.flush()
    register_catalogue(catalogue)  # so the assessment can always be read with it
    audit.record_for(assessment, user, action, "assessment", new=details)
    return assessment


def open_imported_draft(
    imported: ImportedAssessment, catalogue: Catalogue, *, organisation_id: int, user: User | None
) -> Assessment:
    """Add a new draft holding the imported answers, with its audit event; the caller commits."""
    assessment = open_draft(
        catalogue,
        organisation_id=organisation_id,
        service_name=imported.service,
        profile=imported.profile,
        user=user,
        action="import",
        details={
            "service": imported.service,
            "answers": len(imported.answers),
            "source_catalogue_version": imported.source_catalogue_version,
            "warnings": list(imported.warnings),
        },
    )
    for question_id, answer in imported.answers.items():
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question_id,
                value=answer.value,
                comment=answer.comment,
                updated_by_id=user.id if user is not None else None,
            )
        )
    return assessment


def start_next_cycle(
    assessment: Assessment, user: User, catalogue: Catalogue, period: str = ""
) -> Assessment:
    """Open a new draft for the same service, carrying answers and link evidence forward.

    Carried answers are marked "carried forward": they count as complete only
    once someone confirms them (`confirm_carried`). Answers to questions the
    current catalogue no longer has are left behind; uploaded files stay with
    the approved assessment they were checked for.
    """
    if assessment.status != Status.APPROVED:
        raise WorkflowError("The next cycle starts from an approved assessment.")
    draft = open_draft(
        catalogue,
        organisation_id=assessment.organisation_id,
        service_name=assessment.service_name,
        profile=assessment.profile or {},
        user=user,
        details={
            "service": assessment.service_name,
            "carried_forward_from": assessment.id,
            "period": period,
        },
        previous_id=assessment.id,
        public_narrative=assessment.public_narrative or "",
        period=period,
    )
    for answer in assessment.answers:
        if answer.question_id in catalogue.questions:
            draft.answers.append(
                Answer(
                    question_id=answer.question_id,
                    value=answer.value,
                    comment=answer.comment,
                    updated_by=user,
                    carried_forward=is_answered(answer.value),
                )
            )
    for item in assessment.evidence:
        if item.kind == "link" and item.question_id in catalogue.questions:
            draft.evidence.append(
                Evidence(
                    organisation_id=item.organisation_id,
                    question_id=item.question_id,
                    kind="link",
                    title=item.title,
                    url=item.url,
                    uploaded_by=user,
                )
            )
    db.session.flush()
    return draft


def confirm_carried(assessment: Assessment, user: User, question_ids: list[str]) -> list[str]:
    """Confirm carried-forward answers still hold, auditing each; return the ids confirmed.

    One UPDATE clears the mark only where it is still set, so two people
    confirming at once record each answer once. The caller commits.
    """
    if not question_ids:
        return []
    touch_assessment(assessment, CONTENT_EDITABLE)
    confirmed = db.session.scalars(
        sa.update(Answer)
        .where(
            Answer.assessment_id == assessment.id,
            Answer.question_id.in_(question_ids),
            Answer.carried_forward.is_(True),
        )
        .values(carried_forward=False)
        .returning(Answer.question_id)
        .execution_options(synchronize_session=False)
    ).all()
    audit.record_all_for(
        assessment,
        user,
        "confirm",
        [(qid, {"carried_forward": True}, {"carried_forward": False}) for qid in sorted(confirmed)],
    )
    return sorted(confirmed)


def record_period(assessment: Assessment, user: User, period: str) -> bool:
    """Change the cycle an assessment covers, auditing it; return whether it changed."""
    old = assessment.period or ""
    if period == old:
        return False
    touch_assessment(assessment, CONTENT_EDITABLE, period=period)
    audit.record_for(assessment, user, "period", "period", old=old, new=period)
    return True
