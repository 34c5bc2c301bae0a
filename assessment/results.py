"""The plain objects that flow from the database to scoring and on to the reports.

Inputs (`AssessmentInfo`, `AnswerInput`, `EvidenceItem`, `Assignment`,
`AuditEntry`) are frozen dataclasses. Results (`ScoredAssessment` down to
`QuestionResult`, `Gap`) and the comparison with a previous cycle (`Trend`,
`Changes`) are frozen pydantic models: the JSON export, its schema file and
the API are generated from them (`assessment.export_document`). Scoring builds
them with `Result.trusted` (its data is already checked, and scoring runs on
every page); the importer and the API validate with them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    computed_field,
)

from assessment.method import METHOD_STEPS


def round_half_up(score: float | None) -> int | None:
    """Round a 0-100 score for display, halves up (not banker's rounding)."""
    if score is None:
        return None
    return int(Decimal(repr(score)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def score_change(before: float | None, now: float | None) -> int | None:
    """Return how far a score moved, in whole displayed points, or None unless both exist."""
    shown_before, shown_now = round_half_up(before), round_half_up(now)
    if shown_before is None or shown_now is None:
        return None
    return shown_now - shown_before


def _iso(value: date | datetime) -> str:
    return value.isoformat()


def _answer_value(value: Any) -> Any:
    """Accept what an answer holds: null, text, a number, true/false or a list of those."""
    plain = (str, int, float, bool)
    if value is None or isinstance(value, plain):
        return value
    if isinstance(value, list) and all(isinstance(v, plain) for v in value):
        return value
    raise ValueError("must be an option value, a list of them, a number, text or null")


# Dates as `isoformat()` writes them (`+00:00`, as exports always have), not pydantic's `Z`.
Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "description": "ISO 8601 date-time."},
        mode="serialization",
    ),
]
Day = Annotated[date, PlainSerializer(_iso, return_type=str, when_used="json")]
AnswerValue = Annotated[
    Any,
    AfterValidator(_answer_value),
    WithJsonSchema(
        {
            "description": "The stored answer: an option value, a list of them, a number or text.",
            "anyOf": [
                {"type": "null"},
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array", "items": {"type": ["string", "number", "boolean"]}},
            ],
        }
    ),
]
Score = Annotated[float, Field(ge=0, le=100, description="0-100, unrounded.")]
DisplayScore = Annotated[int, Field(ge=0, le=100, description="The score rounded half up.")]
Fraction = Annotated[float, Field(ge=0, le=1)]
Colour = Literal["red", "amber", "green"]
Sha256OrEmpty = Annotated[str, Field(pattern=r"^([0-9a-f]{64})?$")]


class Result(BaseModel):
    """A part of the scored result: frozen, and strict about its fields when validated."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        # The export's schema says every field is always written, defaults included.
        json_schema_serialization_defaults_required=True,
    )

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """Build from values already checked (scoring's), without validating them again.

        What `model_construct` does, less its per-field work: scoring builds
        a hundred of these on every page, and `model_construct` cost 8 us
        each where a dataclass cost 3 and this 1.3 (see the README).
        """
        result = cls.__new__(cls)
        object.__setattr__(result, "__dict__", {**_defaults(cls), **values})
        object.__setattr__(result, "__pydantic_fields_set__", set(values))
        object.__setattr__(result, "__pydantic_extra__", None)
        object.__setattr__(result, "__pydantic_private__", None)
        return result


@functools.cache
def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Return the plain defaults of a model's fields (no result field has a mutable one)."""
    defaults = {}
    for name, field_info in model.model_fields.items():
        if field_info.default_factory is not None:
            defaults[name] = field_info.default_factory()  # an empty mapping, never changed
        elif not field_info.is_required():
            defaults[name] = field_info.default
    return defaults


@dataclass(frozen=True)
class EvidenceItem:
    """A link or document backing an answer: listed in reports, never embedded."""

    __pydantic_config__ = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True
    )

    kind: Literal["link", "file"]
    title: str
    url: str = ""
    filename: str = ""
    media_type: str = ""
    size: Annotated[int, Field(ge=0)] = 0
    sha256: Sha256OrEmpty = ""


@dataclass(frozen=True)
class AnswerInput:
    """One stored answer, as scoring needs it."""

    value: Any = None
    comment: str = ""
    evidence: tuple[EvidenceItem, ...] = ()
    # Copied from the previous cycle and not yet confirmed: scored, but not complete.
    carried_forward: bool = False


@dataclass(frozen=True)
class Assignment:
    """Who owns a principle and by when it is due."""

    owner: str = ""
    due_date: date | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One change in the audit trail, as the JSON export and history pages show it."""

    __pydantic_config__ = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True
    )

    at: Timestamp
    who: str
    action: str
    target: str
    old: Annotated[Any, Field(description="The value before the change, any JSON.")]
    new: Annotated[Any, Field(description="The value after the change, any JSON.")]


@dataclass(frozen=True)
class CommentEntry:
    """One message of a question's comment thread, as the JSON export carries it."""

    __pydantic_config__ = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True
    )

    id: int
    thread_id: Annotated[
        int | None, Field(description="The opening message's id; null for the opening message.")
    ]
    question_id: str
    at: Timestamp
    who: str
    body: str
    resolved_at: Annotated[
        Timestamp | None, Field(description="When the thread was resolved (opening message).")
    ] = None
    resolved_by: str = ""


