"""Turn stored rows into the plain inputs of scoring, and score them."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from assessment.catalogue import Catalogue
from assessment.catalogue_versions import catalogue_for
from assessment.comments import comment_entries
from assessment.extensions import db
from assessment.models import Assessment, AuditEvent, IssuedReport, Membership, Role, Status
from assessment.results import (
    AnswerInput,
    AssessmentInfo,
    Assignment,
    AuditEntry,
    EvidenceItem,
    ScoredAssessment,
)
from assessment.scoring import score_assessment


def assessment_info(assessment: Assessment, *, with_audit: bool = False) -> AssessmentInfo:
    """Describe an assessment for scoring and reports (the audit trail only when asked)."""
    return AssessmentInfo(
        assessment_id=assessment.id,
        organisation=assessment.organisation.name,
        service=assessment.service_name,
        status=assessment.status,
        created_at=assessment.created_at,
        updated_at=assessment.updated_at,
        profile=dict(assessment.profile or {}),
        assignments={
            a.principle_id: Assignment(owner=a.owner.name if a.owner else "", due_date=a.due_date)
            for a in assessment.assignments
        },
        approved_at=assessment.approved_at,
        approved_by=assessment.approved_by.name if assessment.approved_by else "",
        approved_by_role=assessment.approved_by_role or approver_role(assessment),
        review_comment=assessment.review_comment or "",
        public_narrative=assessment.public_narrative or "",
        previous_assessment_id=assessment.previous_id,
        audit=audit_trail(assessment) if with_audit else (),
        comments=comment_entries(assessment) if with_audit else (),
        period=assessment.period or "",
        attestation=assessment.attestation or "",
    )


def approver_role(assessment: Assessment) -> str:
    """Return the approver's role in the assessment's organisation, or "" when unknown."""
    if assessment.approved_by_id is None:
        return ""
    return role_title(assessment.approved_by_id, assessment.organisation_id)


def role_title(user_id: int, organisation_id: int) -> str:
    """Return a person's role in an organisation as a sign-off names it, or "" when none."""
    role = db.session.scalars(
        sa.select(Membership.role).where(
            Membership.user_id == user_id, Membership.organisation_id == organisation_id
        )
    ).first()
    return Role(role).title if role in set(Role) else (role or "").capitalize()


def audit_trail(assessment: Assessment) -> tuple[AuditEntry, ...]:
    """Return the assessment's audit events, oldest first."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.assessment_id == assessment.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return tuple(
        AuditEntry(
            at=e.at,
            who=e.user.name if e.user else "(removed user)",
            action=e.action,
            target=e.target,
            old=e.old,
            new=e.new,
        )
        for e in events
    )


def answer_inputs(assessment: Assessment) -> dict[str, AnswerInput]:
    """Return the stored answers, with their evidence, as scoring inputs."""
    evidence: dict[str, list[EvidenceItem]] = defaultdict(list)
    for item in assessment.evidence:
        evidence[item.question_id].append(
            EvidenceItem(
                kind=item.kind,
                title=item.title,
                url=item.url,
                filename=item.filename,
                media_type=item.media_type,
                size=item.size,
                sha256=item.sha256,
            )
        )
    answers = {
        a.question_id: AnswerInput(
            value=a.value,
            comment=a.comment or "",
            evidence=tuple(evidence.pop(a.question_id, ())),
            carried_forward=bool(a.carried_forward),
        )
        for a in assessment.answers
    }
    for question_id, items in evidence.items():
        answers[question_id] = AnswerInput(evidence=tuple(items))
    return answers


def previous_approved(assessment: Assessment) -> Assessment | None:
    """Return the same service's latest approved assessment before this one, if any."""
    if assessment.previous is not None and assessment.previous.status == Status.APPROVED:
        return assessment.previous
    return db.session.scalars(
        sa.select(Assessment)
        .where(
            Assessment.organisation_id == assessment.organisation_id,
            Assessment.service_name == assessment.service_name,
            Assessment.status == Status.APPROVED,
            Assessment.id < assessment.id,
        )
        .order_by(Assessment.id.desc())
    ).first()


def score_stored(
    assessment: Assessment,
    catalogue: Catalogue,
    *,
    with_trend: bool = True,
    with_audit: bool = False,
) -> ScoredAssessment:
    """Score a stored assessment, with the trend against the previous approved one.

    Web pages show scores and leave the audit trail out: it is read for
    documents only (`score_for_report`), where the JSON export carries it.
    """
    previous = None
    if with_trend:
        earlier = previous_approved(assessment)
        if earlier is not None:
            previous = score_stored(earlier, catalogue_for(earlier), with_trend=False)
    info = assessment_info(assessment, with_audit=with_audit)
    return score_assessment(catalogue, info, answer_inputs(assessment), previous=previous)


def score_for_report(assessment: Assessment, catalogue: Catalogue) -> ScoredAssessment:
    """Score a stored assessment with everything a report carries, the audit trail included."""
    return score_stored(assessment, catalogue, with_audit=True)


def issued_report(assessment: Assessment) -> IssuedReport | None:
    """Return the PDF issued when the assessment was approved, if there is one."""
    return db.session.scalars(
        sa.select(IssuedReport).where(IssuedReport.assessment_id == assessment.id)
    ).first()
