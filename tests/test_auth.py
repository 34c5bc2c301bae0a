"""Registering an organisation, logging in and out."""

import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import AuditEvent, Membership, Role, User
from tests.factories import PASSWORD, make_user

REGISTRATION = {
    "organisation": "Acme Social",
    "name": "Ada Admin",
    "email": "Ada@Example.org ",
    "password": "a long enough password",
    "confirm": "a long enough password",
}


def test_register_creates_organisation_and_admin_and_logs_in(client, app):
    response = client.post("/auth/register", data=REGISTRATION)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/assessments/")
    assert "Acme Social is set up" in client.get("/assessments/").text
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        assert user.email == "ada@example.org"
        assert user.password_hash.startswith("scrypt:")
        assert "a long enough password" not in user.password_hash
        membership = db.session.scalars(sa.select(Membership)).one()
        assert membership.role == Role.ADMIN
        assert db.session.scalars(sa.select(AuditEvent)).one().action == "membership"


def test_register_refuses_mismatched_passwords_next_to_the_field(client, app):
    response = client.post("/auth/register", data={**REGISTRATION, "confirm": "something else!"})
    assert response.status_code == 422
    assert "The passwords do not match." in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(User)).first() is None


def test_register_refuses_a_taken_email_and_keeps_the_existing_account(client, app):
    with app.app_context():
        make_user(email="ada@example.org")
        db.session.commit()
    response = client.post("/auth/register", data=REGISTRATION)
    assert response.status_code == 422
    # Issue 8: the refusal must not say that the account exists.
    assert "already exists" not in response.text
    assert "No organisation was set up with these details" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 1


def test_login_with_right_password(client, member, auth):
    response = auth.login(member[0])
    assert response.status_code == 302
    assert client.get("/assessments/").status_code == 200


def test_failed_login_gives_the_same_generic_message_for_both_mistakes(client, member, auth):
    wrong_password = auth.login(member[0], "not the password")
    unknown_email = auth.login("nobody@example.org", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert "Email or password is not right." in response.text
    assert client.get("/assessments/").status_code == 302


def test_login_ignores_an_offsite_next_parameter(client, member):
    response = client.post(
        "/auth/login?next=//evil.example/x", data={"email": member[0], "password": PASSWORD}
    )
    assert response.headers["Location"] == "/assessments/"


def test_logout_ends_the_session(client, logged_in, auth):
    assert client.get("/assessments/").status_code == 200
    assert auth.logout().status_code == 302
    response = client.get("/assessments/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_logout_by_get_only_asks_for_confirmation(client, logged_in):
    assert "Log out now" in client.get("/auth/logout").text
    assert client.get("/assessments/").status_code == 200
