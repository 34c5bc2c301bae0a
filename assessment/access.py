"""Who may see what: every lookup of an organisation's data goes through here.

A user of another organisation gets 404 for any id they put in a URL, so the
existence of another organisation's assessment is never revealed.
"""

from __future__ import annotations

import enum
from typing import NoReturn

import sqlalchemy as sa
from flask import abort, session
from flask_login import current_user

from assessment.extensions import db
from assessment.logs import security_event
from assessment.models import Assessment, Membership, Role


class Permission(enum.StrEnum):
    VIEW = "view"  # read assessments, history, evidence; download reports
    ANSWER = "answer"  # create assessments; edit answers, comments, profile, evidence; submit
    REVIEW = "review"  # request changes, approve
    ASSIGN = "assign"  # set the owner and due date of principles
    MANAGE = "manage"  # invite, change and remove members


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RESPONDENT: frozenset({Permission.VIEW, Permission.ANSWER}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.REVIEW, Permission.ASSIGN}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}


def can(permission: Permission) -> bool:
    """Return whether the signed-in user's role in the current organisation allows this."""
    membership = current_membership()
    return membership is not None and permission in ROLE_PERMISSIONS.get(membership.role, ())


def require(permission: Permission) -> Membership:
    """Return the current membership, or refuse with 403 when the role does not allow it."""
    membership = current_membership()
    if membership is None or permission not in ROLE_PERMISSIONS.get(membership.role, ()):
        abort(403)
    return membership


def refuse_if_locked(assessment: Assessment) -> None:
    """Answer 409 for any change to an approved (locked) assessment."""
    if assessment.locked:
        abort(
            409,
            "This assessment is approved and locked, so it cannot be changed. "
            "Start the next cycle to work on a new draft with these answers carried forward.",
        )


def current_membership() -> Membership | None:
    """Return the signed-in user's membership of the organisation they are working in."""
    if not current_user.is_authenticated:
        return None
    query = sa.select(Membership).where(Membership.user_id == current_user.id)
    wanted = session.get("organisation_id")
    if wanted is not None:
        query = query.where(Membership.organisation_id == wanted)
    return db.session.scalars(query.order_by(Membership.id)).first()


def current_organisation_id() -> int:
    """Return the current organisation's id, or refuse with 403 for a user without one."""
    membership = current_membership()
    if membership is None:
        abort(403)
    return membership.organisation_id


def assessments_query() -> sa.Select:
    """Return a query over the current organisation's assessments only."""
    return sa.select(Assessment).where(Assessment.organisation_id == current_organisation_id())


def get_assessment_or_404(assessment_id: int) -> Assessment:
    """Return one of the current organisation's assessments, or answer 404."""
    assessment = db.session.scalars(
        assessments_query().where(Assessment.id == assessment_id)
    ).first()
    if assessment is None:
        not_found(Assessment, assessment_id)
    return assessment


def not_found(model: type, object_id: int) -> NoReturn:
    """Answer 404, logging a security event when the id belongs to another organisation."""
    owner = db.session.scalar(sa.select(model.organisation_id).where(model.id == object_id))
    membership = current_membership()
    if owner is not None and (membership is None or owner != membership.organisation_id):
        security_event("cross_organisation", what=model.__tablename__, id=object_id)
    abort(404)


def get_changeable_assessment_or_404(
    assessment_id: int, permission: Permission, *, locked_ok: bool = False
) -> Assessment:
    """Return the organisation's assessment if this role may change it now (404, 403, 409)."""
    assessment = get_assessment_or_404(assessment_id)
    require(permission)
    if not locked_ok:
        refuse_if_locked(assessment)
    return assessment


def may_answer(assessment: Assessment) -> bool:
    """Return whether the signed-in user may change this assessment's answers now."""
    return can(Permission.ANSWER) and not assessment.locked
