"""Evidence: links and documents per question, checked by content, stored outside the web root."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from assessment.evidence import (
    ARCHIVE,
    EXECUTABLE,
    IMAGE_OR_VIDEO,
    MACROS,
    OLE,
    RefusedUpload,
    display_filename,
    sniff_document,
)
from assessment.extensions import db
from assessment.formatting import human_size
from assessment.models import Assessment, AuditEvent, Evidence, Role, Status
from tests.factories import make_assessment, make_user

QUESTION = "P1.1"

MINIMAL_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01webm"
GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(1, 40))
OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1"></svg>\n'


def zip_of(names: dict[str, str]) -> bytes:
    """Build a zip with these entries in memory, the same bytes every time.

    The bytes end up in test ids, and xdist's workers must collect the same ids: an
    entry written by name would carry the second it was written.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in names.items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
DOCX_BYTES = zip_of(
    {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": "<Relationships/>",
        "word/document.xml": "<w:document><w:body><w:p/></w:body></w:document>",
    }
)
XLSX_BYTES = zip_of(
    {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": "<Relationships/>",
        "xl/workbook.xml": "<workbook><sheets/></workbook>",
    }
)
PLAIN_ZIP = zip_of({"photos/readme.txt": "nothing to see"})


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return app_config


@pytest.fixture
def evidence_dir(app):
    from pathlib import Path

    return Path(app.config["EVIDENCE_DIR"])


def upload(client, assessment_id, data: bytes, name: str, question=QUESTION, **kw):
    return client.post(
        f"/assessments/{assessment_id}/questions/{question}/evidence/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kw,
    )


def add_link(client, assessment_id, url: str, title="Policy page", question=QUESTION, **kw):
    return client.post(
        f"/assessments/{assessment_id}/questions/{question}/evidence/link",
        data={"title": title, "url": url},
        **kw,
    )


def stored_files(evidence_dir) -> list:
    return sorted(evidence_dir.iterdir()) if evidence_dir.exists() else []


def evidence_rows(app) -> list[Evidence]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
        db.session.expunge_all()
        return rows


def audit_events(app) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "evidence").order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return events


def second_member(app, assessment_id, role: Role) -> str:
    """Add a member with this role to the assessment's organisation; return their email."""
    with app.app_context():
        organisation = db.session.get(Assessment, assessment_id).organisation
        user = make_user(organisation=organisation, role=role)
        db.session.commit()
        return user.email


def set_status(app, assessment_id, status: Status) -> None:
    with app.app_context():
        db.session.get(Assessment, assessment_id).status = status
        db.session.commit()


# --- accepted documents -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "media_type", "shown"),
    [
        (MINIMAL_PDF, "policy.pdf", "application/pdf", "policy.pdf"),
        (
            DOCX_BYTES,
            "procedure.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "procedure.docx",
        ),
        (
            XLSX_BYTES,
            "metrics.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "metrics.xlsx",
        ),
        (b"month,reports\n2026-01,12\n", "reports.csv", "text/csv", "reports.csv"),
        (
            "# Runbook\n\nEscalate to NCMEC – within 24 h.\n".encode(),
            "runbook.md",
            "text/markdown",
            "runbook.md",
        ),
        (b"Plain notes\n", "notes.txt", "text/plain", "notes.txt"),
        # The content decides the type; a misleading name gets the right extension added.
        (MINIMAL_PDF, "policy.docx", "application/pdf", "policy.docx.pdf"),
    ],
)
def test_a_document_is_stored_with_its_hash_under_a_random_key(
    client, app, logged_in, evidence_dir, data, name, media_type, shown
):
    response = upload(client, logged_in, data, name)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{logged_in}/principles/P1#P1.1")
    (row,) = evidence_rows(app)
    assert (row.kind, row.question_id, row.filename, row.media_type) == (
        "file",
        QUESTION,
        shown,
        media_type,
    )
    assert row.size == len(data)
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{32}", row.storage_key)
    assert stored_files(evidence_dir) == [evidence_dir / row.storage_key]
    assert (evidence_dir / row.storage_key).read_bytes() == data
    page = client.get(response.headers["Location"]).text
    assert shown in page
    assert row.sha256[:12] in page
    assert "uploaded to P1.1" in page


