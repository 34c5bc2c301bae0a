"""Export a scored assessment as an Excel workbook: a summary sheet and one sheet per theme.

Cells get the same formula-injection protection as the CSV (`neutralise`):
openpyxl stores any string starting with "=" as a formula, and Excel would
run one typed by a respondent.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assessment.formatting import status_label
from assessment.results import ScoredAssessment, ThemeResult
from reports.content import action_plan
from reports.export import neutralise

SUMMARY_SHEET = "Summary"
ACTIONS_SHEET = "Actions"
# The PDF's action plan as rows: grouped by principle, most urgent principle first.
ACTIONS_HEADER = (
    "Rank",
    "Principle",
    "Principle title",
    "Question id",
    "Question",
    "Answer",
    "What good looks like",
    "Owner",
    "Due date",
    "Priority",
)
ACTIONS_WIDTHS = (7, 10, 36, 11, 60, 16, 60, 22, 12, 9)
SUMMARY_HEADER = ("Level", "Id", "Title", "Score", "Band", "Rating", "Completion")
THEME_HEADER = (
    "Principle",
    "Question id",
    "Question",
    "Applicable",
    "Scope reason",
    "Answer",
    "Comment",
    "Evidence items",
    "Score",
    "Gap",
    "Priority",
    "Recommendation",
    "Owner",
    "Due date",
)
# Widths in characters; long text columns wrap instead of growing.
THEME_WIDTHS = (10, 11, 60, 11, 30, 20, 60, 10, 8, 6, 9, 50, 20, 12)
SUMMARY_WIDTHS = (10, 8, 60, 8, 16, 10, 12)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
WRAP = Alignment(wrap_text=True, vertical="top")
# Excel refuses these in sheet titles, and caps titles at 31 characters.
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def cell_value(value: Any) -> Any:
    """Return a value safe to store: text neutralised, dates as dates, numbers as numbers."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        # Excel has no time zones; the report's times are UTC.
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, int | float | date):
        return value
    return neutralise(str(value))


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def write_table(
    sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int]
) -> None:
    """Write a header row and safe cells, wrapped, with frozen header and a filter."""
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for row in rows:
        sheet.append([cell_value(v) for v in row])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def sheet_title(theme: ThemeResult, taken: set[str]) -> str:
    """Return a valid, unique Excel sheet title for a theme."""
    return unique_sheet_title(f"{theme.id} {theme.title}", taken)


def unique_sheet_title(text: str, taken: set[str]) -> str:
    """Return a valid Excel sheet title from any text, unique among `taken` (which it joins)."""
    base = _BAD_TITLE.sub(" ", text).strip()[:31].strip() or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _summary(sheet: Worksheet, scored: ScoredAssessment) -> None:
    info = scored.info
    facts = [
        ("Organisation", info.organisation),
        ("Service", info.service),
        ("Status", status_label(info.status)),
        ("Overall score", scored.display_score),
        ("Maturity band", scored.band),
        ("Completion", round(scored.completion, 4)),
        ("Catalogue version", scored.catalogue_version),
        ("Assessment fingerprint", scored.fingerprint),
    ]
    rows: list[Sequence[Any]] = [
        ("Overall", "", f"{info.organisation}: {info.service}", _score(scored.score))
        + (scored.band, scored.band_colour or "", round(scored.completion, 4))
    ]
    for theme in scored.themes:
        rows.append(
            ("Theme", theme.id, theme.title, _score(theme.score), theme.band)
            + (theme.band_colour or "", round(theme.completion, 4))
        )
        for p in theme.principles:
            rows.append(
                ("Principle", p.id, p.title, _score(p.score), p.band)
                + (p.band_colour or "", round(p.completion, 4))
            )
    write_table(sheet, SUMMARY_HEADER, rows, SUMMARY_WIDTHS)
    for row in sheet.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].number_format = "0%"
    # The facts sit to the right of the table so the table keeps row 1 as its header.
    start = len(SUMMARY_HEADER) + 2
    sheet.cell(row=1, column=start, value="About").font = HEADER_FONT
    for offset, (label, value) in enumerate(facts, start=2):
        sheet.cell(row=offset, column=start, value=label)
        sheet.cell(row=offset, column=start + 1, value=cell_value(value))
    sheet.cell(row=7, column=start + 1).number_format = "0%"
    sheet.column_dimensions[get_column_letter(start)].width = 24
    sheet.column_dimensions[get_column_letter(start + 1)].width = 40


def _theme_rows(theme: ThemeResult) -> Iterable[Sequence[Any]]:
    for p in theme.principles:
        for q in p.questions:
            yield (
                p.id,
                q.id,
                q.text,
                "yes" if q.applicable else "no",
                q.scope_reason or "",
                q.answer_label,
                q.comment,
                len(q.evidence),
                _score(q.score),
                "yes" if q.is_gap else "no",
                round(q.priority, 4) if q.is_gap else None,
                q.recommendation if q.is_gap else "",
                p.owner,
                p.due_date,
            )


def _action_rows(scored: ScoredAssessment) -> Iterable[Sequence[Any]]:
    for group in action_plan(scored):
        for row in group.rows:
            yield (
                row.rank,
                group.principle.id,
                group.principle.title,
                row.gap.question_id,
                row.gap.question_text,
                row.question.answer_label,
                row.gap.recommendation,
                group.owner,
                group.due_date,
                round(row.gap.priority, 2),
            )


def to_xlsx(scored: ScoredAssessment) -> bytes:
    """Write the scored assessment as an .xlsx workbook and return its bytes."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    _summary(summary, scored)
    taken = {SUMMARY_SHEET.lower(), ACTIONS_SHEET.lower()}
    for theme in scored.themes:
        sheet = workbook.create_sheet(sheet_title(theme, taken))
        write_table(sheet, THEME_HEADER, _theme_rows(theme), THEME_WIDTHS)
        for row in sheet.iter_rows(min_row=2, min_col=14, max_col=14):
            row[0].number_format = "yyyy-mm-dd"
    actions = workbook.create_sheet(ACTIONS_SHEET)
    write_table(actions, ACTIONS_HEADER, _action_rows(scored), ACTIONS_WIDTHS)
    for row in actions.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].number_format = "yyyy-mm-dd"
    workbook.properties.title = f"{scored.info.organisation}: {scored.info.service}"
    workbook.properties.creator = "vp-assessment reports"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
