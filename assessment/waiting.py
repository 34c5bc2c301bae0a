"""What waits for one person in one organisation: reviews, their principles, comments to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessment.assignments import assigned_to
from assessment.catalogue_versions import catalogue_for
from assessment.extensions import db
from assessment.models import Assessment, Assignment, QuestionComment, Status, User


@dataclass(frozen=True)
class WaitingComment:
    """An open thread whose next move is this person's."""

    thread: QuestionComment
    assessment: Assessment
    principle_id: str | None
    last_by: str
    question_id: str


@dataclass
class Waiting:
    reviews: list[Assessment] = field(default_factory=list)
    assigned: list[Assignment] = field(default_factory=list)
    comments: list[WaitingComment] = field(default_factory=list)
    overdue: int = 0

    @property
    def empty(self) -> bool:
        return not (self.reviews or self.assigned or self.comments)


def reviews_for(user: User, organisation_id: int) -> list[Assessment]:
    """Return assessments in review that this person may approve (not their own submission)."""
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .where(
                Assessment.organisation_id == organisation_id,
                Assessment.status == Status.IN_REVIEW,
                sa.or_(Assessment.submitted_by_id.is_(None), Assessment.submitted_by_id != user.id),
            )
            .order_by(Assessment.submitted_at, Assessment.id)
        )
    )


def comments_for(user: User, organisation_id: int, *, may_answer: bool) -> list[WaitingComment]:
    """Return open threads waiting for this person.

    A thread they opened waits for them once someone replied; a thread
    someone else opened waits for those who answer questions until it has
    a reply.
    """
    threads = db.session.scalars(
        sa.select(QuestionComment)
        .join(Assessment, Assessment.id == QuestionComment.assessment_id)
        .where(
            QuestionComment.organisation_id == organisation_id,
            QuestionComment.thread_id.is_(None),
            QuestionComment.resolved_at.is_(None),
            Assessment.status != Status.APPROVED,
        )
        .options(selectinload(QuestionComment.replies), selectinload(QuestionComment.author))
        .order_by(QuestionComment.id)
    ).all()
    assessments = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Assessment).where(Assessment.id.in_({t.assessment_id for t in threads}))
        )
    }
    waiting = []
    for thread in threads:
        last = thread.replies[-1] if thread.replies else thread
        mine = thread.author_id == user.id
        if (mine and last.author_id != user.id) or (not mine and may_answer and not thread.replies):
            waiting.append(
                WaitingComment(
                    thread=thread,
                    assessment=assessments[thread.assessment_id],
                    principle_id=catalogue_for(
                        assessments[thread.assessment_id]
                    ).principle_ids_by_question.get(thread.question_id),
                    last_by=last.author.name if last.author else "a former member",
                    question_id=thread.question_id,
                )
            )
    return waiting


def waiting_for(
    user: User, organisation_id: int, *, may_review: bool, may_answer: bool, today: date
) -> Waiting:
    """Return everything waiting for this person in this organisation."""
    waiting = Waiting(
        reviews=reviews_for(user, organisation_id) if may_review else [],
        assigned=assigned_to(user, organisation_id),
        comments=comments_for(user, organisation_id, may_answer=may_answer),
    )
    waiting.overdue = sum(1 for a in waiting.assigned if a.due_date and a.due_date < today)
    return waiting
