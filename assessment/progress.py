"""Where each principle of an assessment stands: for the navigator, the progress bar and "next"."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from assessment.applicability import applicable_questions
from assessment.catalogue import Catalogue, is_answered
from assessment.extensions import db
from assessment.models import Answer


class State(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    OUT_OF_SCOPE = "out of scope"


@dataclass(frozen=True)
class PrincipleProgress:
    """One principle's place in the journey: answered of applicable, and what that means."""

    id: str
    title: str
    state: State
    answered: int
    applicable: int


def principle_progress(
    catalogue: Catalogue, profile: Mapping[str, Any], answered_ids: Iterable[str]
) -> list[PrincipleProgress]:
    """Return every principle's state, in catalogue order, from the answered question ids."""
    answered_ids = set(answered_ids)
    progress = []
    for principle in catalogue.principles.values():
        in_scope = applicable_questions(principle, profile)
        answered = sum(1 for q in in_scope if q.id in answered_ids)
        progress.append(
            PrincipleProgress(
                principle.id,
                principle.title,
                _state(len(in_scope), answered),
                answered,
                len(in_scope),
            )
        )
    return progress


def _state(applicable: int, answered: int) -> State:
    if not applicable:
        return State.OUT_OF_SCOPE
    if not answered:
        return State.NOT_STARTED
    return State.COMPLETE if answered == applicable else State.IN_PROGRESS


def next_in_scope(progress: Sequence[PrincipleProgress], principle_id: str) -> str | None:
    """Return the next principle after this one that has questions to answer, or None."""
    ids = [p.id for p in progress]
    later = progress[ids.index(principle_id) + 1 :] if principle_id in ids else []
    return next((p.id for p in later if p.state != State.OUT_OF_SCOPE), None)


def answered_question_ids(assessment_id: int) -> set[str]:
    """Return the ids of the questions this assessment has an answer to (one small query)."""
    rows = db.session.execute(
        sa.select(Answer.question_id, Answer.value).where(Answer.assessment_id == assessment_id)
    )
    return {question_id for question_id, value in rows if is_answered(value)}
