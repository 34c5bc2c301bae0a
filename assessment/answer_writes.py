"""A page of answers written in one statement on PostgreSQL: touch, answers and audit trail.

On PostgreSQL every statement is a round trip to the server, and writing a
page took three after its read: the touch of the assessment, the answers'
conditional UPDATE (and INSERT of first answers), the audit events. Here
they are data-modifying CTEs of one statement, with the same guarantees:

- the touch is the same conditional UPDATE (`editing.touch_statement`), and
  every other part joins its result, so nothing is written when it does not
  apply, and the assessment row is locked before any answer row (the order
  of the steps, so a page save never deadlocks with another change);
- the answers' UPDATE keeps its `version = seen` condition, and the unique
  (assessment, question) constraint still refuses a second first answer;
- the statement answers with the touch's row and the number of answers
  updated; the caller compares and rolls back on any shortfall, so nothing
  of the page stays written.

SQLite has no data-modifying CTEs, and no round trips to save: it keeps the
steps (`assessment.answers`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from assessment.editing import touch_parameters, touch_statement
from assessment.extensions import db
from assessment.models import CONTENT_EDITABLE, Answer, Assessment, AuditEvent, User

if TYPE_CHECKING:
    from assessment.answers import AnswerChange

ANSWER = Answer.__table__
EVENT = AuditEvent.__table__


@dataclass(frozen=True)
class Written:
    """What the one statement did: the touch's row (None when refused) and answers updated."""

    touched: sa.Row | None
    updated: int


def in_one_statement() -> bool:
    """Return whether this session's database writes a page in one statement (PostgreSQL)."""
    return db.session.get_bind().dialect.name == "postgresql"


def write_page(
    assessment: Assessment,
    user: User,
    updates: list[tuple[AnswerChange, Answer]],
    inserts: list[AnswerChange],
    events: list[tuple[str, Any, Any]],
    now: datetime,
) -> Written:
    """Touch the assessment, write these answers and audit these events, in one statement.

    Raises IntegrityError when another first answer to one of `inserts`
    committed meanwhile.
    """
    statement = _page_statement(len(updates), len(inserts), len(events))
    parameters = {
        **touch_parameters(assessment),
        # No column's name: an UPDATE would take a parameter named like a column as a SET.
        "page_assessment": assessment.id,
        "page_organisation": assessment.organisation_id,
        "page_by": user.id,
        "page_at": now,
    }
    for n, (change, answer) in enumerate(updates):
        parameters |= {f"u_answer_id_{n}": answer.id, f"u_seen_version_{n}": change.base_version,
                       f"u_value_{n}": change.value, f"u_comment_{n}": change.comment}  # fmt: skip
    for n, change in enumerate(inserts):
        parameters |= {f"i_question_id_{n}": change.question_id, f"i_value_{n}": change.value,
                       f"i_comment_{n}": change.comment}  # fmt: skip
    for n, (target, old, new) in enumerate(events):
        parameters |= {f"e_target_{n}": target, f"e_old_{n}": old, f"e_new_{n}": new}
    row = db.session.execute(statement, parameters).first()
    return Written(touched=row, updated=row.updated if row is not None else 0)


def _rows(name: str, columns: dict[str, Any], count: int) -> sa.Values:
    """A VALUES list of `count` rows of named parameters: `<name>_<column>_<row>`."""
    values = sa.values(*(sa.column(c, t) for c, t in columns.items()), name=name)
    return values.data(
        [tuple(sa.bindparam(f"{name}_{c}_{n}", type_=t) for c, t in columns.items())
         for n in range(count)]
    )  # fmt: skip


@functools.lru_cache(maxsize=128)
def _page_statement(updates: int, inserts: int, events: int) -> sa.Select:
    """Build the page's statement once per shape (how many updates, first answers, events)."""
    touched = touch_statement(CONTENT_EDITABLE).cte("touched")
    # Every part waits for the touch and writes nothing when it did not apply.
    applies = sa.select(touched.c.version_id).exists()
    counted = (
        sa.select(sa.func.count())
        .select_from(_updated(_rows("u", _UPDATE_COLUMNS, updates), applies))
        .scalar_subquery()
        if updates
        else sa.literal(0)
    )
    statement = sa.select(touched.c.version_id, touched.c.updated_at, counted.label("updated"))
    more = []
    if inserts:
        more.append(_inserted(_rows("i", _INSERT_COLUMNS, inserts), applies))
    if events:
        more.append(_audited(_rows("e", _EVENT_COLUMNS, events), applies))
    return statement.add_cte(*more) if more else statement


_UPDATE_COLUMNS = {
    "answer_id": ANSWER.c.id.type,
    "seen_version": ANSWER.c.version.type,
    "value": ANSWER.c.value.type,
    "comment": ANSWER.c.comment.type,
}
_INSERT_COLUMNS = {
    "question_id": ANSWER.c.question_id.type,
    "value": ANSWER.c.value.type,
    "comment": ANSWER.c.comment.type,
}
_EVENT_COLUMNS = {"target": EVENT.c.target.type, "old": EVENT.c.old.type, "new": EVENT.c.new.type}


def _updated(rows: sa.Values, applies: sa.ColumnElement) -> sa.CTE:
    """Update each stored answer still at the version the page saw; return their ids."""
    return (
        sa.update(ANSWER)
        .where(ANSWER.c.id == rows.c.answer_id, ANSWER.c.version == rows.c.seen_version, applies)
        .values(
            value=rows.c.value,
            comment=rows.c.comment,
            updated_by_id=sa.bindparam("page_by", type_=ANSWER.c.updated_by_id.type),
            updated_at=sa.bindparam("page_at", type_=ANSWER.c.updated_at.type),
            version=ANSWER.c.version + 1,
            # A carried-forward answer someone changes is theirs now: confirmed.
            carried_forward=sa.false(),
        )
        .returning(ANSWER.c.id)
        .cte("updated")
    )


def _inserted(rows: sa.Values, applies: sa.ColumnElement) -> sa.CTE:
    """Insert the first answers (the unique constraint refuses one committed meanwhile)."""
    names = ["assessment_id", "question_id", "value", "comment", "updated_by_id", "updated_at",
             "version", "carried_forward"]  # fmt: skip
    source = sa.select(
        sa.bindparam("page_assessment", type_=ANSWER.c.assessment_id.type),
        rows.c.question_id,
        rows.c.value,
        rows.c.comment,
        sa.bindparam("page_by", type_=ANSWER.c.updated_by_id.type),
        sa.bindparam("page_at", type_=ANSWER.c.updated_at.type),
        sa.literal(1),
        sa.false(),
    ).where(applies)
    return sa.insert(ANSWER).from_select(names, source).cte("inserted")


def _audited(rows: sa.Values, applies: sa.ColumnElement) -> sa.CTE:
    """Add one audit event per answer changed."""
    names = ["organisation_id", "assessment_id", "user_id", "at", "action", "target", "old", "new"]
    source = sa.select(
        sa.bindparam("page_organisation", type_=EVENT.c.organisation_id.type),
        sa.bindparam("page_assessment", type_=EVENT.c.assessment_id.type),
        sa.bindparam("page_by", type_=EVENT.c.user_id.type),
        sa.bindparam("page_at", type_=EVENT.c.at.type),
        sa.literal("answer", EVENT.c.action.type),
        rows.c.target,
        rows.c.old,
        rows.c.new,
    ).where(applies)
    return sa.insert(EVENT).from_select(names, source).cte("audited")
