"""The audit trail is append-only."""

import pytest
import sqlalchemy as sa

from assessment import audit
from assessment.extensions import db
from assessment.models import AuditEvent
from tests.factories import make_user


def test_recorded_events_cannot_be_changed_or_deleted(app):
    with app.app_context():
        user = make_user()
        org_id = user.memberships[0].organisation_id
        audit.record(organisation_id=org_id, user_id=user.id, action="answer", target="P1.1", new=1)
        db.session.commit()
        event = db.session.scalars(sa.select(AuditEvent)).one()
        event.new = 2
        with pytest.raises(audit.AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(sa.select(AuditEvent)).one())
        with pytest.raises(audit.AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalars(sa.select(AuditEvent.new)).one() == 1
