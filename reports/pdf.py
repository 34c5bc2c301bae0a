"""Render a scored assessment as a PDF report with WeasyPrint.

The HTML comes from `templates/report/` through a plain, autoescaping Jinja
environment (no Flask), so the same function serves the web download, the
CLI and batch jobs. The PDF is PDF/A-3b with the JSON export embedded as
`assessment.json`, which lets a reader recover the data from the document.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML, Attachment
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration

from assessment.catalogue import Catalogue, Mapping_
from assessment.coverage import DISCLAIMER, MAPPINGS_NOTE, ItemStatus, all_coverage, rule_items
from assessment.formatting import human_size, signed, status_label
from assessment.resources import TEMPLATES_DIR
from assessment.results import Gap, ScoredAssessment, round_half_up, score_change
from reports import content
from reports.assets import ASSETS_DIR
from reports.charts import assessment_charts, trend_chart
from reports.export import to_json
from reports.fetcher import AssetFetcher
from reports.textwidth import text_width, wrap

STYLESHEET = ASSETS_DIR / "report.css"
# The trailing slash makes relative URLs (fonts/...) resolve inside reports/.
BASE_URL = ASSETS_DIR.as_uri() + "/"
PDF_VARIANT = "pdf/a-3b"
# Tagged PDF gives screen readers the headings, lists and tables in reading
# order. Checked on WeasyPrint 70: the pages are pixel-identical untagged and
# tagged, and qpdf --check passes; the cost is a larger file and a slower render.
PDF_OPTIONS = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
ATTACHMENT_NAME = "assessment.json"
TOP_ACTIONS = 5

# WeasyPrint does not promise that one FontConfiguration can serve two
# renders at once, and the shared one is what makes rendering fast; so
# renders in one process take turns (issued PDFs are stored, not re-rendered).
_RENDER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails loudly, not as blank text
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    # Parsing the CSS registers the @font-face fonts in this FontConfiguration,
    # so both are built once and reused together for every report.
    font_config = FontConfiguration()
    css = CSS(
        filename=STYLESHEET,
        base_url=BASE_URL,
        url_fetcher=AssetFetcher(),
        font_config=font_config,
    )
    return css, font_config


def _na_line(reason: str | None) -> str:
    reason = (reason or "").strip()
    if reason.lower().startswith("not applicable"):
        return reason
    return f"Not applicable: {reason or 'no reason recorded.'}"


def _mappings(catalogue: Catalogue) -> list[tuple[str, Mapping_]]:
    return [(q.id, m) for q in catalogue.questions.values() for m in q.mappings]


def _trend_chart(scored: ScoredAssessment) -> Markup | None:
    if scored.trend is None:
        return None
    rows = [(f"{r.principle_id} {r.title}", r.previous, r.current) for r in scored.trend.rows]
    return Markup(trend_chart(rows))


def render_html(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> str:
    """Return the report as HTML, the input WeasyPrint lays out.

    With `issued_at` the cover says "Issued <date>" (the stored, approved copy);
    without it the document is a working copy and says when it was generated.
    """
    is_issued = issued_at is not None
    issued_at = issued_at or datetime.now(UTC)
    status = scored.info.status
    charts = assessment_charts(scored)
    context: dict[str, Any] = {
        "scored": scored,
        "title": f"{scored.info.organisation}: {scored.info.service} - self-assessment report",
        "issued_at": issued_at,
        "is_issued": is_issued,
        "is_draft": status != "approved",
        "short_fingerprint": scored.catalogue_fingerprint[:12],
        "top_gaps": scored.gaps[:TOP_ACTIONS],
        "principle_titles": {p.id: p.title for p in scored.principles},
        # Charts escape their own labels; Markup stops Jinja escaping the SVG tags.
        "principle_chart": Markup(charts["principles"]),
        "theme_chart": Markup(charts["themes"]),
        "trend_chart": _trend_chart(scored),
        "human_size": human_size,
        "signed": signed,
        "display": round_half_up,
        "method_steps": scored.method,
        "na_line": _na_line,
        "bands": catalogue.scoring.bands,
        "scales": catalogue.spec.scales,
        "mappings": _mappings(catalogue),
        "coverage": all_coverage(scored, catalogue),
        "coverage_statuses": list(ItemStatus),
        "coverage_rule": rule_items(),
        "coverage_disclaimer": DISCLAIMER,
        "mappings_note": MAPPINGS_NOTE,
        "catalogue_mismatch": catalogue.fingerprint != scored.catalogue_fingerprint,
        "catalogue_version": catalogue.version,
        "catalogue_fingerprint": catalogue.fingerprint[:12],
        **_shared_context(scored),
        "plan": content.action_plan(scored),
        "out_of_scope": content.out_of_scope(scored),
        "is_scoped_out": content.is_scoped_out,
        "scoped_out_of": content.scoped_out_of,
        "contributors": content.contributors(scored.info.audit),
        "review_notes": content.review_notes(scored.info.audit),
        "priority_words": content.PRIORITY_WORDS,
        "priority_formula": content.PRIORITY_FORMULA,
    }
    return _environment().get_template("report/report.html").render(context)


def _shared_context(scored: ScoredAssessment) -> dict[str, Any]:
    """Return what the full report and the board page both print."""
    return {
        "signed_off": content.is_signed_off(scored),
        "status_label": status_label,
        "status_phrase": content.status_phrase,
    }


def _layout(html: HTML, attachments: list[Attachment]) -> Document:
    """Lay out the pages (the caller holds the render lock)."""
    css, font_config = _stylesheet()
    return html.render(
        font_config=font_config, stylesheets=[css], attachments=attachments, **PDF_OPTIONS
    )


def _html(document_html: str) -> HTML:
    return HTML(string=document_html, base_url=BASE_URL, url_fetcher=AssetFetcher())


def _write_pdf(document_html: str, attachments: list[Attachment]) -> bytes:
    """Parse, lay out and write the document: the one seam the tests' fast stand-in replaces."""
    with _RENDER_LOCK:
        html = _html(document_html)
        return _layout(html, attachments).write_pdf(attachments=attachments, **PDF_OPTIONS)


