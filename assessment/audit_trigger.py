"""The audit trail is append-only in the database itself, on PostgreSQL.

The ORM already refuses to change or delete an `AuditEvent`
(`assessment.audit`); this trigger refuses it to anything that reaches the
database, raw SQL included. The migration and `metadata.create_all` (the test
schema) install it through the same function.

What still goes through, by design: the cascades of the schema's own foreign
keys. Removing a whole organisation (or an assessment) removes its trail with
it, and deleting a user blanks `user_id` on their events (ON DELETE SET NULL).
Those run inside the foreign key's trigger, so `pg_trigger_depth()` is above 1;
a statement that names `audit_event` itself never is. TRUNCATE fires no row
trigger, so the test suite can still empty the tables between tests.
SQLite has no such triggers in this app: there the ORM guard is the wall.
"""

from __future__ import annotations

import sqlalchemy as sa

FUNCTION_NAME = "audit_event_append_only"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION_NAME}() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.user_id IS NULL
           AND (to_jsonb(NEW) - 'user_id') = (to_jsonb(OLD) - 'user_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""

CREATE_TRIGGER = f"""
CREATE TRIGGER {FUNCTION_NAME}
BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION {FUNCTION_NAME}()
"""

DROP = [
    f"DROP TRIGGER IF EXISTS {FUNCTION_NAME} ON audit_event",
    f"DROP FUNCTION IF EXISTS {FUNCTION_NAME}()",
]


def create_append_only_trigger(connection: sa.Connection) -> None:
    """Install the trigger on PostgreSQL; do nothing on other databases."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(sa.text(CREATE_FUNCTION))
    connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {FUNCTION_NAME} ON audit_event"))
    connection.execute(sa.text(CREATE_TRIGGER))


def drop_append_only_trigger(connection: sa.Connection) -> None:
    """Remove the trigger and its function (PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in DROP:
        connection.execute(sa.text(statement))
