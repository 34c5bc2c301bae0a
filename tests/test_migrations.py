"""The Alembic migrations run up, down and up again on a real file database."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from assessment import create_app
from assessment.extensions import db


def test_upgrade_downgrade_upgrade_on_a_file_database(tmp_path):
    path = tmp_path / "migrated.db"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {
            "organisation",
            "user",
            "membership",
            "assessment",
            "answer",
            "audit_event",
        } <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(sa.inspect(db.engine).get_table_names()) == tables
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()
    assert path.exists()
