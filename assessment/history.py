"""The history of an assessment as people read it: filtered, paged, in words, and as CSV.

Audit events keep raw values (option codes, ids, JSON); this module turns
each into field names and option labels with the catalogue and the
organisation's members, so the page and the CSV say "Answer: Alternative
measure" where the trail holds `{"value": "alt"}`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessment.catalogue import Catalogue
from assessment.extensions import db
from assessment.formatting import status_label
from assessment.listing import Paged, page_number
from assessment.models import Assessment, AuditEvent, Membership, User
from reports.export import neutralise

PAGE_SIZE = 50

ACTIONS = {
    "create": "Started",
    "import": "Imported",
    "answer": "Answer",
    "evidence": "Evidence",
    "profile": "Service profile",
    "narrative": "Public narrative",
    "assignment": "Owner and due date",
    "status": "Status",
    "period": "Period",
    "confirm": "Carried-forward answer confirmed",
    "comment": "Comment raised",
    "comment_reply": "Comment reply",
    "comment_resolved": "Comment resolved",
}

FIELDS = {
    "value": "Answer",
    "comment": "Comment",
    "status": "Status",
    "owner_id": "Owner",
    "due_date": "Due date",
    "kind": "Kind",
    "title": "Title",
    "url": "Address",
    "filename": "File",
    "media_type": "Type",
    "size": "Size (bytes)",
    "sha256": "SHA-256",
    "service": "Service",
    "carried_forward": "Carried forward, not yet confirmed",
    "carried_forward_from": "Carried forward from assessment",
    "resolved": "Resolved",
    "answers": "Answers",
    "warnings": "Warnings",
    "source_catalogue_version": "Catalogue version of the source",
}


@dataclass(frozen=True)
class HistoryFilter:
    """What the history is narrowed to; every value already checked."""

    principle: str = ""
    question: str = ""
    person: int | None = None
    since: date | None = None
    until: date | None = None

    def query_args(self) -> dict[str, str]:
        """Return the filter as URL arguments (for the pager and the CSV link)."""
        args = {
            "principle": self.principle,
            "person": str(self.person) if self.person else "",
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in args.items() if v}


def parse_date(raw: str | None) -> date | None:
    """Return a YYYY-MM-DD date, or None for anything else."""
    raw = (raw or "").strip()
    if len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Line:
    """One event in words."""

    event: AuditEvent
    who: str
    what: str
    target: str
    question_id: str | None
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class HistoryPage(Paged):
    """One page of the history, newest first."""

    lines: list[Line]


def _filtered(assessment: Assessment, catalogue: Catalogue, wanted: HistoryFilter) -> sa.Select:
    query = sa.select(AuditEvent).where(AuditEvent.assessment_id == assessment.id)
    if wanted.question:
        query = query.where(AuditEvent.target == wanted.question)
    elif wanted.principle in catalogue.principles:
        ids = [q.id for q in catalogue.principles[wanted.principle].questions]
        query = query.where(
            sa.or_(AuditEvent.target.in_(ids), AuditEvent.target == wanted.principle)
        )
    if wanted.person:
        query = query.where(AuditEvent.user_id == wanted.person)
    if wanted.since:
        query = query.where(AuditEvent.at >= datetime.combine(wanted.since, time(), UTC))
    if wanted.until and wanted.until < date.max:
        end = datetime.combine(wanted.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return query


def history_page(
    assessment: Assessment,
    catalogue: Catalogue,
    wanted: HistoryFilter,
    raw_number: str | None,
    people: Mapping[int, str],
) -> HistoryPage:
    """Return one page (newest first) of the assessment's filtered history, in words."""
    query = _filtered(assessment, catalogue, wanted)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(page_number(raw_number), pages)
    events = db.session.scalars(
        query.options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    lines = [describe(e, catalogue, people) for e in events]
    return HistoryPage(lines=lines, number=number, pages=pages, total=total)


def describe(event: AuditEvent, catalogue: Catalogue, people: Mapping[int, str]) -> Line:
    """Say what one event changed, in field names and option labels."""
    question = catalogue.questions.get(event.target)
    target = event.target
    if question is not None:
        target = f"{question.id} · {question.text}"
    elif event.target in catalogue.principles:
        target = f"{event.target} · {catalogue.principles[event.target].title}"
    elif (
        event.target in ("assessment", "status", "period", "profile")
        or event.target == "public_narrative"
    ):
        target = ""
    return Line(
        event=event,
        who=event.user.name if event.user else "(removed user)",
        what=ACTIONS.get(event.action, event.action.replace("_", " ").capitalize()),
        target=target,
        question_id=question.id if question is not None else None,
        before=_words(event.old, catalogue, event.target, people),
        after=_words(event.new, catalogue, event.target, people),
    )


def _words(value: Any, catalogue: Catalogue, target: str, people: Mapping[int, str]) -> str:
    """Turn a stored old or new value into words."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        if target == "profile":
            return _profile_words(value, catalogue)
        parts = [
            f"{FIELDS.get(str(k), str(k).replace('_', ' ').capitalize())}: "
            f"{_field_words(str(k), v, catalogue, target, people)}"
            for k, v in value.items()
            if v not in (None, "", [], {})
        ]
        return "; ".join(parts) if parts else "(empty)"
    return _plain(value)


def _field_words(
    name: str, value: Any, catalogue: Catalogue, target: str, people: Mapping[int, str]
) -> str:
    question = catalogue.questions.get(target)
    if name == "value" and question is not None:
        return catalogue.label_for(question, value)
    if name == "status":
        return status_label(value) if isinstance(value, str) else _plain(value)
    if name == "owner_id":
        return people.get(value, "a former member") if isinstance(value, int) else "nobody"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _plain(value)


def _profile_words(profile: Mapping[str, Any], catalogue: Catalogue) -> str:
    parts = []
    for field in catalogue.profile:
        if field.id in profile:
            parts.append(f"{field.text}: {field.label_for(profile[field.id])}")
    return "; ".join(parts)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def people_names(organisation_id: int) -> dict[int, str]:
    """Return the names of the organisation's members, by id."""
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
    ).all()
    return {row.id: row.name for row in rows}


CSV_HEADER = ("when_utc", "who", "what", "about", "question_id", "principle_id", "before", "after")


def history_csv(
    assessment: Assessment, catalogue: Catalogue, wanted: HistoryFilter, people: Mapping[int, str]
) -> bytes:
    """Write the filtered history (oldest first) as CSV, UTF-8 with BOM like the other CSVs."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    events = db.session.scalars(
        _filtered(assessment, catalogue, wanted)
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    for event in events:
        line = describe(event, catalogue, people)
        principle = (
            catalogue.principle_ids_by_question.get(line.question_id, "")
            if line.question_id
            else ""
        )
        writer.writerow(
            [
                event.at.strftime("%Y-%m-%d %H:%M:%S"),
                neutralise(line.who),
                line.what,
                neutralise(line.target),
                line.question_id or "",
                principle or "",
                neutralise(line.before),
                neutralise(line.after),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
