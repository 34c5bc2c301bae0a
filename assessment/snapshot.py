"""Turn stored rows into the plain inputs of scoring, and score them."""

from __future__ import annotations

from assessment.catalogue import Catalogue
from assessment.models import Assessment
from assessment.scoring import AnswerInput, AssessmentInfo, ScoredAssessment, score_assessment


def assessment_info(assessment: Assessment) -> AssessmentInfo:
    """Describe an assessment for scoring and reports."""
    return AssessmentInfo(
        assessment_id=assessment.id,
        organisation=assessment.organisation.name,
        service=assessment.service_name,
        status=assessment.status,
        created_at=assessment.created_at,
        updated_at=assessment.updated_at,
        profile=dict(assessment.profile or {}),
    )


def score_stored(assessment: Assessment, catalogue: Catalogue) -> ScoredAssessment:
    """Score a stored assessment against the catalogue."""
    answers = {
        a.question_id: AnswerInput(value=a.value, comment=a.comment or "")
        for a in assessment.answers
    }
    return score_assessment(catalogue, assessment_info(assessment), answers)
