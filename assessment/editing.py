"""One door for every change to an assessment: the database decides whether it may happen.

Every write path (answers, comments, evidence, profile, owners, narrative, and
each status change) calls `touch_assessment` in the transaction that makes the
change. It is one conditional UPDATE of the assessment row: it bumps
`version_id` and `updated_at` only while the status still allows the change
(and, for status changes, only while the version is the one the caller read).
Two transactions that touch the same assessment are therefore serialised on
that row, and the later one re-checks the condition against what the first
committed: a save and an approval can never both succeed against one state.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from assessment.extensions import db
from assessment.models import CONTENT_EDITABLE, Assessment, Status, utcnow


class EditRefused(Exception):
    """A change the assessment's current state does not allow; nothing was written."""

    def __init__(self, message: str, *, changed_meanwhile: bool = False):
        super().__init__(message)
        self.message = message
        # True when the status allows the change but the version moved on.
        self.changed_meanwhile = changed_meanwhile


LOCKED = (
    "This assessment is approved and locked, so it cannot be changed. "
    "Start the next cycle to work on a new draft with these answers carried forward."
)
IN_REVIEW = (
    "This assessment is in review, so its answers, profile, evidence and narrative are "
    "read-only: the reviewer approves exactly what they read. A reviewer can request "
    "changes to reopen it."
)
CHANGED = (
    "Someone else changed this assessment since you opened it. Nothing was changed: "
    "reload the page, check what is there now and try again."
)


def refusal_for(status: str, allowed: Iterable[Status] = CONTENT_EDITABLE) -> str | None:
    """Return why a change is refused in this status, or None when it is allowed."""
    if status in set(allowed):
        return None
    if status == Status.APPROVED:
        return LOCKED
    if status == Status.IN_REVIEW:
        return IN_REVIEW
    return f"This change is not possible while the assessment is {Status(status).label.lower()}."


def check_editable(assessment: Assessment, allowed: Iterable[Status] = CONTENT_EDITABLE) -> None:
    """Refuse early, with the reason, when the loaded status does not allow the change.

    Only a courtesy for a clear message before any work: `touch_assessment`
    is what enforces it, in the database.
    """
    reason = refusal_for(assessment.status, allowed)
    if reason is not None:
        raise EditRefused(reason)


def touch_assessment(
    assessment: Assessment,
    allowed: Iterable[Status] = CONTENT_EDITABLE,
    *,
    expect_version: int | None = None,
    **values: Any,
) -> None:
    """Record that the assessment changes in this transaction, or raise EditRefused.

    Bumps `version_id` and `updated_at` (and sets `values`, such as a new
    status) in one UPDATE that applies only while the status is one of
    `allowed` and, when given, the version is still `expect_version`.
    """
    allowed = tuple(allowed)
    statement = touch_statement(allowed, with_version=expect_version is not None, names=values)
    parameters = touch_parameters(assessment, expect_version=expect_version, **values)
    row = db.session.execute(statement, parameters).first()
    record_touch(assessment, row, allowed, **values)


def touch_statement(
    allowed: Iterable[Status] = CONTENT_EDITABLE,
    *,
    with_version: bool = False,
    names: Iterable[str] = (),
) -> sa.Update:
    """Return the touch UPDATE (RETURNING the new version and time) for these statuses.

    Built once per shape. A write that goes in one statement uses it as a
    CTE (see `assessment.answer_writes`); `touch_parameters` fills it in.
    """
    statuses = tuple(sorted(Status(s).value for s in allowed))
    return _touch_statement(with_version, tuple(sorted(names)), statuses)


def touch_parameters(
    assessment: Assessment, *, expect_version: int | None = None, **values: Any
) -> dict[str, Any]:
    """Return the parameters of `touch_statement` for this assessment, now."""
    return {
        "touched_id": assessment.id,
        "touched_at": utcnow(),
        "seen_version": expect_version,
        **{f"new_{name}": value for name, value in values.items()},
    }


def record_touch(
    assessment: Assessment,
    row: sa.Row | None,
    allowed: Iterable[Status] = CONTENT_EDITABLE,
    **values: Any,
) -> None:
    """Tell the loaded assessment what the touch wrote, or raise EditRefused when it did not apply."""
    if row is None:
        status = db.session.scalar(
            sa.select(Assessment.status).where(Assessment.id == assessment.id)
        )
        reason = refusal_for(status, allowed)
        raise EditRefused(reason or CHANGED, changed_meanwhile=reason is None)
    # The row now holds these; tell the loaded object without a reload or a second write.
    set_committed_value(assessment, "version_id", row.version_id)
    set_committed_value(assessment, "updated_at", row.updated_at)
    for name, value in values.items():
        set_committed_value(assessment, name, value)


@functools.cache
def _touch_statement(
    with_version: bool, names: tuple[str, ...], allowed: tuple[str, ...]
) -> sa.Update:
    """Build the touch UPDATE once per shape: it runs on every save (Core, not the ORM).

    The allowed statuses are part of the shape, written as equalities: an IN
    list would be expanded again at every execution.
    """
    table = Assessment.__table__
    statement = (
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("touched_id"),
            sa.or_(*(table.c.status == status for status in allowed)),
        )
        .values(
            version_id=table.c.version_id + 1,
            updated_at=sa.bindparam("touched_at", type_=table.c.updated_at.type),
            **{name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in names},
        )
        .returning(table.c.version_id, table.c.updated_at)
    )
    if with_version:
        statement = statement.where(table.c.version_id == sa.bindparam("seen_version"))
    return statement
