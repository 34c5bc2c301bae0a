"""Draw report charts as inline SVG strings: pure functions, no I/O.

Colours come from the Okabe-Ito palette, which stays distinguishable with the
common colour-vision deficiencies, and every mark also carries its number so
no meaning depends on colour alone. Labels are XML-escaped here because the
SVG is inserted into the report template as trusted markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from assessment.scoring import ScoredAssessment, round_half_up

# Okabe-Ito: vermillion, orange, bluish green; grey for "no score".
RAG_COLOURS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73"}
NEUTRAL = "#999999"
INK = "#1a1a1a"
ACCENT = "#0072B2"  # Okabe-Ito blue
FONT = "DejaVu Sans"

# One chart item: (label, score 0-100 or None, RAG colour name or None).
Item = tuple[str, float | None, str | None]


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _score_text(score: float | None) -> str:
    shown = round_half_up(score)
    return "n/a" if shown is None else str(shown)


def _fit(label: str, max_chars: int) -> str:
    """Shorten a label to fit its column; the full text is in the report's tables."""
    label = " ".join(label.split())
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "\u2026"


def bar_chart(items: Sequence[Item], *, width: int = 640, label_width: int = 260) -> str:
    """Draw horizontal 0-100 bars, one per item, with the score printed after each."""
    row, top, bar_h = 22, 18, 14
    # DejaVu Sans at 11 units averages about 6.5 units a character.
    max_chars = int((label_width - 10) / 6.5)
    plot = width - label_width - 40
    height = top + row * len(items) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" font-family="{FONT}" font-size="11">',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_width + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" '
            f'stroke="#d0d0d0" stroke-width="0.6"/>'
            f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" font-size="8" '
            f'fill="#555555">{tick}</text>'
        )
    for i, (label, score, colour) in enumerate(items):
        y = top + i * row
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_h - 3}" text-anchor="end" '
            f'fill="{INK}">{_text(_fit(label, max_chars))}</text>'
        )
        if score is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + bar_h - 3}" fill="#555555">'
                f"n/a (not applicable)</text>"
            )
            continue
        bar = plot * max(0.0, min(100.0, score)) / 100
        fill = RAG_COLOURS.get(colour or "", NEUTRAL)
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_h}" '
            f'fill="{fill}"/>'
            f'<text x="{label_width + bar + 5:.1f}" y="{y + bar_h - 3}" font-weight="bold" '
            f'fill="{INK}">{_score_text(score)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def radar_chart(items: Sequence[Item], *, size: int = 360) -> str:
    """Draw a radar of 0-100 scores with each axis labelled and its score printed.

    With fewer than three items a radar has no area, so bars are drawn instead.
    """
    if len(items) < 3:
        return bar_chart(items)
    centre, radius = size / 2, size / 2 - 62
    count = len(items)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        r = radius * value / 100
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-radar" '
        f'viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'role="img" font-family="{FONT}" font-size="10">',
    ]
    for ring in (25, 50, 75, 100):
        ring_points = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(count))
        )
        parts.append(
            f'<polygon points="{ring_points}" fill="none" stroke="#d0d0d0" stroke-width="0.6"/>'
        )
        x, y = point(0, ring)
        parts.append(
            f'<text x="{x + 3:.1f}" y="{y + 3:.1f}" font-size="7" fill="#777777">{ring}</text>'
        )
    for i in range(count):
        x, y = point(i, 100)
        parts.append(
            f'<line x1="{centre:.1f}" y1="{centre:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="0.6"/>'
        )
    shape = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (point(i, s or 0) for i, (_, s, _) in enumerate(items))
    )
    parts.append(
        f'<polygon points="{shape}" fill="{ACCENT}" fill-opacity="0.25" '
        f'stroke="{ACCENT}" stroke-width="1.5"/>'
    )
    for i, (label, score, colour) in enumerate(items):
        if score is not None:
            px, py = point(i, score)
            fill = RAG_COLOURS.get(colour or "", NEUTRAL)
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{fill}"/>')
        lx, ly = point(i, 100 + 20)
        anchor = "middle" if abs(lx - centre) < 8 else ("start" if lx > centre else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" fill="{INK}">'
            f"{_text(label)}"
            f'<tspan x="{lx:.1f}" dy="12" font-weight="bold">{_score_text(score)}</tspan>'
            f"</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# One trend item: (label, previous score or None, current score or None).
TrendItem = tuple[str, float | None, float | None]
PREVIOUS = "#56B4E9"  # Okabe-Ito sky blue, paired with ACCENT for "now"


def _signed(previous: float | None, current: float | None) -> str:
    before, now = round_half_up(previous), round_half_up(current)
    if before is None or now is None:
        return ""
    change = now - before
    return f"{change:+d}" if change else "\u00b10"


def trend_chart(items: Sequence[TrendItem], *, width: int = 640, label_width: int = 200) -> str:
    """Draw previous and current scores as paired bars, each with its number and the change."""
    pair_h, bar_h, top = 26, 10, 30
    max_chars = int((label_width - 10) / 6.5)
    plot = width - label_width - 90
    height = top + pair_h * len(items) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-trend" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" font-family="{FONT}" font-size="10">',
        # The legend names both bars in words, so the pair does not rely on colour.
        f'<rect x="{label_width}" y="2" width="10" height="8" fill="{PREVIOUS}"/>'
        f'<text x="{label_width + 14}" y="10" fill="{INK}">Previous (upper bar)</text>'
        f'<rect x="{label_width + 150}" y="2" width="10" height="8" fill="{ACCENT}"/>'
        f'<text x="{label_width + 164}" y="10" fill="{INK}">Now (lower bar)</text>'
        f'<text x="{width - 4}" y="10" text-anchor="end" fill="{INK}">Change</text>',
    ]
    for tick in (0, 50, 100):
        x = label_width + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 4}" '
            f'stroke="#d0d0d0" stroke-width="0.6"/>'
            f'<text x="{x:.1f}" y="{top - 9}" text-anchor="middle" font-size="7" '
            f'fill="#555555">{tick}</text>'
        )
    for i, (label, previous, current) in enumerate(items):
        y = top + i * pair_h
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_h + 3}" text-anchor="end" '
            f'fill="{INK}">{_text(_fit(label, max_chars))}</text>'
        )
        for offset, score, fill in ((0, previous, PREVIOUS), (bar_h + 1, current, ACCENT)):
            bar = plot * max(0.0, min(100.0, score or 0)) / 100
            parts.append(
                f'<rect x="{label_width}" y="{y + offset}" width="{bar:.1f}" height="{bar_h}" '
                f'fill="{fill}"/>'
                f'<text x="{label_width + bar + 4:.1f}" y="{y + offset + bar_h - 1.5}" '
                f'font-size="8" fill="{INK}">{_score_text(score)}</text>'
            )
        parts.append(
            f'<text x="{width - 4}" y="{y + bar_h + 3}" text-anchor="end" font-weight="bold" '
            f'fill="{INK}">{_signed(previous, current)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def assessment_charts(scored: ScoredAssessment) -> dict[str, str]:
    """Draw the two charts of an assessment (principle bars, theme radar), for PDF and web alike."""
    return {
        "principles": bar_chart(
            [(f"{p.id} {p.title}", p.score, p.band_colour) for p in scored.principles]
        ),
        "themes": radar_chart([(t.id, t.score, t.band_colour) for t in scored.themes]),
    }
