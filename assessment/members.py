"""Membership rules: invitations that work once and expire, and the last admin stays."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from assessment import audit
from assessment.extensions import db
from assessment.models import Invitation, Membership, Role, User, utcnow

INVITATION_LIFETIME = timedelta(days=7)


class MembershipError(Exception):
    """A membership change that is not allowed; the message says why."""


class InvitationUnusable(MembershipError):
    """An invitation link that is unknown, used or expired."""


def token_hash(token: str) -> str:
    """Return the stored form of an invitation token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(organisation_id: int, inviter: User, role: str, email: str = "") -> str:
    """Create an invitation and return its secret token, shown once to the admin."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invitation(
            organisation_id=organisation_id,
            token_hash=token_hash(token),
            role=Role(role),
            email=email,
            created_by_id=inviter.id,
            expires_at=utcnow() + INVITATION_LIFETIME,
        )
    )
    audit.record_membership(
        organisation_id, inviter, email or "(invitation)", new={"invited_as": role}
    )
    return token


def find_invitation(token: str) -> Invitation:
    """Return a usable invitation for a token, or raise MembershipError saying why not."""
    invitation = db.session.scalars(
        sa.select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).first()
    if invitation is None:
        raise InvitationUnusable("This invitation link is not valid. Ask your admin for a new one.")
    if invitation.used_at is not None:
        raise InvitationUnusable("This invitation link has already been used.")
    if invitation.expires_at < utcnow():
        raise InvitationUnusable("This invitation link has expired. Ask your admin for a new one.")
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Make the user a member with the invited role, and use the invitation up."""
    existing = db.session.scalars(
        sa.select(Membership).where(
            Membership.organisation_id == invitation.organisation_id,
            Membership.user_id == user.id,
        )
    ).first()
    if existing is not None:
        raise MembershipError("You are already a member of this organisation.")
    membership = Membership(
        user=user, organisation_id=invitation.organisation_id, role=invitation.role
    )
    db.session.add(membership)
    invitation.used_at = utcnow()
    invitation.used_by = user
    db.session.flush()
    audit.record_membership(
        invitation.organisation_id, user, user.email, new={"role": invitation.role, "joined": True}
    )
    return membership


def _admin_count(organisation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.organisation_id == organisation_id, Membership.role == Role.ADMIN
        )
    )


def change_role(membership: Membership, actor: User, role: str) -> None:
    """Change a member's role; the last admin cannot be demoted."""
    role = Role(role)
    demoting = membership.role == Role.ADMIN and role != Role.ADMIN
    if demoting and _admin_count(membership.organisation_id) <= 1:
        raise MembershipError(
            "This is the organisation's last admin: make someone else admin first."
        )
    if membership.role == role:
        return
    audit.record_membership(
        membership.organisation_id,
        actor,
        membership.user.email,
        old={"role": membership.role},
        new={"role": role.value},
    )
    membership.role = role


def remove_member(membership: Membership, actor: User) -> None:
    """Remove a member; the last admin cannot be removed."""
    if membership.role == Role.ADMIN and _admin_count(membership.organisation_id) <= 1:
        raise MembershipError("This is the organisation's last admin and cannot be removed.")
    audit.record_membership(
        membership.organisation_id,
        actor,
        membership.user.email,
        old={"role": membership.role},
        new={"removed": True},
    )
    db.session.delete(membership)
