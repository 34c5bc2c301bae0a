"""On PostgreSQL, a transaction that only read ends with COMMIT, so psycopg keeps its prepared statements.

psycopg prepares a statement on a connection once it has run it five times:
the server then neither parses nor plans it again, which is most of the
server's work for the small statements of a page. But every ROLLBACK makes
psycopg forget all of them (it cannot tell what the rolled-back transaction
dropped), and every page view ended its read transaction with one: the
session's close at the end of the request. So no statement of the app was
ever prepared, and a page save after a page view parsed and planned all of
its statements again.

For a transaction that ran nothing but SELECTs, COMMIT and ROLLBACK are the
same thing. Each connection notes whether its transaction ran anything else
(any statement not starting with SELECT counts, CTEs included); one that did,
or one that ended in an error, still ends with a ROLLBACK. SQLite is left as
it is (its statements are prepared by the driver whatever ends a transaction).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

WROTE = "vp_transaction_wrote"  # in Connection.info (the pooled connection's own dict)


@sa.event.listens_for(Engine, "begin")
def _transaction_begins(connection: Connection) -> None:
    connection.info.pop(WROTE, None)


@sa.event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection: Connection, _cursor, statement: str, *_args) -> None:
    """Mark the transaction as one that may have written, unless the statement is a SELECT."""
    if WROTE not in connection.info and statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def only_read(session: Session | scoped_session) -> bool:
    """Return whether the session's open transaction on PostgreSQL ran only SELECTs.

    False without an open transaction, with unsaved ORM changes, or on SQLite.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    connection = session.connection()  # the open transaction's connection
    return connection.dialect.name == "postgresql" and WROTE not in connection.info


def end_read_transaction(session: Session | scoped_session) -> None:
    """End the session's transaction: COMMIT when it only read (see above), else ROLLBACK."""
    if only_read(session):
        session.commit()
    else:
        session.rollback()


def init_app(app: Flask) -> None:
    """End each request's read-only transaction with COMMIT before the session is closed."""
    from assessment.extensions import db

    @app.teardown_request
    def _commit_what_only_read(exc: BaseException | None) -> None:
        # Before Flask-SQLAlchemy's teardown (app context), which would roll back.
        if exc is None and db.session.registry.has() and only_read(db.session):
            db.session.commit()