@dataclass(frozen=True)
class AssessmentInfo:
    """What the report says about the assessment besides its answers."""

    assessment_id: int | None
    organisation: str
    service: str
    status: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    assignments: Mapping[str, Assignment] = field(default_factory=dict)
    approved_at: datetime | None = None
    approved_by: str = ""
    review_comment: str = ""
    public_narrative: str = ""
    previous_assessment_id: int | None = None
    audit: tuple[AuditEntry, ...] = ()
    period: str = ""  # e.g. "FY2026 H1"; reports say so when it is empty
    attestation: str = ""  # the statement the approver confirmed, stored with the approval
    approved_by_role: str = ""
    comments: tuple[CommentEntry, ...] = ()  # question comment threads, oldest first


class ProfileAnswer(Result):
    id: str
    text: str
    value: AnswerValue
    label: str


class QuestionResult(Result):
    id: str
    principle_id: str
    text: str
    help: str = ""  # exported since schema 1.2 (a 1.1 export has none)
    type: str
    weight: float
    applicable: bool
    scope_reason: str | None
    answered: bool
    value: AnswerValue
    answer_label: str
    comment: str
    scored: bool
    score: Score | None  # None when unscored or not applicable
    is_gap: bool
    priority: float
    evidence_prompt: str = ""  # exported since schema 1.2
    recommendation: str
    note: str = ""  # e.g. an alternative measure given without a rationale
    evidence: tuple[EvidenceItem, ...] = ()
    carried_forward: bool = False  # answered in the previous cycle, waiting to be confirmed


class Gap(Result):
    rank: int = Field(default=0, ge=0, description="1 for the first action of the plan.")
    question_id: str
    principle_id: str
    theme_id: str
    question_text: str
    recommendation: str
    score: Score
    priority: float
    answered: bool
    owner: str = Field(default="", description="Who owns it; empty when unassigned.")
    due_date: Day | None = None


class PrincipleResult(Result):
    id: str
    theme_id: str
    title: str
    statement: str
    weight: float
    applicable: bool
    scope_reason: str | None
    score: Score | None
    band: str
    band_colour: Colour | None
    completion: Fraction  # over applicable questions; 1.0 when none apply
    answered_count: int  # confirmed answers: carried-forward ones wait to be confirmed
    applicable_count: int
    questions: tuple[QuestionResult, ...]
    owner: str = ""
    due_date: Day | None = None
    carried_count: int = 0  # applicable answers carried forward and not yet confirmed

    @computed_field
    @property
    def display_score(self) -> DisplayScore | None:
        return round_half_up(self.score)


class TrendRow(Result):
    """One principle's score now against the previous approved assessment."""

    principle_id: str
    title: str
    previous: Score | None
    current: Score | None

    @computed_field
    @property
    def change(self) -> Annotated[int, Field(ge=-100, le=100)] | None:
        return score_change(self.previous, self.current)


class Trend(Result):
    """The comparison with the same service's previous approved assessment."""

    previous_assessment_id: int | None
    previous_approved_at: Timestamp | None
    previous_score: Score | None
    rows: tuple[TrendRow, ...]
    # For the reports' theme arrows; not part of the export.
    previous_theme_scores: Mapping[str, float | None] = Field(default_factory=dict, exclude=True)

    def theme_change(self, theme: ThemeResult) -> int | None:
        """Return a theme's rounded score change since the previous assessment, if both scored."""
        return score_change(self.previous_theme_scores.get(theme.id), theme.score)


class AnswerChange(Result):
    """One answer that differs from the previous approved assessment's."""

    question_id: str
    principle_id: str
    question_text: str
    before: str  # option labels, as the reports print them
    after: str
    who: str = ""  # from this assessment's audit trail; empty when it holds no record
    at: Timestamp | None = None


class GapChange(Result):
    """A gap opened or closed since the previous approved assessment."""

    question_id: str
    principle_id: str
    question_text: str
    before: str
    after: str


class Changes(Result):
    """What changed since the same service's previous approved assessment."""

    previous_assessment_id: int | None
    previous_approved_at: Timestamp | None
    answers: tuple[AnswerChange, ...]
    new_gaps: tuple[GapChange, ...]
    closed_gaps: tuple[GapChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.answers or self.new_gaps or self.closed_gaps)


class ThemeResult(Result):
    id: str
    title: str
    score: Score | None
    band: str
    band_colour: Colour | None
    completion: Fraction
    principles: Annotated[tuple[PrincipleResult, ...], Field(min_length=1)]

    @computed_field
    @property
    def display_score(self) -> DisplayScore | None:
        return round_half_up(self.score)


class ScoredAssessment(Result):
    """Everything a report needs, in one object."""

    info: AssessmentInfo
    catalogue_id: str
    catalogue_title: str
    catalogue_version: str
    catalogue_fingerprint: str
    source_title: str
    source_date: str
    profile: tuple[ProfileAnswer, ...]
    themes: tuple[ThemeResult, ...]
    score: Score | None
    band: str
    band_colour: Colour | None
    completion: Fraction
    gaps: tuple[Gap, ...]
    fingerprint: str = ""
    trend: Trend | None = None
    changes: Changes | None = None
    method: tuple[str, ...] = METHOD_STEPS

    @property
    def display_score(self) -> int | None:
        return round_half_up(self.score)

    @property
    def principles(self) -> tuple[PrincipleResult, ...]:
        return tuple(p for t in self.themes for p in t.principles)

    @property
    def questions(self) -> tuple[QuestionResult, ...]:
        return tuple(q for p in self.principles for q in p.questions)

    def principle(self, principle_id: str) -> PrincipleResult:
        """Return one principle's result by id."""
        return next(p for p in self.principles if p.id == principle_id)