def test_the_evidence_directory_is_not_under_static(app):
    from pathlib import Path

    evidence = Path(app.config["EVIDENCE_DIR"]).resolve()
    assert not evidence.is_relative_to(Path(app.static_folder).resolve())


def test_default_evidence_directory_is_in_the_instance_folder():
    from pathlib import Path

    from assessment import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert Path(app.config["EVIDENCE_DIR"]) == Path(app.instance_path) / "evidence"
    assert app.config["EVIDENCE_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["EVIDENCE_MAX_BYTES"]


# --- refused uploads ------------------------------------------------------------------------


def test_a_png_renamed_to_pdf_is_refused_saying_why_and_nothing_is_stored(
    client, app, logged_in, evidence_dir
):
    response = upload(client, logged_in, PNG, "annual-report.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert "Images and video cannot be uploaded" in response.text
    assert "must never hold child sexual abuse material" in response.text
    assert 'id="evidence-error-P1.1"' in response.text  # also shown next to the question
    assert evidence_rows(app) == []
    assert audit_events(app) == []
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (JPEG, "photo.pdf", IMAGE_OR_VIDEO),
        (MP4, "clip.docx", IMAGE_OR_VIDEO),
        (HEIC, "scan.txt", IMAGE_OR_VIDEO),
        (WEBM, "video.csv", IMAGE_OR_VIDEO),
        (SVG, "drawing.txt", IMAGE_OR_VIDEO),
        (PLAIN_ZIP, "bundle.docx", ARCHIVE),
        (GZIP, "notes.txt", ARCHIVE),
        (OLE_DOC, "old.doc", OLE),
        (WINDOWS_EXE, "tool.pdf", EXECUTABLE),
    ],
)
def test_non_documents_are_refused_with_a_reason_and_nothing_is_stored(
    client, app, logged_in, evidence_dir, data, name, message
):
    response = upload(client, logged_in, data, name)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert message.split(":")[0] in page.replace("&#39;", "'")
    assert evidence_rows(app) == []
    assert stored_files(evidence_dir) == []


