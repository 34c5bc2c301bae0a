"""The audit trail: one append-only event per change, attributable to a person."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.extensions import db
from assessment.models import Assessment, AuditEvent, User, utcnow


def record(
    *,
    organisation_id: int,
    user_id: int | None,
    action: str,
    target: str = "",
    old: Any = None,
    new: Any = None,
    assessment_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller commits it with the change."""
    event = AuditEvent(
        organisation_id=organisation_id,
        assessment_id=assessment_id,
        user_id=user_id,
        action=action,
        target=target,
        old=old,
        new=new,
    )
    db.session.add(event)
    return event


def record_for(
    assessment: Assessment,
    user: User | None,
    action: str,
    target: str = "",
    *,
    old: Any = None,
    new: Any = None,
) -> AuditEvent:
    """Add an event about one assessment, by this user, to the session; the caller commits."""
    return record(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        user_id=user.id if user is not None else None,
        action=action,
        target=target,
        old=old,
        new=new,
    )


def record_membership(
    organisation_id: int, user: User, target: str, *, old: Any = None, new: Any = None
) -> AuditEvent:
    """Add an event about who belongs to an organisation, in which role; the caller commits."""
    return record(
        organisation_id=organisation_id,
        user_id=user.id,
        action="membership",
        target=target,
        old=old,
        new=new,
    )


def record_all_for(
    assessment: Assessment,
    user: User,
    action: str,
    changes: Iterable[tuple[str, Any, Any]],
) -> None:
    """Insert one event per (target, old, new) about an assessment, in one statement."""
    now = utcnow()
    rows = [
        {
            "organisation_id": assessment.organisation_id,
            "assessment_id": assessment.id,
            "user_id": user.id,
            "at": now,
            "action": action,
            "target": target,
            "old": old,
            "new": new,
        }
        for target, old, new in changes
    ]
    if rows:
        # One row (the usual page save) as a plain execute: executemany costs more for one.
        db.session.execute(INSERT_EVENTS, rows[0] if len(rows) == 1 else rows)


# Built once (a statement reused keeps its cache key): every save runs it.
INSERT_EVENTS = sa.insert(AuditEvent.__table__)


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a recorded audit event."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    """Keep the trail append-only: recorded events are never updated or deleted."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly(
                f"audit event {obj.id} cannot be changed or deleted: the trail is append-only"
            )
