"""One function per kind of notice: who gets it and what it says, written to the outbox.

Each is called inside the transaction of the change it reports (by the
domain function, or by the view in one line) and only adds rows: the e-mail
goes after the commit (`assessment.notices.outbox`). Recipients are current
members of the organisation, never the person who acted, and only those who
have not turned the kind off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import render_template

from assessment.catalogue_versions import catalogue_for
from assessment.extensions import db
from assessment.links import NoExternalURL, absolute_url_for
from assessment.models import (
    Answer,
    Assessment,
    Assignment,
    AuditEvent,
    Invitation,
    MailMessage,
    Membership,
    QuestionComment,
    Role,
    User,
)
from assessment.notices import kinds, preferences
from assessment.notices.outbox import queue, queue_after_response

# Audit actions that make someone a contributor to an assessment.
CONTRIBUTIONS = ("create", "answer", "evidence", "profile", "narrative")


def link(endpoint: str, **values: object) -> str | None:
    """Return an absolute link for an e-mail, or None when the site's address is unknown."""
    try:
        return absolute_url_for(endpoint, **values)
    except NoExternalURL:
        return None


def render_body(kind: kinds.NoticeKind, **context: object) -> str:
    """Render `templates/mail/<kind>.txt` as tidy plain text."""
    if kind.optional:
        context.setdefault("preferences_link", link("account.notices"))
    text = render_template(f"mail/{kind.name}.txt", kind=kind, **context)
    lines: list[str] = []
    # "-- " (with its space) is the signature separator mail programs know.
    for line in (raw if raw == "-- " else raw.rstrip() for raw in text.strip().splitlines()):
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines) + "\n"


def members_of(
    organisation_id: int, *, user_ids: Iterable[int] | None = None, roles: Iterable[str] = ()
) -> list[User]:
    """Return current members of the organisation (optionally only these people or roles)."""
    query = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.id)
    )
    if user_ids is not None:
        query = query.where(User.id.in_(set(user_ids)))
    if roles:
        query = query.where(Membership.role.in_(list(roles)))
    return list(db.session.scalars(query).unique())


def _notify(
    kind: kinds.NoticeKind,
    recipients: Iterable[User],
    *,
    actor: User | None,
    subject: str,
    organisation_id: int | None,
    ref: str,
    **context: object,
) -> list[MailMessage]:
    """Queue one e-mail of this kind to each recipient who wants it, the actor excepted."""
    people = [u for u in recipients if actor is None or u.id != actor.id]
    wanted = preferences.wanting([u.id for u in people], kind.name)
    return [
        queue(
            kind,
            to_address=user.email,
            subject=subject,
            body=render_body(kind, recipient=user, actor=actor, **context),
            user_id=user.id,
            organisation_id=organisation_id,
            ref=ref,
            actor_id=actor.id if actor else None,
        )
        for user in people
        if user.id in wanted
    ]


def _assessment_context(assessment: Assessment) -> dict[str, object]:
    return {
        "assessment": assessment,
        "organisation": assessment.organisation,
        "overview_link": link("assessments.overview", assessment_id=assessment.id),
    }


def invitation(invite: Invitation, inviter: User, invitation_link: str) -> MailMessage:
    """Send an invitation link to the address the admin gave (it cannot be turned off)."""
    organisation = invite.organisation
    return queue(
        kinds.INVITATION,
        to_address=invite.email,
        subject=f"{inviter.name} invites you to {organisation.name} on the VP self-assessment",
        body=render_body(
            kinds.INVITATION,
            invitation=invite,
            inviter=inviter,
            organisation=organisation,
            invitation_link=invitation_link,
        ),
        organisation_id=invite.organisation_id,
        ref=f"invitation:{invite.id}",
        actor_id=inviter.id,
    )


