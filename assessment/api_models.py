"""The JSON API's request and response bodies: pydantic models the OpenAPI document is built from.

An assessment with its scores is the JSON export itself
(`assessment.export_document.ExportDocument`), so the API, the export and
its schema file share one model.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from assessment.catalogue import COMMENT_MAX, CatalogueSpec
from assessment.models import Status
from assessment.results import AnswerValue, Colour, DisplayScore, Fraction, Score, Timestamp

PER_PAGE_MAX = 100
NUMBER_DIGITS = 15  # as the importer: answers are counts and amounts


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Problem(Body):
    """What went wrong: one sentence, and the problems by their place when there are several."""

    error: str
    problems: list[str] = []


class ListQuery(Body):
    """Filters and paging for the list of assessments."""

    status: Status | None = None
    service: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Only services whose name contains this (any case)."
    )
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=PER_PAGE_MAX)] = 25


class AssessmentSummary(Body):
    id: int
    service: str
    status: str
    catalogue_version: str
    created_at: Timestamp
    updated_at: Timestamp
    score: Score | None
    display_score: DisplayScore | None
    band: str
    band_colour: Colour | None
    completion: Fraction
    url: str


class AssessmentPage(Body):
    """One page of the organisation's assessments, newest first."""

    assessments: list[AssessmentSummary]
    page: int
    per_page: int
    pages: int
    total: int


class StoredAnswer(Body):
    """One stored answer; `version` is its ETag (0: not answered yet)."""

    question_id: str
    value: AnswerValue
    comment: str
    version: int
    updated_by: str
    updated_at: Timestamp | None


class AnswerList(Body):
    assessment_id: int
    answers: list[StoredAnswer]


def _storable(value: Any) -> Any:
    """Refuse what no database column stores (U+0000) and numbers longer than any answer's."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and "\x00" in item:
            raise ValueError("holds a NUL character (U+0000), which no answer may hold")
        if isinstance(item, int | float) and abs(item) >= 10**NUMBER_DIGITS:
            raise ValueError(f"is longer than {NUMBER_DIGITS} digits")
    return value


class AnswerWrite(Body):
    """A new answer. Send it with `If-Match` set to the ETag of the answer it replaces."""

    value: Annotated[AnswerValue, AfterValidator(_storable)]
    comment: Annotated[str, Field(max_length=COMMENT_MAX), AfterValidator(_storable)] = ""


class StaleAnswer(Body):
    """A write based on an answer that has changed since: nothing was written."""

    error: str
    current: StoredAnswer


class CatalogueVersion(Body):
    """The catalogue version an assessment was answered against."""

    id: str
    title: str
    version: str
    fingerprint: str
    running: bool = Field(description="Whether the app runs this version now.")
    catalogue: CatalogueSpec | None = Field(
        description="The catalogue itself (the version kept when the assessment was opened)."
    )


class Submitted(Body):
    id: int
    status: str
    submitted_at: Timestamp | None
