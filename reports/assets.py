"""Where the report package's own files are: its stylesheet, fonts and templates' assets.

Apart from the fetcher (a WeasyPrint class), so that measuring text for the web's
charts does not import WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent
