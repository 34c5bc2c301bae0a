"""Record answers and profile changes: audited, and never silently overwriting.

Each save carries the version of every answer the page was based on. If
someone else changed an answer since, the whole save is refused and nothing
is written, so both people's answers survive and the later one can decide.
The database enforces it (conditional UPDATEs and a unique constraint); the
check in Python only spares a round trip in the common case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from assessment import answer_writes, audit
from assessment.editing import record_touch, touch_assessment
from assessment.extensions import db
from assessment.models import CONTENT_EDITABLE, Answer, Assessment, User, utcnow


@dataclass(frozen=True)
class AnswerChange:
    """What a page submitted for one question."""

    question_id: str
    value: Any
    comment: str
    base_version: int


@dataclass(frozen=True)
class Conflict:
    """An answer changed by someone else since the page was loaded."""

    question_id: str
    value: Any
    comment: str
    updated_by: str
    updated_at: Any


class StaleSave(Exception):
    """A save based on answers that have changed since; nothing was written.

    The caller rolls back, then shows the answers as they are now
    (`conflicts_with`) next to what the person sent.
    """

    def __init__(self, question_ids: list[str]):
        self.question_ids = question_ids
        super().__init__(", ".join(question_ids))


def record_answers(
    assessment: Assessment,
    user: User,
    changes: list[AnswerChange],
    stored: Mapping[str, Any] | None = None,
) -> int:
    """Apply a page of answers, auditing each change; return how many changed.

    `stored` holds the answers to these questions as read in this transaction
    (`page_save.assessment_to_save_or_404`); without it, the assessment's
    loaded answers.

    Each stored answer is updated only where its version is still the one
    the page showed (one conditional UPDATE for the page); a first answer is
    inserted, and the unique (assessment, question) constraint refuses a
    second first answer. Raises StaleSave when any of that fails, or
    EditRefused when the assessment's status no longer allows answers; the
    caller then rolls back, so nothing of the page is written. The writes
    bypass the ORM (one statement each), so the loaded answers are stale
    until the caller commits, which expires them.
    """
    applied = _changed(assessment.answers_by_question() if stored is None else stored, changes)
    if not applied:
        return 0
    events = [
        (
            change.question_id,
            {"value": answer.value, "comment": answer.comment} if answer else None,
            {"value": change.value, "comment": change.comment},
        )
        for change, answer in applied
    ]
    updates = [(c, a) for c, a in applied if a is not None]
    inserts = [c for c, a in applied if a is None]
    if answer_writes.in_one_statement():
        _write_in_one_statement(assessment, user, updates, inserts, events)
    else:
        touch_assessment(assessment, CONTENT_EDITABLE)
        now = utcnow()
        _update_answers(updates, user, now)
        _insert_answers(assessment, inserts, user, now)
        audit.record_all_for(assessment, user, "answer", events)
    return len(applied)


def _write_in_one_statement(
    assessment: Assessment,
    user: User,
    updates: list[tuple[AnswerChange, Answer]],
    inserts: list[AnswerChange],
    events: list[tuple[str, Any, Any]],
) -> None:
    """Write the page as `answer_writes.write_page` does; raise as the steps would."""
    try:
        touched = answer_writes.write_page(assessment, user, updates, inserts, events, utcnow())
    except sa.exc.IntegrityError:
        # Someone else's first answer to one of these questions committed first.
        raise StaleSave([change.question_id for change in inserts]) from None
    except sa.exc.DBAPIError as error:
        if answer_writes.refused_stale(error):  # a stored answer changed since it was read
            raise StaleSave([change.question_id for change, _ in updates]) from None
        raise
    record_touch(assessment, touched)  # EditRefused when it did not apply


def _changed(
    stored: Mapping[str, Answer], changes: list[AnswerChange]
) -> list[tuple[AnswerChange, Answer | None]]:
    """Return the changes that change something, with the answer each replaces.

    Raises StaleSave, naming every question whose stored answer is not the
    version the page was based on.
    """
    applied, stale = [], []
    for change in changes:
        answer = stored.get(change.question_id)
        if _same(answer, change):
            continue
        if change.base_version != (answer.version if answer else 0):
            stale.append(change.question_id)
        applied.append((change, answer))
    if stale:
        raise StaleSave(stale)
    return applied


def _same(answer: Answer | None, change: AnswerChange) -> bool:
    """Return whether a change leaves the stored answer (or its absence) as it is."""
    if answer is None:
        return change.value is None and not change.comment
    return (answer.value, answer.comment) == (change.value, change.comment)


def _update_answers(
    to_update: list[tuple[AnswerChange, Answer]], user: User, now: datetime
) -> None:
    """Update stored answers in one statement, each only if still at the version seen."""
    if not to_update:
        return
    rows = [
        {
            "answer_id": answer.id,
            "seen_version": change.base_version,
            "new_value": change.value,
            "new_comment": change.comment,
            "new_by": user.id,
            "new_at": now,
        }
        for change, answer in to_update
    ]
    # One row (the usual page save) as a plain execute: executemany costs more for one.
    result = db.session.execute(UPDATE_SEEN, rows[0] if len(rows) == 1 else rows)
    if result.rowcount != len(to_update):
        raise StaleSave([change.question_id for change, _ in to_update])


def _insert_answers(
    assessment: Assessment, to_insert: list[AnswerChange], user: User, now: datetime
) -> None:
    """Insert first answers in one statement; another first answer committed meanwhile wins."""
    if not to_insert:
        return
    try:
        db.session.execute(
            sa.insert(Answer.__table__),
            [
                {
                    "assessment_id": assessment.id,
                    "question_id": change.question_id,
                    "value": change.value,
                    "comment": change.comment,
                    "updated_by_id": user.id,
                    "updated_at": now,
                    "version": 1,
                }
                for change in to_insert
            ],
        )
    except sa.exc.IntegrityError:
        # Someone else's first answer to one of these questions committed first.
        raise StaleSave([change.question_id for change in to_insert]) from None


def conflicts_with(assessment: Assessment, question_ids: list[str]) -> list[Conflict]:
    """Return the stored answers to these questions, for a refused save to show."""
    stored = assessment.answers_by_question()
    conflicts = []
    for question_id in question_ids:
        answer = stored.get(question_id)
        conflicts.append(
            Conflict(
                question_id=question_id,
                value=answer.value if answer else None,
                comment=answer.comment if answer else "",
                updated_by=answer.updated_by.name if answer and answer.updated_by else "",
                updated_at=answer.updated_at if answer else None,
            )
        )
    return conflicts


def answer_versions(assessment: Assessment, question_ids: list[str]) -> dict[str, int]:
    """Return the stored version of each question's answer (0 for none yet)."""
    stored = assessment.answers_by_question()
    return {qid: stored[qid].version if qid in stored else 0 for qid in question_ids}


def record_profile(assessment: Assessment, user: User, profile: dict[str, Any]) -> bool:
    """Replace the service profile, auditing the change; return whether it changed."""
    if assessment.profile == profile:
        return False
    old = dict(assessment.profile or {})
    touch_assessment(assessment, CONTENT_EDITABLE, profile=profile)
    audit.record_for(assessment, user, "profile", "profile", old=old, new=profile)
    return True


# Built once (a statement reused keeps its cache key): every save runs it.
UPDATE_SEEN = (
    sa.update(Answer.__table__)
    .where(
        Answer.__table__.c.id == sa.bindparam("answer_id"),
        Answer.__table__.c.version == sa.bindparam("seen_version"),
    )
    .values(
        value=sa.bindparam("new_value", type_=Answer.__table__.c.value.type),
        comment=sa.bindparam("new_comment"),
        updated_by_id=sa.bindparam("new_by"),
        updated_at=sa.bindparam("new_at", type_=Answer.__table__.c.updated_at.type),
        version=Answer.__table__.c.version + 1,
        # A carried-forward answer someone changes is theirs now: confirmed.
        carried_forward=sa.false(),
    )
)
