"""The list of an organisation's assessments: a page at a time, scored in one batch.

The page's cost must not grow with the organisation: one query counts, one
reads the page's assessments, one reads all their answers; scoring runs on
those rows (scores need answers and the profile only, not evidence, owners
or the audit trail).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessment.catalogue import Catalogue
from assessment.extensions import db
from assessment.models import Assessment
from assessment.results import AnswerInput, AssessmentInfo, ScoredAssessment
from assessment.scoring import score_assessment

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    """One page of assessments and where it sits among the others."""

    assessments: list[Assessment]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    """Return the page asked for, 1 for anything that is not a small positive number."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return max(1, int(raw))


def assessments_page(query: sa.Select, raw_number: str | None, size: int = PAGE_SIZE) -> Page:
    """Return one page (newest first) of the assessments a scoped query selects."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / size))
    number = min(page_number(raw_number), pages)
    assessments = db.session.scalars(
        query.options(selectinload(Assessment.answers))
        .order_by(Assessment.id.desc())
        .limit(size)
        .offset((number - 1) * size)
    ).all()
    return Page(assessments=list(assessments), number=number, pages=pages, total=total)


def score_listed(
    assessments: list[Assessment], catalogue_of: Callable[[Assessment], Catalogue]
) -> dict[int, ScoredAssessment]:
    """Score each listed assessment, with its own catalogue, from its loaded answers and profile."""
    scored = {}
    for assessment in assessments:
        catalogue = catalogue_of(assessment)
        info = AssessmentInfo(
            assessment_id=assessment.id,
            organisation="",
            service=assessment.service_name,
            status=assessment.status,
            created_at=assessment.created_at,
            updated_at=assessment.updated_at,
            profile=dict(assessment.profile or {}),
        )
        answers = {
            a.question_id: AnswerInput(value=a.value, comment=a.comment or "")
            for a in assessment.answers
        }
        scored[assessment.id] = score_assessment(catalogue, info, answers)
    return scored
