"""The daily digest (`flask send-reminders`): what is due within 7 days or overdue, once a day.

Items: principles a person owns with a due date up to 7 days ahead (or
past), in assessments not yet approved; assessments in review waiting
for a reviewer or admin other than the person who submitted them; and
question comments waiting for an answer (see `_add_waiting_comments`).

Safe to run twice a day from cron: for each person, the items of their
digest are recorded in `reminder_sent` (unique per person, item and day;
the item names its due date or submission) in the same transaction as the
digest's e-mail row, and that transaction commits before anything is sent.
A second run the same day finds the rows and sends nothing; two runs at the
same moment collide on the unique key and the second skips the person; a
crash after the commit leaves the e-mail queued, sent by the next run
(`outbox.requeue_failed`), and never a second digest. The price is the
other way round: an e-mail recorded but lost in a crash while the server was
taking it is not sent again that day (see `outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from assessment.catalogue_versions import catalogue_for
from assessment.db import write_transaction
from assessment.extensions import db
from assessment.models import (
    Assessment,
    Assignment,
    Membership,
    QuestionComment,
    ReminderSent,
    Role,
    Status,
    User,
    utcnow,
)
from assessment.notices import events, kinds, outbox, preferences

HORIZON = timedelta(days=7)


def today() -> date:
    """Return the digest's day (UTC); tests move this clock."""
    return utcnow().date()


@dataclass(frozen=True)
class DueItem:
    """One line of a digest: a principle to finish, or a review to do."""

    key: str  # unique per item and due date (or submission), e.g. "assignment:4:P3@2030-01-05"
    kind: str  # "assignment" or "review"
    organisation: str
    service: str
    title: str
    due_date: date | None = None
    waiting_since: datetime | None = None
    link: str | None = field(default=None, compare=False)

    def overdue(self, day: date) -> bool:
        """Return whether the item's due date has passed on this day."""
        return self.due_date is not None and self.due_date < day

    def when(self, day: date) -> str:
        """Say how the due date stands on this day, in words."""
        if self.due_date is None:
            return f"waiting since {self.waiting_since:%d %b %Y}" if self.waiting_since else ""
        days = (self.due_date - day).days
        if days < 0:
            return f"overdue by {-days} day{'s' if days != -1 else ''} (due {self.due_date:%d %b})"
        if days == 0:
            return "due today"
        return f"due in {days} day{'s' if days != 1 else ''} ({self.due_date:%d %b})"


def due_items(day: date) -> dict[int, list[DueItem]]:
    """Return each person's digest items on this day, keyed by user id."""
    items: dict[int, list[DueItem]] = {}
    owned = db.session.execute(
        sa.select(Assignment, Assessment)
        .join(Assessment, Assessment.id == Assignment.assessment_id)
        .join(
            Membership,
            sa.and_(
                Membership.user_id == Assignment.owner_id,
                Membership.organisation_id == Assessment.organisation_id,
            ),
        )
        .where(
            Assignment.owner_id.is_not(None),
            Assignment.due_date.is_not(None),
            Assignment.due_date <= day + HORIZON,
            Assessment.status != Status.APPROVED,
        )
        .order_by(Assignment.due_date, Assessment.id, Assignment.principle_id)
    ).all()
    for assignment, assessment in owned:
        principle = catalogue_for(assessment).principles.get(assignment.principle_id)
        title = f"{assignment.principle_id} · {principle.title}" if principle else ""
        items.setdefault(assignment.owner_id, []).append(
            DueItem(
                key=(
                    f"assignment:{assessment.id}:{assignment.principle_id}"
                    f"@{assignment.due_date.isoformat()}"
                ),
                kind="assignment",
                organisation=assessment.organisation.name,
                service=assessment.service_name,
                title=title or assignment.principle_id,
                due_date=assignment.due_date,
                link=events.link(
                    "assessments.principle",
                    assessment_id=assessment.id,
                    principle_id=assignment.principle_id,
                ),
            )
        )
    waiting = db.session.execute(
        sa.select(Assessment, Membership.user_id)
        .join(Membership, Membership.organisation_id == Assessment.organisation_id)
        .where(
            Assessment.status == Status.IN_REVIEW,
            Membership.role.in_([Role.REVIEWER, Role.ADMIN]),
            sa.or_(
                Assessment.submitted_by_id.is_(None),
                Assessment.submitted_by_id != Membership.user_id,
            ),
        )
        .order_by(Assessment.submitted_at, Assessment.id)
    ).all()
    for assessment, user_id in waiting:
        since = assessment.submitted_at or assessment.updated_at
        items.setdefault(user_id, []).append(
            DueItem(
                key=f"review:{assessment.id}@{since:%Y-%m-%dT%H:%M:%S}",
                kind="review",
                organisation=assessment.organisation.name,
                service=assessment.service_name,
                title="Review and approve, or request changes",
                waiting_since=since,
                link=events.link("assessments.overview", assessment_id=assessment.id),
            )
        )
    _add_waiting_comments(items)
    return items


