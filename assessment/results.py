"""The plain objects that flow from the database to scoring and on to the reports.

Inputs (`AssessmentInfo`, `AnswerInput`, `EvidenceItem`, `Assignment`,
`AuditEntry`), results (`ScoredAssessment` down to `QuestionResult`, `Gap`) and
the comparison with a previous cycle (`Trend`, `Changes`). Frozen dataclasses,
no behaviour beyond reading them; `assessment.scoring` makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


@dataclass(frozen=True)
class EvidenceItem:
    """A link or document backing an answer: listed in reports, never embedded."""

    kind: str  # "link" or "file"
    title: str
    url: str = ""
    filename: str = ""
    media_type: str = ""
    size: int = 0
    sha256: str = ""


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

    at: datetime
    who: str
    action: str
    target: str
    old: Any
    new: Any


@dataclass(frozen=True)
class CommentEntry:
    """One message of a question's comment thread, as the JSON export carries it."""

    id: int
    thread_id: int | None  # None for the message that opened the thread
    question_id: str
    at: datetime
    who: str
    body: str
    resolved_at: datetime | None = None  # on the opening message only
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


@dataclass(frozen=True)
class ProfileAnswer:
    id: str
    text: str
    value: Any
    label: str


@dataclass(frozen=True)
class QuestionResult:
    id: str
    principle_id: str
    text: str
    help: str
    type: str
    weight: float
    applicable: bool
    scope_reason: str | None
    answered: bool
    value: Any
    answer_label: str
    comment: str
    scored: bool
    score: float | None  # 0-100, None when unscored or not applicable
    is_gap: bool
    priority: float
    evidence_prompt: str
    recommendation: str
    note: str = ""  # e.g. an alternative measure given without a rationale
    evidence: tuple[EvidenceItem, ...] = ()
    carried_forward: bool = False  # answered in the previous cycle, waiting to be confirmed


@dataclass(frozen=True)
class Gap:
    question_id: str
    principle_id: str
    theme_id: str
    question_text: str
    recommendation: str
    score: float  # 0-100
    priority: float
    answered: bool
    owner: str = ""
    due_date: date | None = None


@dataclass(frozen=True)
class PrincipleResult:
    id: str
    theme_id: str
    title: str
    statement: str
    weight: float
    applicable: bool
    scope_reason: str | None
    score: float | None
    band: str
    band_colour: str | None
    completion: float  # 0-1 over applicable questions; 1.0 when none apply
    answered_count: int  # confirmed answers: carried-forward ones wait to be confirmed
    applicable_count: int
    questions: tuple[QuestionResult, ...]
    owner: str = ""
    due_date: date | None = None
    carried_count: int = 0  # applicable answers carried forward and not yet confirmed

    @property
    def display_score(self) -> int | None:
        return round_half_up(self.score)


@dataclass(frozen=True)
class TrendRow:
    """One principle's score now against the previous approved assessment."""

    principle_id: str
    title: str
    previous: float | None
    current: float | None

    @property
    def change(self) -> int | None:
        return score_change(self.previous, self.current)


@dataclass(frozen=True)
class Trend:
    """The comparison with the same service's previous approved assessment."""

    previous_assessment_id: int | None
    previous_approved_at: datetime | None
    previous_score: float | None
    rows: tuple[TrendRow, ...]
    previous_theme_scores: Mapping[str, float | None] = field(default_factory=dict)

    def theme_change(self, theme: ThemeResult) -> int | None:
        """Return a theme's rounded score change since the previous assessment, if both scored."""
        return score_change(self.previous_theme_scores.get(theme.id), theme.score)


@dataclass(frozen=True)
class AnswerChange:
    """One answer that differs from the previous approved assessment's."""

    question_id: str
    principle_id: str
    question_text: str
    before: str  # option labels, as the reports print them
    after: str
    who: str = ""  # from this assessment's audit trail; empty when it holds no record
    at: datetime | None = None


@dataclass(frozen=True)
class GapChange:
    """A gap opened or closed since the previous approved assessment."""

    question_id: str
    principle_id: str
    question_text: str
    before: str
    after: str


@dataclass(frozen=True)
class Changes:
    """What changed since the same service's previous approved assessment."""

    previous_assessment_id: int | None
    previous_approved_at: datetime | None
    answers: tuple[AnswerChange, ...]
    new_gaps: tuple[GapChange, ...]
    closed_gaps: tuple[GapChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.answers or self.new_gaps or self.closed_gaps)


@dataclass(frozen=True)
class ThemeResult:
    id: str
    title: str
    score: float | None
    band: str
    band_colour: str | None
    completion: float
    principles: tuple[PrincipleResult, ...]

    @property
    def display_score(self) -> int | None:
        return round_half_up(self.score)


@dataclass(frozen=True)
class ScoredAssessment:
    """Everything a report needs, in one plain object."""

    info: AssessmentInfo
    catalogue_id: str
    catalogue_title: str
    catalogue_version: str
    catalogue_fingerprint: str
    source_title: str
    source_date: str
    profile: tuple[ProfileAnswer, ...]
    themes: tuple[ThemeResult, ...]
    score: float | None
    band: str
    band_colour: str | None
    completion: float
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
