"""Turn a scored assessment into documents: PDF, CSV and JSON, as bytes.

Nothing here queries a database or imports Flask, so the web download, the
CLI and batch jobs all call the same functions.
"""

from __future__ import annotations

from assessment.catalogue import Catalogue
from assessment.scoring import ScoredAssessment
from reports.export import to_csv, to_dict, to_json
from reports.pdf import render_html, render_pdf

FORMATS = ("pdf", "csv", "json")


def render(fmt: str, scored: ScoredAssessment, catalogue: Catalogue) -> bytes:
    """Render a scored assessment in one of FORMATS."""
    if fmt == "pdf":
        return render_pdf(scored, catalogue)
    if fmt == "csv":
        return to_csv(scored)
    if fmt == "json":
        return to_json(scored)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_html", "render_pdf", "to_csv", "to_dict", "to_json"]
