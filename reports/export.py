"""Export a scored assessment as CSV (one row per question) or JSON (everything).

CSV is written as UTF-8 with a byte-order mark: Excel, which is what most
readers of this file will open it with, reads a BOM-less CSV in the legacy
Windows code page and garbles every non-ASCII character (organisation names,
curly quotes in comments). Python (`utf-8-sig`), pandas and LibreOffice all
accept the BOM. Rows end in CRLF as RFC 4180 asks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from assessment.method import numbered
from assessment.results import (
    AuditEntry,
    CommentEntry,
    EvidenceItem,
    Gap,
    PrincipleResult,
    QuestionResult,
    ScoredAssessment,
    ThemeResult,
    Trend,
)

# 1.1 added evidence, owners and due dates, the trend, the assessment
# fingerprint, the public narrative, approval and the audit trail; 1.2 the
# period, the attestation and the approver's role, answers carried forward
# and not yet confirmed, and the question comment threads.
SCHEMA_VERSION = "1.2"

CSV_HEADER = (
    "theme_id",
    "theme",
    "principle_id",
    "principle",
    "question_id",
    "question",
    "applicable",
    "scope_reason",
    "answer",
    "comment",
    "evidence_count",
    "score",
    "principle_band",
    "principle_owner",
    "due_date",
    "is_gap",
    "priority",
    "recommendation",
)

# Spreadsheets run a cell that starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return can hide such a start.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Return a text cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _number(value: float | None) -> str:
    # Up to four decimals, without trailing zeros: 75, 0.5, 2.25.
    return "" if value is None else f"{round(value, 4):g}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def to_csv(scored: ScoredAssessment) -> bytes:
    """Write one CSV row per catalogue question, with a header row, as UTF-8 with BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for theme in scored.themes:
        for principle in theme.principles:
            for q in principle.questions:
                text_cells = [
                    theme.id,
                    theme.title,
                    principle.id,
                    principle.title,
                    q.id,
                    q.text,
                    _yes_no(q.applicable),
                    q.scope_reason or "",
                    q.answer_label,
                    q.comment,
                ]
                writer.writerow(
                    [neutralise(c) for c in text_cells]
                    + [
                        str(len(q.evidence)),
                        _number(q.score),
                        neutralise(principle.band),
                        neutralise(principle.owner),
                        _plain(principle.due_date) or "",
                        _yes_no(q.is_gap),
                        _number(q.priority) if q.is_gap else "",
                        neutralise(q.recommendation) if q.is_gap else "",
                    ]
                )
    return out.getvalue().encode("utf-8-sig")


