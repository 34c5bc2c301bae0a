"""Add and remove the evidence of an answer: each change touches the assessment and is audited.

The checks on what may be stored (links, document content) are in
`assessment.evidence`; where the bytes live, in `assessment.storage`. The
caller commits, and discards stored bytes whose row did not commit.
"""

from __future__ import annotations

from assessment import audit
from assessment.editing import touch_assessment
from assessment.evidence import StoredFile
from assessment.extensions import db
from assessment.models import Assessment, Evidence, User
from assessment.storage import Storage


def add_link(
    assessment: Assessment, question_id: str, user: User, title: str, url: str
) -> Evidence:
    """Add a checked web link as evidence for one question."""
    item = Evidence(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        question_id=question_id,
        kind="link",
        title=title,
        url=url,
        uploaded_by_id=user.id,
    )
    touch_assessment(assessment)
    db.session.add(item)
    audit.record_for(assessment, user, "evidence", question_id, new=described(item))
    return item


def add_document(
    assessment: Assessment, question_id: str, user: User, stored: StoredFile, storage: Storage
) -> Evidence:
    """Add an accepted, stored document as evidence for one question."""
    touch_assessment(assessment)
    item = Evidence(
        organisation_id=assessment.organisation_id,
        assessment_id=assessment.id,
        question_id=question_id,
        kind="file",
        title=stored.filename,
        filename=stored.filename,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        uploaded_by_id=user.id,
    )
    db.session.add(item)
    storage.attach(item)
    audit.record_for(assessment, user, "evidence", question_id, new=described(item))
    return item


def remove_evidence(assessment: Assessment, item: Evidence, user: User) -> None:
    """Remove one piece of evidence (its stored bytes go after the commit, by the caller)."""
    touch_assessment(assessment)
    audit.record_for(assessment, user, "evidence", item.question_id, old=described(item))
    db.session.delete(item)


def described(item: Evidence) -> dict[str, object]:
    """Return what the audit trail keeps of a piece of evidence."""
    if item.kind == "link":
        return {"kind": "link", "title": item.title, "url": item.url}
    return {
        "kind": "file",
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
    }
