import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
from pypdf import PdfReader

from assessment.catalogue import build_catalogue, load_catalogue
from reports import fetcher as fetcher_module
from reports.export import to_json
from reports.fetcher import ASSETS_DIR, AssetFetcher, AssetFetchRefused, asset_path
from reports.pdf import ATTACHMENT_NAME, BASE_URL, render_html, render_pdf
from tests.pdf_text import page_texts as pdf_page_texts
from tests.rendered import rendered
from tests.report_data import (
    APPROVED_AT,
    APPROVER,
    EVIDENCE,
    ISSUED_AT,
    OWNERS,
    expanded_catalogue,
    sample_scored,
)

# These tests read the PDF itself: WeasyPrint lays it out, not the fast stand-in.
pytestmark = pytest.mark.real_pdf

HOSTILE = {
    "P1.1": "Checked by <script>alert(1)</script> the team",
    "P3.1": 'See <img src="http://example.com/x.png"> and <a href="file:///etc/passwd">this</a>',
    "P7.1": '<link rel="stylesheet" href="file:///etc/passwd"><style>@import url(http://example.com/a.css);</style>',
}


def normalise(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    """Drop all whitespace: a line may break inside a URL or tag, where no space was."""
    return "".join(text.split())


@functools.cache
def page_texts(reader: PdfReader) -> tuple[str, ...]:
    """Extract each page's text once per document (tests/pdf_text.py)."""
    return tuple(pdf_page_texts(reader.stream.getvalue()))


def pdf_text(reader: PdfReader) -> str:
    return normalise(" ".join(page_texts(reader)))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def draft(catalogue):
    scored = sample_scored("draft", catalogue=catalogue, comments=HOSTILE, with_previous=True)
    fetched: list[str] = []
    original = AssetFetcher.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fetcher_module.AssetFetcher, "fetch", recording_fetch)
        pdf = render_pdf(scored, catalogue, issued_at=ISSUED_AT)
    return scored, pdf, PdfReader(io.BytesIO(pdf)), fetched


@pytest.fixture(scope="module")
def approved():
    """sample_scored("approved"), issued at ISSUED_AT: laid out once for every module that reads it.

    The tests that read it run in the xdist group of the other modules that do (tests/conftest.py
    SHARED_RENDERS); this module's own renders are laid out on whichever worker runs the rest.
    """
    report = rendered("sample_approved")
    return report.scored, report.pdf, report.texts


# The group of the modules that take their documents from tests/rendered.py.
shared_render = pytest.mark.xdist_group("shared-renders")


# ---------- content ----------


