"""Compare a scored assessment with the same service's previous approved one.

Pure functions: the trend principle by principle, and what changed (answers,
gaps opened and closed), with who changed an answer and when taken from the
current assessment's audit trail.
"""

from __future__ import annotations

from typing import Any

from assessment.results import (
    AnswerChange,
    AuditEntry,
    Changes,
    GapChange,
    QuestionResult,
    ScoredAssessment,
    Trend,
    TrendRow,
)


def compare(current: ScoredAssessment, previous: ScoredAssessment) -> Trend:
    """Compare two scored assessments principle by principle."""
    before = {p.id: p.score for p in previous.principles}
    return Trend.trusted(
        previous_assessment_id=previous.info.assessment_id,
        previous_approved_at=previous.info.approved_at,
        previous_score=previous.score,
        rows=tuple(
            TrendRow.trusted(
                principle_id=p.id, title=p.title, previous=before.get(p.id), current=p.score
            )
            for p in current.principles
        ),
        previous_theme_scores={t.id: t.score for t in previous.themes},
    )


def same_answer(a: Any, b: Any) -> bool:
    """Return whether two stored answers are the same answer (lists in any order)."""
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


def _gap_change(question: QuestionResult, before: str, after: str) -> GapChange:
    return GapChange.trusted(
        question_id=question.id,
        principle_id=question.principle_id,
        question_text=question.text,
        before=before,
        after=after,
    )


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
        if old is None or not same_answer(q.value, old.value):
            event = events.get(q.id)
            answers.append(
                AnswerChange.trusted(
                    question_id=q.id,
                    principle_id=q.principle_id,
                    question_text=q.text,
                    before=old_label,
                    after=q.answer_label,
                    who=event.who if event else "",
                    at=event.at if event else None,
                )
            )
        was_gap = old is not None and old.is_gap
        if q.is_gap and not was_gap:
            new_gaps.append(_gap_change(q, old_label, q.answer_label))
        elif was_gap and not q.is_gap:
            now = q.answer_label if q.applicable else f"{q.answer_label} (no longer applicable)"
            closed_gaps.append(_gap_change(q, old_label, now))
    return Changes.trusted(
        previous_assessment_id=previous.info.assessment_id,
        previous_approved_at=previous.info.approved_at,
        answers=tuple(answers),
        new_gaps=tuple(new_gaps),
        closed_gaps=tuple(closed_gaps),
    )
