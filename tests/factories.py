"""Test data, made through the models (the same rows the app would write)."""

from __future__ import annotations

import itertools

from assessment.catalogue_versions import register as register_catalogue
from assessment.extensions import current_catalogue, db
from assessment.models import Answer, Assessment, Membership, Organisation, Role, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)

FULL_PROFILE = {
    "hosts_media": True,
    "user_interaction": True,
    "file_storage": True,
    "groups_communities": True,
    "gaming_virtual_worlds": True,
    "anonymous_accounts": True,
    "private_messaging": True,
    "e2ee_messaging": False,
    "livestreaming": True,
    "search": True,
    "under_18s": True,
    "recommends_contacts": True,
    "generative_images": False,
    "mau_band": "1m_10m",
    "regions": ["uk"],
}


def make_user(organisation: Organisation | None = None, role: Role = Role.ADMIN, **kw) -> User:
    """Create a user (and an organisation unless one is given), flushed."""
    n = next(_counter)
    organisation = organisation or Organisation(name=kw.pop("organisation_name", f"Org {n}"))
    user = User(email=kw.pop("email", f"user{n}@example.org"), name=kw.pop("name", f"User {n}"))
    user.set_password(kw.pop("password", PASSWORD))
    db.session.add_all(
        [organisation, user, Membership(user=user, organisation=organisation, role=role)]
    )
    db.session.flush()
    return user


def make_assessment(user: User, profile: dict | None = None, **kw) -> Assessment:
    """Create an assessment in the user's organisation, flushed."""
    catalogue = current_catalogue()
    assessment = Assessment(
        organisation=user.memberships[0].organisation,
        service_name=kw.pop("service_name", "Acme Chat"),
        profile=dict(FULL_PROFILE if profile is None else profile),
        catalogue_version=catalogue.version,
        catalogue_fingerprint=catalogue.fingerprint,
        created_by=user,
        **kw,
    )
    db.session.add(assessment)
    db.session.flush()
    register_catalogue(catalogue)  # as opening an assessment in the app does
    return assessment


def make_answer(assessment: Assessment, question_id: str, value, comment: str = "") -> Answer:
    """Store one answer, flushed."""
    answer = Answer(assessment=assessment, question_id=question_id, value=value, comment=comment)
    db.session.add(answer)
    db.session.flush()
    return answer


def approval_data(client, assessment_id: int) -> dict[str, str]:
    """Return the approve form's fields as the approval page shows them to this client, ticked.

    An approval names what the reviewer read (its fingerprint) and confirms
    the attestation, so a test approves the way a person does: from the
    approval page.
    """
    import re

    page = client.get(f"/assessments/{assessment_id}/approve").text
    data = {"attest": "y"}
    for name in ("fingerprint", "seen_event"):
        found = re.search(rf'<input[^>]* name="{name}" type="hidden" value="([^"]*)"', page)
        if found:
            data[name] = found.group(1)
    return data


def register(client, app, *, organisation: str, name: str, email: str, password: str):
    """Register an organisation as a person does: the form, then the e-mailed link.

    The link is made as the e-mail makes it (tests of the e-mail itself read
    it from a real SMTP server: tests/test_registration.py). Returns the
    response to choosing the password.
    """
    from assessment import registration

    form = {"organisation": organisation, "name": name, "email": email}
    assert client.post("/auth/register", data=form).status_code == 200
    details = registration.Registration(email.strip().lower(), name.strip(), organisation.strip())
    with app.test_request_context():
        token = registration.make_token(details)
    return client.post(f"/auth/register/{token}", data={"password": password, "confirm": password})


# A submit that goes ahead although questions are still open (the page asks first).
SUBMIT_ANYWAY = {"incomplete_ok": "yes"}


def make_token(user: User, scope: str = "write", days: int = 30, membership=None) -> str:
    """Issue an API token for the user's (first) membership, flushed; return its secret."""
    from assessment.api_tokens import issue_token

    _token, secret = issue_token(user, membership or user.memberships[0], "test", scope, days)
    return secret
