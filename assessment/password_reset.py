"""Password reset by e-mail: a signed link that works once, for one hour.

The link carries a token signed with the app's secret key (itsdangerous, as
Flask's own sessions are) holding the user's id, the time it was made and a
fingerprint of the account's current password hash (an HMAC of it, so the
token shows nothing of the hash). Nothing is stored:

- it expires: the signed time is checked against LIFETIME;
- it works once: setting the new password changes the hash, so the
  fingerprint no longer matches, and every other link sent before is
  refused too; so is a link to an account whose password changed since;
- it cannot be forged or moved to another account without the secret key.

A stored token row would do the same with a table, a cleanup and a race
between two uses; the signature needs none of them.

Asking for a link never says whether the address has an account: the same
page, the same words, and the same work in the request (a token signed and an
e-mail rendered for nobody) whether or not it has one. The e-mail is written
to the outbox and sent only after the response has gone.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from assessment.accounts import find_user
from assessment.extensions import db
from assessment.links import absolute_url_for
from assessment.models import User, utcnow
from assessment.notices import events

LIFETIME = timedelta(hours=1)
SALT = "password-reset"
TOKEN_MAX = 400  # a real token is about 120 characters


def now() -> int:
    """Return the current time in seconds; the tokens' clock, which tests move."""
    return int(utcnow().timestamp())


class TokenSigner(TimestampSigner):
    """A timestamp signer on `now()`, so the e-mailed links' tests can move the clock."""

    def get_timestamp(self) -> int:
        return now()


class ResetRefused(Exception):
    """The link cannot be used; the message says why and what to do, `reason` in one word."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT, signer=TokenSigner)


def _fingerprint(user_id: int, password_hash: str) -> str:
    key = str(current_app.secret_key).encode()
    text = f"{user_id}:{password_hash}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:32]


def make_token(user: User) -> str:
    """Return a reset token for this account as its password stands now."""
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user.id, user.password_hash)})


# An account that does not exist: the same work is done for it as for a real one.
_NOBODY_HASH = "scrypt:32768:8:1$nobody$" + "0" * 128


def request_reset(email: str) -> bool:
    """Queue a reset e-mail when an account has this address; return whether one did.

    An unknown address signs a token and renders an e-mail just the same, so
    the request takes as long either way; nothing is queued for it.
    """
    user = find_user(email)
    if user is None:
        token = _serializer().dumps({"u": 0, "f": _fingerprint(0, _NOBODY_HASH)})
        events.render_password_reset("", _reset_link(token))
        return False
    events.password_reset(user, _reset_link(make_token(user)))
    return True


def _reset_link(token: str) -> str:
    return absolute_url_for("auth.reset_password", token=token)


def user_for_token(token: str) -> User:
    """Return the account a reset token is for, or raise ResetRefused saying why not."""
    if not token or len(token) > TOKEN_MAX:
        raise ResetRefused(_NOT_VALID, "invalid")
    try:
        data = _serializer().loads(token, max_age=int(LIFETIME.total_seconds()))
    except SignatureExpired:
        raise ResetRefused(
            "This link has expired: a link to reset a password works for one hour. "
            "Ask for a new one below.",
            "expired",
        ) from None
    except BadData:
        raise ResetRefused(_NOT_VALID, "invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise ResetRefused(_NOT_VALID, "invalid")
    user = db.session.get(User, data["u"]) if data["u"] > 0 else None
    fingerprint = data.get("f") if isinstance(data.get("f"), str) else ""
    if user is None or not hmac.compare_digest(
        fingerprint, _fingerprint(user.id, user.password_hash)
    ):
        raise ResetRefused(
            "This link has been used already, or the password was changed since it was sent: "
            "each link works once. Ask for a new one below.",
            "used",
        )
    return user


_NOT_VALID = "This link to reset a password is not valid. Ask for a new one below."


def set_new_password(user: User, password: str) -> None:
    """Store the new password and end every other session of this account; the caller commits."""
    user.set_password(password)
    user.session_version += 1
