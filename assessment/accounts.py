"""User accounts and organisations: one way to find and to create them, for the web forms and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from assessment import audit
from assessment.extensions import db
from assessment.models import Membership, Organisation, Role, User


def normalise_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-cased."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Return the user with this email, if any."""
    return db.session.scalars(sa.select(User).where(User.email == normalise_email(email))).first()


def new_user(email: str, name: str, password: str) -> User:
    """Add a user with a normalised email and a hashed password; the caller commits."""
    user = User(email=normalise_email(email), name=name.strip())
    user.set_password(password)
    db.session.add(user)
    return user


def new_organisation(name: str, admin: User) -> Organisation:
    """Add an organisation with this user as its admin, audited; the caller commits."""
    organisation = Organisation(name=name.strip())
    db.session.add_all(
        [organisation, Membership(user=admin, organisation=organisation, role=Role.ADMIN)]
    )
    db.session.flush()
    audit.record_membership(organisation.id, admin, admin.email, new={"role": Role.ADMIN.value})
    return organisation
