"""The audit trail: one append-only event per change, attributable to a person."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.extensions import db
from assessment.models import AuditEvent, utcnow


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


def record_all(events: list[dict[str, Any]]) -> None:
    """Insert many audit events in one statement (each a dict of `record`'s arguments)."""
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "organisation_id": e["organisation_id"],
            "assessment_id": e.get("assessment_id"),
            "user_id": e["user_id"],
            "at": now,
            "action": e["action"],
            "target": e.get("target", ""),
            "old": e.get("old"),
            "new": e.get("new"),
        }
        for e in events
    ]
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
