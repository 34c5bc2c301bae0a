"""Draw report charts as inline SVG strings: pure functions, no I/O.

Colours come from the Okabe-Ito palette, which stays distinguishable with the
common colour-vision deficiencies, and every mark also carries its number so
no meaning depends on colour alone. Labels are XML-escaped here because the
SVG is inserted into the report template as trusted markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape

from assessment.formatting import signed
from assessment.results import ScoredAssessment, round_half_up, score_change
from reports.textwidth import ASCENT, DESCENT, text_width, wrap

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


def score_text(score: float | None) -> str:
    """Return a score as the charts print it (rounded half up, or n/a)."""
    shown = round_half_up(score)
    return "n/a" if shown is None else str(shown)


LINE = 1.2  # line height, in font sizes


@dataclass(frozen=True)
class Box:
    """A rectangle in chart units: what a label or a point covers."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Return whether the two boxes share any area."""
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def grown(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)


@dataclass(frozen=True)
class Label:
    """Lines of text drawn from an anchor; `box` is where they land."""

    kind: str  # "axis", "grid", "bar", "note"
    lines: tuple[str, ...]
    x: float
    y: float  # baseline of the first line
    anchor: str  # SVG text-anchor
    size: float
    box: Box
    bold_last: bool = False  # the last line is the score, in bold


def _label(
    kind: str,
    lines: Sequence[str],
    x: float,
    top: float,
    anchor: str,
    size: float,
    *,
    bold_last: bool = False,
) -> Label:
    """Place lines whose first line's top is at `top`; measure the box they cover."""
    widths = [
        text_width(line, size, bold=bold_last and i == len(lines) - 1)
        for i, line in enumerate(lines)
    ]
    width = max(widths, default=0.0)
    x0 = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    height = size * (ASCENT + DESCENT) + size * LINE * (len(lines) - 1)
    return Label(
        kind,
        tuple(lines),
        x,
        top + size * ASCENT,
        anchor,
        size,
        Box(x0, top, x0 + width, top + height),
        bold_last,
    )


def _svg_start(kind: str, width: int, height: int, font_size: float, name: str) -> str:
    """Open a chart's SVG element: its size, its class, its default font and its name.

    The name (aria-label and <title>) is what a screen reader announces for the image.
    """
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_text(name)}" font-family="{FONT}" font-size="{font_size}">'
        f"<title>{_text(name)}</title>"
    )


def _draw_label(label: Label, fill: str = INK, extra: str = "") -> str:
    parts = [
        f'<text x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="{label.anchor}" '
        f'font-size="{label.size:g}" fill="{fill}"{extra}>'
    ]
    for i, line in enumerate(label.lines):
        bold = ' font-weight="bold"' if label.bold_last and i == len(label.lines) - 1 else ""
        dy = "0" if i == 0 else f"{label.size * LINE:.1f}"
        parts.append(f'<tspan x="{label.x:.1f}" dy="{dy}"{bold}>{_text(line)}</tspan>')
    parts.append("</text>")
    return "".join(parts)


@dataclass(frozen=True)
class BarLayout:
    """Where the bar chart puts each row: its label lines and its bar."""

    width: float
    height: float
    label_width: float
    plot: float
    rows: tuple[tuple[Label, float, Item], ...]  # label, row top, item
    ticks: tuple[Label, ...]

    @property
    def labels(self) -> tuple[Label, ...]:
        return self.ticks + tuple(row[0] for row in self.rows)


BAR_FONT = 11
BAR_H = 14


def bar_layout(items: Sequence[Item], *, width: int = 640, label_width: int = 260) -> BarLayout:
    """Lay out the bar chart: long labels wrap onto more lines and their row grows."""
    top = 18
    plot = width - label_width - 40
    ticks = tuple(
        _label(
            "grid", [str(tick)], label_width + plot * tick / 100, top - 7 - 8 * ASCENT, "middle", 8
        )
        for tick in (0, 25, 50, 75, 100)
    )
    rows = []
    y = float(top)
    for item in items:
        lines = wrap(item[0], label_width - 10, BAR_FONT)
        label = _label("bar", lines, label_width - 8, y, "end", BAR_FONT)
        rows.append((label, y, item))
        y = max(y + BAR_H, label.box.y1) + 8
    return BarLayout(width, y, label_width, plot, tuple(rows), ticks)


