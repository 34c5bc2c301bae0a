"""A database that cannot be reached, or stays locked, is a 503 that says so, never a bare crash.

Before, the error page itself asked the database who was signed in, failed
again, and the browser got the server's plain "Internal Server Error".
"""

from __future__ import annotations

import logging
import sqlite3

import pytest
import sqlalchemy as sa

from assessment import create_app
from assessment.extensions import db as database
from assessment.models import User
from tests.api_support import ApiClient
from tests.factories import PASSWORD, make_token
from tests.test_page_save import PAGE, changed, page_form, stored


@pytest.fixture
def database_gone(app_config, tmp_path):
    """The same site (same secret key) whose database cannot be reached any more."""
    url = sa.engine.make_url(app_config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":  # a server socket that is not there
        gone = url.set(query={"host": str(tmp_path / "no-server"), "connect_timeout": "2"})
    else:
        gone = f"sqlite:///{tmp_path}/missing/dir/x.db"
    return create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=str(gone)))


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]
    assert "Briefly unavailable" in response.text
    assert "Nothing you saved before was lost" in response.text
    assert "quote the reference" in response.text


def test_a_signed_in_page_says_the_database_is_unreachable(
    logged_in, client, database_gone, caplog
):
    browser = database_gone.test_client()
    browser.set_cookie("session", client.get_cookie("session").value)
    with caplog.at_level(logging.ERROR):
        response = browser.get("/assessments/")
    assert_unavailable_page(response)
    assert "Log out" not in response.text  # the menu names the user: it is left out
    logged = [r for r in caplog.records if r.getMessage().startswith("database unavailable")]
    assert logged and logged[0].levelno == logging.ERROR and logged[0].exc_info
    assert "OperationalError: " in logged[0].getMessage()  # with the driver's own words


def test_logging_in_says_the_database_is_unreachable(member, database_gone):
    email, _ = member
    response = database_gone.test_client().post(
        "/auth/login", data={"email": email, "password": PASSWORD}
    )
    assert_unavailable_page(response)


def test_the_api_answers_a_json_problem(app, member, database_gone):
    with app.app_context():
        token = make_token(database.session.scalars(sa.select(User)).one(), "read")
        database.session.commit()
    response = ApiClient(database_gone.test_client(), token).get("/assessments")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0  # the API's rate limiter sets its own
    assert response.json["error"].startswith("The site's database could not be reached")


def test_a_save_while_another_writer_holds_the_lock_is_refused_and_changes_nothing(
    app, logged_in, client, monkeypatch
):
    """A writer that keeps SQLite's lock past the busy timeout (a long import, a stuck job)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr("assessment.db.SQLITE_BUSY_TIMEOUT_MS", 200)
    with app.app_context():
        database.engine.dispose()  # new connections take the short timeout
    fields = page_form(client.get(PAGE.format(logged_in)).text)
    before = stored(app, logged_in)
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            PAGE.format(logged_in), data=changed(fields, "q_P1_1-comment", "After the lock.")
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_unavailable_page(response)
    assert stored(app, logged_in) == before
    # Once the lock is free, the same page saves.
    response = client.post(
        PAGE.format(logged_in), data=changed(fields, "q_P1_1-comment", "After the lock.")
    )
    assert response.status_code == 302
    assert stored(app, logged_in)["P1.1"][1] == "After the lock."
