"""Real WeasyPrint renders shared by the tests that check the same document.

Laying out the full report takes seconds, and reading its text back with pypdf
as long again. Several test modules check the same document (the same scored
assessment, catalogue and issue date): each takes it from here, laid out,
written and read once per test process. The PDF is written from the very pages
the layout checks look at, with the renderers' own options; only the JSON
attachment, which no test of these documents reads, is left out.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from functools import cached_property

from pypdf import PdfReader
from weasyprint.document import Document

from assessment.catalogue import Catalogue, load_catalogue
from assessment.results import ScoredAssessment
from reports.pdf import PDF_OPTIONS, board_html, layout_document, public_summary_html, render_html
from tests.pdf_text import page_texts
from tests.report_data import ISSUED_AT, demo_scored, sample_scored, signed_scored, stress_scored

# The documents a report is rendered as, by the name the tests use.
DOCUMENTS: dict[str, Callable[..., str]] = {
    "report": render_html,
    "public": public_summary_html,
    "board": board_html,
}
# The assessments more than one test module renders.
ASSESSMENTS: dict[str, Callable[[], ScoredAssessment]] = {
    "demo": lambda: demo_scored("draft"),
    "demo_approved": lambda: demo_scored("approved", with_previous=True),
    "stress": lambda: stress_scored("approved"),
    "sample_approved": lambda: sample_scored("approved", catalogue=catalogue()),
    # The approved sample with a previous cycle and every sign-off field recorded.
    "signed": lambda: signed_scored(catalogue()),
}


@functools.cache
def catalogue() -> Catalogue:
    return load_catalogue()


@functools.cache
def scored_assessment(assessment: str) -> ScoredAssessment:
    """Return one of ASSESSMENTS, scored once."""
    return ASSESSMENTS[assessment]()


class Rendered:
    """One document of one assessment: its HTML, its laid-out pages, its PDF and their text."""

    def __init__(self, assessment: str, document: str) -> None:
        self.scored = scored_assessment(assessment)
        self.html = DOCUMENTS[document](self.scored, catalogue(), issued_at=ISSUED_AT)

    @cached_property
    def document(self) -> Document:
        """The pages as WeasyPrint lays them out (`reports.pdf.layout_document`)."""
        return layout_document(self.html)

    @cached_property
    def pdf(self) -> bytes:
        return self.document.write_pdf(**PDF_OPTIONS)

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.pdf))

    @cached_property
    def texts(self) -> tuple[str, ...]:
        """Each page's text (tests/pdf_text.py)."""
        return tuple(page_texts(self.pdf))


def rendered(assessment: str, document: str = "report") -> Rendered:
    """Return a document of one of ASSESSMENTS, rendered (lazily) once per test process."""
    # One cache key however the document is named: `rendered("demo")` and
    # `rendered("demo", "report")` are the same report, laid out once.
    return _rendered(assessment, document)


@functools.cache
def _rendered(assessment: str, document: str) -> Rendered:
    return Rendered(assessment, document)
