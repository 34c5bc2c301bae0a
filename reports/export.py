"""Export a scored assessment as CSV (one row per question) or JSON (everything).

CSV is written as UTF-8 with a byte-order mark: Excel, which is what most
readers of this file will open it with, reads a BOM-less CSV in the legacy
Windows code page and garbles every non-ASCII character (organisation names,
curly quotes in comments). Python (`utf-8-sig`), pandas and LibreOffice all
accept the BOM. Rows end in CRLF as RFC 4180 asks.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

from assessment.export_document import SCHEMA_VERSION, export_document
from assessment.results import ScoredAssessment

__all__ = ["CSV_HEADER", "SCHEMA_VERSION", "neutralise", "to_csv", "to_dict", "to_json"]

CSV_HEADER = (
    "theme_id",
    "theme",
    "principle_id",
    "principle",
    "question_id",
    "question",
    "applicable",
    "scope_reason",
    "answer",
    "comment",
    "evidence_count",
    "score",
    "principle_band",
    "principle_owner",
    "due_date",
    "is_gap",
    "priority",
    "recommendation",
)

# Spreadsheets run a cell that starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return can hide such a start.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Return a text cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _number(value: float | None) -> str:
    # Up to four decimals, without trailing zeros: 75, 0.5, 2.25.
    return "" if value is None else f"{round(value, 4):g}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def to_csv(scored: ScoredAssessment) -> bytes:
    """Write one CSV row per catalogue question, with a header row, as UTF-8 with BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for theme in scored.themes:
        for principle in theme.principles:
            for q in principle.questions:
                text_cells = [
                    theme.id,
                    theme.title,
                    principle.id,
                    principle.title,
                    q.id,
                    q.text,
                    _yes_no(q.applicable),
                    q.scope_reason or "",
                    q.answer_label,
                    q.comment,
                ]
                writer.writerow(
                    [neutralise(c) for c in text_cells]
                    + [
                        str(len(q.evidence)),
                        _number(q.score),
                        neutralise(principle.band),
                        neutralise(principle.owner),
                        _plain(principle.due_date) or "",
                        _yes_no(q.is_gap),
                        _number(q.priority) if q.is_gap else "",
                        neutralise(q.recommendation) if q.is_gap else "",
                    ]
                )
    return out.getvalue().encode("utf-8-sig")


def _plain(value: Any) -> str:
    """Write a date for a CSV cell as ISO 8601."""
    return value.isoformat() if isinstance(value, datetime | date) else ""


def to_dict(scored: ScoredAssessment) -> dict[str, Any]:
    """Return the JSON export as plain data: `ExportDocument` of the scored assessment."""
    return export_document(scored).model_dump(mode="json")


def to_json(scored: ScoredAssessment) -> bytes:
    """Serialise the scored assessment as UTF-8 JSON with sorted keys, byte-stable."""
    text = json.dumps(to_dict(scored), sort_keys=True, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
