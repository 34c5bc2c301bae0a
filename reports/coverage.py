"""Write the coverage of other frameworks as CSV (one framework) or an Excel workbook.

A row per framework item and mapped question, so a reader can filter by
status, item or question and still see why each item has its status. The
workbook adds a summary sheet, the rule and the catalogue's caveat that
mappings are editorial cross-references, not official equivalences.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assessment.catalogue import Catalogue
from assessment.coverage import (
    DISCLAIMER,
    FrameworkCoverage,
    ItemStatus,
    all_coverage,
    framework_coverage,
    rule_items,
)
from assessment.results import ScoredAssessment
from reports.export import neutralise
from reports.xlsx import HEADER_FONT, WRAP, cell_value, unique_sheet_title, write_table

CSV_HEADER = (
    "framework",
    "item",
    "item_status",
    "item_reason",
    "question_id",
    "principle_id",
    "question",
    "answer",
    "comment",
    "score",
    "counts_as",
    "mapping_note",
    "note",
)
SHEET_HEADER = (
    "Item",
    "Status",
    "Why",
    "Question id",
    "Principle",
    "Question",
    "Answer",
    "Comment",
    "Score",
    "Counts as",
    "Mapping note",
    "Note",
)
SHEET_WIDTHS = (28, 12, 40, 11, 10, 60, 18, 50, 8, 24, 40, 40)
SUMMARY_SHEET = "Summary"
RULE_SHEET = "Rule"
SUMMARY_HEADER = ("Framework", "Items", *(s.label for s in ItemStatus))
SUMMARY_WIDTHS = (40, 8, 8, 12, 8, 14)


def _sheet_name(name: str) -> str:
    """Cut a long framework name to Excel's 31 characters, saying it was cut."""
    return name if len(name) <= 31 else name[:30].rstrip() + "\u2026"


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _rows(coverage: FrameworkCoverage) -> Iterable[tuple[Any, ...]]:
    """Yield one row per item and mapped question, the item's status on each."""
    for item in coverage.items:
        for q in item.questions:
            yield (
                item.ref,
                item.status.label,
                item.reason,
                q.question_id,
                q.principle_id,
                q.text,
                q.answer,
                q.comment,
                _score(q.score),
                q.standing.label,
                q.mapping_note,
                q.note,
            )


def coverage_csv(scored: ScoredAssessment, catalogue: Catalogue, framework_id: str) -> bytes:
    """Write one framework's coverage as CSV rows (UTF-8 with BOM, CRLF, like the report CSV)."""
    coverage = framework_coverage(scored, catalogue, framework_id)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in _rows(coverage):
        cells = [coverage.name, *row]
        writer.writerow(
            [
                "" if c is None else f"{c:g}" if isinstance(c, float) else neutralise(c)
                for c in cells
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _summary(sheet: Worksheet, scored: ScoredAssessment, coverages: Sequence[FrameworkCoverage]):
    rows = [(c.name, len(c.items), *c.counts.values()) for c in coverages]
    write_table(sheet, SUMMARY_HEADER, rows, SUMMARY_WIDTHS)
    info = scored.info
    threshold = coverages[0].threshold if coverages else None
    facts = [
        ("Organisation", info.organisation),
        ("Service", info.service),
        ("Status", info.status.replace("_", " ").capitalize()),
        ("Catalogue version", scored.catalogue_version),
        ("Gap threshold (of 100)", None if threshold is None else round(threshold, 1)),
        ("Note", DISCLAIMER),
        ("Rule", f"See the '{RULE_SHEET}' sheet."),
    ]
    # The facts sit to the right of the table so the table keeps row 1 as its header.
    start = len(SUMMARY_HEADER) + 2
    sheet.cell(row=1, column=start, value="About").font = HEADER_FONT
    for offset, (label, value) in enumerate(facts, start=2):
        sheet.cell(row=offset, column=start, value=label)
        sheet.cell(row=offset, column=start + 1, value=cell_value(value)).alignment = WRAP
    sheet.column_dimensions[get_column_letter(start)].width = 24
    sheet.column_dimensions[get_column_letter(start + 1)].width = 60


def coverage_xlsx(
    scored: ScoredAssessment, catalogue: Catalogue, framework_ids: Sequence[str] | None = None
) -> bytes:
    """Write a workbook: a summary, a sheet per framework (all, or those named), the rule."""
    if framework_ids is None:
        coverages = list(all_coverage(scored, catalogue))
    else:
        coverages = [framework_coverage(scored, catalogue, f) for f in framework_ids]
    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    _summary(summary, scored, coverages)
    taken = {SUMMARY_SHEET.lower(), RULE_SHEET.lower()}
    for coverage in coverages:
        sheet = workbook.create_sheet(unique_sheet_title(_sheet_name(coverage.name), taken))
        write_table(sheet, SHEET_HEADER, _rows(coverage), SHEET_WIDTHS)
    rule = workbook.create_sheet(RULE_SHEET)
    write_table(
        rule,
        ("Step", "How an item's status is decided"),
        [*enumerate(rule_items(), start=1), ("", DISCLAIMER)],
        (6, 120),
    )
    workbook.properties.title = f"{scored.info.organisation}: {scored.info.service} - coverage"
    workbook.properties.creator = "vp-assessment reports"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
