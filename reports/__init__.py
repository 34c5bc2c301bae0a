"""Turn a scored assessment into documents: PDF, CSV, JSON and XLSX, as bytes.

Nothing here queries a database or imports Flask, so the web download, the
CLI and batch jobs all call the same functions.
"""

from __future__ import annotations

from assessment.catalogue import Catalogue
from assessment.results import ScoredAssessment
from reports.coverage import coverage_csv, coverage_xlsx
from reports.export import to_csv, to_dict, to_json
from reports.pdf import render_board_pdf, render_html, render_pdf, render_public_summary
from reports.xlsx import to_xlsx

# "pdf" is the full, confidential report; "public.pdf" the publishable summary;
# "board.pdf" the one-page board summary.
FORMATS = ("pdf", "public.pdf", "board.pdf", "csv", "json", "xlsx")


def render(fmt: str, scored: ScoredAssessment, catalogue: Catalogue) -> bytes:
    """Render a scored assessment in one of FORMATS."""
    if fmt == "pdf":
        return render_pdf(scored, catalogue)
    if fmt == "public.pdf":
        return render_public_summary(scored, catalogue)
    if fmt == "board.pdf":
        return render_board_pdf(scored, catalogue)
    if fmt == "csv":
        return to_csv(scored)
    if fmt == "json":
        return to_json(scored)
    if fmt == "xlsx":
        return to_xlsx(scored)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "coverage_csv",
    "coverage_xlsx",
    "render",
    "render_board_pdf",
    "render_html",
    "render_pdf",
    "render_public_summary",
    "to_csv",
    "to_dict",
    "to_json",
    "to_xlsx",
]
