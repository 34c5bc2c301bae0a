"""The text of each page of a PDF, read by poppler's `pdftotext`.

pypdf reads a 25-page report's text in more than a second of pure Python, and the
suite reads dozens of PDFs; `pdftotext -raw` (text in the order it is drawn, as
pypdf gives it) takes a tenth of that. `.ci/run` installs poppler-utils.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def page_texts(pdf: bytes | Path) -> list[str]:
    """Return the text of each page of this PDF (its bytes, or a file)."""
    if shutil.which("pdftotext") is None:
        pytest.fail(
            "pdftotext is not installed: .ci/run installs it (apt-get install poppler-utils)"
        )
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    pages = result.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages
