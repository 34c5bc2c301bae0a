"""The report as an operator makes it: `flask db upgrade && flask demo && flask report 1`."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from assessment import create_app
from assessment.catalogue import load_catalogue
from assessment.extensions import db
from assessment.models import Assessment

ROOT = Path(__file__).resolve().parents[1]


def _flask(tmp_path, *args):
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "SECRET_KEY": "cli-test",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory):
    """The demo, with a service profile that has neither livestreaming nor search."""
    tmp_path = tmp_path_factory.mktemp("ops")
    _flask(tmp_path, "db", "upgrade")
    _flask(tmp_path, "demo")
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ops.db'}"}
    )
    with app.app_context():
        assessment = db.session.get(Assessment, 1)
        assessment.profile = {**assessment.profile, "livestreaming": False, "search": False}
        db.session.commit()
        db.engine.dispose()
    out = tmp_path / "r.pdf"
    assert "Wrote" in _flask(tmp_path, "report", "1", "--format", "pdf", "--output", str(out))
    json_out = tmp_path / "r.json"
    _flask(tmp_path, "report", "1", "--format", "json", "--output", str(json_out))
    return out, json.loads(json_out.read_text())


def test_the_demo_pdf_passes_qpdf_check(demo_pdf):
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf is not installed: .ci/run installs it (apt-get install qpdf)")
    result = subprocess.run(["qpdf", "--check", str(demo_pdf[0])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_demo_pdf_holds_every_principle_statement(demo_pdf):
    text = _squash(" ".join(page.extract_text() for page in PdfReader(demo_pdf[0]).pages))
    for principle in load_catalogue().principles.values():
        assert _squash(principle.statement) in text, principle.id


def test_a_livestream_free_search_free_service_has_p5_and_p6_scoped_out_with_the_reason(demo_pdf):
    _, export = demo_pdf
    text = _squash(" ".join(page.extract_text() for page in PdfReader(demo_pdf[0]).pages))
    principles = {p["id"]: p for t in export["themes"] for p in t["principles"]}
    for pid, word in (("P5", "livestreaming"), ("P6", "search")):
        assert principles[pid]["applicable"] is False
        reason = principles[pid]["scope_reason"]
        assert word in reason.lower()
        assert _squash(reason) in text, pid
