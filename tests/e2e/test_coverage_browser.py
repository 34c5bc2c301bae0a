"""End to end: the coverage pages read on a desktop and on a phone without sideways scrolling."""

import pytest
from playwright.sync_api import expect

from assessment.extensions import db
from tests.e2e.signing_in import log_in
from tests.factories import make_answer, make_assessment, make_user

pytestmark = pytest.mark.e2e

PAGES = [
    "frameworks/",
    "frameworks/australia-bose-determination-2022",
    "frameworks/dtsp-best-practices-framework",
    "frameworks/ofcom-illegal-content-codes-u2u",
]
WIDTHS = (1280, 390)


def _fits(page, path: str, width: int) -> None:
    """Neither the page nor any of its tables is wider than the screen."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, (path, f"at {width} px", scroll, client)
    too_wide = page.evaluate(
        "[...document.querySelectorAll('table')]"
        ".filter(t => t.scrollWidth > t.parentElement.clientWidth).length"
    )
    assert too_wide == 0, (path, f"at {width} px")


def test_coverage_pages_fit_the_screen(live_server, page):
    """Each page is loaded once and measured at both widths (CSS alone lays it out)."""
    base, app = live_server
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user)
        for question_id, value in {"P1.1": "4", "P2.5": "0", "P11.1": "3", "P9.1": "na"}.items():
            make_answer(assessment, question_id, value)
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    log_in(page.context, base, email)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/assessments/{assessment_id}/")
        page.get_by_role("link", name="Coverage of other frameworks").click()
        expect(page.locator("h1")).to_have_text("Coverage of other frameworks")
    for path in PAGES:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(f"{base}/assessments/{assessment_id}/{path}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            _fits(page, path, width)
            # On a phone each mapped question's cells are labelled, since the column headers
            # are hidden (checked on the last page, as it always was).
            if path == PAGES[-1]:
                answer = page.locator("table.mapped-questions td[data-label='Answer']").first
                label = answer.evaluate("e => getComputedStyle(e, '::before').content")
                assert (label == '"Answer: "') is (width == 390), (width, label)
