"""Owners and due dates of an assessment's principles: who answers what, by when, audited.

Planning, not content: owners and due dates may change while the assessment
is in review (`PLANNING_EDITABLE`), and each change is an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from assessment import audit, notices
from assessment.editing import touch_assessment
from assessment.extensions import db
from assessment.models import PLANNING_EDITABLE, Assessment, Assignment, Membership, Status, User


@dataclass(frozen=True)
class Plan:
    """Who owns one principle (a user id, or None for nobody) and by when it is due."""

    owner_id: int | None = None
    due_date: date | None = None

    def described(self) -> dict[str, object]:
        """Return the plan as the audit trail keeps it."""
        return {
            "owner_id": self.owner_id,
            "due_date": self.due_date.isoformat() if self.due_date else None,
        }


def members_of(organisation_id: int) -> list[User]:
    """Return the organisation's members by name: who can own a principle."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.name)
        )
    )


def assigned_to(user: User, organisation_id: int) -> list[Assignment]:
    """Return the user's principles in the organisation's open assessments, soonest due first."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .join(Assessment)
            .where(
                Assessment.organisation_id == organisation_id,
                Assessment.status != Status.APPROVED,
                Assignment.owner_id == user.id,
            )
            .options(contains_eager(Assignment.assessment))
            .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
        )
    )


def current_plans(assessment: Assessment) -> dict[str, Plan]:
    """Return the stored owner and due date of each assigned principle."""
    return {a.principle_id: Plan(a.owner_id, a.due_date) for a in assessment.assignments}


def record_assignments(assessment: Assessment, user: User, plans: Mapping[str, Plan]) -> int:
    """Set each principle's owner and due date, auditing each change; return how many changed.

    Owners must be members of the assessment's organisation (the form offers
    only them). Each owner with a new principle or due date is sent one
    e-mail. The caller commits.
    """
    stored = {a.principle_id: a for a in assessment.assignments}
    changed: list[notices.AssignmentChange] = []
    for principle_id, plan in plans.items():
        row = stored.get(principle_id)
        old = Plan(row.owner_id, row.due_date) if row else Plan()
        if old == plan:
            continue
        if row is None:
            row = Assignment(assessment=assessment, principle_id=principle_id)
            db.session.add(row)
        row.owner_id, row.due_date = plan.owner_id, plan.due_date
        audit.record_for(
            assessment, user, "assignment", principle_id, old=old.described(), new=plan.described()
        )
        changed.append(notices.AssignmentChange(principle_id, plan.owner_id, plan.due_date))
    if changed:
        touch_assessment(assessment, PLANNING_EDITABLE)
    notices.assignments_changed(assessment, user, changed)
    return len(changed)
