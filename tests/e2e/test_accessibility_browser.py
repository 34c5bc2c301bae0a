"""End to end: axe-core finds no serious or critical violation on any page of the journey.

Every page is checked at 1280 px and at 390 px, signed in once per role, for axe
and for sideways scroll; `A11Y_SCREENSHOTS` names a folder for a screenshot of each. The running
catalogue is `vp-1.1.0` so that a draft answered against the shipped 1.0.0 has an
upgrade preview and the catalogue has a diff page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.signing_in import log_in
from tests.e2e.waiting import shows

pytestmark = pytest.mark.e2e

CATALOGUES = Path(__file__).resolve().parents[1] / "catalogues"
OLD, NEW = CATALOGUES / "vp-1.0.0.yaml", CATALOGUES / "vp-1.1.0.yaml"
SIZES = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
SERIOUS = {"serious", "critical"}
SHOTS = os.environ.get("A11Y_SCREENSHOTS")  # a folder: every page checked, at both sizes


@pytest.fixture
def live_server_config() -> dict:
    return {"CATALOGUE_PATH": str(NEW)}


@pytest.fixture
def journey(live_server):
    """One organisation with a draft, one in review, one approved and one on the old catalogue."""
    _base, app = live_server
    from assessment import jobs
    from assessment.catalogue import load_catalogue
    from assessment.catalogue_versions import register
    from assessment.extensions import current_catalogue, db
    from assessment.models import (
        Assignment,
        Job,
        JobState,
        QuestionComment,
        Role,
        Status,
        utcnow,
    )
    from tests.factories import make_answer, make_assessment, make_user

    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin", email="ada@acme.example")
        org = admin.memberships[0].organisation
        respondent = make_user(
            organisation=org, role=Role.RESPONDENT, name="Res Pondent", email="res@acme.example"
        )
        reviewer = make_user(
            organisation=org, role=Role.REVIEWER, name="Rae Reviewer", email="rae@acme.example"
        )
        draft = make_assessment(admin, service_name="Acme Chat", period="FY2026 H1")
        make_answer(draft, "P1.1", "3", "PhotoDNA on every upload")
        make_answer(draft, "P1.2", "2", "Daily list updates")
        make_answer(draft, "P1.3", "2", "Carried from last year").carried_forward = True
        make_answer(draft, "P2.1", "0", "")
        db.session.add(Assignment(assessment=draft, principle_id="P1", owner_id=respondent.id))
        db.session.add(
            QuestionComment(
                organisation_id=org.id,
                assessment_id=draft.id,
                question_id="P1.1",
                author_id=reviewer.id,
                body="Which hash lists do you use?",
            )
        )
        in_review = make_assessment(
            admin,
            service_name="Acme Video",
            period="FY2026 H1",
            status=Status.IN_REVIEW,
            submitted_by_id=respondent.id,
            submitted_at=utcnow(),
        )
        make_answer(in_review, "P1.1", "4", "Hash matching at upload")
        approved = make_assessment(
            admin,
            service_name="Acme Forum",
            period="FY2025 H2",
            status=Status.APPROVED,
            approved_by_id=reviewer.id,
            approved_at=utcnow(),
        )
        make_answer(approved, "P1.1", "4", "Hash matching at upload")
        old = load_catalogue(OLD)
        register(old)
        on_old = make_assessment(admin, service_name="Acme Games")
        on_old.catalogue_version, on_old.catalogue_fingerprint = old.version, old.fingerprint
        make_answer(on_old, "P1.7", "2", "renamed question")
        db.session.flush()
        for assessment, kind, document in (
            (approved, jobs.ISSUE_REPORT, None),
            (draft, jobs.RENDER_DOCUMENT, "pdf"),
        ):
            db.session.add(
                Job(
                    organisation_id=org.id,
                    assessment_id=assessment.id,
                    kind=kind,
                    document=document,
                    state=JobState.QUEUED,
                )
            )
        db.session.commit()
        render_job = db.session.scalars(
            db.select(Job).where(Job.kind == jobs.RENDER_DOCUMENT)
        ).one()
        return {
            "draft": draft.id,
            "in_review": in_review.id,
            "approved": approved.id,
            "on_old": on_old.id,
            "old": old.fingerprint,
            "new": current_catalogue().fingerprint,  # the app runs on NEW
            "render_job": render_job.id,
        }


def sign_in(browser, base, email):
    """A page of this user's own, on the page the login leads to (see `signing_in`)."""
    page = browser.new_context(viewport=SIZES[0]).new_page()
    page.goto(log_in(page.context, base, email))
    return page


# Before its first check, the audit asks axe-core which of its rules could ever report a
# serious or critical violation: a rule's own impact, or without one the worst impact of its
# checks (axe-core gives every failed check the rule's impact when it has one). The other
# rules are switched off; `test_the_audit_still_catches_serious_violations` shows that what
# they leave out is never serious.
MILD_RULES = """serious => {
    const order = axe.constants.impact;
    const checks = axe._audit.data.checks;
    const worst = rule => {
        if (rule.impact) { return order.indexOf(rule.impact); }
        const ids = [...rule.any, ...rule.all, ...rule.none].map(c => c.id || c);
        const known = ids.map(id => checks[id] && checks[id].impact).filter(Boolean);
        if (!ids.length || known.length < ids.length) { return Infinity; }  // unknown: keep it
        return Math.max(...known.map(i => order.indexOf(i)));
    };
    const lowest = Math.min(...serious.map(i => order.indexOf(i)));
    return axe._audit.rules.filter(rule => worst(rule) < lowest).map(rule => rule.id);
}"""

# axe's violations (the rest of its answer is most of its size) and the page's width.
RUN_AXE = """options => axe.run(document, options).then(results => ({
    violations: results.violations,
    scrollWidth: document.documentElement.scrollWidth,
}))"""


class Audit:
    """Run axe-core on pages at both sizes and keep every serious or critical violation."""

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.script = Axe().axe_script
        self.contexts: list = []  # browser contexts whose documents have axe-core
        self.options: dict | None = None
        self.found: list[str] = []
        self.checked: list[str] = []
        self.too_wide: list[str] = []

    def axe(self, page) -> dict:
        """Run axe-core on the page as it is now; say how wide the page is too."""
        if page.context not in self.contexts:
            # Into this document, and from now on into each new one of the context before its
            # own scripts: not again on every check (it is half a megabyte of script).
            page.context.add_init_script(self.script)
            page.evaluate(self.script)
            self.contexts.append(page.context)
        if self.options is None:
            mild = page.evaluate(MILD_RULES, sorted(SERIOUS))
            self.options = {
                "resultTypes": ["violations"],
                "rules": {rule: {"enabled": False} for rule in mild},
            }
        return page.evaluate(RUN_AXE, self.options)

    def check(self, page, name: str) -> None:
        """Check the page as it is now, at 1280 px then 390 px, and leave it at 1280 px."""
        for size in SIZES:
            if page.viewport_size != size:
                page.set_viewport_size(size)
            results = self.axe(page)
            label = f"{name} @{size['width']}"
            self.checked.append(label)
            width = results["scrollWidth"]
            if width > size["width"]:
                self.too_wide.append(f"{label}: {width} px wide")
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/{name}-{size['width']}.png", full_page=True)
            self.found += serious_violations(results, label)
        page.set_viewport_size(SIZES[0])

    def visit(self, page, url: str, name: str, status: int | None = None) -> None:
        response = page.goto(url)
        if status is not None:
            assert response.status == status, f"{name}: {response.status}"
        self.check(page, name)


def serious_violations(results: dict, label: str) -> list[str]:
    """One line for each element of each serious or critical violation in axe's results."""
    return [
        f"{label}: {violation['id']} ({violation['impact']}) {node['target']} {violation['help']}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
        for node in violation["nodes"]
    ]


