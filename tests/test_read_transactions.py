"""On PostgreSQL a transaction that only read ends with COMMIT, so psycopg keeps its prepared statements."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import User
from assessment.read_transactions import end_read_transaction, only_read
from tests.test_query_counts import counted_with_ends


def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_a_page_view_ends_with_commit_on_postgresql_and_with_rollback_on_sqlite(
    app, client, logged_in
):
    with counted_with_ends(app) as seen:
        assert client.get(f"/assessments/{logged_in}/").status_code == 200
    ends = [s for s in seen if s in ("COMMIT", "ROLLBACK")]
    assert ends == (["COMMIT"] if on_postgres(app) else ["ROLLBACK"])


@pytest.mark.parametrize(
    "write",
    [
        sa.update(User).where(User.id == -1).values(name="nobody"),
        sa.text(
            "WITH gone AS (SELECT -1 AS id) DELETE FROM login_failure WHERE id IN (SELECT id FROM gone)"
        ),
        sa.text("  update login_failure set key = key where id = -1"),
    ],
    ids=["update", "with-delete", "lower-case"],
)
def test_a_transaction_that_may_have_written_still_ends_with_rollback(app, write):
    with app.app_context():
        db.session.scalar(sa.select(User.id).limit(1))
        assert only_read(db.session) is on_postgres(app)
        db.session.execute(write)
        assert only_read(db.session) is False
        with counted_with_ends(app) as seen:
            end_read_transaction(db.session)
        assert seen == ["ROLLBACK"]
        # The next transaction starts afresh.
        db.session.scalar(sa.select(User.id).limit(1))
        assert only_read(db.session) is on_postgres(app)
        with counted_with_ends(app) as seen:
            end_read_transaction(db.session)
        assert seen == (["COMMIT"] if on_postgres(app) else ["ROLLBACK"])


def test_unsaved_changes_or_no_transaction_are_not_only_reading(app):
    with app.app_context():
        assert only_read(db.session) is False  # nothing begun
        user = db.session.scalars(sa.select(User)).first() or User(email="x@example.com", name="X")
        user.name = "Changed"
        db.session.add(user)
        assert only_read(db.session) is False
        db.session.rollback()


def test_a_request_that_failed_ends_with_rollback(app):
    @app.get("/boom-after-reading")
    def _boom():
        db.session.scalar(sa.select(User.id).limit(1))
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with counted_with_ends(app) as seen:
        assert app.test_client().get("/boom-after-reading").status_code == 500
    assert "COMMIT" not in seen and "ROLLBACK" in seen


def test_page_views_leave_their_statements_prepared_on_postgresql(app, client, logged_in):
    if not on_postgres(app):
        pytest.skip("psycopg's prepared statements; SQLite's driver prepares its own")
    for _ in range(7):  # psycopg prepares a statement the fifth time it runs it
        assert client.get(f"/assessments/{logged_in}/").status_code == 200
    with app.app_context():
        prepared = db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements"))
        assert any("FROM assessment" in statement for statement in prepared)
