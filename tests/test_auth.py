"""Logging in and out (registering: tests/test_registration.py)."""

from tests.factories import PASSWORD


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
