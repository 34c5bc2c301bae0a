"""The audit trail: one append-only event per change, attributable to a person."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.extensions import db
from assessment.models import AuditEvent


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
