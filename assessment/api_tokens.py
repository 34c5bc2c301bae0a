"""Personal access tokens for the JSON API: made on a page, shown once, stored hashed.

A token acts for one person in one organisation until it expires or is
revoked. What it may do is its scope (read, or read and write) intersected
with the person's role there when each request arrives: a token never does
more than its person could on the web pages, and a changed role or a removed
membership takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from assessment import audit
from assessment.access import ROLE_PERMISSIONS, Permission
from assessment.extensions import db
from assessment.models import ApiToken, Membership, TokenScope, User, utcnow

SECRET_PREFIX = "vpat_"  # says what a leaked string is, so secret scanners can find it
NAME_MAX = 100
DEFAULT_DAYS = 90
MAX_DAYS = 366
SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    TokenScope.READ: frozenset({Permission.VIEW}),
    TokenScope.WRITE: frozenset({Permission.VIEW, Permission.ANSWER}),
}


class TokenRefused(ValueError):
    """A token that cannot be made as asked; nothing was stored."""


def token_hash(secret: str) -> str:
    """Return the stored form of a token's secret (sha256: the secret is random, not a password)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def scopes_for(membership: Membership) -> list[TokenScope]:
    """Return the scopes this member may give a token: write only if the role may answer."""
    allowed = ROLE_PERMISSIONS.get(membership.role, frozenset())
    return [s for s in TokenScope if SCOPE_PERMISSIONS[s] <= allowed]


def issue_token(
    user: User, membership: Membership, name: str, scope: str, days: int
) -> tuple[ApiToken, str]:
    """Make a token for this member's organisation; return it with its secret (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise TokenRefused(f"Give the token a name of 1 to {NAME_MAX} characters.")
    if scope not in {s.value for s in scopes_for(membership)}:
        raise TokenRefused(
            f"Your role ({membership.role}) cannot give a token the scope {scope!r}: "
            "a token may do no more than you can."
        )
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"A token expires after 1 to {MAX_DAYS} days.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        organisation_id=membership.organisation_id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:12],
        scope=scope,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        organisation_id=membership.organisation_id,
        user_id=user.id,
        action="api_token_created",
        target=f"token:{token.id}",
        new={"name": name, "scope": scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, secret


def find_token(secret: str) -> ApiToken | None:
    """Return the live token with this secret, or None (unknown, expired or revoked)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    return db.session.scalars(
        sa.select(ApiToken).where(
            ApiToken.token_hash == token_hash(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
    ).first()


def membership_of(token: ApiToken) -> Membership | None:
    """Return the token person's membership of the token's organisation, if it still exists."""
    return db.session.scalars(
        sa.select(Membership).where(
            Membership.user_id == token.user_id,
            Membership.organisation_id == token.organisation_id,
        )
    ).first()


def token_permissions(token: ApiToken, membership: Membership) -> frozenset[Permission]:
    """Return what a request with this token may do: its scope within the person's role now."""
    role = ROLE_PERMISSIONS.get(membership.role, frozenset())
    return role & SCOPE_PERMISSIONS.get(token.scope, frozenset())


def tokens_of(user: User, organisation_id: int) -> list[ApiToken]:
    """Return a person's tokens for one organisation, newest first (revoked and expired too)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.organisation_id == organisation_id)
            .order_by(ApiToken.id.desc())
        )
    )


def revoke(user: User, organisation_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the person's own tokens; return it, or None when they have no such token."""
    token = db.session.scalars(
        sa.select(ApiToken).where(
            ApiToken.id == token_id,
            ApiToken.user_id == user.id,
            ApiToken.organisation_id == organisation_id,
        )
    ).first()
    if token is None or token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    audit.record(
        organisation_id=organisation_id,
        user_id=user.id,
        action="api_token_revoked",
        target=f"token:{token.id}",
        old={"name": token.name, "scope": token.scope},
    )
    return token