def review_requested(assessment: Assessment, actor: User) -> list[MailMessage]:
    """Tell the organisation's reviewers and admins that an assessment waits for review."""
    return _notify(
        kinds.REVIEW_REQUESTED,
        members_of(assessment.organisation_id, roles=(Role.REVIEWER, Role.ADMIN)),
        actor=actor,
        subject=f"Review requested: {assessment.service_name} ({assessment.organisation.name})",
        organisation_id=assessment.organisation_id,
        ref=f"assessment:{assessment.id}",
        **_assessment_context(assessment),
    )


def changes_requested(assessment: Assessment, actor: User, comment: str) -> list[MailMessage]:
    """Tell the submitter and the principles' owners what the reviewer wants changed."""
    people = {a.owner_id for a in assessment.assignments if a.owner_id}
    if assessment.submitted_by_id:
        people.add(assessment.submitted_by_id)
    return _notify(
        kinds.CHANGES_REQUESTED,
        members_of(assessment.organisation_id, user_ids=people),
        actor=actor,
        subject=f"Changes requested: {assessment.service_name} ({assessment.organisation.name})",
        organisation_id=assessment.organisation_id,
        ref=f"assessment:{assessment.id}",
        comment=comment,
        **_assessment_context(assessment),
    )


def approved(assessment: Assessment, actor: User) -> list[MailMessage]:
    """Tell the submitter and everyone who contributed that the assessment is approved."""
    people = set(
        db.session.scalars(
            sa.select(AuditEvent.user_id).where(
                AuditEvent.assessment_id == assessment.id,
                AuditEvent.action.in_(CONTRIBUTIONS),
                AuditEvent.user_id.is_not(None),
            )
        )
    )
    people |= {i for i in (assessment.submitted_by_id, assessment.created_by_id) if i}
    return _notify(
        kinds.APPROVED,
        members_of(assessment.organisation_id, user_ids=people),
        actor=actor,
        subject=f"Approved: {assessment.service_name} ({assessment.organisation.name})",
        organisation_id=assessment.organisation_id,
        ref=f"assessment:{assessment.id}",
        **_assessment_context(assessment),
    )


@dataclass(frozen=True)
class AssignmentChange:
    """A principle that now has this owner (or nobody) and due date."""

    principle_id: str
    owner_id: int | None
    due_date: date | None


def assignments_changed(
    assessment: Assessment, actor: User, changes: Iterable[AssignmentChange]
) -> list[MailMessage]:
    """Tell each new owner (or owner with a new due date) what is theirs: one e-mail each."""
    by_owner: dict[int, list[AssignmentChange]] = {}
    for change in changes:
        if change.owner_id is not None:
            by_owner.setdefault(change.owner_id, []).append(change)
    catalogue = catalogue_for(assessment)
    messages = []
    for owner in members_of(assessment.organisation_id, user_ids=by_owner):
        mine = by_owner[owner.id]
        principles = [
            {
                "id": c.principle_id,
                "title": catalogue.principles[c.principle_id].title,
                "due_date": c.due_date,
                "link": link(
                    "assessments.principle",
                    assessment_id=assessment.id,
                    principle_id=c.principle_id,
                ),
            }
            for c in mine
            if c.principle_id in catalogue.principles
        ]
        count = len(principles)
        messages += _notify(
            kinds.ASSIGNMENT,
            [owner],
            actor=actor,
            subject=(
                f"Assigned to you: {count} principle{'s' if count != 1 else ''} of "
                f"{assessment.service_name} ({assessment.organisation.name})"
            ),
            organisation_id=assessment.organisation_id,
            ref=f"assessment:{assessment.id}",
            principles=principles,
            **_assessment_context(assessment),
        )
    return messages


def daily_digest(user: User, items: list, day: date) -> MailMessage | None:
    """Send one person their digest of due, overdue and waiting items (`notices.digest`)."""
    overdue = sum(1 for item in items if item.overdue(day))
    subject = f"Your VP self-assessment digest for {day:%d %b %Y}: {len(items)} item"
    subject += "s" if len(items) != 1 else ""
    if overdue:
        subject += f", {overdue} overdue"
    messages = _notify(
        kinds.DIGEST,
        [user],
        actor=None,
        subject=subject,
        organisation_id=None,
        ref=f"digest:{day.isoformat()}",
        items=items,
        day=day,
    )
    return messages[0] if messages else None


