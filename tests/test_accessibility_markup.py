"""The markup screen readers rely on: invalid fields marked, an error summary, named charts."""

from __future__ import annotations

import re

from assessment.extensions import db
from tests.factories import PASSWORD, make_answer, make_assessment, make_user


def _login(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def test_a_form_with_errors_has_a_summary_linking_to_each_invalid_field(client):
    html = client.post("/auth/register", data={"email": "not an address"}).text
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'tabindex="-1"' in summary
    assert re.findall(r'href="#([a-z_]+)"', summary) == ["organisation", "name", "email"]
    for field in ("organisation", "name", "email"):
        tag = re.search(rf'<input[^>]* id="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag
        assert f'aria-describedby="{field}-errors"' in tag
        assert f'<ul class="errors" id="{field}-errors">' in html
    assert "CSRF Token" not in html


def test_a_form_without_errors_has_no_summary_and_no_invalid_field(client):
    html = client.get("/auth/register").text
    assert 'class="error-summary"' not in html
    assert "aria-invalid" not in html


def test_sign_in_and_password_fields_say_what_to_autocomplete(client):
    login = client.get("/auth/login").text
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*id="email"', login)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*id="password"', login)
    register = client.get("/auth/register").text
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="email"', register)


def test_an_invalid_due_date_is_marked_and_summarised(app):
    with app.app_context():
        admin = make_user()
        assessment = make_assessment(admin)
        db.session.commit()
        email, aid = admin.email, assessment.id
    html = (
        _login(app, email)
        .post(f"/assessments/{aid}/assignments", data={"q_P2-due_date": "not a date"})
        .text
    )
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#q_P2-due_date"' in summary and "P2 due date" in summary
    tag = re.search(r'<input[^>]* id="q_P2-due_date"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag and 'aria-describedby="q_P2-due_date-errors"' in tag


def test_the_overview_charts_are_named_and_their_figures_are_a_table(app):
    with app.app_context():
        admin = make_user()
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "4")
        db.session.commit()
        email, aid = admin.email, assessment.id
    html = _login(app, email).get(f"/assessments/{aid}/").text
    names = re.findall(r'<svg [^>]*role="img" aria-label="([^"]+)"', html)
    assert names == [
        "Score of each principle out of 100 (bar chart)",
        "Score of each theme out of 100 (radar chart)",
    ]
    assert "<title>Score of each principle out of 100 (bar chart)</title>" in html
    assert "<caption>Score of each principle out of 100</caption>" in html
    assert re.search(r'<th scope="row">P1 [^<]+</th><td>\d+</td>', html)


def test_flash_messages_stay_a_list_inside_the_live_region(app):
    with app.app_context():
        admin = make_user()
        db.session.commit()
        email = admin.email
    html = _login(app, email).post("/auth/logout", follow_redirects=True).text
    assert "You are logged out." in html
    assert re.search(r'<div class="flash-region" role="status">\s*<ul class="flashes">', html)
    assert '<ul class="flashes" role=' not in html
