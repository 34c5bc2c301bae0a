"""The sign-off workflow: draft -> in review -> changes requested -> approved.

Approval locks the assessment and issues its PDF once; later downloads serve
those exact bytes. "Start the next cycle" opens a new draft for the same
service with the answers carried forward.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from assessment import audit
from assessment.catalogue import Catalogue
from assessment.extensions import db
from assessment.models import Answer, Assessment, Evidence, IssuedReport, Status, User, utcnow
from assessment.snapshot import score_for_report


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


def _move(assessment: Assessment, user: User, name: str, comment: str = "") -> None:
    transition = TRANSITIONS[name]
    current = Status(assessment.status)
    if current == Status.APPROVED:
        raise WorkflowError("This assessment is approved and locked.")
    if current not in transition.sources:
        raise WorkflowError(
            f"'{transition.label}' is not possible while the assessment is {current.label.lower()}."
        )
    audit.record(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        user_id=user.id,
        action="status",
        target="status",
        old={"status": current.value},
        new={"status": transition.target.value, **({"comment": comment} if comment else {})},
    )
    assessment.status = transition.target


def submit(assessment: Assessment, user: User) -> None:
    """Send a draft (or a returned one) to review."""
    _move(assessment, user, "submit")
    assessment.submitted_by = user
    assessment.submitted_at = utcnow()


def request_changes(assessment: Assessment, user: User, comment: str) -> None:
    """Return an assessment in review to its respondents, saying what to change."""
    if not comment.strip():
        raise WorkflowError("Say what needs to change: the comment is what the respondents see.")
    _move(assessment, user, "request_changes", comment.strip())
    assessment.review_comment = comment.strip()


def approve(assessment: Assessment, user: User, catalogue: Catalogue) -> IssuedReport:
    """Approve and lock an assessment, and issue its PDF once.

    The person who submitted it cannot approve it: sign-off takes a second pair of eyes.
    """
    if assessment.submitted_by_id == user.id:
        raise WorkflowError(
            "You submitted this assessment, so someone else (a reviewer or admin) must approve it."
        )
    _move(assessment, user, "approve")
    assessment.approved_by = user
    assessment.approved_at = utcnow()
    assessment.review_comment = ""
    db.session.flush()
    return issue_report(assessment, catalogue)


def issue_report(assessment: Assessment, catalogue: Catalogue) -> IssuedReport:
    """Render the approved assessment's PDF once and store it with its sha256."""
    from reports.pdf import render_pdf

    scored = score_for_report(assessment, catalogue)
    pdf = render_pdf(scored, catalogue, issued_at=assessment.approved_at)
    issued = IssuedReport(
        assessment_id=assessment.id,
        fingerprint=scored.fingerprint,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
    )
    db.session.add(issued)
    return issued


def open_draft(
    catalogue: Catalogue,
    *,
    organisation_id: int,
    service_name: str,
    profile: dict,
    user_id: int | None,
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
        created_by_id=user_id,
        **fields,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        organisation_id=organisation_id,
        assessment_id=assessment.id,
        user_id=user_id,
        action=action,
        target="assessment",
        new=details,
    )
    return assessment


def start_next_cycle(assessment: Assessment, user: User, catalogue: Catalogue) -> Assessment:
    """Open a new draft for the same service, carrying answers and link evidence forward.

    Answers to questions the current catalogue no longer has are left behind;
    uploaded files stay with the approved assessment they were checked for.
    """
    if assessment.status != Status.APPROVED:
        raise WorkflowError("The next cycle starts from an approved assessment.")
    draft = open_draft(
        catalogue,
        organisation_id=assessment.organisation_id,
        service_name=assessment.service_name,
        profile=assessment.profile or {},
        user_id=user.id,
        details={"service": assessment.service_name, "carried_forward_from": assessment.id},
        previous_id=assessment.id,
        public_narrative=assessment.public_narrative or "",
    )
    for answer in assessment.answers:
        if answer.question_id in catalogue.questions:
            draft.answers.append(
                Answer(
                    question_id=answer.question_id,
                    value=answer.value,
                    comment=answer.comment,
                    updated_by=user,
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
