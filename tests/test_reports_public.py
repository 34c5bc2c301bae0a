"""The public summary: publishable scores, charts and narrative, and nothing internal."""

import io

import pytest
from pypdf import PdfReader

from assessment.catalogue import load_catalogue
from reports import FORMATS, render
from reports.pdf import public_summary_html, render_public_summary
from tests.pdf_text import page_texts
from tests.report_data import APPROVER, AUDIT, EVIDENCE, NARRATIVE, OWNERS, sample_scored

# These tests read the PDF itself: WeasyPrint lays it out, not the fast stand-in.
pytestmark = pytest.mark.real_pdf

SECRET = "INTERNAL-ONLY-7731 the moderation backlog is 4 weeks"


def normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def public(catalogue):
    comments = {q: SECRET for q in catalogue.questions}
    scored = sample_scored("approved", catalogue=catalogue, comments=comments, with_previous=True)
    pdf = render_public_summary(scored, catalogue)
    reader = PdfReader(io.BytesIO(pdf))
    text = normalise(" ".join(page_texts(pdf)))
    return scored, pdf, reader, text


def test_public_summary_shows_every_theme_and_principle_score_and_the_narrative(public):
    scored, _, reader, text = public
    assert len(reader.pages) <= 3
    assert NARRATIVE in text
    for theme in scored.themes:
        assert f"{theme.id}: {normalise(theme.title)}" in text
    for principle in scored.principles:
        assert f"{principle.id}: {principle.title}" in text
    assert f"{scored.display_score} / 100" in text


def test_public_summary_leaves_out_comments_evidence_owners_and_audit(public):
    _, pdf, reader, text = public
    assert "INTERNAL-ONLY-7731" not in text
    assert b"INTERNAL-ONLY-7731" not in pdf
    for item in EVIDENCE:
        assert (item.filename or item.url) not in text
    for assignment in OWNERS.values():
        assert assignment.owner not in text
    assert APPROVER not in text
    assert all(entry.who not in text for entry in AUDIT)
    assert not reader.attachments  # the JSON export holds the comments


def test_public_summary_is_not_marked_confidential(public):
    _, _, _, text = public
    assert "CONFIDENTIAL" not in text.upper()
    assert "PUBLIC SUMMARY" in text.upper()


def test_a_draft_public_summary_is_marked_draft(catalogue):
    html = public_summary_html(sample_scored("draft", catalogue=catalogue), catalogue)
    assert "DRAFT" in html and "Not yet approved" in html


def test_formats_include_the_public_summary_and_xlsx(catalogue):
    assert {"pdf", "public.pdf", "csv", "json", "xlsx"} <= set(FORMATS)
    assert render("xlsx", sample_scored(catalogue=catalogue), catalogue)[:2] == b"PK"
    with pytest.raises(ValueError, match="unknown report format"):
        render("docx", sample_scored(catalogue=catalogue), catalogue)


def test_public_summary_shows_the_period_and_the_approval_date(catalogue):
    from dataclasses import replace

    from tests.report_data import APPROVED_AT

    scored = sample_scored("approved", catalogue=catalogue)
    scored = scored.model_copy(update={"info": replace(scored.info, period="FY2026 H1")})
    first = normalise(page_texts(render_public_summary(scored, catalogue))[0])
    assert "Period: FY2026 H1." in first
    assert f"Approved {APPROVED_AT:%d %B %Y}." in first


def test_public_summary_without_a_period_says_it_was_not_recorded(public):
    _, pdf, _, _ = public
    assert "Period: not recorded." in normalise(page_texts(pdf)[0])


def test_public_summary_rows_of_out_of_scope_principles_say_so(public):
    scored, _, _, text = public
    (p5,) = [p for p in scored.principles if p.id == "P5"]
    assert not p5.applicable
    assert f"P5: {p5.title} out of scope" in text
    assert f"P5: {p5.title} n/a" not in text
