"""Downloads of an assessment: the issued copy, a cached render, or a fresh one.

Rendering a PDF takes seconds, so a rendered PDF is stored (`RenderedDocument`,
in the database, shared by every app host) under a fingerprint of everything
it shows; the next download of an unchanged assessment serves those bytes.
The render itself runs with no transaction open, and the store is a short
transaction of its own. Only the JSON export and the full report show (parts
of) the audit trail, so only they read it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path

import sqlalchemy as sa

from assessment.catalogue import Catalogue
from assessment.db import end_read_transaction, write_transaction
from assessment.extensions import db
from assessment.models import Assessment, Job, RenderedDocument, Status
from assessment.results import ScoredAssessment
from assessment.snapshot import issued_report, score_stored
from reports import render

CACHED_FORMATS = frozenset({"pdf", "public.pdf", "board.pdf"})
# The only documents that show the audit trail: the JSON export carries it, and
# the full report names contributors, reviewer comments and who changed what.
AUDITED_FORMATS = frozenset({"json", "pdf"})


class IssuedCopyPending(Exception):
    """An approved assessment whose issued PDF is not stored yet; `job` says how it is going."""

    def __init__(self, job: Job | None):
        super().__init__("the issued PDF is not ready")
        self.job = job


def document(assessment: Assessment, fmt: str, catalogue: Catalogue) -> bytes:
    """Return the bytes of one download of an assessment, rendering only when needed."""
    if fmt == "pdf" and assessment.status == Status.APPROVED:
        issued = issued_report(assessment)
        if issued is None:
            from assessment.jobs import latest_job

            raise IssuedCopyPending(latest_job(assessment.id))
        return issued.pdf
    scored = score_stored(assessment, catalogue, with_audit=fmt in AUDITED_FORMATS)
    if fmt not in CACHED_FORMATS:
        return render(fmt, scored, catalogue)
    key = render_fingerprint(fmt, scored)
    assessment_id = assessment.id
    cached = db.session.scalar(
        sa.select(RenderedDocument.body).where(
            RenderedDocument.assessment_id == assessment_id,
            RenderedDocument.kind == fmt,
            RenderedDocument.fingerprint == key,
        )
    )
    if cached is not None:
        return cached
    end_read_transaction(db.session)  # nothing is open while the PDF renders
    body = render(fmt, scored, catalogue)
    _store(assessment_id, fmt, key, body)
    return body


def _store(assessment_id: int, fmt: str, key: str, body: bytes) -> None:
    """Keep this render as the one cached for the assessment and format."""
    try:
        with write_transaction(db.session):
            db.session.execute(
                sa.delete(RenderedDocument).where(
                    RenderedDocument.assessment_id == assessment_id, RenderedDocument.kind == fmt
                )
            )
            db.session.add(
                RenderedDocument(assessment_id=assessment_id, kind=fmt, fingerprint=key, body=body)
            )
    except sa.exc.IntegrityError:
        pass  # a concurrent download stored its render first, or the assessment is gone


def render_fingerprint(fmt: str, scored: ScoredAssessment) -> str:
    """Return the sha256 of everything a rendered document of this format depends on.

    That is the scored assessment in full (answers, evidence, profile, owners,
    status, dates, trend, catalogue fingerprint) and the renderer's own
    templates and code, so a new release never serves an old layout.
    """
    data = dataclasses.asdict(scored)
    text = json.dumps(
        {"format": fmt, "renderer": _renderer_fingerprint(), "scored": data},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _renderer_fingerprint() -> str:
    """Return the sha256 of the report templates, stylesheet and rendering code."""
    from reports import pdf

    digest = hashlib.sha256()
    code = Path(pdf.__file__).parent
    files = sorted(
        [*(pdf.TEMPLATES_DIR / "report").glob("*.html"), *code.glob("*.py"), *code.glob("*.css")]
    )
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
