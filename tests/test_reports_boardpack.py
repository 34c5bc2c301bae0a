"""The board pack, second edition (issue 10): each point checked on the rendered PDF."""

import re

import pytest
from weasyprint.formatting_structure import boxes

from reports.content import PRIORITY_FORMULA, action_plan, contributors
from tests.layout import page_fill, text_boxes
from tests.rendered import rendered
from tests.report_data import APPROVED_AT, APPROVER, ATTESTATION, ISSUED_AT, PERIOD, REVIEW

# Every test here reads the rendered PDF: WeasyPrint, not the stand-in.
pytestmark = pytest.mark.real_pdf


def normalise(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    """Drop all whitespace: a line may break at a hyphen, where no space was."""
    return "".join(text.split())


def pages_of(texts: list[str], section: str) -> list[str]:
    """Return the pages whose running footer names the section."""
    return [t for t in texts if re.search(rf"{re.escape(section)} Page \d+ of \d+$", t)]


@pytest.fixture(scope="module")
def demo():
    """The demo draft's full report (laid out once for every module that checks it)."""
    report = rendered("demo")
    return report.scored, [normalise(text) for text in report.texts]


@pytest.fixture(scope="module")
def signed():
    """An approved assessment with a previous cycle and every sign-off field recorded.

    Its text and its laid-out pages come from one render (tests/rendered.py).
    """
    report = rendered("signed")
    return report.scored, [normalise(text) for text in report.texts]


# ---------- 1. charts that cannot mislead ----------


def test_charts_page_draws_no_zero_for_an_out_of_scope_theme_and_wraps_bar_labels(demo):
    scored, texts = demo
    (charts,) = pages_of(texts, "Scores at a glance")
    assert "n/a (not applicable, left out of the shape): T3 Livestreaming." in charts
    for name in ("T1 Prevent CSAM", "T2 Grooming", "T4 Search", "T5 Children", "T7 Collaboration"):
        assert name in charts
    # "P3 Combat grooming and preparatory ac…" is now the whole title, over two lines.
    assert "P3 Combat grooming and preparatory activity" in charts
    assert "\u2026" not in charts


# ---------- 2. out of scope, once ----------


def test_an_out_of_scope_principle_has_no_page_and_its_reason_is_given_once(demo):
    scored, texts = demo
    p5 = scored.principle("P5")
    assert not p5.applicable
    text = " ".join(texts)
    assert text.count(normalise(p5.scope_reason)) == 1
    (entry,) = [t for t in texts if "P5: Combat livestreamed abuse (whole principle)" in t]
    for question in p5.questions:
        assert f"{question.id}." in entry
    # Everywhere after the contents it is named, it is named as out of scope: it has no page.
    for found in re.finditer(r"P5: Combat livestreamed abuse(.{0,20})", text[len(texts[0]) :]):
        assert re.match(r" (\(whole principle\)|\(out of scope\)|out of scope)", found[1]), found[0]


def test_scoped_out_questions_of_an_in_scope_principle_are_listed_once_with_the_reason(demo):
    scored, texts = demo
    scoped = [q for q in scored.principle("P1").questions if not q.applicable]
    assert scoped
    text = " ".join(texts)
    for question in scoped:
        # Listed once, in the out-of-scope section, not as a question block on P1's page.
        assert text.count(f"{question.id}. {normalise(question.text)}") == 1
        # Its reason once for each principle that has questions left out for it.
        principles = {
            q.principle_id
            for p in scored.principles
            if p.applicable
            for q in p.questions
            if q.scope_reason == question.scope_reason
        }
        assert text.count(normalise(question.scope_reason)) == len(principles)


def test_out_of_scope_rows_say_out_of_scope_not_zero_of_zero(demo):
    _, texts = demo
    (scores,) = [t for t in pages_of(texts, "Scores by principle") if "Answered" in t]
    assert "P5: Combat livestreamed abuse out of scope" in scores
    assert "0 of 0" not in " ".join(texts)


# ---------- 3. an action plan people can act on ----------


def test_demo_action_plan_fits_on_two_pages_grouped_by_principle(demo):
    scored, texts = demo
    plan_pages = pages_of(texts, "Action plan")
    assert 1 <= len(plan_pages) <= 2
    plan = " ".join(plan_pages)
    groups = action_plan(scored)
    for group in groups:
        assert f"{group.principle.id}: {normalise(group.principle.title)}" in plan
        for row in group.rows:
            assert f"{row.rank} {row.gap.question_id} " in plan
            assert squash(row.gap.recommendation) in squash(plan)
    # Owner and due date once per principle, never "not assigned" or "–" on every row.
    owned = [g for g in groups if g.owner]
    assert owned
    assert plan.count("Owner: Dana Demo") == len(owned)
    assert plan.count("Owner: none assigned") == len(groups) - len(owned)
    assert "not assigned" not in plan and " – " not in plan


def test_action_plan_shows_the_current_answer(demo):
    scored, texts = demo
    plan = " ".join(pages_of(texts, "Action plan"))
    answered = next(g for g in scored.gaps if g.answered)
    label = next(q.answer_label for q in scored.questions if q.id == answered.question_id)
    assert re.search(rf"{re.escape(answered.question_id)} .*?{re.escape(label)}", plan)
    assert "Not answered" in plan


def test_appendix_explains_the_priority_in_words_and_as_a_formula(demo):
    _, texts = demo
    text = " ".join(texts)
    assert "How actions are prioritised" in text
    assert PRIORITY_FORMULA in text
    assert "question's weight times its principle's weight times the shortfall" in text


# ---------- 4. sign-off page ----------


def test_sign_off_page_names_approver_role_time_statement_period_comments_contributors(signed):
    scored, texts = signed
    (page,) = [t for t in texts if "Sign-off Page" in t and "Contributors" in t]
    assert "Signed off" in page and "Not signed off" not in page
    assert f"Approved by {APPROVER}" in page
    assert "Role Head of Trust and Safety" in page
    assert f"{APPROVED_AT:%d %B %Y, %H:%M} UTC" in page
    assert f"Attestation statement {ATTESTATION}" in page
    assert f"Assessment period {PERIOD}" in page
    assert REVIEW in page
    for person in contributors(scored.info.audit):
        assert re.search(rf"{re.escape(person.name)} {person.changes} ", page)
    assert scored.catalogue_version in page and scored.catalogue_fingerprint in page.replace(
        " ", ""
    )
    assert scored.fingerprint in page.replace(" ", "")


def test_a_draft_says_plainly_it_is_not_signed_off_and_what_was_not_recorded(demo):
    _, texts = demo
    (page,) = [t for t in texts if "Sign-off Page" in t and "Contributors" in t]
    assert "Not signed off" in page and "still a draft" in page
    assert "Assessment period Not recorded" in page
    assert "Attestation statement None: an attestation is confirmed at approval." in page
    assert "Approved by" not in page
    # Contributors from the demo's audit trail, with their counts.
    assert re.search(r"Dana Demo \d+ ", page) and re.search(r"Riley Respondent \d+ ", page)


def test_an_approval_without_period_role_or_statement_says_each_was_not_recorded():
    # sample_scored("approved"), issued at ISSUED_AT: the report test_reports_pdf reads too.
    texts = [normalise(text) for text in rendered("sample_approved").texts]
    (page,) = [t for t in texts if "Sign-off Page" in t and "Contributors" in t]
    assert "Role Not recorded" in page
    assert "Assessment period Not recorded" in page
    assert (
        "Attestation statement Not recorded: the approver confirmed no written statement." in page
    )
    assert "No reviewer comments recorded." in page


# ---------- 5. fixes ----------


def test_cover_status_line_says_issued_once(signed):
    _, texts = signed
    cover = texts[0]
    assert f"Issued {ISSUED_AT:%d %B %Y}" in cover
    assert "Issued Issued" not in cover
    assert "Approved: signed off" in cover and f"Period {PERIOD}" in cover


def _line_x(document, page: int, starts: str) -> float:
    for box in text_boxes(document.pages[page - 1]._page_box):
        if isinstance(box, boxes.LineBox):
            text = "".join(
                b.text for b in box.descendants() if isinstance(b, boxes.TextBox)
            ).strip()
            if text.startswith(starts):
                return min(b.position_x for b in box.descendants() if isinstance(b, boxes.TextBox))
    raise AssertionError(f"no line starting {starts!r} on page {page}")


def test_contents_nests_principles_under_themes_and_appendix_items_under_the_appendix():
    document = rendered("demo").document
    top = _line_x(document, 2, "Findings by principle")
    theme = _line_x(document, 2, "T1: Prevent child sexual abuse material")
    principle = _line_x(document, 2, "P1: Prevent known CSAM")
    assert top < theme < principle
    assert _line_x(document, 2, "Service profile") > _line_x(document, 2, "Scores by principle")
    appendix = _line_x(document, 2, "Appendix: methodology")
    for item in ("How actions are prioritised", "Answer scales", "Mappings to other frameworks"):
        assert _line_x(document, 2, item) > appendix
    assert _line_x(document, 2, "Service profile") == _line_x(document, 2, "Answer scales")


@pytest.mark.parametrize("kind", ["demo", "signed"])
def test_no_page_carries_only_a_few_trailing_lines(kind):
    # The pages of the very renders the other tests here read.
    document = rendered(kind).document
    for number in range(2, len(document.pages) + 1):
        assert page_fill(document, number) >= 0.2, f"page {number} holds only a few lines"


# ---------- 6. what changed ----------


def test_what_changed_lists_changed_answers_new_and_closed_gaps(signed):
    scored, texts = signed
    changes = scored.changes
    assert changes.answers and changes.new_gaps and changes.closed_gaps
    section = " ".join(t for t in texts if "What changed" in t or "Answers that changed" in t)
    assert f"{len(changes.answers)} answers changed" in section
    first = changes.answers[0]
    assert (
        f"{first.question_id} {normalise(first.question_text)} {first.before} {first.after}"
        in section
    )
    assert re.search(rf"{re.escape(changes.new_gaps[0].question_id)} ", section)
    assert re.search(rf"{re.escape(changes.closed_gaps[0].question_id)} ", section)
    assert "New gaps" in section and "Closed gaps" in section
    # Who and when come from the audit trail: the sample's trail records P1.1.
    assert any(c.question_id == "P1.1" and c.who == "Alex Author" for c in changes.answers)
    assert "Alex Author, 02 May 2024" in section


def test_without_a_previous_cycle_what_changed_says_so(demo):
    _, texts = demo
    text = " ".join(texts)
    assert "No previous approved assessment of Demo Social (app and web) to compare with" in text
