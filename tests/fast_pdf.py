"""A fast stand-in for WeasyPrint's layout, for tests that only need a PDF's bytes.

Everything up to the renderer still runs: the report is scored, its HTML is
rendered from the templates, and its attachments are built. Only
`reports.pdf._write_pdf` (WeasyPrint's parsing, layout and PDF writing: seconds
for a full report) is replaced by a one-page PDF that pypdf writes in milliseconds. The
page carries no text of the report: a test that reads the PDF must say so with
`@pytest.mark.real_pdf` and gets WeasyPrint. The stand-in embeds the same
attachments and records a digest of the document and attachments, so different
reports give different bytes (their sha256 differ) and the same stored copy
stays byte for byte the same.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from pypdf import PdfWriter

PRODUCER = "tests/fast_pdf.py (a stand-in for WeasyPrint)"
A4_POINTS = (595.28, 841.89)


def _attachment_bytes(attachment: Any) -> bytes:
    """Read an attachment's content the way WeasyPrint does when it embeds it."""
    with attachment.source as (file_obj, _url, _base, _mime_type):
        data = file_obj.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def write_pdf(document_html: str, attachments: list[Any]) -> bytes:
    """Stand in for `reports.pdf._write_pdf`: a small valid PDF of the same document."""
    digest = hashlib.sha256(document_html.encode("utf-8"))
    writer = PdfWriter()
    writer.add_blank_page(*A4_POINTS)
    for attachment in attachments:
        data = _attachment_bytes(attachment)
        digest.update(data)
        writer.add_attachment(attachment.name or "attachment.bin", data)
    writer.add_metadata({"/Producer": PRODUCER, "/Subject": f"sha256 {digest.hexdigest()}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
