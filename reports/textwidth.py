"""Measure text set in the bundled DejaVu Sans, so charts can place and wrap labels.

The widths come from the font files the PDF embeds (their advance widths), so
a label box computed here is the box WeasyPrint draws. Browsers without
DejaVu Sans fall back to a font of similar width.
"""

from __future__ import annotations

from functools import lru_cache

from fontTools.ttLib import TTFont

from reports.assets import ASSETS_DIR

FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
# DejaVu Sans: ascender 0.928 em, descender 0.236 em.
ASCENT = 0.928
DESCENT = 0.236


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Return each character's advance in em, and the fallback for characters the font lacks."""
    font = TTFont(ASSETS_DIR / "fonts" / FONT_FILES[bold], lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / units for code, name in font.getBestCmap().items()}
    font.close()
    return widths, metrics[".notdef"][0] / units


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the width of one line of text at a font size, in the same units as the size."""
    widths, missing = _advances(bold)
    return size * sum(widths.get(ord(ch), missing) for ch in text)


def wrap(text: str, max_width: float, size: float, *, bold: bool = False) -> list[str]:
    """Break text into lines no wider than max_width; a word longer than a line is split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:  # a single word wider than the line: break it by characters
            if current and text_width(current + ch, size, bold=bold) > max_width:
                lines.append(current)
                current = ""
            current += ch
    if current:
        lines.append(current)
    return lines or [""]
