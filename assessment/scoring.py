"""Score an assessment against its catalogue: pure functions, no Flask, no database.

The method, as printed in the report appendix:

1. A question's score is the score of the chosen option, between 0 and 1
   (maturity: 0, 0.25, 0.5, 0.75, 1; yes 1, partly 0.5, no 0). Number and
   text questions, and options without a score, are recorded but not scored.
2. A question is not applicable when the service profile scopes it (or its
   principle) out, or when the answer chosen is "not applicable". It then
   counts in neither the numerator nor the denominator.
3. An unanswered applicable question scores 0 and lowers completion.
   An "alternative measure" answer counts as met only when a rationale is
   given in the comment; without one it scores 0.
4. Principle score = 100 x sum(weight x score) / sum(weight) over its
   applicable scored questions. A principle with no applicable scored
   question has no score and is reported as not applicable.
5. Theme score and overall score = weighted mean of the scores of the
   principles they hold (principle weights; principles without a score are
   left out). Completion is answered / applicable questions.
6. Scores are shown rounded half up to whole numbers; the maturity band is
   taken from the rounded score, so the band always agrees with the figure.
7. A gap is an applicable scored question whose score is below the
   catalogue's threshold (unanswered included). Its priority is
   question weight x principle weight x (1 - score); the action plan lists
   gaps by falling priority, then in catalogue order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assessment.applicability import principle_applies, question_applies, scope_reason
from assessment.catalogue import Catalogue, Principle, Question, is_answered

METHOD = __doc__.split("The method, as printed in the report appendix:", 1)[1].strip()


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
    # Not stored yet (a later migration adds them): reports say so when they are empty.
    period: str = ""  # e.g. "FY2026 H1"
    attestation: str = ""  # the statement the approver confirmed
    approved_by_role: str = ""


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
    answered_count: int
    applicable_count: int
    questions: tuple[QuestionResult, ...]
    owner: str = ""
    due_date: date | None = None

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
        if self.previous is None or self.current is None:
            return None
        return round_half_up(self.current) - round_half_up(self.previous)


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
        before = round_half_up(self.previous_theme_scores.get(theme.id))
        now = round_half_up(theme.score)
        return None if before is None or now is None else now - before


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
    method: str = METHOD

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


NOT_APPLICABLE = "Not applicable"


def round_half_up(score: float | None) -> int | None:
    """Round a 0-100 score for display, halves up (not banker's rounding)."""
    if score is None:
        return None
    return int(Decimal(repr(score)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _band(catalogue: Catalogue, score: float | None) -> tuple[str, str | None]:
    band = catalogue.band_for(round_half_up(score))
    return (band.label, band.colour) if band else (NOT_APPLICABLE, None)


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for w, _ in pairs)
    if not pairs or total == 0:
        return None
    return min(100.0, max(0.0, sum(w * s for w, s in pairs) / total))


def _question_score(
    catalogue: Catalogue, question: Question, answer: AnswerInput
) -> tuple[bool, bool, float | None, str]:
    """Return (scored, not_applicable_by_answer, score 0-1 or None, note)."""
    if question.type in ("number", "text"):
        return False, False, None, ""
    options = catalogue.options_for(question)
    if all(o.score is None for o in options if not o.na):
        return False, False, None, ""
    if not is_answered(answer.value):
        return True, False, 0.0, ""
    if question.type == "multi":
        chosen = [catalogue.option_for(question, v) for v in answer.value]
        if chosen and all(o is not None and o.na for o in chosen):
            return True, True, None, ""
        return True, False, min(1.0, sum(o.score or 0 for o in chosen if o and not o.na)), ""
    option = catalogue.option_for(question, str(answer.value))
    if option is None:
        return True, False, 0.0, "The stored answer is not an option of this question."
    if option.na:
        return True, True, None, ""
    if option.requires_rationale and not answer.comment.strip():
        return True, False, 0.0, "Counted as not met: an alternative measure needs a rationale."
    return True, False, option.score or 0.0, ""


def _score_principle(
    catalogue: Catalogue,
    principle: Principle,
    profile: Mapping[str, Any],
    answers: Mapping[str, AnswerInput],
    assignment: Assignment,
) -> PrincipleResult:
    threshold = catalogue.scoring.gap_threshold
    results = []
    pairs: list[tuple[float, float]] = []
    in_scope = principle_applies(principle, profile)
    for question in principle.questions:
        answer = answers.get(question.id) or AnswerInput()
        applicable = question_applies(principle, question, profile)
        scored, na_by_answer, score01, note = _question_score(catalogue, question, answer)
        answered = is_answered(answer.value)
        if na_by_answer:
            applicable = False
        is_gap = applicable and scored and score01 is not None and score01 < threshold
        if applicable and scored and score01 is not None:
            pairs.append((question.weight, score01 * 100))
        reason = scope_reason(catalogue, principle, profile, question)
        if na_by_answer and reason is None:
            reason = "Answered as not applicable."
        results.append(
            QuestionResult(
                id=question.id,
                principle_id=principle.id,
                text=question.text,
                help=question.help,
                type=question.type,
                weight=question.weight,
                applicable=applicable,
                scope_reason=reason,
                answered=answered,
                value=answer.value,
                answer_label=catalogue.label_for(question, answer.value),
                comment=answer.comment,
                scored=scored,
                score=score01 * 100 if applicable and score01 is not None else None,
                is_gap=is_gap,
                priority=question.weight * principle.weight * (1 - score01) if is_gap else 0.0,
                evidence_prompt=question.evidence,
                recommendation=question.recommendation,
                note=note,
                evidence=answer.evidence,
            )
        )
    applicable_results = [r for r in results if r.applicable]
    answered_count = sum(1 for r in applicable_results if r.answered)
    score = _weighted_mean(pairs) if in_scope else None
    band, colour = _band(catalogue, score)
    return PrincipleResult(
        id=principle.id,
        theme_id=catalogue.theme_of[principle.id].id,
        title=principle.title,
        statement=principle.statement,
        weight=principle.weight,
        applicable=in_scope and score is not None,
        scope_reason=scope_reason(catalogue, principle, profile)
        or (None if score is not None else "Every question is not applicable to this service."),
        score=score,
        band=band,
        band_colour=colour,
        completion=answered_count / len(applicable_results) if applicable_results else 1.0,
        answered_count=answered_count,
        applicable_count=len(applicable_results),
        questions=tuple(results),
        owner=assignment.owner,
        due_date=assignment.due_date,
    )


def _completion(principles: list[PrincipleResult]) -> float:
    applicable = sum(p.applicable_count for p in principles)
    answered = sum(p.answered_count for p in principles)
    return answered / applicable if applicable else 1.0


def assessment_fingerprint(
    catalogue_fingerprint: str, profile: Mapping[str, Any], answers: Mapping[str, AnswerInput]
) -> str:
    """Return the sha256 of the canonical answers, profile and catalogue fingerprint.

    Two assessments with the same fingerprint said the same things against the
    same catalogue; the issued PDF prints it so a reader can check the copy.
    """
    canonical = {
        "catalogue": catalogue_fingerprint,
        "profile": dict(profile),
        "answers": {
            qid: {
                "value": a.value,
                "comment": a.comment,
                "evidence": sorted(
                    [e.kind, e.title, e.url, e.filename, e.sha256] for e in a.evidence
                ),
            }
            for qid, a in answers.items()
            if a.value is not None or a.comment or a.evidence
        },
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compare(current: ScoredAssessment, previous: ScoredAssessment) -> Trend:
    """Compare two scored assessments principle by principle."""
    before = {p.id: p.score for p in previous.principles}
    return Trend(
        previous_assessment_id=previous.info.assessment_id,
        previous_approved_at=previous.info.approved_at,
        previous_score=previous.score,
        rows=tuple(TrendRow(p.id, p.title, before.get(p.id), p.score) for p in current.principles),
        previous_theme_scores={t.id: t.score for t in previous.themes},
    )


def _same_answer(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(map(str, a)) == sorted(map(str, b))
    if a is None or b is None:
        return a is b
    return str(a) == str(b)


def _last_answer_events(audit: tuple[AuditEntry, ...]) -> dict[str, AuditEntry]:
    latest: dict[str, AuditEntry] = {}
    for entry in audit:  # oldest first, so the last one wins
        if entry.action == "answer":
            latest[entry.target] = entry
    return latest


def what_changed(current: ScoredAssessment, previous: ScoredAssessment) -> Changes:
    """List the answers that changed and the gaps opened and closed since a previous assessment.

    Who changed an answer, and when, come from the current assessment's audit trail.
    """
    before = {q.id: q for q in previous.questions}
    events = _last_answer_events(current.info.audit)
    answers, new_gaps, closed_gaps = [], [], []
    for q in current.questions:
        old = before.get(q.id)
        old_label = old.answer_label if old else "Not asked then"
        if old is None or not _same_answer(q.value, old.value):
            event = events.get(q.id)
            answers.append(
                AnswerChange(
                    q.id,
                    q.principle_id,
                    q.text,
                    old_label,
                    q.answer_label,
                    who=event.who if event else "",
                    at=event.at if event else None,
                )
            )
        was_gap = old is not None and old.is_gap
        if q.is_gap and not was_gap:
            new_gaps.append(GapChange(q.id, q.principle_id, q.text, old_label, q.answer_label))
        elif was_gap and not q.is_gap:
            now = q.answer_label if q.applicable else f"{q.answer_label} (no longer applicable)"
            closed_gaps.append(GapChange(q.id, q.principle_id, q.text, old_label, now))
    return Changes(
        previous_assessment_id=previous.info.assessment_id,
        previous_approved_at=previous.info.approved_at,
        answers=tuple(answers),
        new_gaps=tuple(new_gaps),
        closed_gaps=tuple(closed_gaps),
    )


def score_assessment(
    catalogue: Catalogue,
    info: AssessmentInfo,
    answers: Mapping[str, AnswerInput],
    previous: ScoredAssessment | None = None,
) -> ScoredAssessment:
    """Score one assessment against its catalogue (and compare it with a previous one)."""
    profile = info.profile
    themes = []
    all_principles: list[PrincipleResult] = []
    for theme in catalogue.themes:
        principles = [
            _score_principle(
                catalogue, p, profile, answers, info.assignments.get(p.id) or Assignment()
            )
            for p in theme.principles
        ]
        all_principles += principles
        score = _weighted_mean([(p.weight, p.score) for p in principles if p.score is not None])
        band, colour = _band(catalogue, score)
        themes.append(
            ThemeResult(
                id=theme.id,
                title=theme.title,
                score=score,
                band=band,
                band_colour=colour,
                completion=_completion(principles),
                principles=tuple(principles),
            )
        )
    overall = _weighted_mean([(p.weight, p.score) for p in all_principles if p.score is not None])
    band, colour = _band(catalogue, overall)
    order = {q: i for i, q in enumerate(catalogue.questions)}
    gaps = sorted(
        (
            Gap(
                question_id=q.id,
                principle_id=p.id,
                theme_id=p.theme_id,
                question_text=q.text,
                recommendation=q.recommendation,
                score=q.score or 0.0,
                priority=q.priority,
                answered=q.answered,
                owner=p.owner,
                due_date=p.due_date,
            )
            for p in all_principles
            for q in p.questions
            if q.is_gap
        ),
        key=lambda g: (-g.priority, order[g.question_id]),
    )
    meta = catalogue.spec.catalogue
    scored = ScoredAssessment(
        info=info,
        catalogue_id=meta.id,
        catalogue_title=meta.title,
        catalogue_version=meta.version,
        catalogue_fingerprint=catalogue.fingerprint,
        source_title=meta.source.title,
        source_date=meta.source.date,
        profile=tuple(
            ProfileAnswer(f.id, f.text, profile.get(f.id), f.label_for(profile.get(f.id)))
            for f in catalogue.profile
        ),
        themes=tuple(themes),
        score=overall,
        band=band,
        band_colour=colour,
        completion=_completion(all_principles),
        gaps=tuple(gaps),
        fingerprint=assessment_fingerprint(catalogue.fingerprint, profile, answers),
    )
    if previous is not None:
        scored = replace(
            scored, trend=compare(scored, previous), changes=what_changed(scored, previous)
        )
    return scored
