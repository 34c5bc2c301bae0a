"""The command-line tools, run the way an operator would run them.

`flask` itself starts in a subprocess where that is what is tested (the entry
point, a broken app catalogue); the catalogue checker's verdicts on damaged
files run in this process, which saves a Python start-up (about two seconds) each.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assessment.catalogue import DEFAULT_PATH
from assessment.catalogue_cli import catalogue_cli
from assessment.extensions import db
from assessment.models import Answer, Assessment, Membership, User

GOOD = DEFAULT_PATH.read_text()

DAMAGE = {
    "empty": "",
    "only whitespace": "   \n\n",
    "a list": "- one\n- two\n",
    "a scalar": "just a string\n",
    "python tag": "!!python/object/apply:os.system ['touch /tmp/vp-pwned']\n",
    "syntax error": "catalogue: {id: x\nscales: [\n",
    "duplicate key": GOOD.replace("scoring:\n", "scoring:\n  gap_threshold: 0.5\n", 1).replace(
        "  gap_threshold: 0.75\n", "  gap_threshold: 0.5\n  gap_threshold: 0.75\n", 1
    ),
    "unknown scale": GOOD.replace("scale: maturity", "scale: maturty", 1),
    "duplicate question id": GOOD.replace("id: P2.1", "id: P1.1", 1),
    "unknown profile field": GOOD.replace(
        "applies_if: {livestreaming: true}", "applies_if: {livestream: true}", 1
    ),
    "zero weight": GOOD.replace("weight: 3", "weight: 0", 1),
    "missing statement": GOOD.replace("statement: >-", "statment: >-", 1),
    "bad version": GOOD.replace("version: ", "version: v", 1),
    "unknown field": GOOD.replace("    guidance:", "    guidence:", 1),
}


def _flask(*args, cwd=None, env_extra=None):
    env = {**os.environ, "FLASK_APP": "app", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        capture_output=True,
        text=True,
        cwd=cwd or Path(__file__).resolve().parents[1],
        env=env,
        timeout=120,
    )


def _check(path):
    """Run `flask catalogue check PATH` in this process (no app, as the real command)."""
    result = CliRunner().invoke(catalogue_cli, ["check", str(path)])
    # Only a deliberate exit: anything else would have been a traceback for the operator.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_catalogue_check_accepts_the_shipped_catalogue():
    result = _flask("catalogue", "check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "11 principles" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_catalogue_check_rejects_damage_cleanly(kind, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DAMAGE[kind])
    assert DAMAGE[kind] != GOOD
    result = _check(bad)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "problem" in result.stderr
    assert not Path("/tmp/vp-pwned").exists()


def test_catalogue_check_names_the_place_of_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DAMAGE["unknown scale"])
    result = _check(bad)
    assert "themes[0].principles[0].questions[0].scale: unknown scale 'maturty'" in result.stderr


def test_catalogue_check_reads_binary_and_missing_files_cleanly(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)))
    for path in (binary, tmp_path / "missing.yaml"):
        result = _check(path)
        assert result.exit_code == 1
        assert "Traceback" not in result.stderr


def test_catalogue_check_works_when_the_apps_own_catalogue_is_broken(tmp_path):
    """The checker must not need a working app: it is how you fix one."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("- nope\n")
    result = _flask(
        "catalogue", "check", str(DEFAULT_PATH), env_extra={"FLASK_CATALOGUE_PATH": str(broken)}
    )
    assert result.returncode == 0, result.stderr


def test_demo_is_idempotent_and_makes_assessment_one(runner, app):
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "demo@example.com" in first.output
    assert "Demo already present" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1
        assessment = db.session.get(Assessment, 1)
        answered = db.session.scalar(sa.select(sa.func.count(Answer.id)))
        from assessment.extensions import current_catalogue
        from assessment.snapshot import score_stored

        scored = score_stored(assessment, current_catalogue())
    assert answered > 0
    assert 0 < scored.completion < 1


def test_demo_user_can_log_in(runner, client):
    runner.invoke(args=["demo"])
    response = client.post(
        "/auth/login", data={"email": "demo@example.com", "password": "demo-password-2026"}
    )
    assert response.status_code == 302


def test_report_for_a_missing_assessment_fails_clearly(runner, tmp_path):
    result = runner.invoke(
        args=["report", "42", "--format", "json", "--output", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "no assessment with id 42" in result.output
    assert not (tmp_path / "r.json").exists()


def test_report_rejects_an_unknown_format(runner, tmp_path):
    result = runner.invoke(
        args=["report", "1", "--format", "docx", "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "docx" in result.output


def test_create_user_creates_a_member(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Lee@Example.org",
            "--name",
            "Lee",
            "--organisation",
            "Acme",
            "--role",
            "reviewer",
        ],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        assert user.email == "lee@example.org"
        assert db.session.scalars(sa.select(Membership)).one().role == "reviewer"


def test_create_user_refuses_a_short_password(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@b.org",
            "--name",
            "A",
            "--organisation",
            "Acme",
            "--password",
            "short",
        ]
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(User)).first() is None


def test_the_app_refuses_to_start_with_a_broken_catalogue_and_says_why(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(DAMAGE["unknown scale"])
    env = {**os.environ, "FLASK_APP": "app", "FLASK_CATALOGUE_PATH": str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "routes"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "the app will not start" in result.stderr
    assert "unknown scale 'maturty'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_catalogue_commands_import_neither_the_reports_nor_weasyprint():
    # Every `flask` command loads the entry point's module: it must stay light.
    code = (
        "import sys, assessment.catalogue_cli; "
        "assert not {'weasyprint', 'reports'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
