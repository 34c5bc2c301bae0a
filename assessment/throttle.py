"""Throttling: after repeated failed logins (or password reset requests) for an email or
from an address, wait.

Keys are the email as typed (normalised) whether or not an account has it, so
a refusal says nothing about which accounts exist. While throttled, the
password is not checked at all, and the refused attempt is not counted, so
nobody can keep someone else's account locked for longer than the window.

Password reset requests are counted the same way under keys of their own
(every request counts, not only failures): nobody can flood an inbox with
reset e-mails, or probe many addresses from one place.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from assessment.extensions import db
from assessment.models import LoginFailure, utcnow

DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,  # per email
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "PASSWORD_RESET_MAX_PER_EMAIL": 3,
    "PASSWORD_RESET_MAX_PER_ADDRESS": 10,
    "PASSWORD_RESET_WINDOW_SECONDS": 60 * 60,
}
RESET_PREFIX = "reset-"


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def email_key(email: str) -> str:
    """Return the throttling key of an email address."""
    return "email:" + (email or "").strip().lower()


def address_key(address: str | None) -> str:
    """Return the throttling key of a client address."""
    return "address:" + (address or "unknown")


def seconds_to_wait(email: str, address: str | None) -> int:
    """Return how long the next attempt must wait, or 0 when it may go ahead."""
    return _wait(
        [
            (email_key(email), _setting("LOGIN_MAX_FAILURES")),
            (address_key(address), _setting("LOGIN_MAX_FAILURES_PER_ADDRESS")),
        ],
        _setting("LOGIN_WINDOW_SECONDS"),
    )


def reset_seconds_to_wait(email: str, address: str | None) -> int:
    """Return how long the next password reset request must wait, or 0 when it may go ahead."""
    return _wait(
        [
            (RESET_PREFIX + email_key(email), _setting("PASSWORD_RESET_MAX_PER_EMAIL")),
            (RESET_PREFIX + address_key(address), _setting("PASSWORD_RESET_MAX_PER_ADDRESS")),
        ],
        _setting("PASSWORD_RESET_WINDOW_SECONDS"),
    )


def _wait(limits: list[tuple[str, int]], window_seconds: int) -> int:
    window = timedelta(seconds=window_seconds)
    now = utcnow()
    wait = 0
    for key, limit in limits:
        recent = db.session.scalars(
            sa.select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > now - window)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        ).all()
        if len(recent) >= limit:
            # Allowed again once the limit-th newest failure leaves the window.
            wait = max(wait, math.ceil((recent[-1] + window - now).total_seconds()))
    return wait


def refusal_message(seconds: int) -> str:
    """Return what a throttled person reads: the same whether or not the account exists."""
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many failed attempts to log in. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
    )


def record_failure(email: str, address: str | None) -> None:
    """Count a failed login against the email and the address; drop expired failures."""
    now = utcnow()
    db.session.add_all(
        [LoginFailure(key=email_key(email), at=now), LoginFailure(key=address_key(address), at=now)]
    )
    prune(now)


def clear(email: str) -> None:
    """Forget an email's failures after a successful login (the address keeps its count)."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == email_key(email)))


def reset_refusal_message(seconds: int) -> str:
    """Return what someone asking too often for a password reset reads (whoever they ask for)."""
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many requests to reset a password. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
    )


def record_reset_request(email: str, address: str | None) -> None:
    """Count a password reset request against the email and the address; drop expired ones."""
    now = utcnow()
    db.session.add_all(
        [
            LoginFailure(key=RESET_PREFIX + email_key(email), at=now),
            LoginFailure(key=RESET_PREFIX + address_key(address), at=now),
        ]
    )
    prune(now)


def prune(now=None) -> None:
    """Delete failures and requests older than their window: they no longer count."""
    now = now or utcnow()
    resets = LoginFailure.key.startswith(RESET_PREFIX, autoescape=True)
    for window, which in (
        (_setting("LOGIN_WINDOW_SECONDS"), ~resets),
        (_setting("PASSWORD_RESET_WINDOW_SECONDS"), resets),
    ):
        cutoff = now - timedelta(seconds=window)
        db.session.execute(sa.delete(LoginFailure).where(which, LoginFailure.at <= cutoff))
