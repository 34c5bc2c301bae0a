"""Upgrading a draft across a catalogue change with every kind of relation: the preview's promises hold.

The pair `tests/catalogues/vp-1.0.0.yaml` (the catalogue as shipped) and
`vp-1.1.0.yaml` relates P1.7 -> P1.8 (rename), P2.3 -> P2.3 + P2.8 (split),
P3.8 + P3.9 -> P3.8 (merge), P4.6 (remove), P5.7 (add), P6.1 and P3.8
(wording) and P7.7 (scale, maturity -> yes/partly/no).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment import create_app
from assessment.extensions import db
from assessment.models import Answer, Assessment, AuditEvent, Evidence
from tests.factories import PASSWORD, make_answer, make_assessment, make_user

CATALOGUES = Path(__file__).resolve().parent / "catalogues"
OLD, NEW = CATALOGUES / "vp-1.0.0.yaml", CATALOGUES / "vp-1.1.0.yaml"

STORED = {
    "P1.1": ("3", "unchanged question"),
    "P1.7": ("2", "renamed question"),
    "P2.3": ("4", "split question"),
    "P3.8": ("3", "merged, one way"),
    "P3.9": ("1", "merged, the other way"),
    "P4.6": ("2", "removed question"),
    "P6.1": ("3", "reworded question"),
    "P7.7": ("3", "rescaled question"),
}

# old id: (fate, new ids, new value, marked for confirmation)
EXPECTED = {
    "P1.1": ("kept", ("P1.1",), "3", False),
    "P1.7": ("carried", ("P1.8",), "2", False),
    "P2.3": ("carried", ("P2.3", "P2.8"), "4", True),
    "P3.8": ("review", ("P3.8",), None, True),
    "P3.9": ("review", ("P3.8",), None, True),
    "P4.6": ("dropped", (), None, False),
    "P6.1": ("kept", ("P6.1",), "3", True),
    "P7.7": ("kept", ("P7.7",), "yes", True),
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CATALOGUE_PATH": str(OLD)}


@pytest.fixture
def draft(app):
    """A draft answered against 1.0.0, with a link on the question about to be renamed."""
    with app.app_context():
        admin = make_user()
        assessment = make_assessment(admin)
        for question_id, (value, comment) in STORED.items():
            make_answer(assessment, question_id, value, comment)
        db.session.add(
            Evidence(
                organisation_id=assessment.organisation_id,
                assessment=assessment,
                question_id="P1.7",
                kind="link",
                title="E2EE safety design",
                url="https://example.org/e2ee",
            )
        )
        db.session.commit()
        return {"id": assessment.id, "email": admin.email}


@pytest.fixture
def new_app(app_config, app):
    """The same database, served after principles.yaml became version 1.1.0."""
    later = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "CATALOGUE_PATH": str(NEW),
        }
    )
    yield later
    with later.app_context():
        db.session.remove()
        db.engine.dispose()


def _client(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def _answers(app, aid):
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == aid))
        return {a.question_id: (a.value, a.comment, a.carried_forward) for a in rows}


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def test_the_upgrade_keeps_every_promise_of_its_preview(new_app, draft):
    from assessment.upgrade import plan_for

    with new_app.app_context():
        plan = plan_for(db.session.get(Assessment, draft["id"]))
    promised = {o.question_id: (o.fate, o.to, o.new_value, o.confirm) for o in plan.outcomes}
    assert promised == EXPECTED
    assert plan.added == ("P5.7",)
    assert plan.versions == ("1.0.0", "1.1.0")

    admin = _client(new_app, draft["email"])
    preview = admin.get(f"/assessments/{draft['id']}/upgrade")
    assert preview.status_code == 200
    for label in ("Kept", "Carried to the new question", "Needs review", "Dropped"):
        assert label in preview.text
    assert (
        "P4.6 is removed in version 1.1.0: throwaway accounts are covered by P4.2" in preview.text
    )

    response = admin.post(
        f"/assessments/{draft['id']}/upgrade",
        data={
            "seen_version": _hidden(preview.text, "seen_version"),
            "target": _hidden(preview.text, "target"),
        },
    )
    assert response.status_code == 302

    after = _answers(new_app, draft["id"])
    for old_id, (_fate, to, value, confirm) in EXPECTED.items():
        for new_id in to:
            assert after[new_id][0] == value, (old_id, new_id)
            assert after[new_id][2] is confirm, (old_id, new_id)
    assert after["P1.8"][1] == "renamed question"  # the comment travels with its answer
    assert after["P3.8"][1] == "merged, one way\n\nmerged, the other way"
    assert set(after) == {"P1.1", "P1.8", "P2.3", "P2.8", "P3.8", "P6.1", "P7.7"}

    with new_app.app_context():
        assessment = db.session.get(Assessment, draft["id"])
        assert (assessment.catalogue_version, assessment.catalogue_fingerprint[:12]) == (
            "1.1.0",
            plan.new.fingerprint[:12],
        )
        moved = db.session.scalars(sa.select(Evidence.question_id)).all()
        assert moved == ["P1.8"]
        events = {
            e.target: e
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "catalogue_upgrade")
            )
        }
    # Every stored answer has its record, with its value from before the upgrade.
    assert set(events) == set(STORED)
    for old_id, (value, comment) in STORED.items():
        assert events[old_id].old == {"value": value, "comment": comment}
        assert events[old_id].new["fate"] == EXPECTED[old_id][0]


def test_a_stale_preview_upgrades_nothing(new_app, draft):
    admin = _client(new_app, draft["email"])
    preview = admin.get(f"/assessments/{draft['id']}/upgrade").text
    page = admin.get(f"/assessments/{draft['id']}/principles/P1").text
    saved = admin.post(
        f"/assessments/{draft['id']}/principles/P1",
        data={
            "q_P1_1-answer": "4",
            "q_P1_1-comment": "unchanged question",
            "q_P1_1-base_version": _hidden(page, "q_P1_1-base_version"),
        },
    )
    assert saved.status_code == 302
    before = _answers(new_app, draft["id"])
    response = admin.post(
        f"/assessments/{draft['id']}/upgrade",
        data={
            "seen_version": _hidden(preview, "seen_version"),
            "target": _hidden(preview, "target"),
        },
    )
    assert response.status_code == 409
    assert "changed this assessment since you opened it" in response.text
    assert _answers(new_app, draft["id"]) == before
    assert before["P1.1"] == ("4", "unchanged question", False)
    with new_app.app_context():
        assert db.session.get(Assessment, draft["id"]).catalogue_version == "1.0.0"
        upgraded = sa.select(AuditEvent).where(AuditEvent.action == "catalogue_upgrade")
        assert db.session.scalars(upgraded).all() == []


def test_a_carried_answer_is_confirmed_once_and_the_flag_is_cleared(new_app, draft):
    admin = _client(new_app, draft["email"])
    preview = admin.get(f"/assessments/{draft['id']}/upgrade").text
    admin.post(
        f"/assessments/{draft['id']}/upgrade",
        data={
            "seen_version": _hidden(preview, "seen_version"),
            "target": _hidden(preview, "target"),
        },
    )
    overview = admin.get(f"/assessments/{draft['id']}/").text
    assert "Answers to confirm" in overview
    confirmed = admin.post(
        f"/assessments/{draft['id']}/principles/P6/confirm", data={"question": "P6.1"}
    )
    assert confirmed.status_code == 302
    assert _answers(new_app, draft["id"])["P6.1"] == ("3", "reworded question", False)
    page = admin.get(f"/assessments/{draft['id']}/principles/P2")
    assert page.status_code == 200
    assert "Carried forward: confirm" in page.text  # P2.3 and P2.8, carried by the split