def test_every_principle_statement_appears_verbatim(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    for principle in scored.principles:
        assert normalise(principle.statement) in text, principle.id


def test_organisation_service_and_confidential_marking_appear(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    assert scored.info.organisation in text and scored.info.service in text
    # The running header repeats them on every page after the cover.
    for page in page_texts(reader)[1:]:
        page_text = normalise(page)
        assert f"{scored.info.organisation} — {scored.info.service}" in page_text
        assert "CONFIDENTIAL" in page_text.upper()


def test_every_answer_label_and_comment_appears(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    for question in scored.questions:
        if question.answered:
            assert question.answer_label in text, question.id
        if question.comment:
            assert squash(question.comment) in squash(text), question.id


def test_out_of_scope_questions_say_why(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    scoped_out = [q for q in scored.questions if not q.applicable]
    assert scoped_out, "the sample profile should scope something out"
    for question in scoped_out:
        assert normalise(question.scope_reason) in text


def test_cover_shows_catalogue_version_fingerprint_score_and_band(draft):
    scored, _, reader, _ = draft
    cover = normalise(page_texts(reader)[0])
    assert scored.catalogue_version in cover
    assert scored.catalogue_fingerprint[:12] in cover
    assert re.search(rf"\b{scored.display_score}\s*/\s*100", cover)
    assert scored.band in cover
    assert "Confidential".upper() in cover.upper()
    assert "Page " not in cover  # the cover has no margin boxes


def test_pages_are_numbered_page_x_of_y_after_the_cover(draft):
    _, _, reader, _ = draft
    total = len(reader.pages)
    # The cover is page 1 of the PDF but carries no footer, so printed numbers
    # match the page numbers a PDF viewer shows.
    for number, page in enumerate(page_texts(reader)[1:], start=2):
        assert f"Page {number} of {total}" in normalise(page)


def test_contents_lists_page_numbers_of_principles(draft):
    scored, _, reader, _ = draft
    contents = normalise(page_texts(reader)[1])
    assert "Contents" in contents
    for principle in scored.principles:
        assert re.search(rf"{re.escape(principle.id)}: .*?\d+", contents)


def test_summary_gives_each_theme_a_rag_word_and_the_top_actions(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    for theme in scored.themes:
        assert normalise(theme.title) in text
    words = {(t.band_colour or "No score").capitalize() for t in scored.themes}
    for word in words:
        assert word in text
    for gap in scored.gaps[:5]:
        assert normalise(gap.recommendation) in text


def test_appendix_prints_method_and_scales(draft, catalogue):
    _, _, reader, _ = draft
    text = pdf_text(reader)
    assert "weighted mean" in text
    for scale in catalogue.spec.scales:
        for option in scale.options:
            assert option.label in text


def test_appendix_lists_mappings_from_the_catalogue(catalogue):
    data = catalogue.spec.model_dump(mode="json")
    question = data["themes"][0]["principles"][0]["questions"][0]
    question["mappings"] = [
        {"framework": "Ofcom ICU C9", "ref": "ICU C9.1", "note": "hash matching"}
    ]
    mapped = build_catalogue(data)
    html = render_html(sample_scored(catalogue=mapped), mapped, issued_at=ISSUED_AT)
    assert "Ofcom ICU C9" in html and "ICU C9.1" in html and question["id"] in html


def test_fingerprint_is_on_the_cover_and_in_the_appendix(draft):
    scored, _, reader, _ = draft
    assert scored.fingerprint
    assert scored.fingerprint in squash(page_texts(reader)[0])
    text = pdf_text(reader)
    assert "Assessment fingerprint: sha256 of the canonical answers and profile" in text
    assert squash(text).count(scored.fingerprint) >= 2


def test_evidence_is_listed_under_its_question_and_links_are_text(draft):
    _, _, reader, fetched = draft
    text = squash(pdf_text(reader))
    file, link = EVIDENCE
    assert squash(file.filename) in text
    assert file.sha256[:12] in text and "47.1KB" in text and file.media_type in text
    assert squash(link.url) in text
    assert not any("transparency.example.org" in url for url in fetched)


def test_owners_appear_per_principle_and_in_the_action_plan(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    for principle_id, assignment in OWNERS.items():
        # The principle's own findings page (its statement is printed there), not the action plan.
        principle = scored.principle(principle_id)
        page = next(
            normalise(p)
            for p in page_texts(reader)
            if f"{principle_id}: {principle.title}" in normalise(p)
            and normalise(principle.statement)[:60] in normalise(p)
            and "Owner:" in p
        )
        assert f"Owner: {assignment.owner}, due {assignment.due_date:%d %B %Y}" in page
    owned_gaps = [g for g in scored.gaps if g.owner]
    assert owned_gaps, "the sample should have a gap in an owned principle"
    assert f"{owned_gaps[0].due_date:%d %b %Y}" in text
    assert "not assigned" in text


def test_trend_lists_every_principle_with_its_signed_change(draft):
    scored, _, reader, _ = draft
    text = pdf_text(reader)
    assert "Trend" in text
    for row in scored.trend.rows:
        if row.change is not None:
            change = f"{row.change:+d}" if row.change else "±0"
            assert re.search(
                rf"{re.escape(row.principle_id)}: .*? \d+ \d+ {re.escape(change)}", text
            )


def test_without_a_previous_assessment_the_trend_says_so(catalogue):
    html = render_html(sample_scored(catalogue=catalogue), catalogue, issued_at=ISSUED_AT)
    assert "No previous approved assessment" in html


@shared_render
def test_issued_copy_names_issue_date_and_approver_on_the_cover(approved):
    _, _, texts = approved
    cover = normalise(texts[0])
    assert f"Issued {ISSUED_AT:%d %B %Y}" in cover
    assert f"by {APPROVER} on {APPROVED_AT:%d %B %Y}" in cover


def test_a_working_copy_says_generated_not_issued(catalogue):
    html = render_html(sample_scored(catalogue=catalogue), catalogue)
    assert "Generated" in html and "Issued " not in html


# ---------- draft marking ----------


def test_draft_shows_a_draft_watermark(draft):
    _, _, reader, _ = draft
    assert "DRAFT" in pdf_text(reader)


@shared_render
def test_approved_report_has_no_draft_marking(approved):
    _, _, texts = approved
    assert "DRAFT" not in normalise(" ".join(texts))


# ---------- security ----------


def test_script_in_a_comment_is_printed_as_text_not_markup(draft, catalogue):
    scored, _, reader, _ = draft
    assert "Checked by <script>alert(1)</script> the team" in pdf_text(reader)
    html = render_html(scored, catalogue, issued_at=ISSUED_AT)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_urls_in_user_text_are_escaped_and_never_fetched(draft, catalogue):
    scored, _, reader, fetched = draft
    html = render_html(scored, catalogue, issued_at=ISSUED_AT)
    assert "<img" not in html and "<link rel" not in html and "<style>" not in html
    assert squash(HOSTILE["P3.1"]) in squash(pdf_text(reader))
    assert all(url.startswith(BASE_URL) for url in fetched), fetched
    assert not any("example.com" in url or "/etc/passwd" in url for url in fetched)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        BASE_URL + "../setup.cfg",
        BASE_URL + "fonts/../../principles.yaml",
        "file://evil.example.com" + str(ASSETS_DIR / "report.css"),
        "data:text/plain,hello",
        "ftp://example.com/x",
    ],
)
def test_url_fetcher_refuses_anything_outside_the_package(url):
    with pytest.raises(AssetFetchRefused):
        AssetFetcher().fetch(url)


def test_url_fetcher_serves_the_package_stylesheet_and_fonts():
    response = AssetFetcher().fetch(BASE_URL + "report.css")
    assert b"@font-face" in response.read()
    assert asset_path(BASE_URL + "fonts/DejaVuSans.ttf").name == "DejaVuSans.ttf"


# ---------- PDF file ----------


def test_metadata_names_title_author_and_creation_date(draft):
    scored, _, reader, _ = draft
    meta = reader.metadata
    assert scored.info.service in meta.title
    assert meta.author == scored.info.organisation
    assert meta.creation_date.replace(tzinfo=None) == ISSUED_AT.replace(tzinfo=None)


def test_embedded_json_equals_the_json_export(draft):
    scored, _, reader, _ = draft
    (attached,) = reader.attachments[ATTACHMENT_NAME]
    assert attached == to_json(scored)
    assert json.loads(attached)["assessment"]["service"] == scored.info.service


def test_pdf_declares_pdf_a_3b(draft):
    _, _, reader, _ = draft
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
    assert b"pdfaid:part" in xmp.stream.get_data() and b"3" in xmp.stream.get_data()


def test_pdf_is_tagged_for_screen_readers(draft):
    _, _, reader, _ = draft
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]


def test_fonts_are_the_bundled_dejavu_and_embedded(draft):
    _, _, reader, _ = draft
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor
    assert fonts <= {"DejaVu-Sans", "DejaVu-Sans-Bold"}, fonts


def require_tool(name: str, package: str) -> None:
    """Skip on a developer machine without the tool; in CI (which installs it) fail instead."""
    if shutil.which(name) is None:
        message = f"{name} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_qpdf_check_passes(draft, tmp_path):
    require_tool("qpdf", "qpdf")
    _, pdf, _, _ = draft
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pdfdetach_lists_the_json_attachment(draft, tmp_path):
    require_tool("pdfdetach", "poppler-utils")
    _, pdf, _, _ = draft
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ATTACHMENT_NAME in result.stdout


def test_issued_at_defaults_to_now(catalogue):
    scored = sample_scored("approved", catalogue=catalogue)
    html = render_html(scored, catalogue)
    assert str(datetime.now().year) in html


def test_a_larger_catalogue_renders_every_question_and_mapping():
    catalogue = expanded_catalogue(per_principle=6)
    scored = sample_scored("in_review", catalogue=catalogue)
    reader = PdfReader(io.BytesIO(render_pdf(scored, catalogue, issued_at=ISSUED_AT)))
    text = pdf_text(reader)
    for question in scored.questions:
        assert f"{question.id}. " in text
    assert "DTSP Safe Framework" in text and "Practice 6" in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text


def test_the_app_loads_weasyprint_only_when_a_pdf_is_asked_for(tmp_path):
    # A web worker (or `flask db upgrade`) that renders no PDF never pays WeasyPrint's import.
    code = (
        "import sys, reports; from assessment import create_app; "
        f"create_app({{'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/a.db'}}); "
        "assert 'weasyprint' not in sys.modules; "
        "reports.render_pdf; assert 'weasyprint' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_reports_pulls_in_neither_flask_nor_a_database():
    code = "import sys, reports; assert not {'flask', 'sqlalchemy'} & set(sys.modules), sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
