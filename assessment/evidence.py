"""Evidence: recognise documents by their content, store them outside the web root.

This tool must never hold child sexual abuse material, so anything that is not
plainly a document (images, video, archives that could hide either,
executables) is refused with a message that says why. The file name is never
trusted: it picks between text types only after the content is known to be text.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from assessment.formatting import human_size

HEAD_BYTES = 4096
CHUNK_BYTES = 64 * 1024
MAX_ZIP_ENTRIES = 5000
# An Office document is XML compressed about 5 to 20 times; a zip bomb, thousands.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_PACKING_RATIO = 100
MAX_PDF_OBJECTS = 200_000
# Parts of an Office document that are pictures (or can carry them: embedded objects).
OOXML_IMAGE_FOLDERS = ("/media/", "/embeddings/", "/ink/")
IMAGE_EXTENSIONS = {
    ".png", ".jpg", ".jpeg", ".jpe", ".gif", ".bmp", ".dib", ".tif", ".tiff", ".ico", ".emf",
    ".wmf", ".emz", ".wmz", ".svg", ".svgz", ".webp", ".heic", ".heif", ".avif", ".jxl",
    ".jp2", ".pict", ".pct", ".psd", ".mp4", ".mov", ".avi", ".wmv", ".mpg", ".mpeg",
    ".webm", ".mkv", ".m4v", ".3gp",
}  # fmt: skip
URL_MAX = 2000
TITLE_MAX = 300
FILENAME_MAX = 255

PDF = ("application/pdf", "PDF")
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX")
XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
CSV = ("text/csv", "CSV")
MARKDOWN = ("text/markdown", "Markdown")
TEXT = ("text/plain", "Text")

EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", CSV: ".csv", MARKDOWN: ".md", TEXT: ".txt"}
ACCEPT = ".pdf,.docx,.xlsx,.csv,.txt,.md,.markdown"
ALLOWED = "PDF, DOCX, XLSX, CSV, TXT or Markdown"

IMAGE_OR_VIDEO = (
    "Images and video cannot be uploaded: this tool must never hold child sexual abuse "
    "material. Describe the evidence or link to where it is held under your own controls."
)
ARCHIVE = (
    "Archives (ZIP, gzip, 7z, RAR, tar and the like) cannot be uploaded: they can hide images "
    "or video, which this tool must never hold. Upload the documents one by one as "
    f"{ALLOWED}."
)
EXECUTABLE = f"Programs and scripts cannot be uploaded. Upload a {ALLOWED} document."
OLE = (
    "Old Word and Excel files (.doc, .xls) cannot be uploaded. Save the file as DOCX, "
    "XLSX or PDF and upload that."
)
MACROS = "Documents with macros cannot be uploaded. Save the file as DOCX, XLSX or PDF."
OTHER_OFFICE = "Only Word (DOCX) and Excel (XLSX) Office files can be uploaded; save it as PDF."
NOT_A_DOCUMENT = (
    f"This file is not a document this tool accepts. Upload a {ALLOWED} document "
    "(text files must be UTF-8)."
)
EMPTY = "The file is empty."
EMBEDDED_IMAGES = (
    "This document embeds images or other files ({where}), and this tool must never hold "
    "images: "
    "remove the pictures (or save a copy as text only) and upload that, or describe the "
    "evidence and link to where it is held under your own controls."
)
ZIP_BOMB = (
    "This document unpacks to far more than its size ({detail}), which documents do not: "
    "it cannot be uploaded. Save it again from Word or Excel, or as PDF."
)
PDF_UNREADABLE = (
    "This PDF could not be read to check that it holds no images (it may be damaged or "
    "password-protected). Save it again as PDF without a password and upload that."
)
NOT_UTF8 = "Text files must be UTF-8 encoded. Save the file as UTF-8 and upload it again."

IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",  # BMP
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"\x00\x00\x01\x00",  # ICO
    b"\xff\x0a",  # JPEG XL codestream
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL container
    b"8BPS",  # Photoshop
    b"\x76\x2f\x31\x01",  # OpenEXR
)
VIDEO_MAGIC = (
    b"\x1a\x45\xdf\xa3",  # EBML: WebM, Matroska
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"\x00\x00\x01\xb3",  # MPEG video
    b"FLV\x01",
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF: WMV
    b"OggS",
)
ARCHIVE_MAGIC = (
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",  # xz
    b"\x28\xb5\x2f\xfd",  # zstd
    b"LZIP",
    b"MSCF",  # cabinet
    b"\x60\xea",  # arj
)
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\x00asm",  # WebAssembly
)
# Signatures a text file could start with ("BMI figures", "MZ region"): they count
# only when the content is binary, so honest text is never refused for its first letters.
TEXT_LIKE_MAGIC = {
    b"BM",
    b"8BPS",
    b"OggS",
    b"FLV\x01",
    b"BZh",
    b"LZIP",
    b"MSCF",
    b"\x60\xea",
    b"MZ",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


class RefusedUpload(ValueError):
    """An upload that is not stored; `message` says why, for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooLarge(RefusedUpload):
    """An upload over the size limit."""


