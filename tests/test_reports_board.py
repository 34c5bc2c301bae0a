"""The one-page board summary (issue 10, point 7): one A4 page, never two."""

import io
import re

import pytest
from pypdf import PdfReader

from assessment.catalogue import load_catalogue
from assessment.results import AssessmentInfo
from assessment.scoring import score_assessment
from reports import FORMATS, render
from reports.pdf import render_board_pdf
from tests.pdf_text import page_texts
from tests.rendered import rendered
from tests.report_data import (
    APPROVER,
    ISSUED_AT,
    demo_scored,
    long_names_catalogue,
    sample_scored,
    stress_scored,
)

# Every test here reads the rendered PDF: WeasyPrint, not the stand-in.
pytestmark = pytest.mark.real_pdf

A4_POINTS = (595.28, 841.89)


def normalise(text: str) -> str:
    return " ".join(text.split())


def board(scored, catalogue) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(render_board_pdf(scored, catalogue, issued_at=ISSUED_AT)))
    return reader, normalise(" ".join(page_texts(reader.stream.getvalue())))


def shared_board(assessment: str) -> tuple[PdfReader, str]:
    """The board page of one of tests.rendered's assessments, laid out once per run."""
    page = rendered(assessment, "board")
    return page.reader, normalise(" ".join(page.texts))


# Cases whose board page the layout tests check too: rendered once for both.
SHARED = {"demo": "demo", "demo_approved_with_previous": "demo_approved", "stress": "stress"}


def nothing_answered(catalogue):
    info = AssessmentInfo(
        assessment_id=7, organisation="Empty Org", service="Nothing answered yet", status="draft"
    )
    return score_assessment(catalogue, info, {})


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def cases(catalogue):
    """Each case's scored assessment and catalogue (built when asked for) but the SHARED ones."""

    def long_names():
        long_catalogue = long_names_catalogue()
        scored = sample_scored("approved", catalogue=long_catalogue, with_previous=True)
        return scored, long_catalogue

    return {
        "every_principle_in_scope_long_names": long_names,
        "no_previous_cycle": lambda: (sample_scored("in_review", catalogue=catalogue), catalogue),
        "nothing_answered": lambda: (nothing_answered(catalogue), catalogue),
    }


@pytest.mark.parametrize(
    "case",
    [
        "demo",
        "demo_approved_with_previous",
        "every_principle_in_scope_long_names",
        "no_previous_cycle",
        "nothing_answered",
        "stress",
    ],
)
def test_board_page_is_one_a4_page(case, catalogue):
    if case in SHARED:
        reader, _ = shared_board(SHARED[case])
    else:
        reader, _ = board(*cases(catalogue)[case]())
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (
        round(A4_POINTS[0], 1),
        round(A4_POINTS[1], 1),
    )


def test_board_page_shows_score_band_themes_actions_and_sign_off_status():
    scored = demo_scored()
    _, text = shared_board("demo")
    assert re.search(rf"\b{scored.display_score}\s*/ 100", text) and f"Band: {scored.band}" in text
    for theme in scored.themes:
        shown = "n/a" if theme.display_score is None else str(theme.display_score)
        assert f"{theme.id}: {normalise(theme.title)} {shown} {theme.band}" in text
        assert (theme.band_colour or "No score").capitalize() in text
    for rank, gap in enumerate(scored.gaps[:5], start=1):
        assert f"{rank}. " in text and gap.question_id in text
    assert scored.gaps[5].question_id + " " not in text  # five actions, not six
    assert "Not signed off" in text and "still a draft" in text
    assert "First cycle" in text and "No previous approved assessment" in text


def test_board_page_gives_the_change_since_the_previous_cycle():
    scored = demo_scored("approved", with_previous=True)
    _, text = shared_board("demo_approved")
    trend = scored.trend
    overall = scored.display_score - round(trend.previous_score)
    assert f"{overall:+d}" in text or (overall == 0 and "\u00b10" in text)
    for theme in scored.themes:
        change = trend.theme_change(theme)
        if change is not None:
            assert (f"{change:+d}" if change else "\u00b10") in text
    assert f"{len(scored.changes.answers)} answers changed" in text
    assert f"Signed off by {APPROVER} (Reviewer)" in text


def test_board_page_cuts_long_text_with_an_ellipsis_instead_of_spilling():
    scored = stress_scored()
    _, text = shared_board("stress")
    assert "\u2026" in text
    assert scored.info.organisation not in text  # 200 characters do not fit on one line


def test_board_pdf_is_a_report_format(catalogue):
    assert "board.pdf" in FORMATS
    scored = demo_scored().model_copy(update={"trend": None})
    assert render("board.pdf", scored, catalogue)[:5] == b"%PDF-"


# It shares no render with the other tests here: its own xdist group, so that the shared
# renders' group (tests/conftest.py) is not the longest of the run.
@pytest.mark.xdist_group("tests/test_reports_board.py::flask")
def test_flask_report_writes_the_demo_board_page_and_its_plan_fits_two_pages(tmp_path):
    """As an operator runs it: `flask db upgrade && flask demo && flask report 1 --format ...`.

    `flask report --format board.pdf` runs in its own process, as the operator's does;
    the migrations, the demo and the full report run the same commands in this process
    (each `flask` start-up costs seconds; test_report_cli runs `flask report --format pdf`
    and test_wheel `flask db upgrade` in their own processes).
    """
    import os
    import subprocess
    import sys
    from pathlib import Path

    from assessment import create_app
    from assessment.extensions import db

    root = Path(__file__).resolve().parents[1]
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    app = create_app({"SECRET_KEY": "cli-test", "SQLALCHEMY_DATABASE_URI": database})
    runner = app.test_cli_runner()

    def flask(*args):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    flask("db", "upgrade")
    flask("demo")
    with app.app_context():
        db.engine.dispose()
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": database, "SECRET_KEY": "cli-test"}
    board_pdf = subprocess.run(
        [sys.executable, "-m", "flask", "report", "1", "--format", "board.pdf", "-o",
         str(tmp_path / "b.pdf")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert board_pdf.returncode == 0, board_pdf.stderr
    assert "board.pdf" in board_pdf.stdout
    reader = PdfReader(tmp_path / "b.pdf")
    assert len(reader.pages) == 1
    assert "Board summary" in page_texts(tmp_path / "b.pdf")[0]
    flask("report", "1", "--format", "pdf", "-o", str(tmp_path / "r.pdf"))
    texts = [normalise(p) for p in page_texts(tmp_path / "r.pdf")]
    plan = [t for t in texts if re.search(r"Action plan Page \d+ of \d+$", t)]
    assert 1 <= len(plan) <= 2


def test_clamp_keeps_text_that_fits_and_cuts_the_rest_with_an_ellipsis():
    from reports.pdf import clamp
    from reports.textwidth import text_width, wrap

    assert clamp("  Short   text ", 200, 9, 1) == "Short text"
    long_words = "hello world " * 40
    cut = clamp(long_words, 150, 9, 2)
    assert cut.endswith("\u2026") and long_words.startswith(cut[:-1].rstrip())
    assert len(wrap(cut, 150, 9)) == 2
    # An unbroken word is cut without a space put into it.
    word = "x" * 300
    cut = clamp(word, 100, 9, 2)
    assert " " not in cut and cut.endswith("\u2026")
    assert all(text_width(line, 9) <= 100 for line in wrap(cut, 100, 9))
