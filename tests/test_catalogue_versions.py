"""Catalogue versions: kept in the database, race-safe to register, and an approved assessment
shown, exported and rendered exactly as approved whatever principles.yaml holds later."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment import create_app
from assessment.catalogue import build_catalogue, canonical_text, load_catalogue
from assessment.catalogue_versions import catalogue_for, catalogue_from_text, register
from assessment.extensions import db
from assessment.models import Assessment, CatalogueVersion, IssuedReport, Role
from assessment.snapshot import score_for_report, score_stored
from reports.pdf import render_pdf
from tests.factories import (
    PASSWORD,
    SUBMIT_ANYWAY,
    approval_data,
    make_answer,
    make_assessment,
    make_user,
)

CATALOGUES = Path(__file__).resolve().parent / "catalogues"
OLD, NEW = CATALOGUES / "vp-1.0.0.yaml", CATALOGUES / "vp-1.1.0.yaml"
DOWNLOADS = ("csv", "json", "xlsx", "pdf", "public.pdf", "board.pdf")


@pytest.mark.parametrize("path", [OLD, NEW])
def test_the_kept_text_rebuilds_the_same_catalogue(path):
    catalogue = load_catalogue(path)
    again = catalogue_from_text(canonical_text(catalogue.spec).decode())
    assert again.fingerprint == catalogue.fingerprint
    assert again.spec == catalogue.spec


def test_a_catalogue_without_relations_keeps_its_fingerprint():
    """The `changes` section is new; catalogues without one hash as they always did."""
    catalogue = load_catalogue(OLD)
    data = catalogue.spec.model_dump(mode="json")
    data.pop("changes")
    assert build_catalogue(data).fingerprint == catalogue.fingerprint
    assert b'"changes"' not in canonical_text(catalogue.spec)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CATALOGUE_PATH": str(OLD)}


def _later_app(app):
    """The same database, served after principles.yaml became version 1.1.0."""
    config = {
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
        "CATALOGUE_PATH": str(NEW),
    }
    return create_app(config)


def _login(app, email):
    client = app.test_client()
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return client


def _cells(body: bytes) -> list:
    """Return every sheet's cell values (the zip itself carries the time it was written)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body))
    return [(sheet.title, list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]


def _seen_by(app, email, aid):
    client = _login(app, email)
    seen = {"overview": client.get(f"/assessments/{aid}/").data}
    for fmt in DOWNLOADS:
        response = client.get(
            f"/assessments/{aid}/report.{fmt}"
            if "." not in fmt
            else f"/assessments/{aid}/{'summary' if fmt == 'public.pdf' else 'board'}.pdf"
        )
        assert response.status_code == 200, fmt
        seen[fmt] = _cells(response.data) if fmt == "xlsx" else response.data
    for page in ("frameworks/", "changes", "principles/P3", "principles/P4"):
        seen[page] = client.get(f"/assessments/{aid}/{page}").data
    with app.app_context():
        # A fresh render, as the issuing job makes it: with its own catalogue, dated at approval.
        assessment = db.session.get(Assessment, aid)
        catalogue = catalogue_for(assessment)
        scored = score_for_report(assessment, catalogue)
        seen["fresh pdf"] = render_pdf(scored, catalogue, issued_at=assessment.approved_at)
    return seen


def test_an_approved_assessment_is_unchanged_by_a_catalogue_change(app):
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        reviewer = make_user(organisation=admin.memberships[0].organisation, role=Role.REVIEWER)
        assessment = make_assessment(admin)
        # Answers to questions the new version renames, merges, removes, rewords and rescales.
        for qid, value in {
            "P1.1": "3",
            "P1.7": "2",
            "P3.8": "3",
            "P3.9": "1",
            "P4.6": "4",
            "P6.1": "3",
            "P7.7": "2",
        }.items():
            make_answer(assessment, qid, value, f"comment on {qid}")
        db.session.commit()
        aid, emails = assessment.id, (admin.email, reviewer.email)
    assert (
        _login(app, emails[0]).post(f"/assessments/{aid}/submit", data=SUBMIT_ANYWAY).status_code
        == 302
    )
    approver = _login(app, emails[1])
    assert (
        approver.post(f"/assessments/{aid}/approve", data=approval_data(approver, aid)).status_code
        == 302
    )
    with app.app_context():
        issued = db.session.scalars(sa.select(IssuedReport.pdf)).one()
    before = _seen_by(app, emails[1], aid)
    assert before["pdf"] == issued
    assert before["fresh pdf"] == issued

    later = _later_app(app)
    with later.app_context():
        scored_now = score_stored(db.session.get(Assessment, aid), later.extensions["catalogue"])
        scored_then = score_stored(
            db.session.get(Assessment, aid), load_catalogue(OLD), with_trend=False
        )
        # The test can fail: read with the new catalogue, the same answers score differently.
        assert scored_now.display_score != scored_then.display_score
    after = _seen_by(later, emails[1], aid)
    for what in before:
        assert after[what] == before[what], what
    with later.app_context():
        versions = db.session.scalars(sa.select(CatalogueVersion.version)).all()
        assert sorted(versions) == ["1.0.0", "1.1.0"]  # the new one registered at start
        db.session.remove()
        db.engine.dispose()


def test_new_assessments_use_the_running_version(app):
    later = _later_app(app)
    with later.app_context():
        admin = make_user()
        db.session.commit()
        email = admin.email
    client = _login(later, email)
    from tests.test_roles import PROFILE

    response = client.post("/assessments/new", data=PROFILE)
    assert response.status_code == 302
    with later.app_context():
        assessment = db.session.scalars(sa.select(Assessment)).one()
        assert assessment.catalogue_version == "1.1.0"
        assert assessment.catalogue_fingerprint == later.extensions["catalogue"].fingerprint
        db.session.remove()
        db.engine.dispose()


def test_two_workers_registering_one_new_catalogue_at_once_both_succeed(app):
    """Two sessions, two threads, the insert made at the same moment: one row, no error."""
    catalogue = load_catalogue(NEW)
    barrier = threading.Barrier(2, timeout=30)
    errors = []
    with app.app_context():
        engine = db.engine

    def start_worker():
        try:
            with engine.connect() as connection:
                transaction = connection.begin()
                barrier.wait()
                # On PostgreSQL the later insert waits for the earlier's commit, then does nothing.
                register(catalogue, connection)
                transaction.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=start_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        rows = db.session.scalars(
            sa.select(CatalogueVersion).where(CatalogueVersion.fingerprint == catalogue.fingerprint)
        ).all()
        assert len(rows) == 1
        assert catalogue_from_text(rows[0].canonical).fingerprint == catalogue.fingerprint


def test_the_catalogue_pages_show_versions_changelog_verification_and_the_diff(app):
    later = _later_app(app)
    with later.app_context():
        register(load_catalogue(OLD))
        db.session.commit()
        old, new = load_catalogue(OLD).fingerprint, later.extensions["catalogue"].fingerprint
    client = later.test_client()
    index = client.get("/catalogue/").text
    assert "Version 1.1.0" in index and "Version 1.0.0" in index
    assert "Hotline notices and trusted-organisation notices are asked separately" in index
    version = client.get(f"/catalogue/versions/{new}").text
    assert "7 of 11\n     are verified against the official text; 4 are not yet." in version
    assert version.count("Not yet verified") == 4  # P8 to P11
    assert "P1.7 is renamed P1.8 (numbering only)" in version
    diff = client.get(f"/catalogue/diff/{old}/{new}").text
    assert "P3.8 and P3.9 are merged into P3.8" in diff
    assert "Developing needs review" in diff
    for junk in ("x", "0" * 64, new.upper(), "%00", new + "0"):
        assert client.get(f"/catalogue/versions/{junk}").status_code == 404
        assert client.get(f"/catalogue/diff/{old}/{junk}").status_code == 404
    with later.app_context():
        db.session.remove()
        db.engine.dispose()
