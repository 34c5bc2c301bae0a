"""Downloads: cached renders of unchanged assessments, rendered outside transactions.

Also: only the documents that show the audit trail (JSON export, full report) read it.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from assessment import documents
from assessment.extensions import db
from assessment.models import RenderedDocument
from tests.sqlite_lock import write_lock_free


@pytest.fixture
def renders(app, monkeypatch):
    """Count renders by format, noting whether any transaction or write lock was held."""
    calls = []
    real = documents.render

    def counted(fmt, scored, catalogue):
        calls.append((fmt, db.session().in_transaction(), write_lock_free(app)))
        return real(fmt, scored, catalogue)

    monkeypatch.setattr(documents, "render", counted)
    return calls


@pytest.mark.parametrize("fmt", ["pdf", "public.pdf"])
def test_an_unchanged_draft_is_rendered_once_and_served_from_the_cache(
    app, client, logged_in, renders, fmt
):
    aid = logged_in
    url = f"/assessments/{aid}/" + ("summary.pdf" if fmt == "public.pdf" else "report.pdf")
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data.startswith(b"%PDF-")
    assert second.data == first.data
    assert [call[0] for call in renders] == [fmt]
    # Rendered with nothing open: no snapshot kept, nobody's writes held up.
    assert renders[0][1] is False
    assert renders[0][2] in (True, None)
    with app.app_context():
        rows = db.session.scalars(sa.select(RenderedDocument)).all()
        assert [(r.assessment_id, r.kind, r.body == first.data) for r in rows] == [(aid, fmt, True)]

    # A change to the content renders again, and replaces the cached copy.
    saved = client.post(
        f"/assessments/{aid}/principles/P1",
        data={"q_P1_1-answer": "4", "q_P1_1-comment": "now leading", "q_P1_1-base_version": "0"},
    )
    assert saved.status_code == 302
    third = client.get(url)
    assert third.data != first.data
    assert [call[0] for call in renders] == [fmt, fmt]
    assert client.get(url).data == third.data
    assert len(renders) == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RenderedDocument.id))) == 1


def test_the_cache_key_covers_what_the_document_shows(app, logged_in):
    from assessment.extensions import current_catalogue
    from assessment.models import Assessment
    from assessment.snapshot import score_stored

    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        scored = score_stored(assessment, current_catalogue())
        key = documents.render_fingerprint("pdf", scored)
        assert documents.render_fingerprint("pdf", scored) == key
        assert documents.render_fingerprint("public.pdf", scored) != key
        assessment.service_name = "Renamed"
        renamed = score_stored(assessment, current_catalogue())
        assert documents.render_fingerprint("pdf", renamed) != key
        db.session.rollback()


@contextmanager
def statements(app):
    """Collect the SQL statements run inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("path", "reads_audit"),
    [
        ("report.csv", False),
        ("report.xlsx", False),
        ("summary.pdf", False),
        ("board.pdf", False),
        ("report.pdf", True),
        ("report.json", True),
    ],
)
def test_only_documents_that_show_the_audit_trail_read_it(
    app, client, logged_in, path, reads_audit
):
    with statements(app) as seen:
        response = client.get(f"/assessments/{logged_in}/{path}")
    assert response.status_code == 200
    audit_reads = [
        s for s in seen if s.lstrip().upper().startswith("SELECT") and "audit_event" in s
    ]
    assert bool(audit_reads) is reads_audit, audit_reads


def test_a_cached_pdf_is_rendered_again_when_the_coverage_rule_changes():
    """The PDF prints the coverage rule and counts, which the scored assessment does not hold."""
    from pathlib import Path

    from assessment import coverage

    files = documents.renderer_files()
    assert Path(coverage.__file__) in files
    assert any(p.name == "_appendix.html" for p in files)