def _add_waiting_comments(items: dict[int, list[DueItem]]) -> None:
    """Add open question comments whose next move is someone's, to that person's items.

    A comment nobody answered yet waits for the principle's owner and the
    answer's last author; a reply waits for the person who opened the thread.
    """
    threads = db.session.scalars(
        sa.select(QuestionComment)
        .join(Assessment, Assessment.id == QuestionComment.assessment_id)
        .where(
            QuestionComment.thread_id.is_(None),
            QuestionComment.resolved_at.is_(None),
            Assessment.status != Status.APPROVED,
        )
        .options(selectinload(QuestionComment.replies))
        .order_by(QuestionComment.id)
    ).all()
    for thread in threads:
        assessment = db.session.get(Assessment, thread.assessment_id)
        last = thread.replies[-1] if thread.replies else thread
        if not thread.replies:
            people = events.question_people(assessment, thread.question_id)
        else:
            people = {thread.author_id} if last.author_id != thread.author_id else set()
        members = {u.id for u in events.members_of(assessment.organisation_id, user_ids=people)}
        principle_id = catalogue_for(assessment).principle_ids_by_question.get(thread.question_id)
        for user_id in sorted(members - {last.author_id}):
            items.setdefault(user_id, []).append(
                DueItem(
                    key=f"comment:{thread.id}@{last.id}",
                    kind="comment",
                    organisation=assessment.organisation.name,
                    service=assessment.service_name,
                    title=f"Answer the comment on {thread.question_id}",
                    waiting_since=last.created_at,
                    link=events.link(
                        "assessments.principle",
                        assessment_id=assessment.id,
                        principle_id=principle_id,
                        _anchor=f"comments-{thread.question_id}",
                    )
                    if principle_id
                    else None,
                )
            )


@dataclass
class Run:
    """What one `flask send-reminders` did."""

    day: date
    digests: int = 0
    items: int = 0
    already: int = 0
    retried: int = 0
    job_ids: list[int] = field(default_factory=list)


def send_reminders(day: date | None = None) -> Run:
    """Queue today's digests, recording every item first; return what was queued.

    Each person's digest is one short transaction: read what they were already
    reminded of today, record the rest with the e-mail, commit. The caller
    dispatches `run.job_ids` (the e-mail goes after the commits).
    """
    run = Run(day or today())
    with write_transaction(db.session):
        run.retried = outbox.requeue_failed()
    items_by_user = due_items(run.day)
    wanted = preferences.wanting(items_by_user, kinds.DIGEST.name)
    db.session.rollback()  # end the read: each person's digest is a transaction of its own
    for user_id in sorted(wanted):
        try:
            with write_transaction(db.session):
                fresh = _not_yet_reminded(user_id, items_by_user[user_id], run.day)
                if not fresh:
                    run.already += 1
                    continue
                _queue_digest(user_id, fresh, run.day)
        except IntegrityError:
            run.already += 1  # another run recorded them first: it sends this digest
            continue
        run.digests += 1
        run.items += len(fresh)
    run.job_ids, _ = outbox.take_ready()
    return run


def _not_yet_reminded(user_id: int, items: list[DueItem], day: date) -> list[DueItem]:
    sent = set(
        db.session.scalars(
            sa.select(ReminderSent.item).where(
                ReminderSent.user_id == user_id,
                ReminderSent.day == day,
                ReminderSent.item.in_([item.key for item in items]),
            )
        )
    )
    return [item for item in items if item.key not in sent]


def _queue_digest(user_id: int, items: list[DueItem], day: date) -> None:
    user = db.session.get(User, user_id)
    message = events.daily_digest(user, items, day)
    if message is None:  # pragma: no cover - the caller asked only those who want digests
        return
    db.session.flush()
    db.session.add_all(
        ReminderSent(user_id=user_id, item=item.key, day=day, mail_id=message.id) for item in items
    )
    db.session.flush()
