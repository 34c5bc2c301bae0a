"""The coverage pages, downloads and PDF table match the answers, for every shipped framework.

The assessment below has known answers (through the factories, the rows the
app writes). What each item's status must be is worked out here by hand from
the rule in `assessment/coverage.py`, not by calling it.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook

from assessment.catalogue import load_catalogue
from assessment.coverage import DISCLAIMER, frameworks, rule_items
from assessment.extensions import db
from assessment.models import Assessment
from tests.factories import PASSWORD, make_answer, make_assessment, make_user
from tests.pdf_text import page_texts

RATIONALE = "Reviewed by an external auditor each quarter instead of an internal board."
# The service profile is the factories' FULL_PROFILE: everything on except end-to-end
# encryption and generative images, so P1.7, P3.7 (e2ee) and P2.7 (generative) are out of scope.
ANSWERS = {
    "P1.1": "4",
    "P1.3": "1",
    "P1.4": "4",
    "P1.5": "0",
    "P2.1": "na",
    "P2.5": "0",
    "P3.2": "3",  # exactly the threshold: met
    "P3.3": "2",
    "P3.4": "0",
    "P3.8": "3",
    "P4.1": "4",
    "P4.2": "4",
    "P4.6": ("alt", ""),  # an alternative measure without its rationale: scores 0
    "P7.6": "3",
    "P7.7": "2",
    "P8.6": "4",
    "P9.2": ("alt", RATIONALE),
    "P9.4": "1",
    "P10.1": "yes",
    "P10.3": ("alt", RATIONALE),
    "P11.1": "3",
    "P11.3": "4",
    "P11.4": "1",
}
# Left unanswered although in scope: P2.2, P2.4, P2.6, P7.3, P7.4, P8.1, P9.1, P9.5, P10.5, P11.2.

MET, BELOW, OPEN = "Met", "Below the threshold", "Open: not answered"
NA, OUT = "Left out: answered not applicable", "Left out: out of scope for this service"

# framework name: item: (status, {question: how it counts}), items in page order.
EXPECTED = {
    "Ofcom Illegal Content Codes (U2U)": {
        "Content moderation: adequate resourcing": ("Not assessed", {"P2.4": OPEN}),
        "Hash matching for CSAM": ("Met", {"P1.1": MET}),
        "Safety defaults for child users": (
            "Partly met",
            {"P3.2": MET, "P3.3": BELOW, "P7.3": OPEN},
        ),
        "URL detection for CSAM": ("Gap", {"P1.3": BELOW}),
    },
    "Australia BOSE Determination 2022": {
        "s6": ("Not assessed", {"P9.1": OPEN}),
        "s8": ("Not assessed", {"P1.7": OUT, "P3.7": OUT}),
        "s9": ("Gap", {"P4.6": BELOW}),
        "s10": ("Met", {"P10.1": MET, "P10.3": MET}),
        "s11": ("Partly met", {"P1.1": MET, "P2.1": NA, "P2.5": BELOW, "P4.2": MET}),
        "s12": ("Met", {"P7.6": MET}),
        "ss13-16": ("Partly met", {"P1.4": MET, "P2.2": OPEN, "P7.4": OPEN, "P8.1": OPEN}),
    },
    "Tech Coalition TRUST": {
        "Outcomes": ("Partly met", {"P1.5": BELOW, "P2.6": OPEN, "P11.1": MET, "P11.2": OPEN}),
        "Policies and Practices": ("Partly met", {"P11.1": MET, "P11.4": BELOW}),
        "Processes and Systems": (
            "Met",
            {"P1.1": MET, "P2.1": NA, "P11.1": MET, "P11.3": MET},
        ),
    },
    "DTSP Best Practices Framework": {
        "PD1 Abuse Pattern Analysis": ("Met", {"P9.2": MET}),
        "PD3 Accountability": ("Not assessed", {"P9.5": OPEN}),
        "PD4 Feature Evaluation": ("Not assessed", {"P9.1": OPEN}),
        "PD5 Risk Assessment": ("Not assessed", {"P9.1": OPEN}),
        "PD7 Post-Launch Evaluation": ("Gap", {"P9.4": BELOW}),
        "PG1 Policies & Standards": ("Met", {"P4.1": MET}),
        "PG3 Community Guidelines/Rules": ("Met", {"P1.4": MET, "P3.8": MET}),
        "PG4 User Input": ("Gap", {"P7.7": BELOW}),
        "PG5 External Consultation": (
            "Partly met",
            {"P7.7": BELOW, "P8.6": MET, "P10.5": OPEN},
        ),
        "Product Transparency": ("Met", {"P11.1": MET}),
    },
    "eSafety Safety by Design": {
        "Service provider responsibility": (
            "Not assessed",
            {"P2.7": OUT, "P7.3": OPEN, "P9.1": OPEN},
        ),
        "Transparency and accountability": ("Met", {"P11.1": MET}),
        "User empowerment and autonomy": ("Gap", {"P3.4": BELOW, "P7.4": OPEN}),
    },
    "Australia Online Safety Act 2021": {"s49": ("Met", {"P11.1": MET})},
}
STATUSES = ("Met", "Partly met", "Gap", "Not assessed")
SHIPPED = {f.name: f for f in frameworks(load_catalogue())}


def expected_counts(name: str) -> list[int]:
    statuses = [status for status, _ in EXPECTED[name].values()]
    return [statuses.count(s) for s in STATUSES]


@pytest.fixture
def answered(app, client):
    """Log in a member of an organisation whose assessment carries ANSWERS; return its id."""
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user)
        for question_id, answer in ANSWERS.items():
            value, comment = answer if isinstance(answer, tuple) else (answer, "")
            make_answer(assessment, question_id, value, comment)
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    return assessment_id


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_items(page: str) -> dict[str, tuple[str, dict[str, str], str]]:
    """Read the items off a framework page: ref -> (status, {question: counts as}, section text)."""
    found = {}
    for section in re.findall(r'<section class="coverage-item".*?</section>', page, re.S):
        ref = _text(re.search(r"<h2[^>]*>(.*?)</h2>", section, re.S).group(1))
        status = _text(re.search(r'<span class="badge [^"]*">(.*?)</span>', section).group(1))
        rows = {}
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", re.split(r"<tbody[^>]*>", section)[1], re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            question_id = re.search(r">(P\d+\.\d+)</a>", cells[0]).group(1)
            counts_as = _text(
                re.sub(r'<span class="mapping-note">.*?</span>', "", cells[3], flags=re.S)
            )
            rows[question_id] = counts_as
        found[ref] = (status, rows, _text(section))
    return found


def test_every_shipped_framework_has_expectations_worked_out_here():
    assert set(SHIPPED) == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_framework_page_matches_the_answers(client, answered, name):
    framework = SHIPPED[name]
    response = client.get(f"/assessments/{answered}/frameworks/{framework.id}")
    assert response.status_code == 200
    page = response.text
    items = page_items(page)
    assert list(items) == list(EXPECTED[name])  # every item, in order, nothing more
    for ref, (status, questions) in EXPECTED[name].items():
        shown_status, shown_questions, _ = items[ref]
        assert shown_status == status, ref
        assert shown_questions == questions, ref
    flat = _text(page)
    assert DISCLAIMER in flat
    for step in rule_items():
        assert step in flat
    counts = expected_counts(name)
    summary = " · ".join(f"{s} {n}" for s, n in zip(STATUSES, counts, strict=True))
    assert f"{len(EXPECTED[name])} item" in flat and summary in flat


def test_the_page_says_why_and_shows_answers_scores_and_rationales(client, answered):
    page = client.get(f"/assessments/{answered}/frameworks/australia-bose-determination-2022").text
    items = page_items(page)
    assert "No mapped question counts: 2 out of scope for this service." in items["s8"][2]
    assert "Not applicable to this service: applies only where" in items["s8"][2]
    s9 = items["s9"][2]
    assert "Alternative" in s9 and "needs a rationale" in s9
    s10 = items["s10"][2]
    assert f"Rationale: {RATIONALE}" in s10
    assert "1 met through an alternative measure" in s10
    s11 = items["s11"][2]
    assert (
        "2 of 3 counted questions met, 1 below the threshold; left out: 1 answered not applicable."
        in s11
    )
    # Answers and scores of each mapped question: P1.1 Leading 100, P2.5 Not in place 0.
    assert "P1.1" in s11 and "Leading 100" in s11 and "Not in place 0" in s11
    # Every question links to its place on its principle's page.
    assert f'href="/assessments/{answered}/principles/P2#P2.5"' in page


def test_the_index_counts_each_framework_and_links_its_page(client, answered):
    page = client.get(f"/assessments/{answered}/frameworks/").text
    flat = _text(page)
    assert DISCLAIMER in flat
    for name, framework in SHIPPED.items():
        href = f'/assessments/{answered}/frameworks/{framework.id}"'
        assert href in page
        counts = " ".join(str(n) for n in [len(EXPECTED[name]), *expected_counts(name)])
        assert f"{name} {counts}" in flat
    assert f"/assessments/{answered}/frameworks.xlsx" in page
    assert "The catalogue's gap threshold is 75 of 100." in flat


def test_the_overview_links_to_the_coverage_pages(client, answered):
    page = client.get(f"/assessments/{answered}/").text
    assert f'href="/assessments/{answered}/frameworks/"' in page


@pytest.mark.parametrize(
    "framework_id",
    ["nope", "TECH-COALITION-TRUST", "tech-coalition-trust ", "..", "%00", "a" * 5000, "ß", "s49"],
)
@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_an_unknown_framework_is_404(client, answered, framework_id, suffix):
    response = client.get(f"/assessments/{answered}/frameworks/{framework_id}{suffix}")
    assert response.status_code == 404


def test_another_organisation_gets_404_on_every_coverage_route(app, client, answered):
    with app.app_context():
        outsider = make_user(organisation_name="Elsewhere Ltd")
        db.session.commit()
        email = outsider.email
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    for path in (
        "frameworks/",
        "frameworks/tech-coalition-trust",
        "frameworks/tech-coalition-trust.csv",
        "frameworks/tech-coalition-trust.xlsx",
        "frameworks.xlsx",
    ):
        assert client.get(f"/assessments/{answered}/{path}").status_code == 404, path


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_csv_has_a_row_per_item_and_question(client, answered, name):
    framework = SHIPPED[name]
    response = client.get(f"/assessments/{answered}/frameworks/{framework.id}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith(f'-{framework.id}.csv"')
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    expected = [
        (ref, status, qid, counts_as)
        for ref, (status, questions) in EXPECTED[name].items()
        for qid, counts_as in questions.items()
    ]
    assert [
        (r["item"], r["item_status"], r["question_id"], r["counts_as"]) for r in rows
    ] == expected
    assert {r["framework"] for r in rows} == {name}


def test_the_csv_carries_answers_scores_and_notes(client, answered):
    response = client.get(
        f"/assessments/{answered}/frameworks/australia-bose-determination-2022.csv"
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    s11 = {r["question_id"]: r for r in rows if r["item"] == "s11"}
    assert (s11["P1.1"]["answer"], s11["P1.1"]["score"]) == ("Leading", "100")
    assert (s11["P2.5"]["answer"], s11["P2.5"]["score"]) == ("Not in place", "0")
    assert s11["P2.1"]["score"] == "" and s11["P2.1"]["note"] == "Answered as not applicable."
    assert (
        s11["P1.1"]["mapping_note"]
        == "Reasonable steps to minimise class 1 material, which includes CSAM."
    )
    assert s11["P1.1"]["item_reason"].startswith("2 of 3 counted questions met")
    s10 = {r["question_id"]: r for r in rows if r["item"] == "s10"}
    assert s10["P10.3"]["comment"] == RATIONALE


def test_csv_cells_cannot_run_as_formulas(app, client, answered):
    with app.app_context():
        assessment = db.session.get(Assessment, answered)
        make_answer(assessment, "P11.2", "4", '=HYPERLINK("http://evil.example")')
        db.session.commit()
    body = client.get(f"/assessments/{answered}/frameworks/tech-coalition-trust.csv").data
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    comment = next(r["comment"] for r in rows if r["question_id"] == "P11.2")
    assert comment == '\'=HYPERLINK("http://evil.example")'


def test_a_framework_workbook_has_its_sheet_the_summary_and_the_rule(client, answered):
    response = client.get(f"/assessments/{answered}/frameworks/tech-coalition-trust.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Summary", "Tech Coalition TRUST", "Rule"]
    summary = [list(r) for r in workbook["Summary"].iter_rows(max_col=6, values_only=True)]
    assert summary[0] == ["Framework", "Items", *STATUSES]
    assert summary[1] == ["Tech Coalition TRUST", 3, *expected_counts("Tech Coalition TRUST")]
    sheet = list(workbook["Tech Coalition TRUST"].iter_rows(values_only=True))
    assert sheet[0][:4] == ("Item", "Status", "Why", "Question id")
    expected = [
        (ref, status, qid)
        for ref, (status, questions) in EXPECTED["Tech Coalition TRUST"].items()
        for qid in questions
    ]
    assert [(r[0], r[1], r[3]) for r in sheet[1:]] == expected
    scores = {r[3]: r[8] for r in sheet[1:] if r[0] == "Processes and Systems"}
    assert scores == {"P1.1": 100, "P2.1": None, "P11.1": 75, "P11.3": 100}
    rule = [r[1] for r in workbook["Rule"].iter_rows(min_row=2, values_only=True)]
    assert rule == [*rule_items(), DISCLAIMER]
    facts = {
        r[0]: r[1] for r in workbook["Summary"].iter_rows(min_col=8, max_col=9, values_only=True)
    }
    assert facts["Note"] == DISCLAIMER and facts["Gap threshold (of 100)"] == 75


def test_the_all_frameworks_workbook_has_a_sheet_each(client, answered):
    response = client.get(f"/assessments/{answered}/frameworks.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-frameworks.xlsx"')
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "Summary" and workbook.sheetnames[-1] == "Rule"
    sheets = workbook.sheetnames[1:-1]
    assert len(sheets) == len(EXPECTED) and all(len(s) <= 31 for s in sheets)
    assert sheets[0] == "Ofcom Illegal Content Codes (U\u2026"  # cut to Excel's 31 characters
    summary = [
        list(r)
        for r in workbook["Summary"].iter_rows(min_row=2, max_col=6, values_only=True)
        if r[0] is not None  # the facts beside the table run a row further
    ]
    assert summary == [
        [name, len(items), *expected_counts(name)] for name, items in EXPECTED.items()
    ]
    for title, name in zip(sheets, EXPECTED, strict=True):
        rows = list(workbook[title].iter_rows(min_row=2, values_only=True))
        assert len(rows) == sum(len(q) for _, q in EXPECTED[name].values())


@pytest.mark.real_pdf
def test_the_pdf_appendix_has_the_coverage_table(client, answered):
    response = client.get(f"/assessments/{answered}/report.pdf")
    assert response.status_code == 200
    pages = [" ".join(p.split()) for p in page_texts(response.data)]
    where = [
        i
        for i, text in enumerate(pages)
        if "Coverage of other frameworks Each framework item" in text
    ]
    assert len(where) == 1
    text = " ".join(pages[where[0] :])
    for name, items in EXPECTED.items():
        counts = " ".join(str(n) for n in [len(items), *expected_counts(name)])
        assert f"{name} {counts}" in text, name
    assert "Framework Items Met Partly met Gap Not assessed" in text
    assert "Mappings are editorial cross-references, not official equivalences." in text
    assert "How an item's status is decided" in text
    assert "Coverage of other frameworks" in pages[1]  # listed in the contents