def layout_document(document_html: str) -> Document:
    """Lay out report HTML into pages exactly as the PDF renderers do, for layout checks."""
    with _RENDER_LOCK:
        return _layout(_html(document_html), [])


def render_pdf(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> bytes:
    """Render the assessment report as PDF/A-3b bytes with the JSON export attached."""
    stamp = issued_at or datetime.now(UTC)
    attachment = Attachment(
        string=to_json(scored),
        base_url=BASE_URL,
        url_fetcher=AssetFetcher(),
        name=ATTACHMENT_NAME,
        description="The scored assessment as JSON (reports/assessment.schema.json)",
        created=stamp,
        modified=stamp,
        relationship="Data",
    )
    return _write_pdf(render_html(scored, catalogue, issued_at=issued_at), [attachment])


def public_summary_html(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> str:
    """Return the public summary as HTML: scores, charts and the public narrative only."""
    info = scored.info
    charts = assessment_charts(scored)
    # The template gets named public facts, never `scored`, so no comment,
    # evidence, owner, audit entry or review note can reach it by accident.
    themes = [
        {
            "id": t.id,
            "title": t.title,
            "display_score": t.display_score,
            "band": t.band,
            "band_colour": t.band_colour,
            "principles": [
                {
                    "id": p.id,
                    "title": p.title,
                    "display_score": p.display_score,
                    "band": p.band,
                    "band_colour": p.band_colour,
                    "applicable": p.applicable,
                }
                for p in t.principles
            ],
        }
        for t in scored.themes
    ]
    context: dict[str, Any] = {
        "title": f"{info.organisation}: {info.service} - public summary",
        "organisation": info.organisation,
        "service": info.service,
        "source_title": scored.source_title,
        "catalogue_title": scored.catalogue_title,
        "catalogue_version": scored.catalogue_version,
        "approved_at": info.approved_at if info.status == "approved" else None,
        "period": info.period.strip(),
        "is_draft": info.status != "approved",
        "issued_at": issued_at or datetime.now(UTC),
        "display_score": scored.display_score,
        "band": scored.band,
        "band_colour": scored.band_colour,
        "narrative": info.public_narrative.strip(),
        "themes": themes,
        "fingerprint": scored.fingerprint,
        "principle_chart": Markup(charts["principles"]),
        "theme_chart": Markup(charts["themes"]),
    }
    return _environment().get_template("report/public.html").render(context)


def render_public_summary(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> bytes:
    """Render the short publishable summary (principle 11) as PDF/A-3b, with nothing attached."""
    return _write_pdf(public_summary_html(scored, catalogue, issued_at=issued_at), [])


# The board page is one A4 page whatever the data: free text is cut to these
# many lines (the full text is in the report), and the lists have fixed lengths.
BOARD_ACTIONS = 5
BOARD_TEXT_WIDTH_PT = 470  # a little under the page's 487 pt list width, so a cut line fits
BOARD_THEME_WIDTH_PT = 225  # the theme column holds 84 mm (238 pt) of text


def clamp(text: str, width_pt: float, size_pt: float, lines: int, *, bold: bool = False) -> str:
    """Return text cut to at most `lines` lines of `width_pt`, with an ellipsis when cut."""
    text = " ".join(text.split())
    wrapped = wrap(text, width_pt, size_pt, bold=bold)
    if len(wrapped) <= lines:
        return text
    # Keep the original text of the first lines (a word broken across lines has no space).
    position = 0
    for line in wrapped[: lines - 1]:
        position += len(line) + (text[position + len(line) : position + len(line) + 1] == " ")
    last = wrapped[lines - 1]
    while last and text_width(last + "\u2026", size_pt, bold=bold) > width_pt:
        last = last[:-1]
    return text[:position] + last.rstrip() + "\u2026"


def _action_where(gap: Gap, principle_title: str) -> str:
    owner = f"Owner: {gap.owner}" if gap.owner else "no owner yet"
    if gap.owner and gap.due_date:
        owner += f", due {gap.due_date:%d %b %Y}"
    state = "" if gap.answered else " \u00b7 not answered yet"
    return f"{gap.question_id}{state} \u00b7 {owner} \u00b7 {principle_title}"


def board_html(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> str:
    """Return the one-page board summary as HTML: scores, change, top actions, sign-off."""
    info = scored.info
    trend = scored.trend
    themes = [
        {
            "id": t.id,
            "title": clamp(f"{t.id}: {t.title}", BOARD_THEME_WIDTH_PT, 9, 2),
            "display_score": t.display_score,
            "band": t.band,
            "band_colour": t.band_colour,
            "change": signed(trend.theme_change(t)) if trend else None,
        }
        for t in scored.themes
    ]
    titles = {p.id: p.title for p in scored.principles}
    overall_change = score_change(trend.previous_score, scored.score) if trend else None
    actions = [
        {
            "rank": rank,
            "action": clamp(
                gap.recommendation or gap.question_text, BOARD_TEXT_WIDTH_PT, 8.5, 2, bold=True
            ),
            "where": clamp(
                _action_where(gap, titles[gap.principle_id]), BOARD_TEXT_WIDTH_PT, 7.5, 1
            ),
        }
        for rank, gap in enumerate(scored.gaps[:BOARD_ACTIONS], start=1)
    ]
    context: dict[str, Any] = {
        "title": f"{info.organisation}: {info.service} - board summary",
        "organisation": clamp(info.organisation, BOARD_TEXT_WIDTH_PT, 13, 1, bold=True),
        "service": clamp(info.service, BOARD_TEXT_WIDTH_PT, 10, 2),
        "info": info,
        "approved_by": clamp(info.approved_by, 200, 9, 1),
        "approved_by_role": clamp(info.approved_by_role, 200, 9, 1),
        "period": clamp(info.period, 200, 9, 1),
        "scored": scored,
        "themes": themes,
        "actions": actions,
        "gap_count": len(scored.gaps),
        "trend": trend,
        "changes": scored.changes,
        "overall_change": None if overall_change is None else signed(overall_change),
        "issued_at": issued_at or datetime.now(UTC),
        "is_draft": info.status != "approved",
        "fingerprint": scored.fingerprint[:16],
        "display": round_half_up,
        **_shared_context(scored),
    }
    return _environment().get_template("report/board.html").render(context)


def render_board_pdf(
    scored: ScoredAssessment, catalogue: Catalogue, *, issued_at: datetime | None = None
) -> bytes:
    """Render the one-page board summary as PDF/A-3b."""
    return _write_pdf(board_html(scored, catalogue, issued_at=issued_at), [])
