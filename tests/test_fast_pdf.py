"""The stand-in renderer most tests use: a real seam that still yields a valid PDF."""

import hashlib
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

import reports.pdf
from assessment.catalogue import load_catalogue
from reports.export import to_json
from reports.pdf import ATTACHMENT_NAME, render_pdf, render_public_summary
from tests import fast_pdf
from tests.report_data import ISSUED_AT, sample_scored


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_the_stand_in_replaces_weasyprint_unless_a_test_asks_for_the_real_one():
    assert reports.pdf._write_pdf is fast_pdf.write_pdf


@pytest.mark.real_pdf
def test_a_real_pdf_test_gets_weasyprint():
    assert reports.pdf._write_pdf is not fast_pdf.write_pdf


def test_the_stand_in_writes_a_valid_pdf_carrying_the_json_attachment(catalogue, tmp_path):
    scored = sample_scored("approved", catalogue=catalogue)
    pdf = render_pdf(scored, catalogue, issued_at=ISSUED_AT)
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-") and len(reader.pages) == 1
    assert reader.metadata["/Producer"] == fast_pdf.PRODUCER
    assert reader.attachments[ATTACHMENT_NAME] == [to_json(scored)]
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf is not installed: .ci/run installs it (apt-get install qpdf)")
    path = tmp_path / "stand-in.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_different_reports_give_different_bytes(catalogue):
    draft = sample_scored("draft", catalogue=catalogue)
    approved = sample_scored("approved", catalogue=catalogue)
    digests = {
        hashlib.sha256(render(scored, catalogue, issued_at=ISSUED_AT)).hexdigest()
        for scored in (draft, approved)
        for render in (render_pdf, render_public_summary)
    }
    assert len(digests) == 4