def test_an_upload_without_a_file_says_so(client, app, logged_in):
    response = client.post(
        f"/assessments/{logged_in}/questions/{QUESTION}/evidence/upload",
        data={},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Choose a document to upload." in response.text
    assert evidence_rows(app) == []


class TestSizeLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["EVIDENCE_MAX_BYTES"] = 2048
        return app_config

    def test_a_body_over_the_request_limit_gets_a_clear_413(
        self, client, app, logged_in, evidence_dir
    ):
        big = b"%PDF-1.4\n" + b"x" * (200 * 1024)
        response = upload(client, logged_in, big, "big.pdf")
        assert response.status_code == 413
        assert "The file is larger than the 2 KB limit" in response.text
        assert evidence_rows(app) == []
        assert stored_files(evidence_dir) == []

    def test_a_file_just_over_the_evidence_limit_gets_the_same_413(
        self, client, app, logged_in, evidence_dir
    ):
        response = upload(client, logged_in, b"%PDF-1.4\n" + b"x" * 2048, "big.pdf")
        assert response.status_code == 413
        assert "The file is larger than the 2 KB limit" in response.text
        assert evidence_rows(app) == []
        assert stored_files(evidence_dir) == []

    def test_a_file_at_the_limit_is_accepted(self, client, app, logged_in):
        response = upload(client, logged_in, b"%PDF-1.4\n" + b"x" * (2048 - 9), "ok.pdf")
        assert response.status_code == 302
        assert len(evidence_rows(app)) == 1


def test_a_path_in_the_file_name_is_dropped_and_the_bytes_go_under_a_random_key(
    client, app, logged_in, evidence_dir, tmp_path
):
    response = upload(client, logged_in, b"root:x:0:0\n", "../../etc/passwd.txt")
    assert response.status_code == 302
    (row,) = evidence_rows(app)
    assert row.filename == "passwd.txt"
    assert re.fullmatch(r"[0-9a-f]{32}", row.storage_key)
    assert stored_files(evidence_dir) == [evidence_dir / row.storage_key]
    assert not (tmp_path / "etc").exists()
    page = client.get(response.headers["Location"]).text
    assert ">passwd.txt<" in page
    assert "../" not in page.split('id="evidence-P1.1"')[1].split("</table>")[0]


def test_a_failed_commit_leaves_no_file(client, app, logged_in, evidence_dir, monkeypatch):
    from assessment import audit

    def broken(**kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    assert response.status_code == 500
    assert evidence_rows(app) == []
    assert stored_files(evidence_dir) == []


# --- links --------------------------------------------------------------------------------


def test_a_link_is_added_with_its_title_and_audited(client, app, logged_in):
    response = add_link(client, logged_in, "https://intranet.example.org/policy#csea")
    assert response.status_code == 302
    (row,) = evidence_rows(app)
    assert (row.kind, row.title, row.url) == (
        "link",
        "Policy page",
        "https://intranet.example.org/policy#csea",
    )
    (event,) = audit_events(app)
    assert event.target == QUESTION
    assert event.new == {
        "kind": "link",
        "title": "Policy page",
        "url": "https://intranet.example.org/policy#csea",
    }
    page = client.get(response.headers["Location"]).text
    assert 'href="https://intranet.example.org/policy#csea" rel="noopener noreferrer"' in page


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "https://example.org/" + "a" * 2000,
        "https:///no-host",
        "https://example.org/with space",
    ],
)
def test_links_that_are_not_plain_web_addresses_are_refused(client, app, logged_in, url):
    response = add_link(client, logged_in, url, follow_redirects=True)
    assert "nothing was added" in response.text
    assert evidence_rows(app) == []
    assert audit_events(app) == []


def test_a_link_needs_a_title(client, app, logged_in):
    response = add_link(client, logged_in, "https://example.org", title="", follow_redirects=True)
    assert "Link title: This field is required." in response.text
    assert evidence_rows(app) == []


# --- download -----------------------------------------------------------------------------


def test_a_member_downloads_the_exact_bytes_as_an_attachment(client, app, logged_in):
    upload(client, logged_in, DOCX_BYTES, "procédure finale.docx")
    (row,) = evidence_rows(app)
    response = client.get(f"/assessments/{logged_in}/evidence/{row.id}")
    assert response.status_code == 200
    assert response.data == DOCX_BYTES
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "proc%C3%A9dure%20finale.docx" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.mimetype == row.media_type
    assert "no-store" in response.headers["Cache-Control"]


def test_a_viewer_may_download_but_not_add_or_delete(client, app, logged_in, auth):
    upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    (row,) = evidence_rows(app)
    viewer = second_member(app, logged_in, Role.VIEWER)
    auth.logout()
    auth.login(viewer)
    assert client.get(f"/assessments/{logged_in}/evidence/{row.id}").status_code == 200
    assert upload(client, logged_in, MINIMAL_PDF, "again.pdf").status_code == 403
    assert add_link(client, logged_in, "https://example.org").status_code == 403
    assert client.post(f"/assessments/{logged_in}/evidence/{row.id}/delete").status_code == 403
    page = client.get(f"/assessments/{logged_in}/principles/P1").text
    assert "policy.pdf" in page
    assert 'form="evidence-upload-P1.1"' not in page
    assert "evidence-delete-" not in page
    assert len(evidence_rows(app)) == 1