def check_error_summary(page, first_field: str) -> None:
    """The summary of a form's errors has focus and its first link moves focus to the field."""
    page.wait_for_load_state()  # the summary takes focus from a deferred script
    summary = page.locator(".error-summary")
    assert summary.count() == 1
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    link = summary.get_by_role("link").first
    assert link.get_attribute("href") == f"#{first_field}"
    link.click()
    assert page.evaluate("document.activeElement.id") == first_field
    field = page.locator(f"#{first_field}")
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{field.get_attribute('aria-describedby').split()[-1]}")
    assert message.inner_text().strip(), "the invalid field is described by its message"


def check_charts(page) -> None:
    """Each chart is an image with a name, and the same figures are in a table."""
    for chart in page.locator(".charts svg[role=img]").all():
        assert chart.get_attribute("aria-label").startswith("Score of each")
    assert page.locator(".charts svg[role=img]").count() == 2
    page.get_by_text("The charts' figures as tables").click()
    principles = page.locator("table.figures").first
    assert principles.locator("tbody tr").count() == 11
    first = principles.locator("tbody tr").first
    assert first.locator("th").inner_text().startswith("P1 ")
    score = first.locator("td").inner_text()
    assert re.fullmatch(r"\d{1,3}|n/a", score), score
    assert f">{score}<" in page.locator(".charts svg.chart-bars").evaluate("e => e.outerHTML")
    assert page.locator("table.figures").nth(1).locator("tbody tr").count() >= 3


def check_questions(page) -> None:
    """Each question is a heading; each option's description describes its radio."""
    assert page.get_by_role("heading", name="P1.1").count() == 1
    radio = page.locator("section.question[id='P1.1'] input[type=radio]").first
    described = radio.get_attribute("aria-describedby").split()[0]
    assert page.locator(f"#{described}").inner_text().strip()


