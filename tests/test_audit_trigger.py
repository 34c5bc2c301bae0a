"""On PostgreSQL the audit table refuses UPDATE and DELETE in the database itself."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment import audit
from assessment.extensions import db
from assessment.models import Assessment, AuditEvent, User
from tests.factories import make_assessment, make_user


@pytest.fixture
def on_postgres(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(
                "the append-only trigger exists on PostgreSQL only (SQLite relies on the ORM "
                "guard); run with TEST_DATABASE_URL=postgresql://... to check it"
            )
    return app


@pytest.fixture
def trail(on_postgres):
    """An organisation with an assessment, two audit events, and a second member."""
    app = on_postgres
    with app.app_context():
        admin = make_user()
        other = make_user(organisation=admin.memberships[0].organisation)
        assessment = make_assessment(admin)
        for user in (admin, other):
            audit.record(
                organisation_id=assessment.organisation_id,
                assessment_id=assessment.id,
                user_id=user.id,
                action="answer",
                target="P1.1",
                old=None,
                new={"value": "2"},
            )
        db.session.commit()
        return {"assessment": assessment.id, "other": other.id}


def _raw(app, sql: str, **params):
    with app.app_context(), db.engine.begin() as connection:
        return connection.execute(sa.text(sql), params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET action = 'forged'",
        'UPDATE audit_event SET new = \'{"value": "4"}\'',
        "UPDATE audit_event SET user_id = NULL",  # not through a cascade: refused too
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE id = 1",
    ],
)
def test_raw_sql_cannot_change_or_delete_audit_events(on_postgres, trail, sql):
    with pytest.raises(sa.exc.IntegrityError, match="audit_event is append-only"):
        _raw(on_postgres, sql)
    with on_postgres.app_context():
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.new) for e in events] == [("answer", {"value": "2"})] * 2
        assert all(e.user_id is not None for e in events)


def test_inserting_still_works(on_postgres, trail):
    _raw(
        on_postgres,
        "INSERT INTO audit_event (organisation_id, at, action, target) "
        "SELECT organisation_id, now(), 'note', '' FROM assessment LIMIT 1",
    )
    with on_postgres.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 3


def test_deleting_a_user_blanks_their_id_on_the_trail(on_postgres, trail):
    _raw(on_postgres, 'DELETE FROM "user" WHERE id = :id', id=trail["other"])
    with on_postgres.app_context():
        users = db.session.scalars(sa.select(AuditEvent.user_id).order_by(AuditEvent.id)).all()
        assert users[0] is not None and users[1] is None
        assert db.session.get(User, trail["other"]) is None


def test_removing_a_whole_organisation_takes_its_trail_with_it(on_postgres, trail):
    _raw(on_postgres, "DELETE FROM organisation")
    with on_postgres.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
        assert db.session.get(Assessment, trail["assessment"]) is None


def test_truncate_between_tests_still_works(on_postgres, trail):
    _raw(on_postgres, "TRUNCATE audit_event CASCADE")
    with on_postgres.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