@dataclass(frozen=True)
class StoredFile:
    """A document written under its storage key, with what the database records."""

    storage_key: str
    filename: str
    media_type: str
    label: str
    size: int
    sha256: str


def too_large_message(max_bytes: int) -> str:
    """Return the message for an upload over the limit."""
    return (
        f"The file is larger than the {human_size(max_bytes)} limit. "
        "Upload a smaller document, split it, or link to where it is held."
    )


def sniff_document(
    head: bytes, data_or_stream: bytes | BinaryIO, filename: str = ""
) -> tuple[str, str]:
    """Return (media type, label) of an accepted document, or raise RefusedUpload saying why.

    `head` is the first bytes of the content; `data_or_stream` the whole content, as
    bytes or a seekable binary stream (read to the end only for text and zip listing).
    """
    if not head:
        raise RefusedUpload(EMPTY)
    if head.startswith(b"%PDF-"):
        _refuse_pdf_images(data_or_stream)
        return PDF
    _refuse_known_binary(head)
    if head.startswith(ZIP_MAGIC):
        return _sniff_office(data_or_stream)
    return _sniff_text(head, data_or_stream, filename)


def _refuse_known_binary(head: bytes) -> None:
    """Raise RefusedUpload for images, video, archives, programs and old Office files."""
    binary = _looks_binary(head)
    for recognises, message in KNOWN_BINARIES:
        if recognises(head, binary):
            raise RefusedUpload(message)


def _starts(head: bytes, binary: bool, signatures: tuple[bytes, ...]) -> bool:
    """Return whether the head starts with a signature (a text-like one only in binary content)."""
    return any(
        head.startswith(sig) and (binary or sig not in TEXT_LIKE_MAGIC) for sig in signatures
    )


def _riff(head: bytes, *forms: bytes) -> bool:
    return head.startswith(b"RIFF") and head[8:12] in forms


def _transport_stream(head: bytes, binary: bool) -> bool:
    """MPEG transport stream: a sync byte every 188 bytes."""
    return binary and len(head) > 376 and head[0] == head[188] == head[376] == 0x47


# What each refused kind looks like in its first bytes, checked in this order.
KNOWN_BINARIES: tuple[tuple[Callable[[bytes, bool], bool], str], ...] = (
    (lambda h, b: _starts(h, b, IMAGE_MAGIC) or _riff(h, b"WEBP"), IMAGE_OR_VIDEO),
    # Every ISO media file (MP4, MOV, HEIC, AVIF, ...) is a picture, a film or sound.
    (lambda h, b: h[4:8] == b"ftyp", IMAGE_OR_VIDEO),
    (lambda h, b: _starts(h, b, VIDEO_MAGIC) or _riff(h, b"AVI ", b"AVIX"), IMAGE_OR_VIDEO),
    (_transport_stream, IMAGE_OR_VIDEO),
    (lambda h, b: _starts(h, b, ARCHIVE_MAGIC) or h[257:262] == b"ustar", ARCHIVE),
    (lambda h, b: h.startswith(OLE_MAGIC), OLE),
    (lambda h, b: _starts(h, b, EXECUTABLE_MAGIC), EXECUTABLE),
)


def _looks_binary(head: bytes) -> bool:
    """Return whether the first bytes cannot be UTF-8 text."""
    if b"\x00" in head:
        return True
    try:
        _utf8_decoder().decode(head)  # not final: the head may end inside a character
    except UnicodeDecodeError:
        return True
    return False


def _sniff_office(data_or_stream: bytes | BinaryIO) -> tuple[str, str]:
    """Tell DOCX and XLSX from other zips by listing entries; nothing is extracted.

    The listing gives each entry's name and declared sizes, which is enough to
    refuse zip bombs and documents with pictures or embedded files.
    """
    source = _as_stream(data_or_stream)
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise RefusedUpload(ARCHIVE) from None
    names = {entry.filename for entry in entries}
    if len(entries) > MAX_ZIP_ENTRIES or "[Content_Types].xml" not in names:
        raise RefusedUpload(ARCHIVE)
    _refuse_zip_bomb(entries)
    if any(name.endswith("vbaProject.bin") for name in names):
        raise RefusedUpload(MACROS)
    _refuse_office_images(names)
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    raise RefusedUpload(OTHER_OFFICE)