def test_every_page_of_the_journey_passes_axe(live_server, browser, journey):
    base, _app = live_server
    audit = Audit()
    a = f"{base}/assessments"
    draft, in_review, approved = journey["draft"], journey["in_review"], journey["approved"]

    visitor = browser.new_context(viewport=SIZES[0]).new_page()
    audit.visit(visitor, f"{base}/auth/login", "login")
    visitor.get_by_label("Email").fill("ada@acme.example")
    visitor.get_by_label("Password").fill("wrong password")
    visitor.get_by_role("button", name="Log in").click()
    audit.check(visitor, "login-refused")
    audit.visit(visitor, f"{base}/auth/register", "register")
    visitor.get_by_label("Work email").fill("not an address")
    visitor.get_by_role("button", name="E-mail me the link").click()
    check_error_summary(visitor, "organisation")
    audit.check(visitor, "register-with-errors")
    audit.visit(visitor, f"{base}/auth/forgot", "forgot-password")
    audit.visit(visitor, f"{base}/catalogue/", "catalogue")
    visitor.context.close()

    admin = sign_in(browser, base, "ada@acme.example")
    assert admin.url == f"{a}/", admin.url  # the landing page is the list of assessments
    audit.check(admin, "assessments")
    audit.visit(admin, f"{a}/new", "new-assessment")
    audit.visit(admin, f"{a}/{draft}/", "overview-draft")
    check_charts(admin)
    audit.visit(admin, f"{a}/{in_review}/", "overview-in-review")
    audit.visit(admin, f"{a}/{approved}/", "overview-approved-job")
    audit.visit(admin, f"{a}/{draft}/profile", "profile")
    audit.visit(admin, f"{a}/{draft}/principles/P1", "principle-comment-carried")
    check_questions(admin)
    question = admin.locator("section.question[id='P1.1']")
    question.get_by_text("Evidence for P1.1").click()
    audit.check(admin, "principle-evidence-open")
    question.get_by_label("Alternative measure").check()
    question.get_by_label("Comment").fill("")
    admin.get_by_role("button", name="Save", exact=True).click()
    assert shows(admin, "counts as met only with a rationale")
    check_error_summary(admin, "q_P1_1-comment")
    audit.check(admin, "principle-form-error")
    audit.visit(admin, f"{a}/{in_review}/principles/P1", "principle-read-only")
    for show in ("unanswered", "gaps", "mine", "changed"):
        audit.visit(admin, f"{a}/{draft}/questions?show={show}", f"questions-{show}")
    audit.visit(admin, f"{a}/{draft}/submit", "submit-check")
    audit.visit(admin, f"{a}/{draft}/comments", "comments")
    audit.visit(admin, f"{a}/{draft}/history", "history")
    audit.visit(admin, f"{a}/{draft}/assignments", "assignments")
    audit.visit(admin, f"{base}/members/", "members")
    audit.visit(admin, f"{base}/account/notices", "account-e-mail")
    audit.visit(admin, f"{base}/catalogue/versions/{journey['new']}", "catalogue-version")
    audit.visit(admin, f"{base}/catalogue/diff/{journey['old']}/{journey['new']}", "catalogue-diff")
    audit.visit(admin, f"{a}/{journey['on_old']}/upgrade", "upgrade-preview")
    audit.visit(admin, f"{a}/{draft}/frameworks/", "frameworks")
    audit.visit(
        admin, f"{a}/{draft}/frameworks/dtsp-best-practices-framework", "framework-coverage"
    )
    audit.visit(admin, f"{a}/{approved}/changes", "changes")
    audit.visit(
        admin, f"{a}/{draft}/report.pdf?job={journey['render_job']}", "job-pending", status=202
    )
    audit.visit(admin, f"{a}/999999/", "error-404", status=404)
    admin.context.close()

    respondent = sign_in(browser, base, "res@acme.example")
    audit.check(respondent, "assessments-waiting-for-you")
    assert shows(respondent, "Comments to answer (1)")
    audit.visit(respondent, f"{a}/{in_review}/approve", "error-403", status=403)
    respondent.context.close()

    reviewer = sign_in(browser, base, "rae@acme.example")
    assert shows(reviewer, "Reviews to do (1)")
    audit.visit(reviewer, f"{a}/{in_review}/approve", "approve")
    reviewer.context.close()

    assert len(audit.checked) >= 2 * 35, audit.checked
    assert not audit.found, "axe found serious or critical violations:\n" + "\n".join(audit.found)
    assert not audit.too_wide, "pages scroll sideways:\n" + "\n".join(audit.too_wide)


# Serious and critical problems axe-core finds, beside milder ones it finds too: a heading that
# skips a level (heading-order) and content outside any landmark (region) are moderate.
FLAWED_PAGE = """<!doctype html>
<html lang="en"><head><title>Flawed</title></head><body>
<h1>Flawed</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input type="text" name="nameless">
<p style="color: #bbb; background: #fff">Pale grey text on white</p>
<h4>A heading three levels down</h4>
</body></html>"""


def test_the_audit_still_catches_serious_violations(browser):
    """The rules the audit switches off leave out no serious violation, and the mild ones do go."""
    page = browser.new_page(viewport=SIZES[0])
    page.set_content(FLAWED_PAGE)
    audit = Audit()
    audit.check(page, "flawed")
    switched_off = set(audit.options["rules"])
    assert {"heading-order", "region"} <= switched_off, switched_off
    every_rule = {"resultTypes": ["violations"]}
    for size in SIZES:
        page.set_viewport_size(size)
        label = f"flawed @{size['width']}"
        everything = page.evaluate("options => axe.run(document, options)", every_rule)
        assert {"heading-order", "region"} <= {v["id"] for v in everything["violations"]}
        assert serious_violations(everything, label) == [
            line for line in audit.found if line.startswith(f"{label}: ")
        ]
    assert len(audit.checked) == 2
    for rule in ("image-alt (critical)", "label (critical)", "color-contrast (serious)"):
        assert sum(f": {rule} " in line for line in audit.found) == 2, (rule, audit.found)
    page.context.close()
