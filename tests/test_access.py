"""Organisation scoping and CSRF: the rules of the house, over every route."""

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import Answer, Assessment
from tests.factories import PASSWORD, make_user

ASSESSMENT_ROUTES = [
    ("GET", "/assessments/{id}/"),
    ("GET", "/assessments/{id}/profile"),
    ("POST", "/assessments/{id}/profile"),
    ("GET", "/assessments/{id}/principles/P1"),
    ("POST", "/assessments/{id}/principles/P1"),
    ("GET", "/assessments/{id}/report.pdf"),
    ("GET", "/assessments/{id}/report.csv"),
    ("GET", "/assessments/{id}/report.json"),
]


@pytest.fixture
def outsider(app, client):
    """Log in a member of another organisation."""
    with app.app_context():
        user = make_user(organisation_name="Other Org")
        db.session.commit()
        email = user.email
    client.post("/auth/login", data={"email": email, "password": PASSWORD})


@pytest.mark.parametrize(("method", "route"), ASSESSMENT_ROUTES)
def test_another_organisations_assessment_is_404(method, route, member, outsider, client, app):
    _, assessment_id = member
    url = route.format(id=assessment_id)
    response = client.open(url, method=method, data={"q_P1_1-answer": "4", "q_search": "no"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(sa.select(Answer)).first() is None
        assert db.session.get(Assessment, assessment_id).profile["search"] is True


@pytest.mark.parametrize(("method", "route"), ASSESSMENT_ROUTES + [("GET", "/assessments/")])
def test_anonymous_visitors_are_sent_to_log_in(method, route, member, client):
    response = client.open(route.format(id=member[1]), method=method)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_own_assessment_routes_answer(logged_in, client):
    for method, route in ASSESSMENT_ROUTES:
        if method == "GET":
            assert client.get(route.format(id=logged_in)).status_code == 200, route


def test_the_list_shows_only_the_own_organisations_assessments(member, outsider, client):
    page = client.get("/assessments/").text
    assert "Acme Chat" not in page
    assert "No assessments yet" in page


POST_ROUTES = [
    "/auth/register",
    "/auth/login",
    "/auth/logout",
    "/assessments/new",
    "/assessments/{id}/profile",
    "/assessments/{id}/principles/P1",
    "/auth/forgot",
    "/account/notices",
    "/assessments/{id}/submit",
    "/assessments/{id}/approve",
    "/assessments/{id}/period",
    "/assessments/{id}/next-cycle",
    "/assessments/{id}/principles/P1/confirm",
    "/assessments/{id}/questions/P1.1/comments",
    "/assessments/{id}/comments/1/reply",
    "/assessments/{id}/comments/1/resolve",
]


@pytest.mark.parametrize("route", POST_ROUTES)
def test_every_post_without_a_csrf_token_is_refused(route, app_config, app, member):
    assert app.config["WTF_CSRF_ENABLED"] is False  # the fixture's default...
    app.config["WTF_CSRF_ENABLED"] = True  # ...turned on for this test
    client = app.test_client()
    email, assessment_id = member
    with client.session_transaction() as session:
        session["_user_id"] = str(_user_id(app, email))
        session["session_version"] = 0
        session["_fresh"] = True
    response = client.post(route.format(id=assessment_id), data={"q_P1_1-answer": "4"})
    assert response.status_code == 400
    assert "Form expired" in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(Answer)).first() is None


def test_a_post_with_the_csrf_token_goes_through(app, member):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/auth/login").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/auth/login", data={"email": member[0], "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _user_id(app, email):
    from assessment.models import User

    with app.app_context():
        return db.session.scalars(sa.select(User.id).where(User.email == email)).one()
