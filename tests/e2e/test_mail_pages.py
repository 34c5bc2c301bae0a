"""The e-mail pages in a real browser: forgot password, the e-mailed reset link, preferences.

A live server with a real SMTP server behind it; every page is looked at on a
1280 px desktop and a 390 px phone, and must not scroll sideways. Set
E2E_SCREENSHOT_DIR to a folder for a screenshot of each.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from assessment.extensions import db
from assessment.models import Job, MailMessage
from tests import mailserver
from tests.e2e.waiting import shows
from tests.factories import PASSWORD, make_user
from tests.mailserver import SENDER

pytestmark = pytest.mark.e2e

smtp = mailserver.smtp
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
NEW_PASSWORD = "a new and long passphrase"
SHOTS = os.environ.get("E2E_SCREENSHOT_DIR")  # a folder: every page, at both sizes


@pytest.fixture
def live_server_config(smtp) -> dict:
    """The live server sends e-mail to the test's SMTP server."""
    return {
        "SECRET_KEY": "e2e-mail",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_DEFAULT_SENDER": SENDER,
    }


@pytest.fixture
def mail_server_app(live_server):
    """A live server (CSRF on) whose e-mailed links lead back to it, and one user."""
    base, app = live_server
    app.config["EXTERNAL_URL"] = base
    with app.app_context():
        make_user(email="pat@example.org", name="Pat Person", organisation_name="Acme Social")
        db.session.commit()
    return base, app


def look(page, name: str, folder: Path | None) -> None:
    """The page never scrolls sideways at either size; screenshot it when a folder is named."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
        if folder is not None:
            page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def no_mail_arrived(app, smtp) -> str:
    """Say why no e-mail came: where it was sent, and what the outbox and its jobs hold."""
    with app.app_context():
        messages = db.session.execute(
            sa.select(
                MailMessage.id,
                MailMessage.kind,
                MailMessage.state,
                MailMessage.attempts,
                MailMessage.error,
            )
        ).all()
        jobs = db.session.execute(sa.select(Job.id, Job.kind, Job.state, Job.error)).all()
    lines = [
        f"No e-mail reached the test's SMTP server (port {smtp.port}; the app sends to port "
        f"{app.config['MAIL_PORT']})."
    ]
    if not messages:
        lines.append(
            "The outbox holds no e-mail: the work after the response (call_on_close) never "
            "wrote it. The captured log says what the live server did."
        )
    lines += [
        f"e-mail {m.id} ({m.kind}): {m.state}, {m.attempts} attempt(s), error {m.error!r}"
        for m in messages
    ]
    lines += [f"job {j.id} ({j.kind}): {j.state}, error {j.error!r}" for j in jobs]
    return "\n".join(lines)


def test_forgot_reset_and_preferences_in_a_browser(mail_server_app, page, smtp):
    base, app = mail_server_app
    folder = Path(SHOTS) if SHOTS else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("h1")).to_have_text("Forgot your password?")
    look(page, "forgot", folder)
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_role("button", name="Send me a link").click()
    assert shows(page, "If an account uses pat@example.org")
    look(page, "forgot-sent", folder)

    # The e-mail goes once the response has been sent: within 0.3 s with both cores busy
    # (measured), so 30 s leaves room for a machine far busier than that.
    for _ in range(600):
        if smtp.messages:
            break
        page.wait_for_timeout(50)
    assert smtp.messages, no_mail_arrived(app, smtp)
    (mail,) = smtp.messages
    (link,) = mail.links
    assert link.startswith(f"{base}/auth/reset/")

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    look(page, "reset", folder)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    assert shows(page, "Your password is changed and you are logged in.")

    page.get_by_role("link", name="E-mail", exact=True).click()
    expect(page.locator("h1")).to_have_text("E-mail")
    look(page, "preferences", folder)
    page.get_by_label("A principle is assigned to you, or its due date changes").uncheck()
    page.get_by_role("button", name="Save my e-mail choices").click()
    assert shows(page, "Your e-mail choices are saved.")
    assert not page.get_by_label(
        "A principle is assigned to you, or its due date changes"
    ).is_checked()
    assert page.get_by_label(
        "An assessment is approved (to the submitter and contributors)"
    ).is_checked()

    page.goto(link)  # used: refused, with the way to ask again
    assert shows(page, "has been used already")
    look(page, "reset-used", folder)

    # The old password no longer works; the new one does.
    page.goto(f"{base}/auth/logout")
    page.get_by_role("button", name="Log out now").click()
    page.goto(f"{base}/auth/login")
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert shows(page, "Email or password is not right.")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/assessments/")
