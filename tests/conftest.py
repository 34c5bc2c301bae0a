"""Fixtures: an app on a fresh database per test, a client, a CLI runner, actions."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from assessment import create_app
from assessment.extensions import db
from tests.factories import PASSWORD, make_assessment, make_user


def _database_url(tmp_path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


def _reset_postgres(url: str) -> None:
    """Give the test an empty public schema on the shared PostgreSQL database."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def app_config(tmp_path):
    """The test configuration; tests may change it before `app` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        # Still scrypt, with cheaper parameters: the suite creates hundreds of users.
        "PASSWORD_HASH_METHOD": "scrypt:4096:8:1",
    }


@pytest.fixture
def app(app_config):
    from assessment.db import database_url

    app_config["SQLALCHEMY_DATABASE_URI"] = database_url(app_config["SQLALCHEMY_DATABASE_URI"], "")
    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _reset_postgres(app_config["SQLALCHEMY_DATABASE_URI"])
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out the way a person would, through the forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def member(app):
    """A user with an organisation and one assessment; returns (user email, assessment id)."""
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user)
        db.session.commit()
        return user.email, assessment.id


@pytest.fixture
def logged_in(member, auth):
    """The `member` fixture, logged in; returns the assessment id."""
    email, assessment_id = member
    response = auth.login(email)
    assert response.status_code == 302, response.text
    return assessment_id
