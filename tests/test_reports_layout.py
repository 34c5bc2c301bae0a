"""Issue 10, point 10: no text box runs beyond its page's content area, for any document."""

import pytest

from assessment.catalogue import load_catalogue
from reports.pdf import board_html, layout_document, public_summary_html, render_html
from tests.layout import overflows
from tests.report_data import ISSUED_AT, demo_scored, stress_scored

DOCUMENTS = {"report": render_html, "public": public_summary_html, "board": board_html}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def assessments():
    return {
        "demo": demo_scored("draft"),
        "demo_approved": demo_scored("approved", with_previous=True),
        "stress": stress_scored("approved"),
    }


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
@pytest.mark.parametrize("assessment", ["demo", "demo_approved", "stress"])
def test_no_text_extends_beyond_the_content_area(document, assessment, assessments, catalogue):
    html = DOCUMENTS[document](assessments[assessment], catalogue, issued_at=ISSUED_AT)
    laid_out = layout_document(html)
    found = overflows(laid_out)
    assert not found, "\n".join(str(o) for o in found[:10])


def test_stress_assessment_reaches_every_maximum_length(assessments):
    scored = assessments["stress"]
    assert len(scored.info.service) == 200 and len(scored.info.organisation) == 200
    assert all(len(p.questions[0].comment) == 5000 for p in scored.principles)
    assert len(scored.info.public_narrative) == 10_000
    assert all(len(p.owner) == 200 for p in scored.principles)


@pytest.mark.parametrize(
    "html",
    [
        '<p style="white-space: nowrap">' + "A line far too long for any page " * 20 + "</p>",
        '<p style="margin-left: -40mm">Pushed into the left margin</p>',
        '<p style="overflow-wrap: normal">' + "Unbreakable" * 80 + "</p>",
    ],
)
def test_the_helper_fails_on_text_beyond_the_content_area(html):
    document = layout_document(f"<html><body class='public'>{html}</body></html>")
    assert overflows(document)


def test_the_helper_passes_text_inside_the_content_area():
    document = layout_document("<html><body><p>Short and inside.</p></body></html>")
    assert not overflows(document)
