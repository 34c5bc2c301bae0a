"""The suite's database snapshots (tests/snapshots.py): each test still starts on its own copy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment import create_app
from assessment.extensions import db
from assessment.models import User
from tests import snapshots
from tests.factories import make_user


def test_a_snapshot_is_built_once_and_each_test_gets_its_own_copy(app, app_config):
    if not app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("snapshots are copies of a SQLite file; on PostgreSQL each test builds")
    builds = []

    def build():
        builds.append(1)
        with app.app_context():
            make_user(email="first@example.org")
            db.session.commit()
        return {"emails": ["first@example.org"]}

    first = snapshots.contents(app, "test-own-copy", build)
    first["emails"].append("added by the first test")
    with app.app_context():
        make_user(email="later@example.org")
        db.session.commit()
        db.session.remove()
    # The next test's app, on the same file.
    following = create_app(app_config)
    second = snapshots.contents(following, "test-own-copy", build)
    assert builds == [1]
    assert second == {"emails": ["first@example.org"]}
    with following.app_context():
        emails = set(db.session.scalars(sa.select(User.email)))
    assert "first@example.org" in emails and "later@example.org" not in emails
