"""Comment threads on single questions: a reviewer asks, respondents answer, a reviewer resolves.

A thread is its first message and the replies that name it. Threads are kept
while the assessment is a draft, in review or returned with changes; an
approved assessment's threads are read-only. Every message and every
resolution is written to the audit trail in the same transaction, and the
people concerned are told by e-mail (`notices.question_comment`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessment import audit, notices
from assessment.editing import touch_assessment
from assessment.extensions import db
from assessment.models import PLANNING_EDITABLE, Assessment, QuestionComment, User, utcnow
from assessment.results import CommentEntry

BODY_MAX = 2000


class CommentRefused(Exception):
    """A comment that cannot be written now; the message says why."""


@dataclass(frozen=True)
class Thread:
    """A thread's first message with its replies, oldest first."""

    first: QuestionComment
    replies: tuple[QuestionComment, ...]

    @property
    def question_id(self) -> str:
        return self.first.question_id

    @property
    def resolved(self) -> bool:
        return self.first.resolved

    @property
    def last(self) -> QuestionComment:
        return self.replies[-1] if self.replies else self.first


def _clean(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise CommentRefused("Write the comment first: it was empty.")
    if len(text) > BODY_MAX:
        raise CommentRefused(f"A comment may be at most {BODY_MAX} characters.")
    return text


def raise_comment(
    assessment: Assessment, user: User, question_id: str, body: str
) -> QuestionComment:
    """Open a thread on one question; the caller commits."""
    text = _clean(body)
    touch_assessment(assessment, PLANNING_EDITABLE)
    comment = QuestionComment(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        question_id=question_id,
        author_id=user.id,
        body=text,
    )
    db.session.add(comment)
    db.session.flush()
    audit.record_for(assessment, user, "comment", question_id, new={"comment": text})
    notices.question_comment(assessment, comment, user)
    return comment


def reply(
    assessment: Assessment, user: User, thread: QuestionComment, body: str
) -> QuestionComment:
    """Answer an open thread; the caller commits."""
    text = _clean(body)
    if thread.resolved:
        raise CommentRefused("This comment is resolved; open a new one to say more.")
    touch_assessment(assessment, PLANNING_EDITABLE)
    message = QuestionComment(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        question_id=thread.question_id,
        thread_id=thread.id,
        author_id=user.id,
        body=text,
    )
    db.session.add(message)
    db.session.flush()
    audit.record_for(assessment, user, "comment_reply", thread.question_id, new={"comment": text})
    notices.question_comment(assessment, message, user, thread=thread)
    return message


def resolve(assessment: Assessment, user: User, thread: QuestionComment) -> None:
    """Mark a thread resolved, only if nobody resolved it meanwhile; the caller commits."""
    touch_assessment(assessment, PLANNING_EDITABLE)
    done = db.session.execute(
        sa.update(QuestionComment)
        .where(QuestionComment.id == thread.id, QuestionComment.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=user.id)
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:
        raise CommentRefused("This comment was already resolved.")
    audit.record_for(
        assessment,
        user,
        "comment_resolved",
        thread.question_id,
        old={"comment": thread.body},
        new={"resolved": True},
    )


def get_thread(assessment: Assessment, thread_id: int) -> QuestionComment | None:
    """Return a thread's first message in this assessment, or None."""
    return db.session.scalars(
        sa.select(QuestionComment).where(
            QuestionComment.id == thread_id,
            QuestionComment.assessment_id == assessment.id,
            QuestionComment.thread_id.is_(None),
        )
    ).first()


def threads_of(
    assessment_id: int, *, question_ids: list[str] | None = None, open_only: bool = False
) -> list[Thread]:
    """Return an assessment's threads (of these questions), oldest first."""
    query = (
        sa.select(QuestionComment)
        .where(QuestionComment.assessment_id == assessment_id, QuestionComment.thread_id.is_(None))
        .options(
            selectinload(QuestionComment.replies).joinedload(QuestionComment.author),
            selectinload(QuestionComment.author),
        )
        .order_by(QuestionComment.id)
    )
    if question_ids is not None:
        query = query.where(QuestionComment.question_id.in_(question_ids))
    if open_only:
        query = query.where(QuestionComment.resolved_at.is_(None))
    return [Thread(first, tuple(first.replies)) for first in db.session.scalars(query)]


def threads_by_question(threads: list[Thread]) -> dict[str, list[Thread]]:
    """Group threads by the question they are about."""
    grouped: dict[str, list[Thread]] = defaultdict(list)
    for thread in threads:
        grouped[thread.question_id].append(thread)
    return dict(grouped)


def comment_entries(assessment: Assessment) -> tuple[CommentEntry, ...]:
    """Return every message of the assessment's threads, oldest first, for the JSON export."""
    messages = db.session.scalars(
        sa.select(QuestionComment)
        .where(QuestionComment.assessment_id == assessment.id)
        .options(selectinload(QuestionComment.author), selectinload(QuestionComment.resolved_by))
        .order_by(QuestionComment.id)
    )
    return tuple(
        CommentEntry(
            id=m.id,
            thread_id=m.thread_id,
            question_id=m.question_id,
            at=m.created_at,
            who=m.author.name if m.author else "(removed user)",
            body=m.body,
            resolved_at=m.resolved_at,
            resolved_by=(m.resolved_by.name if m.resolved_by else "") if m.resolved_at else "",
        )
        for m in messages
    )
