"""Turn a scored assessment into documents: PDF, CSV and JSON."""

from __future__ import annotations

from assessment.catalogue import Catalogue
from assessment.scoring import ScoredAssessment

FORMATS = ("pdf", "csv", "json")


def render(fmt: str, scored: ScoredAssessment, catalogue: Catalogue) -> bytes:
    """Render a scored assessment in one of FORMATS."""
    if fmt == "pdf":
        from reports.pdf import render_pdf

        return render_pdf(scored, catalogue)
    if fmt == "csv":
        from reports.export import to_csv

        return to_csv(scored)
    if fmt == "json":
        from reports.export import to_json

        return to_json(scored)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
