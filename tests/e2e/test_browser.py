"""End to end in a real browser: what a trust-and-safety lead does on a first visit."""

import logging
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.signing_in import log_in
from tests.e2e.waiting import shows

pytestmark = pytest.mark.e2e


def link_from_the_log(caplog, prefix: str, seconds: float = 10) -> str:
    """Wait for the e-mail `make run` writes to the log (no mail server) and return its link."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(re.escape(prefix) + r"\S+", caplog.text)
        if found:
            return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no e-mail with a link to {prefix} in the log")


def test_register_scope_answer_and_download(live_server, page, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="assessment")
    base, _app = live_server
    page.goto(f"{base}/auth/register")
    assert shows(page, "E-mail is not configured on this server")
    page.get_by_label("Organisation").fill("Acme Social")
    page.get_by_label("Your name").fill("Ada Lead")
    page.get_by_label("Work email").fill("ada@acme.example")
    page.get_by_role("button", name="E-mail me the link").click()
    assert shows(page, "Check your e-mail")
    page.goto(link_from_the_log(caplog, f"{base}/auth/register/"))
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Repeat the password").fill("a long enough password")
    page.get_by_role("button", name="Create the organisation").click()
    assert shows(page, "Acme Social is set up")

    page.get_by_role("link", name="Start an assessment").click()
    page.get_by_label("Service name").fill("Acme Chat")
    for fieldset in page.locator("fieldset").all():
        legend = fieldset.locator("legend").inner_text()
        answer = (
            "No"
            if any(w in legend for w in ("livestream", "search", "game", "generative"))
            else "Yes"
        )
        options = fieldset.get_by_label(answer, exact=True)
        if options.count():
            options.first.check()
        else:
            fieldset.locator("input").first.check()
    page.get_by_role("button", name="Save the service profile").click()
    expect(page.locator("h1")).to_have_text("Acme Chat")

    # P5 (livestreaming) is scoped out, and says why.
    assert shows(page, "Not applicable to this service")

    page.get_by_role("link", name="P1 · ").click()
    first = page.locator("section.question fieldset").first
    first.get_by_label("Established").check()
    first.get_by_label("Comment").fill("PhotoDNA on every upload <script>alert(1)</script>")
    page.get_by_role("button", name="Save", exact=True).click()
    assert shows(page, "Saved: 1 answer changed.")
    assert (
        first.get_by_label("Comment").input_value().startswith("PhotoDNA on every upload <script>")
    )

    # An invalid choice (the alternative measure without a rationale) keeps what was stored.
    first.get_by_label("Alternative measure").check()
    first.get_by_label("Comment").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    assert shows(page, "counts as met only with a rationale")
    page.goto(page.url)
    assert page.locator("section.question fieldset").first.get_by_label("Established").is_checked()

    page.get_by_role("link", name="Acme Chat").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON", exact=True).click()
    path = tmp_path / "report.json"
    download.value.save_as(path)
    assert "PhotoDNA on every upload" in path.read_text()


def test_another_organisation_sees_nothing(live_server, page):
    base, app = live_server
    from assessment.extensions import db
    from tests.factories import make_assessment, make_user

    with app.app_context():
        owner = make_user(organisation_name="Owner Org")
        assessment_id = make_assessment(owner).id
        stranger = make_user(organisation_name="Stranger Org")
        db.session.commit()
        email = stranger.email
    log_in(page.context, base, email)
    response = page.goto(f"{base}/assessments/{assessment_id}/")
    assert response.status == 404
    assert shows(page, "There is nothing here")


def _log_in(page, base, email):
    from tests.factories import PASSWORD

    page.goto(f"{base}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_submit_approve_and_the_locked_issued_report(live_server, page, tmp_path):
    base, app = live_server
    from assessment.extensions import db
    from assessment.models import Role
    from tests.factories import make_answer, make_assessment, make_user

    with app.app_context():
        respondent = make_user(role=Role.RESPONDENT, organisation_name="Acme Social")
        reviewer = make_user(
            organisation=respondent.memberships[0].organisation, role=Role.REVIEWER
        )
        assessment = make_assessment(respondent)
        make_answer(assessment, "P1.1", "3", "PhotoDNA on upload")
        db.session.commit()
        emails, overview = (
            (respondent.email, reviewer.email),
            f"{base}/assessments/{assessment.id}/",
        )

    _log_in(page, base, emails[0])
    page.goto(overview)
    page.get_by_role("button", name="Submit for review").click()
    # Most questions are unanswered: the page lists them and asks first.
    assert shows(page, "Some questions are still open.")
    page.get_by_role("button", name="Submit anyway").click()
    assert shows(page, "Submitted for review")
    page.get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Log out now").click()
    assert shows(page, "You are logged out.")

    _log_in(page, base, emails[1])
    page.goto(overview)
    page.get_by_role("link", name="Approve and lock").click()
    page.get_by_label("I confirm the statement above").check()
    page.get_by_role("button", name="Approve and lock").click()
    assert shows(page, "Approved and locked")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF full report").click()
    first = tmp_path / "first.pdf"
    download.value.save_as(first)
    with page.expect_download() as again:
        page.get_by_role("link", name="PDF full report").click()
    second = tmp_path / "second.pdf"
    again.value.save_as(second)
    assert first.read_bytes().startswith(b"%PDF-")
    assert first.read_bytes() == second.read_bytes()

    page.goto(f"{overview}principles/P1")
    assert shows(page, "approved and locked: answers are shown read-only")
    assert page.locator("input[type=radio]").count() == 0
