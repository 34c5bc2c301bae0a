"""The report as an operator makes it: `flask db upgrade && flask demo && flask report 1`."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assessment import create_app
from assessment.catalogue import load_catalogue
from assessment.extensions import db
from assessment.models import Assessment
from tests.pdf_text import page_texts

ROOT = Path(__file__).resolve().parents[1]
# The operator's `flask report` runs in its own process, with WeasyPrint.
pytestmark = pytest.mark.real_pdf


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
    # The migrations, the demo and the JSON export run the same commands in this process
    # (each `flask` start-up costs seconds; test_wheel runs `flask db upgrade` in its own);
    # the PDF is made by `flask report` itself.
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ops.db'}"}
    )
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with app.app_context():
        assessment = db.session.get(Assessment, 1)
        assessment.profile = {**assessment.profile, "livestreaming": False, "search": False}
        db.session.commit()
    out = tmp_path / "r.pdf"
    assert "Wrote" in _flask(tmp_path, "report", "1", "--format", "pdf", "--output", str(out))
    json_out = tmp_path / "r.json"
    exported = runner.invoke(args=["report", "1", "--format", "json", "--output", str(json_out)])
    assert exported.exit_code == 0, exported.output
    with app.app_context():
        db.engine.dispose()
    return out, json.loads(json_out.read_text())


@pytest.fixture(scope="module")
def demo_text(demo_pdf):
    """The demo PDF's text, extracted once (pypdf takes seconds for the whole report)."""
    return _squash(" ".join(page_texts(demo_pdf[0])))


def test_the_demo_pdf_passes_qpdf_check(demo_pdf):
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf is not installed: .ci/run installs it (apt-get install qpdf)")
    result = subprocess.run(["qpdf", "--check", str(demo_pdf[0])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_demo_pdf_holds_every_principle_statement(demo_text):
    text = demo_text
    for principle in load_catalogue().principles.values():
        assert _squash(principle.statement) in text, principle.id


def test_a_livestream_free_search_free_service_has_p5_and_p6_scoped_out_with_the_reason(
    demo_pdf, demo_text
):
    _, export = demo_pdf
    text = demo_text
    principles = {p["id"]: p for t in export["themes"] for p in t["principles"]}
    for pid, word in (("P5", "livestreaming"), ("P6", "search")):
        assert principles[pid]["applicable"] is False
        reason = principles[pid]["scope_reason"]
        assert word in reason.lower()
        assert _squash(reason) in text, pid