def bar_chart(
    items: Sequence[Item],
    *,
    width: int = 640,
    label_width: int = 260,
    name: str = "Bar chart of scores out of 100",
) -> str:
    """Draw horizontal 0-100 bars, one per item, with the score printed after each."""
    layout = bar_layout(items, width=width, label_width=label_width)
    height = math.ceil(layout.height)
    parts = [
        _svg_start("bars", width, height, BAR_FONT, name),
    ]
    for tick in layout.ticks:
        parts.append(
            f'<line x1="{tick.x:.1f}" y1="14" x2="{tick.x:.1f}" y2="{height - 6}" '
            f'stroke="#d0d0d0" stroke-width="0.6"/>' + _draw_label(tick, "#555555")
        )
    for label, y, (_, score, colour) in layout.rows:
        parts.append(_draw_label(label))
        x = layout.label_width
        if score is None:
            parts.append(
                f'<text x="{x + 4}" y="{y + BAR_H - 3:.1f}" fill="#555555">'
                f"n/a (not applicable)</text>"
            )
            continue
        bar = layout.plot * max(0.0, min(100.0, score)) / 100
        fill = RAG_COLOURS.get(colour or "", NEUTRAL)
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar:.1f}" height="{BAR_H}" fill="{fill}"/>'
            f'<text x="{x + bar + 5:.1f}" y="{y + BAR_H - 3:.1f}" font-weight="bold" '
            f'fill="{INK}">{score_text(score)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class RadarLayout:
    """Where the radar puts its axes, points and labels, in viewBox units."""

    width: float
    height: float
    centre: tuple[float, float]
    radius: float
    axes: tuple[tuple[float, float], ...]  # the outer end of each scored axis
    points: tuple[tuple[float, float, str], ...]  # x, y, fill
    point_boxes: tuple[Box, ...]
    labels: tuple[Label, ...]  # axis labels, grid labels, the not-scored note
    rings: tuple[tuple[tuple[float, float], ...], ...]


RADAR_FONT = 10
GRID_FONT = 7
POINT_R = 3.5
LABEL_WIDTH = 110  # an axis label wraps at this width


def radar_layout(items: Sequence[Item], *, radius: float = 110) -> RadarLayout | None:
    """Place the radar's marks so no label overlaps another, a grid label or a point.

    Only scored items become axes: a not-applicable theme has no score, and
    drawing it at 0 would read as a failing score. Unscored items are named in
    a note under the chart. With fewer than three scored items there is no
    radar (None): the caller draws bars instead.
    """
    scored = [item for item in items if item[1] is not None]
    if len(scored) < 3:
        return None
    at = _polar(len(scored))
    rings = tuple(
        tuple(at(i, radius * ring / 100) for i in range(len(scored))) for ring in (25, 50, 75, 100)
    )
    points, point_boxes = [], []
    for i, (_, score, colour) in enumerate(scored):
        x, y = at(i, radius * max(0.0, min(100.0, score)) / 100)
        points.append((x, y, RAG_COLOURS.get(colour or "", NEUTRAL)))
        point_boxes.append(Box(x - POINT_R, y - POINT_R, x + POINT_R, y + POINT_R))
    # Ring numbers sit between the first two axes, where no point can be.
    labels = [
        _label("grid", [str(ring)], x, y - GRID_FONT * 0.55, "middle", GRID_FONT)
        for ring in (25, 50, 75, 100)
        for x, y in [at(0.5, radius * ring / 100)]
    ]
    keep_out = [b.grown(1.5) for b in point_boxes] + [g.box.grown(1.5) for g in labels]
    for i, (text, score, _) in enumerate(scored):
        label = _axis_label(at(i, 1), [*wrap(text, LABEL_WIDTH, RADAR_FONT), score_text(score)],
                            radius, keep_out)  # fmt: skip
        labels.append(label)
        keep_out.append(label.box.grown(2))
    missing = [item[0] for item in items if item[1] is None]
    if missing:
        labels.append(_missing_note(missing, labels, radius))
    return _shifted(labels, points, point_boxes, rings, radius)


