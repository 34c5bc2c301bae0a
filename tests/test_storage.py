"""Evidence storage as a setting: files on this host, or bytes in the database."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import Assessment, Evidence, EvidenceBlob, Organisation
from tests.test_evidence import upload

POLICY = b"Hash matching policy, version 3.\n"


def _blobs(app) -> list[tuple[int, bytes]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(sa.select(EvidenceBlob.evidence_id, EvidenceBlob.data))
        ]


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    app_config["EVIDENCE_STORAGE"] = "database"
    return app_config


def test_database_storage_keeps_the_bytes_in_the_database_only(app, client, logged_in, tmp_path):
    assert upload(client, logged_in, POLICY, "policy.txt").status_code == 302
    with app.app_context():
        item = db.session.scalars(sa.select(Evidence)).one()
        assert item.sha256 == hashlib.sha256(POLICY).hexdigest()
        evidence_id = item.id
    assert _blobs(app) == [(evidence_id, POLICY)]
    folder = tmp_path / "evidence"
    assert not folder.exists() or list(folder.iterdir()) == []

    download = client.get(f"/assessments/{logged_in}/evidence/{evidence_id}")
    assert download.status_code == 200
    assert download.data == POLICY
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_refused_upload_stores_nothing_anywhere(app, client, logged_in):
    upload(client, logged_in, b"\x89PNG\r\n\x1a\n\x00\x00", "cat.png")
    assert _blobs(app) == []


def test_deleting_evidence_deletes_its_bytes_in_the_same_transaction(app, client, logged_in):
    upload(client, logged_in, POLICY, "policy.txt")
    with app.app_context():
        evidence_id = db.session.scalars(sa.select(Evidence.id)).one()
    response = client.post(f"/assessments/{logged_in}/evidence/{evidence_id}/delete")
    assert response.status_code == 302
    assert _blobs(app) == []


def test_removing_an_organisation_removes_its_evidence_bytes(app, client, logged_in):
    upload(client, logged_in, POLICY, "policy.txt")
    with app.app_context():
        organisation = db.session.get(Assessment, logged_in).organisation
        db.session.delete(organisation)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0
    assert _blobs(app) == []


def test_files_kept_before_switching_to_the_database_still_download(app, client, logged_in):
    app.config["EVIDENCE_STORAGE"] = "filesystem"
    upload(client, logged_in, POLICY, "policy.txt")
    app.config["EVIDENCE_STORAGE"] = "database"
    upload(client, logged_in, b"Second document\n", "second.txt")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Evidence.id).order_by(Evidence.id)).all()
    assert client.get(f"/assessments/{logged_in}/evidence/{first}").data == POLICY
    assert client.get(f"/assessments/{logged_in}/evidence/{second}").data == b"Second document\n"


def test_readyz_checks_the_database_storage(client):
    response = client.get("/readyz")
    assert response.json["checks"]["evidence_storage"] == "ok"
