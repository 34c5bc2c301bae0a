"""Turn a scored assessment into documents: PDF, CSV, JSON and XLSX, as bytes.

Nothing here queries a database or imports Flask, so the web download, the
CLI and batch jobs all call the same functions.
"""

from __future__ import annotations

from typing import Any

from assessment.catalogue import Catalogue
from assessment.results import ScoredAssessment
from reports.coverage import coverage_csv, coverage_xlsx
from reports.export import to_csv, to_dict, to_json
from reports.xlsx import to_xlsx

# The PDF functions import WeasyPrint (half a second, tens of MB) when first asked for:
# a web worker or a `flask db upgrade` that renders no PDF never loads it.
# Each PDF format and the function of reports.pdf that renders it:
_PDF_RENDERERS = {
    "pdf": "render_pdf",
    "public.pdf": "render_public_summary",
    "board.pdf": "render_board_pdf",
}
_PDF_FUNCTIONS = {*_PDF_RENDERERS.values(), "render_html"}


def __getattr__(name: str) -> Any:
    if name in _PDF_FUNCTIONS:
        from reports import pdf

        return getattr(pdf, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# "pdf" is the full, confidential report; "public.pdf" the publishable summary;
# "board.pdf" the one-page board summary.
FORMATS = ("pdf", "public.pdf", "board.pdf", "csv", "json", "xlsx")


def render(fmt: str, scored: ScoredAssessment, catalogue: Catalogue) -> bytes:
    """Render a scored assessment in one of FORMATS."""
    if fmt in _PDF_RENDERERS:
        return __getattr__(_PDF_RENDERERS[fmt])(scored, catalogue)
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
