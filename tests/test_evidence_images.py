"""Evidence never holds images: documents that embed pictures, and zip bombs, are refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from assessment import evidence
from assessment.evidence import RefusedUpload, sniff_document
from tests.test_evidence import CONTENT_TYPES, PNG, upload


def _sniff(data: bytes, name: str = "file"):
    return sniff_document(data[:4096], io.BytesIO(data), name)


def _office(extra: dict[str, bytes], main: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main, "<document/>")
        for name, data in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("extra", "main", "where"),
    [
        ({"word/media/image1.png": PNG}, "word/document.xml", "word/media/image1.png"),
        ({"xl/media/image1.jpeg": b"\xff\xd8\xff"}, "xl/workbook.xml", "xl/media/image1.jpeg"),
        ({"ppt/media/image2.gif": b"GIF89a"}, "ppt/presentation.xml", "ppt/media/image2.gif"),
        ({"docProps/thumbnail.jpeg": b"\xff\xd8\xff"}, "word/document.xml", "thumbnail"),
        ({"word/embeddings/oleObject1.bin": b"\xd0\xcf"}, "word/document.xml", "embeddings"),
        ({"word/pictures/cat.PNG": PNG}, "word/document.xml", "cat.PNG"),  # any place, any case
        ({"xl/drawings/vid.mp4": b"\x00"}, "xl/workbook.xml", "vid.mp4"),
    ],
)
def test_office_documents_with_pictures_are_refused_saying_why(extra, main, where):
    with pytest.raises(RefusedUpload) as refused:
        _sniff(_office(extra, main), "report.docx")
    assert "embeds images" in refused.value.message
    assert where in refused.value.message
    assert "must never hold images" in refused.value.message


def test_an_office_document_of_text_only_is_accepted():
    assert _sniff(_office({"word/styles.xml": b"<styles/>"}))[1] == "DOCX"


def test_an_entry_that_inflates_a_thousandfold_is_refused():
    bomb = _office({"word/padding.xml": b"\x00" * (5 * 1024 * 1024)})
    with pytest.raises(RefusedUpload) as refused:
        _sniff(bomb)
    assert "unpacks to far more than its size" in refused.value.message
    assert "word/padding.xml packed" in refused.value.message


def test_a_document_declaring_more_than_the_unpacked_limit_is_refused(monkeypatch):
    monkeypatch.setattr(evidence, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(RefusedUpload) as refused:
        _sniff(_office({"word/styles.xml": bytes(range(256)) * 8}))
    assert "unpacked" in refused.value.message


def _pdf(content: bytes = b"", resources: DictionaryObject | None = None, attach=None) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    if content:
        stream = DecodedStreamObject()
        stream.set_data(content)
        page[NameObject("/Contents")] = writer._add_object(stream)
    if resources is not None:
        page[NameObject("/Resources")] = resources
    if attach:
        writer.add_attachment(*attach)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _image_resources() -> DictionaryObject:
    image = DecodedStreamObject()
    image.set_data(b"\xff")
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(1),
            NameObject("/Height"): NumberObject(1),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    return DictionaryObject({NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): image})})


def _form_with_inline_image() -> DictionaryObject:
    form = DecodedStreamObject()
    form.set_data(b"q BI /W 1 /H 1 /CS /G /BPC 8 ID \xff EI Q")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([NumberObject(0)] * 2 + [NumberObject(1)] * 2),
        }
    )
    return DictionaryObject({NameObject("/XObject"): DictionaryObject({NameObject("/Fm0"): form})})


def test_a_pdf_of_text_only_is_accepted():
    assert _sniff(_pdf(b"BT /F1 12 Tf 10 10 Td (BI ID EI as text) Tj ET"))[1] == "PDF"


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda: _pdf(b"q /Im0 Do Q", _image_resources()), "an image object"),
        (lambda: _pdf(b"q BI /W 1 /H 1 /CS /G /BPC 8 ID \xff EI Q"), "an inline image"),
        (lambda: _pdf(b"q /Fm0 Do Q", _form_with_inline_image()), "an inline image"),
        (lambda: _pdf(b"", _image_resources()), "an image object"),  # present, even if unused
    ],
)
def test_pdfs_with_images_are_refused_saying_why(make, where):
    with pytest.raises(RefusedUpload) as refused:
        _sniff(make(), "scan.pdf")
    assert where in refused.value.message
    assert "must never hold images" in refused.value.message


def test_a_pdf_with_an_attached_picture_is_refused():
    with pytest.raises(RefusedUpload) as refused:
        _sniff(_pdf(attach=("photo.txt", PNG)))
    assert "Images and video cannot be uploaded" in refused.value.message


def test_a_pdf_with_attached_json_is_accepted():
    """The app's own issued reports carry their answers as JSON: they are not pictures."""
    assert _sniff(_pdf(attach=("assessment.json", b'{"a": 1}')))[1] == "PDF"


def test_a_damaged_pdf_with_streams_is_refused_as_unchecked():
    damaged = b"%PDF-1.4\n1 0 obj << /Length 5 >> stream\nhello\nendstream endobj\n"
    with pytest.raises(RefusedUpload) as refused:
        _sniff(damaged)
    assert "could not be read to check that it holds no images" in refused.value.message


@pytest.mark.real_pdf
def test_a_real_weasyprint_pdf_passes_without_an_image_and_fails_with_one():
    import base64

    from weasyprint import HTML

    text_only = HTML(string="<h1>Policy</h1><p>Hash matching since 2021.</p>").write_pdf()
    assert _sniff(text_only)[1] == "PDF"
    png = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
        )
    ).decode()
    with_picture = HTML(string=f'<p>Logo</p><img src="data:image/png;base64,{png}">').write_pdf()
    with pytest.raises(RefusedUpload):
        _sniff(with_picture)


def test_the_upload_page_says_why_a_document_with_pictures_was_refused(client, logged_in):
    response = upload(
        client, logged_in, _office({"word/media/image1.png": PNG}), "r.docx", follow_redirects=True
    )
    assert "embeds images or other files (word/media/image1.png)" in response.text
