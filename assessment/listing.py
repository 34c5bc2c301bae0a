"""The list of an organisation's assessments: a page at a time, scored in one batch.

The page's cost must not grow with the organisation: one query counts, one
reads the page's assessments, one reads all their answers; scoring runs on
those rows (scores need answers and the profile only, not evidence, owners
or the audit trail).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessment.catalogue import Catalogue
from assessment.extensions import db
from assessment.models import Assessment, Status
from assessment.results import AnswerInput, AssessmentInfo, ScoredAssessment
from assessment.scoring import score_assessment

PAGE_SIZE = 25


@dataclass(frozen=True, kw_only=True)
class Paged:
    """Where one page sits among the others (the pagers of lists and histories read it)."""

    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True, kw_only=True)
class Page(Paged):
    """One page of assessments and where it sits among the others."""

    assessments: list[Assessment]


def page_number(raw: str | None) -> int:
    """Return the page asked for, 1 for anything that is not a small positive number."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return max(1, int(raw))


SORTS = {
    "newest": ("Newest first", (Assessment.id.desc(),)),
    "service": ("Service", (Assessment.service_name, Assessment.id.desc())),
    "period": ("Period", (Assessment.period.desc(), Assessment.id.desc())),
    "approved": (
        "Approval date",
        (Assessment.approved_at.is_(None), Assessment.approved_at.desc(), Assessment.id.desc()),
    ),
    "updated": ("Last change", (Assessment.updated_at.desc(), Assessment.id.desc())),
}


@dataclass(frozen=True)
class ListFilter:
    """What the list is narrowed to and sorted by; unknown values mean "any" and "newest"."""

    status: str = ""
    period: str = ""
    service: str = ""
    sort: str = "newest"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListFilter:
        """Read the filter from URL arguments, keeping only values it knows."""
        status = args.get("status", "")
        sort = args.get("sort", "newest")
        return cls(
            status=status if status in set(Status) else "",
            period=_short(args.get("period")),
            service=_short(args.get("service")),
            sort=sort if sort in SORTS else "newest",
        )

    def apply(self, query: sa.Select) -> sa.Select:
        """Narrow a scoped query to this filter."""
        if self.status:
            query = query.where(Assessment.status == self.status)
        if self.period:
            query = query.where(Assessment.period == self.period)
        if self.service:
            query = query.where(Assessment.service_name.icontains(self.service, autoescape=True))
        return query

    def query_args(self) -> dict[str, str]:
        """Return the filter as URL arguments (for the pager)."""
        args = {"status": self.status, "period": self.period, "service": self.service}
        if self.sort != "newest":
            args["sort"] = self.sort
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.status or self.period or self.service)


def _short(raw: str | None) -> str:
    text = (raw or "").strip()
    return text if len(text) <= 200 and "\x00" not in text else ""


def choices(organisation_query: sa.Select) -> tuple[list[str], list[str]]:
    """Return the organisation's periods and services, for the list's filters."""
    scoped = organisation_query.subquery()
    periods = db.session.scalars(
        sa.select(scoped.c.period)
        .where(scoped.c.period != "")
        .distinct()
        .order_by(scoped.c.period.desc())
    ).all()
    services = db.session.scalars(
        sa.select(scoped.c.service_name).distinct().order_by(scoped.c.service_name)
    ).all()
    return list(periods), list(services)


def assessments_page(
    query: sa.Select, raw_number: str | None, size: int = PAGE_SIZE, sort: str = "newest"
) -> Page:
    """Return one page (newest first, or as sorted) of the assessments a scoped query selects."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / size))
    number = min(page_number(raw_number), pages)
    assessments = db.session.scalars(
        query.options(selectinload(Assessment.answers))
        .order_by(*SORTS[sort][1])
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
            period=assessment.period or "",
        )
        answers = {
            a.question_id: AnswerInput(
                value=a.value, comment=a.comment or "", carried_forward=bool(a.carried_forward)
            )
            for a in assessment.answers
        }
        scored[assessment.id] = score_assessment(catalogue, info, answers)
    return scored