def test_another_organisations_member_gets_404_everywhere(client, app, logged_in, auth):
    upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    (row,) = evidence_rows(app)
    with app.app_context():
        outsider = make_user().email
        db.session.commit()
    auth.logout()
    auth.login(outsider)
    assert client.get(f"/assessments/{logged_in}/evidence/{row.id}").status_code == 404
    assert upload(client, logged_in, MINIMAL_PDF, "x.pdf").status_code == 404
    assert add_link(client, logged_in, "https://example.org").status_code == 404
    assert client.post(f"/assessments/{logged_in}/evidence/{row.id}/delete").status_code == 404
    assert len(evidence_rows(app)) == 1


def test_evidence_of_another_assessment_is_not_reachable_through_this_one(
    client, app, logged_in, member
):
    upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    (row,) = evidence_rows(app)
    with app.app_context():
        user = db.session.get(Assessment, logged_in).created_by
        other = make_assessment(user, service_name="Other").id
        db.session.commit()
    assert client.get(f"/assessments/{other}/evidence/{row.id}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/assessments/{id}/evidence/1"),
        ("post", "/assessments/{id}/questions/P1.1/evidence/upload"),
        ("post", "/assessments/{id}/questions/P1.1/evidence/link"),
        ("post", "/assessments/{id}/evidence/1/delete"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, member, method, path):
    response = getattr(client, method)(path.format(id=member[1]))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_an_unknown_question_is_404(client, app, logged_in):
    assert upload(client, logged_in, MINIMAL_PDF, "x.pdf", question="P99.9").status_code == 404
    assert add_link(client, logged_in, "https://example.org", question="P1").status_code == 404
    assert evidence_rows(app) == []


def test_a_link_has_no_download(client, app, logged_in):
    add_link(client, logged_in, "https://example.org")
    (row,) = evidence_rows(app)
    assert client.get(f"/assessments/{logged_in}/evidence/{row.id}").status_code == 404


# --- delete and lock ----------------------------------------------------------------------


def test_deleting_removes_the_row_and_the_file_and_is_audited(client, app, logged_in, evidence_dir):
    upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    (row,) = evidence_rows(app)
    response = client.post(f"/assessments/{logged_in}/evidence/{row.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#P1.1")
    assert evidence_rows(app) == []
    assert stored_files(evidence_dir) == []
    added, removed = audit_events(app)
    assert added.new["sha256"] == row.sha256 and added.old is None
    assert removed.old == {
        "kind": "file",
        "filename": "policy.pdf",
        "media_type": "application/pdf",
        "size": len(MINIMAL_PDF),
        "sha256": row.sha256,
    }
    assert removed.new is None
    assert removed.target == QUESTION


def test_a_locked_assessment_refuses_every_change_with_409(client, app, logged_in, evidence_dir):
    upload(client, logged_in, MINIMAL_PDF, "policy.pdf")
    (row,) = evidence_rows(app)
    set_status(app, logged_in, Status.APPROVED)
    before = stored_files(evidence_dir)

    responses = [
        upload(client, logged_in, XLSX_BYTES, "more.xlsx"),
        add_link(client, logged_in, "https://example.org"),
        client.post(f"/assessments/{logged_in}/evidence/{row.id}/delete"),
    ]
    assert [r.status_code for r in responses] == [409, 409, 409]
    assert "approved and locked" in responses[0].text
    assert [r.id for r in evidence_rows(app)] == [row.id]
    assert stored_files(evidence_dir) == before
    assert len(audit_events(app)) == 1
    page = client.get(f"/assessments/{logged_in}/principles/P1").text
    assert "policy.pdf" in page and "evidence-delete-" not in page


