"""The download routes for the public summary and the workbook."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from assessment.answers import AnswerChange, record_answers
from assessment.extensions import current_catalogue, db
from assessment.models import Assessment, Role, Status
from assessment.workflow import start_next_cycle
from tests.factories import PASSWORD, make_answer, make_assessment, make_user
from tests.pdf_text import page_texts

SECRET = "INTERNAL-ONLY-comment-5521"


@pytest.mark.real_pdf
def test_summary_pdf_is_a_public_summary_without_comments(app, logged_in, client):
    with app.app_context():
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "3", SECRET)
        db.session.commit()
    response = client.get(f"/assessments/{logged_in}/summary.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "public-summary.pdf" in response.headers["Content-Disposition"]
    text = " ".join(page_texts(response.data))
    assert "Public summary" in text and SECRET not in text


def test_xlsx_download_opens_as_a_workbook(logged_in, client):
    response = client.get(f"/assessments/{logged_in}/report.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(response.data)).sheetnames[0] == "Summary"


@pytest.mark.parametrize("route", ["summary.pdf", "report.xlsx", "board.pdf", "changes"])
def test_another_organisation_gets_404(app, member, client, route):
    with app.app_context():
        other = make_user(organisation_name="Other Org")
        db.session.commit()
        email = other.email
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert client.get(f"/assessments/{member[1]}/{route}").status_code == 404


def test_overview_offers_every_download_and_shows_the_charts(logged_in, client, app):
    with app.app_context():  # charts need an answer (issue 9: nothing answered is "Not started")
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "3")
        db.session.commit()
    page = client.get(f"/assessments/{logged_in}/").text
    for href in (
        "report.pdf",
        "summary.pdf",
        "board.pdf",
        "changes",
        "report.csv",
        "report.json",
        "report.xlsx",
    ):
        assert f"/assessments/{logged_in}/{href}" in page
    assert "<svg" in page and "chart-bars" in page and "chart-radar" in page
    assert "<script" not in page


@pytest.mark.real_pdf
def test_board_pdf_is_one_page_for_the_assessment(logged_in, client):
    response = client.get(f"/assessments/{logged_in}/board.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('-board-summary.pdf"')
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = " ".join(page_texts(response.data)[0].split())
    assert "Board summary" in text and "Not signed off" in text


def test_csv_download_names_its_charset_once(logged_in, client):
    response = client.get(f"/assessments/{logged_in}/report.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def _approved_then_next_cycle(app):
    """An approved assessment, and its next cycle with one answer changed by a named person."""
    with app.app_context():
        author = make_user(name="Alex Author")
        organisation = author.memberships[0].organisation
        reviewer = make_user(organisation, role=Role.REVIEWER, name="Robin Reviewer")
        first = make_assessment(author)
        make_answer(first, "P1.1", "1", "early days")
        make_answer(first, "P1.2", "4", "")
        first.status = Status.APPROVED
        first.approved_by = reviewer
        first.approved_at = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
        db.session.flush()
        second = start_next_cycle(first, author, current_catalogue())
        db.session.flush()
        answers = second.answers_by_question()
        record_answers(
            second,
            author,
            [
                AnswerChange("P1.1", "4", "now leading", answers["P1.1"].version),
                AnswerChange("P1.2", "1", "slipped", answers["P1.2"].version),
            ],
        )
        db.session.commit()
        return author.email, first.id, second.id


def test_what_changed_page_lists_answers_gaps_and_who(app, client, auth):
    email, first_id, second_id = _approved_then_next_cycle(app)
    auth.login(email)
    page = client.get(f"/assessments/{second_id}/changes")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert f"assessment {first_id}</a>" in text
    assert "P1.1" in text and "Initial" in text and "Leading" in text
    assert "Alex Author" in text
    # P1.1 went from a gap to Leading: closed; P1.2 from Leading to Initial: a new gap.
    closed = text.split("Closed gaps", 1)[1]
    new = text.split("New gaps", 1)[1].split("Closed gaps", 1)[0]
    assert "P1.1" in closed and "P1.2" in new


def test_what_changed_page_without_a_previous_cycle_says_so(logged_in, client):
    page = client.get(f"/assessments/{logged_in}/changes")
    assert page.status_code == 200
    assert "No previous approved assessment" in page.text


@pytest.mark.real_pdf
def test_the_pdf_has_the_same_what_changed_content_as_the_page(app, client, auth):
    email, _, second_id = _approved_then_next_cycle(app)
    auth.login(email)
    pdf = client.get(f"/assessments/{second_id}/report.pdf").data
    text = " ".join(" ".join(p.split()) for p in page_texts(pdf))
    assert "2 answers changed, 1 new gap, 1 gap closed" in text
    assert "Alex Author" in text


def _in_review(app, narrative: str) -> tuple[str, int]:
    with app.app_context():
        author = make_user()
        reviewer = make_user(author.memberships[0].organisation, role=Role.REVIEWER)
        assessment = make_assessment(author, status=Status.IN_REVIEW, submitted_by=author)
        assessment.public_narrative = narrative
        db.session.commit()
        return reviewer.email, assessment.id


def test_approval_warns_when_the_public_narrative_is_empty(app, client, auth):
    email, assessment_id = _in_review(app, "   ")
    auth.login(email)
    page = client.get(f"/assessments/{assessment_id}/").text
    assert "The public narrative is empty." in page
    assert "Approve and lock" in page


def test_approval_does_not_warn_when_there_is_a_narrative(app, client, auth):
    email, assessment_id = _in_review(app, "We publish this every year.")
    auth.login(email)
    page = client.get(f"/assessments/{assessment_id}/").text
    assert "Approve and lock" in page
    assert "The public narrative is empty." not in page


@pytest.mark.real_pdf
def test_approver_role_reaches_the_board_page(app, client, auth):
    email, first_id, _ = _approved_then_next_cycle(app)
    auth.login(email)
    text = " ".join(page_texts(client.get(f"/assessments/{first_id}/board.pdf").data)[0].split())
    assert "Signed off by Robin Reviewer (Reviewer)" in text