def password_reset(user: User, reset_link: str) -> None:
    """Send a password reset link to the account's address (always: the person asked).

    Written to the outbox after the response: the request must take as long
    for an address without an account, which writes nothing.
    """
    queue_after_response(
        kinds.PASSWORD_RESET,
        to_address=user.email,
        subject="Choose a new password for the VP self-assessment",
        body=render_password_reset(user.name, reset_link),
        user_id=user.id,
        ref=f"user:{user.id}",
    )


def render_password_reset(name: str, reset_link: str) -> str:
    """Render the reset e-mail (also for nobody, so an unknown address costs the same work)."""
    return render_body(kinds.PASSWORD_RESET, name=name, reset_link=reset_link)


def registration_link(registration, finish_link: str) -> None:
    """Send the link that finishes a registration to the address given (after the response)."""
    queue_after_response(
        kinds.REGISTRATION,
        to_address=registration.email,
        subject=f"Finish setting up {registration.organisation} on the VP self-assessment",
        body=render_body(kinds.REGISTRATION, registration=registration, finish_link=finish_link),
        ref="registration",
    )


def registration_exists(user: User, login_link: str, reset_link: str) -> None:
    """Tell an account's owner that someone tried to register with their address."""
    queue_after_response(
        kinds.REGISTRATION_EXISTS,
        to_address=user.email,
        subject="You already have a VP self-assessment account",
        body=render_body(
            kinds.REGISTRATION_EXISTS, name=user.name, login_link=login_link, reset_link=reset_link
        ),
        user_id=user.id,
        ref=f"user:{user.id}",
    )


def question_comment(
    assessment: Assessment,
    comment: QuestionComment,
    actor: User,
    *,
    thread: QuestionComment | None = None,
) -> list[MailMessage]:
    """Tell the people concerned about a comment on a question.

    A new comment goes to the owner of the question's principle and the last
    author of its answer; a reply goes to everyone who wrote in the thread.
    """
    if thread is None:
        people = question_people(assessment, comment.question_id)
    else:
        people = {thread.author_id} | {r.author_id for r in thread.replies}
    catalogue = catalogue_for(assessment)
    principle_id = catalogue.principle_ids_by_question.get(comment.question_id)
    question = catalogue.questions.get(comment.question_id)
    return _notify(
        kinds.QUESTION_COMMENT,
        members_of(assessment.organisation_id, user_ids={i for i in people if i}),
        actor=actor,
        subject=(
            f"{'Reply' if thread is not None else 'Comment'} on {comment.question_id}: "
            f"{assessment.service_name} ({assessment.organisation.name})"
        ),
        organisation_id=assessment.organisation_id,
        ref=f"comment:{thread.id if thread is not None else comment.id}",
        comment=comment,
        is_reply=thread is not None,
        question_text=question.text if question else "",
        question_link=link(
            "assessments.principle",
            assessment_id=assessment.id,
            principle_id=principle_id,
            _anchor=comment.question_id,
        )
        if principle_id
        else None,
        **_assessment_context(assessment),
    )


def question_people(assessment: Assessment, question_id: str) -> set[int]:
    """Return the owner of the question's principle and the last author of its answer."""
    principle_id = catalogue_for(assessment).principle_ids_by_question.get(question_id)
    owner = db.session.scalar(
        sa.select(Assignment.owner_id).where(
            Assignment.assessment_id == assessment.id, Assignment.principle_id == principle_id
        )
    )
    author = db.session.scalar(
        sa.select(Answer.updated_by_id).where(
            Answer.assessment_id == assessment.id, Answer.question_id == question_id
        )
    )
    return {i for i in (owner, author) if i}