def test_the_evidence_controls_sit_in_the_answers_form_and_need_its_csrf_token(app, member, auth):
    # Changed by issue 9: the controls used to submit standalone forms beside the answers
    # form, which dropped every answer typed on the page. They now submit the answers form.
    app.config["WTF_CSRF_ENABLED"] = True
    client = auth._client
    login_page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/auth/login",
        data={"email": member[0], "password": "correct horse battery", "csrf_token": token},
    )
    page = client.get(f"/assessments/{member[1]}/principles/P1").text
    assert '<form id="evidence-' not in page  # no standalone evidence forms any more
    answers_form = page.split(
        '<form method="post" enctype="multipart/form-data" novalidate id="answers"', 1
    )[1]
    answers_form = answers_form.split("</form>")[0]
    assert 'value="upload:P1.1" formenctype="multipart/form-data"' in answers_form
    token = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', answers_form
    )
    token = token.group(1)
    refused = upload(client, member[1], MINIMAL_PDF, "policy.pdf")
    assert refused.status_code == 400
    accepted = client.post(
        f"/assessments/{member[1]}/questions/{QUESTION}/evidence/upload",
        data={"file": (io.BytesIO(MINIMAL_PDF), "policy.pdf"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 302
    assert len(evidence_rows(app)) == 1


# --- the sniffing rules, directly ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "media_type"),
    [
        (b"BMI figures by region\n", "notes.txt", "text/plain"),  # starts like a bitmap
        (b"MZ region,count\nnorth,3\n", "regions.csv", "text/csv"),  # starts like a program
        ("\ufeffUTF-8 with a byte order mark\n".encode(), "bom.md", "text/markdown"),
        (b"no extension at all\n", "README", "text/plain"),
        (b"<html><body>notes</body></html>\n", "page.html", "text/plain"),
    ],
)
def test_text_is_accepted_whatever_its_first_letters(data, name, media_type):
    assert sniff_document(data[:4096], data, name)[0] == media_type


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"plain\x00text", "not a document"),
        ("caf\xe9".encode("latin-1"), "UTF-8"),
        ("utf-16".encode("utf-16"), "UTF-8"),
        (
            zip_of({"[Content_Types].xml": "", "word/document.xml": "", "word/vbaProject.bin": ""}),
            MACROS,
        ),
        (zip_of({"[Content_Types].xml": "", "ppt/presentation.xml": ""}), "Word (DOCX)"),
        (b"PK\x03\x04 not really a zip", "Archives"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "Images and video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "Images and video"),
        (b"\x00\x00\x01\xba\x44\x00", "Images and video"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "Archives"),
        (b"Rar!\x1a\x07\x01\x00", "Archives"),
        (b"\xfd7zXZ\x00\x00\x04", "Archives"),
        (b"BZh91AY&SY\x00\xff", "Archives"),
        (b"a" * 257 + b"ustar\x0000" + b"\x00" * 100, "Archives"),
        (b"\x7fELF\x02\x01\x01\x00", "Programs"),
    ],
)
def test_refusals_name_the_reason(data, fragment):
    with pytest.raises(RefusedUpload) as refused:
        sniff_document(data[:4096], data, "file.txt")
    assert fragment in refused.value.message


def test_a_zip_is_only_listed_never_extracted(monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    assert sniff_document(DOCX_BYTES[:4096], io.BytesIO(DOCX_BYTES))[1] == "DOCX"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\evil.html", "evil.html.txt"),
        ("...", "document.txt"),
        ("line\nbreak\x07.txt", "linebreak.txt"),
        ("notes.markdown", "notes.markdown"),
    ],
)
def test_display_names_lose_paths_and_control_characters(name, shown):
    from assessment.evidence import MARKDOWN, TEXT

    kind = MARKDOWN if name.endswith(".markdown") else TEXT
    assert display_filename(name, kind) == shown


def test_sizes_read_naturally():
    assert [human_size(n) for n in (1, 812, 2048, 1536, 10 * 1024 * 1024)] == [
        "1 byte",
        "812 bytes",
        "2 KB",
        "1.5 KB",
        "10 MB",
    ]
