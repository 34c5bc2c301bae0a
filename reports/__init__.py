"""Turn a scored assessment into documents: PDF, CSV and JSON, as bytes.

Nothing here queries a database or imports Flask, so the web download, the
CLI and batch jobs all call the same functions.
"""

from reports.export import to_csv, to_dict, to_json
from reports.pdf import render_html, render_pdf

__all__ = ["render_html", "render_pdf", "to_csv", "to_dict", "to_json"]