def _polar(count: int):
    """Return where axis `i` of `count` is at distance `r`, the first axis straight up."""

    def at(i: float, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        return r * math.cos(angle), r * math.sin(angle)

    return at


def _axis_label(
    direction: tuple[float, float], lines: list[str], radius: float, keep_out: list[Box]
) -> Label:
    """Move an axis label out along its axis until it clears the plot and every kept-out box."""
    dx, dy = direction
    anchor = "middle" if abs(dx) < 0.3 else ("start" if dx > 0 else "end")
    height = RADAR_FONT * (ASCENT + DESCENT + LINE * (len(lines) - 1))
    r = radius + 8
    while True:
        x, y = dx * r, dy * r
        top = y - height if dy < -0.3 else (y if dy > 0.3 else y - height / 2)
        label = _label("axis", lines, x, top, anchor, RADAR_FONT, bold_last=True)
        clear_of_plot = _distance_to_box(label.box) > radius + POINT_R + 2
        if clear_of_plot and not any(label.box.overlaps(b) for b in keep_out):
            return label
        r += 2


def _missing_note(missing: list[str], labels: list[Label], radius: float) -> Label:
    """Name the unscored items under the chart, as wide as the chart."""
    x0 = min(b.box.x0 for b in labels + [_label("axis", [""], -radius, -radius, "start", 1)])
    x1 = max(b.box.x1 for b in labels + [_label("axis", [""], radius, radius, "start", 1)])
    y1 = max(lab.box.y1 for lab in labels)
    note = "n/a (not applicable, left out of the shape): " + "; ".join(missing) + "."
    lines = wrap(note, max(x1 - x0, 240), 8)
    return _label("note", lines, x0, max(y1, radius) + 10, "start", 8)


def _shifted(labels, points, point_boxes, rings, radius: float) -> RadarLayout:
    """Move everything from centre-at-origin into the viewBox, with a small margin."""
    pad = 4
    left = min(lab.box.x0 for lab in labels) - pad
    top = min(min(lab.box.y0 for lab in labels), -radius) - pad
    right = max(max(lab.box.x1 for lab in labels), radius) + pad
    bottom = max(max(lab.box.y1 for lab in labels), radius) + pad

    def shift_box(b: Box) -> Box:
        return Box(b.x0 - left, b.y0 - top, b.x1 - left, b.y1 - top)

    return RadarLayout(
        width=right - left,
        height=bottom - top,
        centre=(-left, -top),
        radius=radius,
        axes=tuple((x - left, y - top) for x, y in rings[-1]),
        points=tuple((x - left, y - top, fill) for x, y, fill in points),
        point_boxes=tuple(shift_box(b) for b in point_boxes),
        labels=tuple(
            replace(lab, x=lab.x - left, y=lab.y - top, box=shift_box(lab.box)) for lab in labels
        ),
        rings=tuple(tuple((x - left, y - top) for x, y in ring) for ring in rings),
    )


def _distance_to_box(box: Box) -> float:
    """Return the distance from the radar centre (0, 0) to the nearest point of a box."""
    dx = max(box.x0, 0.0, -box.x1)
    dy = max(box.y0, 0.0, -box.y1)
    return math.hypot(dx, dy)


def radar_chart(items: Sequence[Item], *, name: str = "Radar chart of scores out of 100") -> str:
    """Draw a radar of 0-100 scores with each axis labelled and its score printed.

    Not-applicable items are left out of the shape and named under it; with
    fewer than three scored items a radar has no area, so bars are drawn instead.
    """
    layout = radar_layout(items)
    if layout is None:
        return bar_chart(items, name=name)
    width, height = math.ceil(layout.width), math.ceil(layout.height)
    cx, cy = layout.centre
    parts = [
        _svg_start("radar", width, height, RADAR_FONT, name),
    ]
    for ring in layout.rings:
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in ring)
        parts.append(
            f'<polygon points="{ring_points}" fill="none" stroke="#d0d0d0" stroke-width="0.6"/>'
        )
    for x, y in layout.axes:
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="0.6"/>'
        )
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in layout.points)
    parts.append(
        f'<polygon points="{shape}" fill="{ACCENT}" fill-opacity="0.25" '
        f'stroke="{ACCENT}" stroke-width="1.5"/>'
    )
    for x, y, fill in layout.points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{POINT_R}" fill="{fill}"/>')
    for label in layout.labels:
        fill = {"grid": "#777777", "note": "#555555"}.get(label.kind, INK)
        parts.append(_draw_label(label, fill))
    parts.append("</svg>")
    return "".join(parts)


