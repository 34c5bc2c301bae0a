"""Record answers and profile changes: audited, and never silently overwriting.

Each save carries the version of every answer the page was based on. If
someone else changed an answer since, the whole save is refused and nothing
is written, so both people's answers survive and the later one can decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessment import audit
from assessment.extensions import db
from assessment.models import Answer, Assessment, User


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
    """A save based on answers that have changed since; nothing was written."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        super().__init__(", ".join(c.question_id for c in conflicts))


def record_answers(assessment: Assessment, user: User, changes: list[AnswerChange]) -> int:
    """Apply a page of answers, auditing each change; return how many changed.

    Raises StaleSave, writing nothing, when any changed answer was based on
    an older version than the one stored.
    """
    stored = assessment.answers_by_question()
    conflicts = []
    to_apply = []
    for change in changes:
        answer = stored.get(change.question_id)
        old_value = answer.value if answer else None
        old_comment = answer.comment if answer else ""
        if (old_value, old_comment) == (change.value, change.comment):
            continue
        current_version = answer.version if answer else 0
        if change.base_version != current_version:
            conflicts.append(
                Conflict(
                    question_id=change.question_id,
                    value=old_value,
                    comment=old_comment,
                    updated_by=answer.updated_by.name if answer and answer.updated_by else "",
                    updated_at=answer.updated_at if answer else None,
                )
            )
            continue
        to_apply.append((change, answer))
    if conflicts:
        raise StaleSave(conflicts)

    for change, answer in to_apply:
        old = {"value": answer.value, "comment": answer.comment} if answer else None
        if answer is None:
            answer = Answer(assessment=assessment, question_id=change.question_id, version=0)
            db.session.add(answer)
        answer.value = change.value
        answer.comment = change.comment
        answer.updated_by = user
        answer.version += 1
        audit.record(
            organisation_id=assessment.organisation_id,
            assessment_id=assessment.id,
            user_id=user.id,
            action="answer",
            target=change.question_id,
            old=old,
            new={"value": change.value, "comment": change.comment},
        )
    return len(to_apply)


def record_profile(assessment: Assessment, user: User, profile: dict[str, Any]) -> bool:
    """Replace the service profile, auditing the change; return whether it changed."""
    if assessment.profile == profile:
        return False
    audit.record(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        user_id=user.id,
        action="profile",
        target="profile",
        old=dict(assessment.profile or {}),
        new=profile,
    )
    assessment.profile = profile
    return True
