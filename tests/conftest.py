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


_postgres_schemas_made: set[str] = set()


def _fresh_postgres(url: str) -> None:
    """Give the test empty tables on the shared PostgreSQL database.

    The schema is made once per run (from the models); each test then starts
    from truncated tables with their id sequences reset, which is much faster
    than dropping and creating the schema every time.
    """
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if url not in _postgres_schemas_made:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
            db.metadata.create_all(connection)
            _postgres_schemas_made.add(url)
        else:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
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
    on_postgres = app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if on_postgres:
        import assessment.models  # noqa: F401 - the tables must be known before they are made

        _fresh_postgres(app_config["SQLALCHEMY_DATABASE_URI"])
    app = create_app(app_config)
    if not on_postgres:
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