def _plain(value: Any) -> Any:
    """Turn answer and profile values into JSON types, dates as ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _evidence(e: EvidenceItem) -> dict[str, Any]:
    # Metadata only: the file bytes stay in evidence storage, links are not followed.
    return {
        "kind": e.kind,
        "title": e.title,
        "url": e.url,
        "filename": e.filename,
        "media_type": e.media_type,
        "size": e.size,
        "sha256": e.sha256,
    }


def _question(q: QuestionResult) -> dict[str, Any]:
    return {
        "id": q.id,
        "principle_id": q.principle_id,
        "text": q.text,
        "type": q.type,
        "weight": q.weight,
        "applicable": q.applicable,
        "scope_reason": q.scope_reason,
        "answered": q.answered,
        "value": _plain(q.value),
        "answer_label": q.answer_label,
        "comment": q.comment,
        "scored": q.scored,
        "score": q.score,
        "is_gap": q.is_gap,
        "priority": q.priority,
        "recommendation": q.recommendation,
        "note": q.note,
        "evidence": [_evidence(e) for e in q.evidence],
        "carried_forward": q.carried_forward,
    }


def _principle(p: PrincipleResult) -> dict[str, Any]:
    return {
        "id": p.id,
        "theme_id": p.theme_id,
        "title": p.title,
        "statement": p.statement,
        "weight": p.weight,
        "applicable": p.applicable,
        "scope_reason": p.scope_reason,
        "score": p.score,
        "display_score": p.display_score,
        "band": p.band,
        "band_colour": p.band_colour,
        "completion": p.completion,
        "answered_count": p.answered_count,
        "carried_count": p.carried_count,
        "applicable_count": p.applicable_count,
        "owner": p.owner,
        "due_date": _plain(p.due_date),
        "questions": [_question(q) for q in p.questions],
    }


def _theme(t: ThemeResult) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "score": t.score,
        "display_score": t.display_score,
        "band": t.band,
        "band_colour": t.band_colour,
        "completion": t.completion,
        "principles": [_principle(p) for p in t.principles],
    }


def _gap(g: Gap, rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "question_id": g.question_id,
        "principle_id": g.principle_id,
        "theme_id": g.theme_id,
        "question_text": g.question_text,
        "recommendation": g.recommendation,
        "score": g.score,
        "priority": g.priority,
        "answered": g.answered,
        "owner": g.owner,
        "due_date": _plain(g.due_date),
    }


def _trend(trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "previous_assessment_id": trend.previous_assessment_id,
        "previous_approved_at": _plain(trend.previous_approved_at),
        "previous_score": trend.previous_score,
        "rows": [
            {
                "principle_id": r.principle_id,
                "title": r.title,
                "previous": r.previous,
                "current": r.current,
                "change": r.change,
            }
            for r in trend.rows
        ],
    }


def _audit(e: AuditEntry) -> dict[str, Any]:
    return {
        "at": _plain(e.at),
        "who": e.who,
        "action": e.action,
        "target": e.target,
        "old": _plain(e.old),
        "new": _plain(e.new),
    }


def _comment(c: CommentEntry) -> dict[str, Any]:
    return {
        "id": c.id,
        "thread_id": c.thread_id,
        "question_id": c.question_id,
        "at": _plain(c.at),
        "who": c.who,
        "body": c.body,
        "resolved_at": _plain(c.resolved_at),
        "resolved_by": c.resolved_by,
    }


def to_dict(scored: ScoredAssessment) -> dict[str, Any]:
    """Return the whole scored assessment as plain JSON-ready data."""
    info = scored.info
    return {
        "schema_version": SCHEMA_VERSION,
        "assessment": {
            "id": info.assessment_id,
            "organisation": info.organisation,
            "service": info.service,
            "status": info.status,
            "created_at": _plain(info.created_at),
            "updated_at": _plain(info.updated_at),
            "fingerprint": scored.fingerprint,
            "approved_at": _plain(info.approved_at),
            "approved_by": info.approved_by,
            "approved_by_role": info.approved_by_role,
            "attestation": info.attestation,
            "period": info.period,
            "previous_assessment_id": info.previous_assessment_id,
            "public_narrative": info.public_narrative,
        },
        "catalogue": {
            "id": scored.catalogue_id,
            "title": scored.catalogue_title,
            "version": scored.catalogue_version,
            "fingerprint": scored.catalogue_fingerprint,
            "source_title": scored.source_title,
            "source_date": scored.source_date,
        },
        "profile": [
            {"id": a.id, "text": a.text, "value": _plain(a.value), "label": a.label}
            for a in scored.profile
        ],
        "result": {
            "score": scored.score,
            "display_score": scored.display_score,
            "band": scored.band,
            "band_colour": scored.band_colour,
            "completion": scored.completion,
        },
        "themes": [_theme(t) for t in scored.themes],
        "gaps": [_gap(g, i) for i, g in enumerate(scored.gaps, start=1)],
        "trend": _trend(scored.trend),
        "audit": [_audit(e) for e in scored.info.audit],
        "comments": [_comment(c) for c in scored.info.comments],
        "method": numbered(scored.method),
    }


def to_json(scored: ScoredAssessment) -> bytes:
    """Serialise the scored assessment as UTF-8 JSON with sorted keys, byte-stable."""
    text = json.dumps(to_dict(scored), sort_keys=True, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
