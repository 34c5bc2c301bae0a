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
- when fewer answers were updated than sent (one changed since the page
  read it), the statement calls `page_save_refuse_stale()`, which raises:
  the statement fails as a whole, so nothing of the page is written, with
  or without a transaction around it (a page save sends it in autocommit,
  see `assessment.page_save`). The caller answers with the conflict.

SQLite has no data-modifying CTEs, and no round trips to save: it keeps the
steps (`assessment.answers`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from assessment.editing import touch_parameters, touch_statement
from assessment.extensions import db
from assessment.models import CONTENT_EDITABLE, Answer, Assessment, AuditEvent, User

if TYPE_CHECKING:
    from assessment.answers import AnswerChange

ANSWER = Answer.__table__
EVENT = AuditEvent.__table__

# What the page's statement raises when an answer changed since the page read it.
STALE_SQLSTATE = "VP409"
REFUSE_STALE = "page_save_refuse_stale"
CREATE_REFUSE_STALE = f"""
CREATE OR REPLACE FUNCTION {REFUSE_STALE}() RETURNS integer AS $$
BEGIN
    RAISE EXCEPTION 'page save refused: an answer changed since the page was read'
        USING ERRCODE = '{STALE_SQLSTATE}';
END;
$$ LANGUAGE plpgsql
"""


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
) -> sa.Row | None:
    """Touch the assessment, write these answers and audit these events, in one statement.

    Return the touch's row, or None when the touch did not apply (nothing was written).
    Raises IntegrityError when another first answer to one of `inserts`
    committed meanwhile, and a DBAPIError that `refused_stale` recognises
    when one of `updates` is no longer at the version the page saw.
    """
    statement = _page_statement(bool(updates), bool(inserts), bool(events))
    parameters = {
        **touch_parameters(assessment),
        # No column's name: an UPDATE would take a parameter named like a column as a SET.
        "page_assessment": assessment.id,
        "page_organisation": assessment.organisation_id,
        "page_by": user.id,
        "page_at": now,
        "page_updates": len(updates),
    }
    # Each column of each part as one array: one statement whatever the number of rows.
    parameters |= _arrays("u", [(a.id, c.base_version, c.value, c.comment) for c, a in updates])
    parameters |= _arrays("i", [(c.question_id, c.value, c.comment) for c in inserts])
    parameters |= _arrays("e", events)
    return db.session.execute(statement, parameters).first()


def _arrays(name: str, rows: list[tuple]) -> dict[str, list]:
    """Return a part's rows as one array parameter per column: `<name>_<column>`."""
    columns = _COLUMNS[name]
    return {f"{name}_{column}": [row[n] for row in rows] for n, column in enumerate(columns)}


def _rows(name: str) -> sa.TableValuedAlias:
    """Return a part's rows: its arrays side by side (`unnest(a, b, ...) AS name(a, b, ...)`).

    Arrays, not a VALUES list: a statement with VALUES is compiled again at
    every execution (SQLAlchemy cannot cache it), and its shape would follow
    the number of rows.
    """
    columns = _COLUMNS[name]
    arrays = [sa.bindparam(f"{name}_{c}", type_=postgresql.ARRAY(t)) for c, t in columns.items()]
    return (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(c, t) for c, t in columns.items()))
        .render_derived(name=name)
    )


@functools.cache
def _page_statement(updates: bool, inserts: bool, events: bool) -> sa.Select:
    """Build the page's statement once per shape (whether it updates, inserts, audits)."""
    touched = touch_statement(CONTENT_EDITABLE).cte("touched")
    # Every part waits for the touch and writes nothing when it did not apply.
    applies = sa.select(touched.c.version_id).exists()
    statement = sa.select(touched.c.version_id, touched.c.updated_at)
    if updates:
        # Fewer answers updated than sent fails the whole statement (the unique constraint
        # does the same for a first answer someone else gave meanwhile).
        updated = _updated(_rows("u"), applies)
        counted = sa.select(sa.func.count()).select_from(updated).scalar_subquery()
        complete = sa.bindparam("page_updates", type_=sa.Integer) == counted
        statement = statement.add_columns(
            sa.case((complete, 0), else_=getattr(sa.func, REFUSE_STALE)()).label("complete")
        )
    more = []
    if inserts:
        more.append(_inserted(_rows("i"), applies))
    if events:
        more.append(_audited(_rows("e"), applies))
    return statement.add_cte(*more) if more else statement


_COLUMNS = {
    "u": {
        "answer_id": ANSWER.c.id.type,
        "seen_version": ANSWER.c.version.type,
        "value": ANSWER.c.value.type,
        "comment": ANSWER.c.comment.type,
    },
    "i": {
        "question_id": ANSWER.c.question_id.type,
        "value": ANSWER.c.value.type,
        "comment": ANSWER.c.comment.type,
    },
    "e": {"target": EVENT.c.target.type, "old": EVENT.c.old.type, "new": EVENT.c.new.type},
}


def _updated(rows: sa.TableValuedAlias, applies: sa.ColumnElement) -> sa.CTE:
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


def _inserted(rows: sa.TableValuedAlias, applies: sa.ColumnElement) -> sa.CTE:
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


def _audited(rows: sa.TableValuedAlias, applies: sa.ColumnElement) -> sa.CTE:
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


def refused_stale(error: sa.exc.DBAPIError) -> bool:
    """Return whether the page's statement failed because an answer changed meanwhile."""
    return getattr(error.orig, "sqlstate", None) == STALE_SQLSTATE


def create_stale_refusal(connection: sa.Connection) -> None:
    """Create the function the page's statement calls on a shortfall (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(CREATE_REFUSE_STALE))


def drop_stale_refusal(connection: sa.Connection) -> None:
    """Drop that function (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"DROP FUNCTION IF EXISTS {REFUSE_STALE}()"))
