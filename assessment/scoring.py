"""Score an assessment against its catalogue: pure functions, no Flask, no database.

The method in words is `assessment.method.METHOD_STEPS` (the report prints
it); the objects going in and out are in `assessment.results`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from assessment.applicability import principle_applies, question_applies, scope_reason
from assessment.catalogue import Catalogue, Principle, Question, is_answered
from assessment.changes import compare, what_changed
from assessment.results import (
    AnswerInput,
    AssessmentInfo,
    Assignment,
    Gap,
    PrincipleResult,
    ProfileAnswer,
    QuestionResult,
    ScoredAssessment,
    ThemeResult,
    round_half_up,
)

NOT_APPLICABLE = "Not applicable"


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
    if not _is_scored(catalogue, question):
        return False, False, None, ""
    if not is_answered(answer.value):
        return True, False, 0.0, ""
    if question.type == "multi":
        return _multi_score(catalogue, question, answer.value)
    return _option_score(catalogue, question, answer)


def _is_scored(catalogue: Catalogue, question: Question) -> bool:
    """Return whether a question's answers carry a score (numbers and text never do)."""
    if question.type in ("number", "text"):
        return False
    return any(o.score is not None for o in catalogue.options_for(question) if not o.na)


def _multi_score(
    catalogue: Catalogue, question: Question, values: list
) -> tuple[bool, bool, float | None, str]:
    """Score several choices: their scores add up, to at most 1."""
    chosen = [catalogue.option_for(question, v) for v in values]
    if chosen and all(o is not None and o.na for o in chosen):
        return True, True, None, ""
    return True, False, min(1.0, sum(o.score or 0 for o in chosen if o and not o.na)), ""


def _option_score(
    catalogue: Catalogue, question: Question, answer: AnswerInput
) -> tuple[bool, bool, float | None, str]:
    """Score one chosen option, or say why it counts as not met."""
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
            QuestionResult.trusted(
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
                carried_forward=answered and answer.carried_forward,
            )
        )
    applicable_results = [r for r in results if r.applicable]
    answered_count = sum(1 for r in applicable_results if r.answered and not r.carried_forward)
    score = _weighted_mean(pairs) if in_scope else None
    band, colour = _band(catalogue, score)
    return PrincipleResult.trusted(
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
        carried_count=sum(1 for r in applicable_results if r.carried_forward),
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
            ThemeResult.trusted(
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
    found = sorted(
        ((p, q) for p in all_principles for q in p.questions if q.is_gap),
        key=lambda pq: (-pq[1].priority, order[pq[1].id]),
    )
    gaps = [
        Gap.trusted(
            rank=rank,
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
        for rank, (p, q) in enumerate(found, start=1)
    ]
    meta = catalogue.spec.catalogue
    scored = ScoredAssessment.trusted(
        info=info,
        catalogue_id=meta.id,
        catalogue_title=meta.title,
        catalogue_version=meta.version,
        catalogue_fingerprint=catalogue.fingerprint,
        source_title=meta.source.title,
        source_date=meta.source.date,
        profile=tuple(
            ProfileAnswer.trusted(
                id=f.id, text=f.text, value=profile.get(f.id), label=f.label_for(profile.get(f.id))
            )
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
        scored = scored.model_copy(
            update={"trend": compare(scored, previous), "changes": what_changed(scored, previous)}
        )
    return scored
