"""Who may see what: every lookup of an organisation's data goes through here.

A user of another organisation gets 404 for any id they put in a URL, so the
existence of another organisation's assessment is never revealed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, session
from flask_login import current_user

from assessment.extensions import db
from assessment.models import Assessment, Membership


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
        abort(404)
    return assessment