def _refuse_zip_bomb(entries: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive that declares more than 100 MB, or an entry packed over 100 to 1."""
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNPACKED_BYTES:
        raise RefusedUpload(ZIP_BOMB.format(detail=f"{human_size(total)} unpacked"))
    for entry in entries:
        # Below 1 MB even a high ratio is harmless, and tiny XML parts do pack well.
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > MAX_PACKING_RATIO:
            raise RefusedUpload(ZIP_BOMB.format(detail=f"{entry.filename} packed {ratio:.0f} to 1"))


def _refuse_office_images(names: set[str]) -> None:
    """Refuse Office documents with media, embedded objects or a thumbnail picture."""
    for name in sorted(names):
        lowered = "/" + name.lower()
        if (
            any(folder in lowered for folder in OOXML_IMAGE_FOLDERS)
            or Path(lowered).suffix in IMAGE_EXTENSIONS
            or lowered.startswith("/docprops/thumbnail")
        ):
            raise RefusedUpload(EMBEDDED_IMAGES.format(where=name))


def _refuse_pdf_images(data_or_stream: bytes | BinaryIO) -> None:
    """Refuse a PDF that holds an image: image objects, inline images, attached pictures.

    A PDF that cannot be parsed is accepted only when it has no streams at all,
    since every image needs one.
    """
    from pypdf import PdfReader

    source = _as_stream(data_or_stream)
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise RefusedUpload(PDF_UNREADABLE)
        where = _pdf_image(reader)
    except RefusedUpload:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        if _has_streams(source):
            raise RefusedUpload(PDF_UNREADABLE) from None
        return
    if where:
        raise RefusedUpload(EMBEDDED_IMAGES.format(where=where))


def _pdf_image(reader) -> str | None:
    """Walk every object reachable from the trailer; say where the first image is."""
    content: list = []
    for obj in _pdf_objects(reader):
        if obj.get("/Subtype") == "/Image":
            return "an image object"
        _check_stream(obj, content)
        content.extend(_content_streams(obj))
    for stream in content:
        if _is_stream(stream) and _has_inline_image(stream, reader):
            return "an inline image"
    return None


def _pdf_objects(reader) -> Iterator:
    """Yield each dictionary reachable from the trailer once (not back up through /Parent)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            if len(seen) > MAX_PDF_OBJECTS:
                raise RefusedUpload(PDF_UNREADABLE)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _is_stream(obj) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(obj, StreamObject)


def _check_stream(obj, content: list) -> None:
    """Refuse an attached file that is not plain data; keep form XObjects to scan."""
    if not _is_stream(obj):
        return
    if obj.get("/Type") == "/EmbeddedFile":
        _refuse_attached_file(obj)
    elif "/BBox" in obj:  # form XObjects, tiling patterns, annotation appearances
        content.append(obj)


def _content_streams(obj) -> list:
    """Return the content streams a page or a Type 3 font draws with."""
    from pypdf.generic import ArrayObject

    streams = []
    for key in ("/Contents", "/CharProcs"):
        if key not in obj:
            continue
        target = obj[key].get_object()
        items = target.values() if key == "/CharProcs" else [target]
        if isinstance(target, ArrayObject):
            items = [item.get_object() for item in target]
        streams.extend(i.get_object() for i in items)
    return streams


def _has_inline_image(stream, reader) -> bool:
    from pypdf.generic import ContentStream

    if b"BI" not in stream.get_data():
        return False
    return any(op == b"INLINE IMAGE" for _, op in ContentStream(stream, reader).operations)


def _refuse_attached_file(stream) -> None:
    """Refuse a file attached to a PDF unless it is plain data (the report's own JSON)."""
    head = stream.get_data()[:HEAD_BYTES]
    try:
        _refuse_known_binary(head)
    except RefusedUpload as refusal:
        raise RefusedUpload(
            f"The PDF has a file attached that is refused: {refusal.message}"
        ) from None
    if head.startswith((*ZIP_MAGIC, b"%PDF-")):
        raise RefusedUpload(EMBEDDED_IMAGES.format(where="an attached document"))


def _has_streams(source: BinaryIO) -> bool:
    """Return whether raw PDF bytes contain a stream (anything that could hold an image)."""
    source.seek(0)
    tail = b""
    while chunk := source.read(CHUNK_BYTES):
        if b"stream" in tail + chunk:
            return True
        tail = chunk[-8:]
    return False


def _sniff_text(head: bytes, data_or_stream: bytes | BinaryIO, filename: str) -> tuple[str, str]:
    """Accept UTF-8 text without NUL bytes; the extension picks CSV, Markdown or plain."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RefusedUpload(NOT_UTF8)
    start = _utf8_start(_as_stream(data_or_stream))
    extension = Path(filename.lower()).suffix
    if _looks_like_svg(start) or extension == ".svg":
        raise RefusedUpload(IMAGE_OR_VIDEO)
    if extension == ".csv":
        return CSV
    if extension in (".md", ".markdown"):
        return MARKDOWN
    return TEXT


def _utf8_start(source: BinaryIO) -> str:
    """Read the whole stream as UTF-8 text without NUL bytes; return its first characters."""
    source.seek(0)
    decoder = _utf8_decoder()
    start = ""
    try:
        while chunk := source.read(CHUNK_BYTES):
            if b"\x00" in chunk:
                raise RefusedUpload(NOT_A_DOCUMENT)
            start += decoder.decode(chunk)[: HEAD_BYTES - len(start)]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RefusedUpload(NOT_A_DOCUMENT) from None
    return start


def _utf8_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8-sig")()


def _looks_like_svg(start: str) -> bool:
    """Return whether text opens as an SVG image (an XML prolog or comments may come first)."""
    return re.search(r"<svg[\s>]", start[:HEAD_BYTES].lower()) is not None


def _as_stream(data_or_stream: bytes | BinaryIO) -> BinaryIO:
    if isinstance(data_or_stream, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data_or_stream))
    data_or_stream.seek(0)
    return data_or_stream


def display_filename(name: str, label_type: tuple[str, str] | None = None) -> str:
    """Return the file name safe to show and to send: no path, no control characters.

    With the detected type, the name ends in that type's extension, so a download
    never opens as something other than what was checked.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip() or "document"
    if label_type is not None:
        wanted = EXTENSIONS[label_type]
        if Path(name).suffix.lower() != wanted and not (
            wanted == ".md" and name.lower().endswith(".markdown")
        ):
            name += wanted
    if len(name) > FILENAME_MAX:
        suffix = Path(name).suffix[:20]
        name = name[: FILENAME_MAX - len(suffix)] + suffix
    return name


def store_upload(
    stream: BinaryIO,
    filename: str,
    directory: Path,
    max_bytes: int,
    keep: Callable[[Path, str], None] | None = None,
) -> StoredFile:
    """Check an uploaded document and keep it under a random key, or raise RefusedUpload.

    The bytes go to a temporary file in `directory` first and are kept (by
    default renamed into place there; `keep` puts them elsewhere) only once
    accepted, so a refusal or a crash leaves nothing behind.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w+b") as handle:
            digest, size, head = hashlib.sha256(), 0, b""
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(too_large_message(max_bytes))
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            kind = sniff_document(head, handle, filename)
        key = secrets.token_hex(16)
        if keep is None:
            os.replace(temporary, directory / key)
        else:
            keep(temporary, key)
    finally:
        temporary.unlink(missing_ok=True)
    return StoredFile(
        storage_key=key,
        filename=display_filename(filename, kind),
        media_type=kind[0],
        label=kind[1],
        size=size,
        sha256=digest.hexdigest(),
    )


def stored_path(directory: Path, storage_key: str) -> Path:
    """Return where a stored document lives, refusing keys that are not ours."""
    if not re.fullmatch(r"[0-9a-f]{32}", storage_key):
        raise ValueError("not a storage key")
    return directory / storage_key


def remove_stored(directory: Path, storage_key: str) -> None:
    """Delete a stored document's bytes, if they are still there."""
    stored_path(directory, storage_key).unlink(missing_ok=True)


def check_link(url: str) -> str:
    """Return a cleaned http(s) link, or raise ValueError saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise ValueError("Give the link's address.")
    if len(url) > URL_MAX:
        raise ValueError(f"The link is longer than {URL_MAX} characters.")
    if any(unicodedata.category(ch)[0] == "C" or ch.isspace() for ch in url):
        raise ValueError("The link contains spaces or control characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("Only web links (starting http:// or https://) can be added.")
    return url


LABELS = {media_type: label for media_type, label in EXTENSIONS}


def label_of(media_type: str) -> str:
    """Return the short label of a stored media type ('PDF', 'DOCX', ...)."""
    return LABELS.get(media_type, media_type)
