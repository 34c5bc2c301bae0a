"""Issue 10, point 10: no text box runs beyond its page's content area, for any document."""

import pytest

from reports.pdf import layout_document
from tests.layout import overflows
from tests.rendered import DOCUMENTS, rendered, scored_assessment


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
@pytest.mark.parametrize("assessment", ["demo", "demo_approved", "stress"])
def test_no_text_extends_beyond_the_content_area(document, assessment):
    # Each document laid out once per run, shared with the other modules that check it.
    laid_out = rendered(assessment, document).document
    found = overflows(laid_out)
    assert not found, "\n".join(str(o) for o in found[:10])


def test_stress_assessment_reaches_every_maximum_length():
    scored = scored_assessment("stress")
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
