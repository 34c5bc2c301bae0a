"""The audit trail: one append-only event per change, attributable to a person."""

from __future__ import annotations

from typing import Any

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
