"""Shape a scored assessment into the sections the documents print: pure functions, no I/O.

The PDF report, the board page and the workbook take their action plan,
out-of-scope list and sign-off facts from here, so the three always agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from assessment.formatting import status_label
from assessment.results import (
    AuditEntry,
    Gap,
    PrincipleResult,
    QuestionResult,
    ScoredAssessment,
    ThemeResult,
)

ANSWERED_NOT_APPLICABLE = "Answered as not applicable."

# The action plan's priority rule, printed in the appendix in words and as a formula.
PRIORITY_WORDS = (
    "Each gap's priority is the question's weight times its principle's weight times the "
    "shortfall from full marks (1 minus the question's score as a fraction). An unanswered "
    "question has the full shortfall. The plan lists the gaps with the highest priority first; "
    "equal priorities keep catalogue order."
)
PRIORITY_FORMULA = (
    "priority = question weight \u00d7 principle weight \u00d7 (1 \u2212 score / 100)"
)


@dataclass(frozen=True)
class PlanRow:
    """One action: a gap with its overall rank and the answer it has now."""

    rank: int
    gap: Gap
    question: QuestionResult


@dataclass(frozen=True)
class PlanGroup:
    """The actions of one principle, with the principle's owner and due date said once."""

    principle: PrincipleResult
    theme: ThemeResult
    rows: tuple[PlanRow, ...]

    @property
    def owner(self) -> str:
        return self.principle.owner

    @property
    def due_date(self) -> date | None:
        return self.principle.due_date


def action_plan(scored: ScoredAssessment) -> list[PlanGroup]:
    """Group the gaps by principle, the principle holding the most urgent action first."""
    questions = {q.id: q for q in scored.questions}
    themes = {t.id: t for t in scored.themes}
    by_principle: dict[str, list[PlanRow]] = {}
    for rank, gap in enumerate(scored.gaps, start=1):
        row = PlanRow(rank, gap, questions[gap.question_id])
        by_principle.setdefault(gap.principle_id, []).append(row)
    return [
        PlanGroup(scored.principle(pid), themes[scored.principle(pid).theme_id], tuple(rows))
        for pid, rows in by_principle.items()  # dicts keep insertion order: by first rank
    ]


def is_scoped_out(question: QuestionResult) -> bool:
    """Return whether the service profile (not the answer) puts a question out of scope."""
    return not question.applicable and question.scope_reason != ANSWERED_NOT_APPLICABLE


def scoped_out_of(principle: PrincipleResult) -> list[QuestionResult]:
    """Return an in-scope principle's questions that the service profile scopes out."""
    return [q for q in principle.questions if is_scoped_out(q)]


@dataclass(frozen=True)
class ScopeGroup:
    """Questions of one principle left out for one reason."""

    reason: str
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class OutOfScope:
    """One principle's share of the out-of-scope section."""

    principle: PrincipleResult
    whole: bool  # the whole principle is out of scope
    groups: tuple[ScopeGroup, ...]


def out_of_scope(scored: ScoredAssessment) -> list[OutOfScope]:
    """List what the service profile scopes out, each reason given once per principle."""
    entries = []
    for p in scored.principles:
        whole = not p.applicable
        questions = p.questions if whole else [q for q in p.questions if is_scoped_out(q)]
        if not questions:
            continue
        reasons: dict[str, list[QuestionResult]] = {}
        for q in questions:
            reason = (p.scope_reason if whole else q.scope_reason) or "No reason recorded."
            reasons.setdefault(reason, []).append(q)
        groups = tuple(ScopeGroup(r, tuple(qs)) for r, qs in reasons.items())
        entries.append(OutOfScope(p, whole, groups))
    return entries


@dataclass(frozen=True)
class Contributor:
    """Someone who changed answers, from the audit trail."""

    name: str
    changes: int
    first: datetime
    last: datetime


def contributors(audit: tuple[AuditEntry, ...]) -> list[Contributor]:
    """Return the people who changed answers, most changes first, with their counts."""
    counts: Counter[str] = Counter()
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for entry in audit:
        if entry.action != "answer":
            continue
        counts[entry.who] += 1
        first.setdefault(entry.who, entry.at)
        last[entry.who] = entry.at
    return [Contributor(who, n, first[who], last[who]) for who, n in counts.most_common()]


@dataclass(frozen=True)
class ReviewNote:
    """A status change with what the person said, from the audit trail."""

    at: datetime
    who: str
    status: str
    comment: str


def review_notes(audit: tuple[AuditEntry, ...]) -> list[ReviewNote]:
    """Return the review steps (submitted, changes requested, approved) with their comments."""
    notes = []
    for entry in audit:
        if entry.action != "status" or not isinstance(entry.new, dict):
            continue
        status = str(entry.new.get("status", ""))
        notes.append(
            ReviewNote(entry.at, entry.who, status, str(entry.new.get("comment", "") or ""))
        )
    return notes


STATUS_PHRASES = {
    "draft": "still a draft",
    "in_review": "in review",
    "changes_requested": "back with its respondents (changes requested)",
}


def status_phrase(status: str) -> str:
    """Return "this assessment is ..." wording for a status that is not approved."""
    return STATUS_PHRASES.get(status, status_label(status).lower())


def is_signed_off(scored: ScoredAssessment) -> bool:
    """Return whether the assessment was approved (signed off)."""
    return scored.info.status == "approved"
