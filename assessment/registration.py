"""Registering an organisation by e-mail: the address is proved before anything is created.

The form asks for the organisation, a name and a work e-mail, and always
answers the same: "check your e-mail". The e-mail differs:

- an address without an account gets a link (a token signed with the app's
  secret key, holding the address, the name and the organisation, valid for
  one day) to a page where the person chooses a password; only then are the
  account and the organisation created, and the person logged in;
- an address that already has an account gets a note saying so, with links
  to log in and to reset the password.

So the form never tells anyone whether an address has an account, nobody can
set up an organisation in someone else's name, and nothing is stored before
the address is proved (an abandoned registration leaves no row behind). The
link works once: after the account exists, it says so and points to log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from assessment.accounts import find_user, new_organisation, new_user
from assessment.links import absolute_url_for
from assessment.models import Organisation, User
from assessment.notices import events
from assessment.password_reset import TOKEN_MAX, TokenSigner

LIFETIME = timedelta(days=1)
SALT = "registration"


@dataclass(frozen=True)
class Registration:
    """What the form gave, carried by the signed link until the password is chosen."""

    email: str
    name: str
    organisation: str


class RegistrationRefused(Exception):
    """The link cannot be used; the message says why and what to do, `reason` in one word."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT, signer=TokenSigner)


def make_token(registration: Registration) -> str:
    """Return the signed token of a registration's link."""
    return _serializer().dumps(
        {"e": registration.email, "n": registration.name, "o": registration.organisation}
    )


def request_registration(registration: Registration) -> bool:
    """Queue the e-mail for this address; return whether the address has an account.

    Either way a token is signed and an e-mail rendered and written after
    the response, so the request takes as long whatever the answer.
    """
    token = make_token(registration)
    user = find_user(registration.email)
    if user is None:
        events.registration_link(
            registration, absolute_url_for("auth.finish_registration", token=token)
        )
        return False
    events.registration_exists(
        user, absolute_url_for("auth.login"), absolute_url_for("auth.forgot_password")
    )
    return True


def registration_for_token(token: str) -> Registration:
    """Return the registration a link is for, or raise RegistrationRefused saying why not."""
    if not token or len(token) > TOKEN_MAX:
        raise RegistrationRefused(_NOT_VALID, "invalid")
    try:
        data = _serializer().loads(token, max_age=int(LIFETIME.total_seconds()))
    except SignatureExpired:
        raise RegistrationRefused(
            "This link has expired: a link to finish registering works for one day. "
            "Register again to get a new one.",
            "expired",
        ) from None
    except BadData:
        raise RegistrationRefused(_NOT_VALID, "invalid") from None
    fields = [data.get(key) if isinstance(data, dict) else None for key in ("e", "n", "o")]
    if not all(isinstance(value, str) and value for value in fields):
        raise RegistrationRefused(_NOT_VALID, "invalid")
    registration = Registration(*fields)
    if find_user(registration.email) is not None:
        raise RegistrationRefused(
            "This address has an account already (this link was used, or the account was "
            "made another way): log in, or reset the password if it is forgotten.",
            "used",
        )
    return registration


_NOT_VALID = "This link to finish registering is not valid. Register again to get a new one."


def finish_registration(registration: Registration, password: str) -> tuple[User, Organisation]:
    """Create the account and its organisation, with this person as admin; the caller commits.

    The unique e-mail constraint refuses a second account if two uses of the
    same link race: the caller's commit fails and nothing is created twice.
    """
    user = new_user(registration.email, registration.name, password)
    organisation = new_organisation(registration.organisation, user)
    return user, organisation
