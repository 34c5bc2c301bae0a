"""The download routes for the public summary and the workbook."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from assessment.extensions import db
from assessment.models import Assessment
from tests.factories import PASSWORD, make_answer, make_user

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
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Public summary" in text and SECRET not in text


def test_xlsx_download_opens_as_a_workbook(logged_in, client):
    response = client.get(f"/assessments/{logged_in}/report.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(response.data)).sheetnames[0] == "Summary"


@pytest.mark.parametrize("route", ["summary.pdf", "report.xlsx"])
def test_another_organisation_gets_404(app, member, client, route):
    with app.app_context():
        other = make_user(organisation_name="Other Org")
        db.session.commit()
        email = other.email
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert client.get(f"/assessments/{member[1]}/{route}").status_code == 404


def test_overview_offers_every_download_and_shows_the_charts(logged_in, client):
    page = client.get(f"/assessments/{logged_in}/").text
    for href in ("report.pdf", "summary.pdf", "report.csv", "report.json", "report.xlsx"):
        assert f"/assessments/{logged_in}/{href}" in page
    assert "<svg" in page and "chart-bars" in page and "chart-radar" in page
    assert "<script" not in page
