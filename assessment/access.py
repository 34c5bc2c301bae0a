"""Who may see what: every lookup of an organisation's data goes through here.

A user of another organisation gets 404 for any id they put in a URL, so the
existence of another organisation's assessment is never revealed.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from typing import NoReturn

import sqlalchemy as sa
from flask import abort, g, session
from flask_login import current_user
from sqlalchemy.orm import joinedload

from assessment.editing import LOCKED, refusal_for
from assessment.extensions import db
from assessment.logs import security_event
from assessment.models import CONTENT_EDITABLE, Answer, Assessment, Membership, Role, Status


class Permission(enum.StrEnum):
    VIEW = "view"  # read assessments, history, evidence; download reports
    ANSWER = "answer"  # create assessments; edit answers, comments, profile, evidence; submit
    REVIEW = "review"  # request changes, approve
    ASSIGN = "assign"  # set the owner and due date of principles
    MANAGE = "manage"  # invite, change and remove members
    UPGRADE = "upgrade"  # move a draft to a newer catalogue version


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RESPONDENT: frozenset({Permission.VIEW, Permission.ANSWER}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.REVIEW, Permission.ASSIGN}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}


def can(permission: Permission) -> bool:
    """Return whether the signed-in user's role in the current organisation allows this."""
    membership = current_membership()
    return membership is not None and permission in _permissions(membership)


def require(permission: Permission) -> Membership:
    """Return the current membership, or refuse with 403 when the role does not allow it."""
    membership = current_membership()
    if membership is None or permission not in _permissions(membership):
        abort(403)
    return membership


def _permissions(membership: Membership) -> frozenset[Permission]:
    """Return what the role allows, within an API token's scope when the request carries one."""
    allowed = ROLE_PERMISSIONS.get(membership.role, frozenset())
    token_limit = g.get("api_permissions")
    return allowed if token_limit is None else allowed & token_limit


def refuse_if_locked(assessment: Assessment) -> None:
    """Answer 409 for any change to an approved (locked) assessment."""
    if assessment.locked:
        abort(409, LOCKED)


def current_membership() -> Membership | None:
    """Return the signed-in user's membership of the organisation they are working in.

    Read once per request: every permission check of the request reuses it.
    The cache is keyed by who is signed in and which organisation they chose,
    so a login or a switch within the request reads it again, and
    `forget_membership` drops it after a removal or a role change.
    """
    # The request's `g` and user, looked up once: every permission check of a page comes here.
    state = g._get_current_object()
    api_membership = state.get("api_membership")
    if api_membership is not None:  # an API token names its organisation; no session is read
        return api_membership
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return None
    wanted = session.get("organisation_id")
    key = (user.id, wanted)
    cached = state.get("_membership")
    if cached is not None and cached[0] == key:
        return cached[1]
    # The user loader read the memberships with the user, in the same query.
    memberships = [m for m in user.memberships if wanted is None or m.organisation_id == wanted]
    membership = min(memberships, key=lambda m: m.id) if memberships else None
    state._membership = (key, membership)
    return membership


def forget_membership() -> None:
    """Drop this request's cached membership (after it was removed or its role changed)."""
    g.pop("_membership", None)


def current_organisation_id() -> int:
    """Return the current organisation's id, or refuse with 403 for a user without one."""
    membership = current_membership()
    if membership is None:
        abort(403)
    return membership.organisation_id


def assessments_query() -> sa.Select:
    """Return a query over the current organisation's assessments only."""
    return sa.select(Assessment).where(Assessment.organisation_id == current_organisation_id())


def get_assessment_or_404(
    assessment_id: int, *, with_answers: bool | Iterable[str] = False
) -> Assessment:
    """Return one of the current organisation's assessments, or answer 404.

    `with_answers` reads its answers in the same query (pages that save them):
    True for all of them, or the ids of the questions whose answers are
    wanted; then `assessment.answers` holds only those until the session
    next expires it (a commit or a rollback).
    """
    if with_answers is True or with_answers is False:
        statement = _assessment_statement(with_answers)
    else:
        statement = _assessment_statement(tuple(with_answers))
    parameters = {"assessment_id": assessment_id, "organisation_id": current_organisation_id()}
    assessment = db.session.scalars(statement, parameters).unique().first()
    if assessment is None:
        not_found(Assessment, assessment_id)
    return assessment


@functools.lru_cache(maxsize=256)
def _assessment_statement(answers: bool | tuple[str, ...]) -> sa.Select:
    """Build the lookup once per shape: a statement reused keeps its cache key (every page runs it).

    The question ids go in as plain equalities, not IN: an IN list is
    expanded again at every execution.
    """
    statement = sa.select(Assessment).where(
        Assessment.id == sa.bindparam("assessment_id"),
        Assessment.organisation_id == sa.bindparam("organisation_id"),
    )
    if answers is True:
        statement = statement.options(joinedload(Assessment.answers))
    elif answers:
        wanted = sa.or_(*(Answer.question_id == question_id for question_id in answers))
        statement = statement.options(joinedload(Assessment.answers.and_(wanted)))
    return statement


def not_found(model: type, object_id: int) -> NoReturn:
    """Answer 404, logging a security event when the id belongs to another organisation."""
    owner = db.session.scalar(sa.select(model.organisation_id).where(model.id == object_id))
    membership = current_membership()
    if owner is not None and (membership is None or owner != membership.organisation_id):
        security_event("cross_organisation", what=model.__tablename__, id=object_id)
    abort(404)


def refuse_unless_editable(
    assessment: Assessment, allowed: Iterable[Status] = CONTENT_EDITABLE
) -> None:
    """Answer 409, saying why, when the assessment's status does not allow this change.

    A courtesy before any work: the write itself goes through
    `editing.touch_assessment`, which the database enforces.
    """
    reason = refusal_for(assessment.status, allowed)
    if reason is not None:
        abort(409, reason)


def get_changeable_assessment_or_404(
    assessment_id: int,
    permission: Permission,
    *,
    locked_ok: bool = False,
    allowed: Iterable[Status] | None = None,
) -> Assessment:
    """Return the organisation's assessment if this role may change it now (404, 403, 409).

    With `allowed`, the status must also be one of those (content changes:
    draft or changes requested).
    """
    assessment = get_assessment_or_404(assessment_id)
    require(permission)
    if not locked_ok:
        refuse_if_locked(assessment)
    if allowed is not None:
        refuse_unless_editable(assessment, allowed)
    return assessment


def may_answer(assessment: Assessment) -> bool:
    """Return whether the signed-in user may change this assessment's answers now."""
    return can(Permission.ANSWER) and assessment.content_editable
