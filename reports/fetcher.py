"""Fetch only the report package's own assets while WeasyPrint renders.

A report is built from user-written text. Autoescaping keeps that text from
becoming markup, and this fetcher is the second wall: whatever URL reaches
WeasyPrint, only files inside the `reports/` folder are ever read. Remote
URLs (http, https, ftp), `file://` paths outside the folder and `data:` URLs
are refused; the templates need none of them, so a request for one is a bug
or an injection and rendering stops rather than produce a document that
silently fetched something.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from reports.assets import ASSETS_DIR

_CONTENT_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}


class AssetFetchRefused(ValueError):
    """A URL the report renderer will not fetch."""


def asset_path(url: str) -> Path:
    """Return the file a URL names inside the assets folder, or refuse it."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise AssetFetchRefused(f"refused to fetch {url!r}: only the report's own files")
    # resolve() follows symlinks and `..`, so neither can lead out of the folder.
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
        raise AssetFetchRefused(f"refused to fetch {url!r}: not a file of the report package")
    return path


class AssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only files inside `reports/`."""

    def __init__(self) -> None:
        # fail_on_errors: a refused URL stops rendering instead of a warning.
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the bytes of one of the package's own files."""
        path = asset_path(url)
        content_type = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})
