"""Filters across a whole assessment: which questions still need someone, and why."""

from __future__ import annotations

from collections.abc import Callable, Set

from assessment.changes import same_answer
from assessment.results import QuestionResult, ScoredAssessment

FILTERS = {
    "unanswered": "Unanswered",
    "gaps": "Gaps (below the gap threshold)",
    "mine": "Assigned to me",
    "changed": "Changed since the last cycle",
}


def matching_questions(
    scored: ScoredAssessment,
    chosen: str,
    *,
    mine: Set[str] = frozenset(),
    previous: ScoredAssessment | None = None,
) -> list[QuestionResult]:
    """Return the applicable questions that match one of FILTERS, in catalogue order."""
    earlier = {q.id: q for q in previous.questions} if previous else {}
    tests: dict[str, Callable[[QuestionResult], bool]] = {
        "unanswered": lambda q: not q.answered,
        "gaps": lambda q: q.answered and q.is_gap,  # unanswered ones have a filter of their own
        "mine": lambda q: q.principle_id in mine,
        "changed": lambda q: previous is not None and _changed(q, earlier.get(q.id)),
    }
    test = tests[chosen]
    return [q for q in scored.questions if q.applicable and test(q)]


def _changed(now: QuestionResult, before: QuestionResult | None) -> bool:
    """Return whether an answer or its comment differs from the previous cycle's."""
    if before is None:
        return now.answered
    return not same_answer(now.value, before.value) or now.comment != before.comment
