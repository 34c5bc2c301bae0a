import io

import pytest
from openpyxl import load_workbook

from assessment.catalogue import load_catalogue
from reports.content import action_plan
from reports.xlsx import ACTIONS_HEADER, ACTIONS_SHEET, SUMMARY_SHEET, THEME_HEADER, to_xlsx
from tests.report_data import OWNERS, sample_scored

INJECTION = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def workbook(catalogue):
    scored = sample_scored(catalogue=catalogue, comments={"P1.1": INJECTION})
    return scored, load_workbook(io.BytesIO(to_xlsx(scored)))


def test_workbook_has_a_summary_and_one_sheet_per_theme(workbook):
    scored, book = workbook
    assert book.sheetnames[0] == SUMMARY_SHEET
    # Summary, one sheet per theme, then the action plan (issue 10).
    assert len(book.sheetnames) == 2 + len(scored.themes)
    assert book.sheetnames[-1] == ACTIONS_SHEET
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_summary_lists_organisation_themes_and_principles(workbook):
    scored, book = workbook
    sheet = book[SUMMARY_SHEET]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert scored.info.organisation in values and scored.info.service in values
    ids = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert [i for i in ids if i] == [
        x for t in scored.themes for x in (t.id, *(p.id for p in t.principles))
    ]
    assert sheet.freeze_panes == "A2"


def test_theme_sheets_hold_one_row_per_question_with_owner(workbook):
    scored, book = workbook
    for theme, name in zip(scored.themes, book.sheetnames[1:-1], strict=True):
        sheet = book[name]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == THEME_HEADER
        assert [r[1] for r in rows[1:]] == [q.id for p in theme.principles for q in p.questions]
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["C"].width >= 40
    first = book[book.sheetnames[1]]
    assert first.cell(row=2, column=13).value == OWNERS["P1"].owner
    assert first.cell(row=2, column=8).value == 2  # evidence items


def test_a_formula_typed_in_a_comment_is_stored_as_text(workbook):
    _, book = workbook
    sheet = book[book.sheetnames[1]]
    cell = next(c for c in sheet["G"] if c.value and "HYPERLINK" in str(c.value))
    assert cell.value == "'" + INJECTION
    assert cell.data_type == "s"


def test_actions_sheet_matches_the_pdf_action_plan(workbook):
    scored, book = workbook
    rows = list(book[ACTIONS_SHEET].iter_rows(values_only=True))
    assert rows[0] == ACTIONS_HEADER
    expected = [
        (row.rank, group.principle.id, row.gap.question_id, row.question.answer_label)
        for group in action_plan(scored)
        for row in group.rows
    ]
    assert [(r[0], r[1], r[3], r[5]) for r in rows[1:]] == expected
    assert len(rows) - 1 == len(scored.gaps)
    owned = next(r for r in rows[1:] if r[1] == "P1")
    assert owned[7] == OWNERS["P1"].owner and owned[8].date() == OWNERS["P1"].due_date
    assert all(r[6] for r in rows[1:])  # what good looks like, from the catalogue
    assert book[ACTIONS_SHEET].freeze_panes == "A2"


@pytest.mark.real_pdf
def test_actions_sheet_is_in_the_pdf_plan_order():
    from tests.rendered import rendered

    # The demo draft's report, laid out once for every module that checks it.
    report = rendered("demo")
    book = load_workbook(io.BytesIO(to_xlsx(report.scored)))
    ids = [r[3] for r in book[ACTIONS_SHEET].iter_rows(min_row=2, values_only=True)]
    pages = [" ".join(text.split()) for text in report.texts]
    plan = " ".join(page for page in pages if "Action plan Page" in page)
    positions = [plan.index(f" {qid} ") for qid in ids]
    assert positions == sorted(positions)