# One trend item: (label, previous score or None, current score or None).
TrendItem = tuple[str, float | None, float | None]
PREVIOUS = "#56B4E9"  # Okabe-Ito sky blue, paired with ACCENT for "now"


def trend_chart(
    items: Sequence[TrendItem],
    *,
    width: int = 640,
    label_width: int = 200,
    name: str = "Previous and current scores out of 100",
) -> str:
    """Draw previous and current scores as paired bars, each with its number and the change."""
    pair_h, bar_h, top = 26, 10, 30
    plot = width - label_width - 90
    rows = []
    y = float(top)
    for item in items:
        label = _label(
            "bar", wrap(item[0], label_width - 10, 10), label_width - 8, y + 2, "end", 10
        )
        rows.append((label, y, item))
        y = max(y + pair_h, label.box.y1 + 6)
    height = math.ceil(y + 6)
    parts = [
        _svg_start("trend", width, height, 10, name),
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
    for label, y, (_, previous, current) in rows:
        parts.append(_draw_label(label))
        for offset, score, fill in ((0, previous, PREVIOUS), (bar_h + 1, current, ACCENT)):
            bar = plot * max(0.0, min(100.0, score or 0)) / 100
            parts.append(
                f'<rect x="{label_width}" y="{y + offset:.1f}" width="{bar:.1f}" '
                f'height="{bar_h}" fill="{fill}"/>'
                f'<text x="{label_width + bar + 4:.1f}" y="{y + offset + bar_h - 1.5:.1f}" '
                f'font-size="8" fill="{INK}">{score_text(score)}</text>'
            )
        parts.append(
            f'<text x="{width - 4}" y="{y + bar_h + 3:.1f}" text-anchor="end" font-weight="bold" '
            f'fill="{INK}">{signed(score_change(previous, current), missing="")}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# Axis labels for the themes of the current catalogue, by full title. A theme
# whose title is not here (a later catalogue) is labelled with its full title, wrapped.
SHORT_THEME_NAMES = {
    "Prevent child sexual abuse material": "Prevent CSAM",
    "Target online grooming and preparatory behaviour": "Grooming",
    "Target livestreaming": "Livestreaming",
    "Prevent searches of child sexual abuse material from surfacing": "Search",
    "A specialised approach for children": "Children",
    "Victim/survivor consideration": "Victims and survivors",
    "Collaborate and respond to evolving threat": "Collaboration",
}


def short_theme_name(title: str) -> str:
    """Return the short name a chart axis uses for a theme."""
    return SHORT_THEME_NAMES.get(" ".join(title.split()), title)


def assessment_charts(scored: ScoredAssessment) -> dict[str, str]:
    """Draw the two charts of an assessment (principle bars, theme radar), for PDF and web alike."""
    return {
        "principles": bar_chart(
            [(f"{p.id} {p.title}", p.score, p.band_colour) for p in scored.principles],
            name="Score of each principle out of 100 (bar chart)",
        ),
        "themes": radar_chart(
            [
                (f"{t.id} {short_theme_name(t.title)}", t.score, t.band_colour)
                for t in scored.themes
            ],
            name="Score of each theme out of 100 (radar chart)",
        ),
    }
