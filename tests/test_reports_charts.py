import math
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from reports.charts import (
    SHORT_THEME_NAMES,
    assessment_charts,
    bar_chart,
    bar_layout,
    radar_chart,
    radar_layout,
    short_theme_name,
    trend_chart,
)
from reports.textwidth import text_width
from tests.report_data import demo_scored, sample_scored

SVG = "{http://www.w3.org/2000/svg}"

ITEMS = [
    ("P1 Prevent known CSAM", 75.0, "green"),
    ("P2 Combat new CSAM", 37.5, "red"),
    ("P3 Grooming", None, None),
    ("P4 Procuring", 62.49, "green"),
]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def text_runs(svg: str) -> list[str]:
    """Return each piece of text on its own, a <tspan> apart from its <text>."""
    root = ET.fromstring(svg)
    return [
        (el.text or "").strip() for el in root.iter() if el.tag in (f"{SVG}text", f"{SVG}tspan")
    ]


@pytest.mark.parametrize("chart", [bar_chart, radar_chart])
def test_chart_is_well_formed_svg(chart):
    root = ET.fromstring(chart(ITEMS))
    assert root.tag == f"{SVG}svg"


@pytest.mark.parametrize("chart", [bar_chart, radar_chart])
def test_chart_prints_every_score_as_a_rounded_number(chart):
    runs = text_runs(chart(ITEMS))
    # 37.5 is shown as 38: half up, the same rounding as the report's tables.
    for number in ("75", "38", "62"):
        assert number in runs
    assert any(run.startswith("n/a") for run in runs)


@pytest.mark.parametrize("chart", [bar_chart, radar_chart])
def test_chart_escapes_labels(chart):
    items = [("<b>P1</b> & <script>", 50.0, "amber")] + ITEMS[1:]
    svg = chart(items)
    assert "<b>" not in svg and "<script>" not in svg
    root = ET.fromstring(svg)  # would raise if the label broke the markup
    assert any("<b>P1</b>" in "".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_bar_chart_wraps_long_labels_onto_more_lines_and_keeps_every_word():
    # Issue 10: "Bar labels wrap instead of being cut" (this replaces the test that
    # expected "P3 Combat grooming and preparatory ac\u2026").
    label = "P9 " + "Informed global approach; evolving threat in design " * 3
    svg = bar_chart([(label, 50.0, "amber")])
    runs = [r for r in text_runs(svg) if r]
    label_runs = [r for r in runs if r not in {"0", "25", "50", "75", "100"}]
    assert " ".join(label_runs) == " ".join(label.split())
    assert len(label_runs) >= 3 and "\u2026" not in svg
    layout = bar_layout([(label, 50.0, "amber")])
    (row,) = layout.rows
    assert all(text_width(line, 11) <= layout.label_width - 10 for line in row[0].lines)


def test_bars_use_the_colour_blind_safe_palette():
    svg = bar_chart(ITEMS)
    assert "#009E73" in svg and "#D55E00" in svg


def test_radar_falls_back_to_bars_below_three_axes():
    svg = radar_chart(ITEMS[:2])
    assert "chart-bars" in svg


def test_chart_with_no_items_is_still_valid():
    ET.fromstring(bar_chart([]))
    ET.fromstring(radar_chart([]))


def test_trend_chart_prints_both_scores_and_the_signed_change():
    svg = trend_chart([("P1 Prevent", 40.0, 52.4), ("P2 Combat", 60.0, 55.0), ("P5", None, None)])
    runs = text_runs(svg)
    for number in ("40", "52", "60", "55", "+12", "-5"):
        assert number in runs
    assert "Previous (upper bar)" in runs and "Now (lower bar)" in runs


def test_assessment_charts_draws_principle_bars_and_theme_radar():
    scored = sample_scored()
    charts = assessment_charts(scored)
    assert "chart-bars" in charts["principles"] and "chart-radar" in charts["themes"]
    for principle in scored.principles:
        assert principle.id in "".join(texts(charts["principles"]))


# ---------- radar: out-of-scope themes, short names, labels that never overlap ----------

THEMES = [f"T{i} {name}" for i, name in enumerate(SHORT_THEME_NAMES.values(), start=1)]


def _items(scores, colour="amber"):
    return [(label, score, colour if score is not None else None) for label, score in scores]


# Demo-like inputs and the edge cases: all n/a, all 100, all 0, one theme in scope.
RADAR_CASES = {
    "demo": _items(zip(THEMES, [61, 51, None, 50, 37, 29, 49], strict=True)),
    "all_na": _items((t, None) for t in THEMES),
    "all_100": _items((t, 100.0) for t in THEMES),
    "all_0": _items((t, 0.0) for t in THEMES),
    "one_in_scope": _items((t, 75.0 if i == 0 else None) for i, t in enumerate(THEMES)),
    "three_in_scope": _items(
        (t, [100.0, 0.0, 50.0][i] if i < 3 else None) for i, t in enumerate(THEMES)
    ),
    "alternating": _items((t, 100.0 if i % 2 else 0.0) for i, t in enumerate(THEMES)),
    "long_titles": _items(
        (f"T{i} A specialised approach for children and everything that goes with it", 40.0 + i)
        for i in range(1, 8)
    ),
    "three_axes": _items(zip(THEMES[:3], [5.0, 95.0, 50.0], strict=True)),
    "eight_axes": _items(
        (f"{t} long", 12.5 * i) for i, t in enumerate(THEMES + ["T8 Extra theme"])
    ),
}


def _marks(items):
    """Return every label box and point box a chart draws for these items."""
    layout = radar_layout(items)
    if layout is None:  # fewer than three scored themes: the bar chart is drawn
        bars = bar_layout(items)
        return [lab.box for lab in bars.labels], [], bars
    return [lab.box for lab in layout.labels], list(layout.point_boxes), layout


@pytest.mark.parametrize("case", sorted(RADAR_CASES))
def test_no_chart_label_overlaps_another_label_a_grid_label_or_a_point(case):
    labels, points, _ = _marks(RADAR_CASES[case])
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not a.overlaps(b), (case, a, b)
        for p in points:
            assert not a.overlaps(p), (case, a, p)


@pytest.mark.parametrize("case", sorted(RADAR_CASES))
def test_every_mark_lies_inside_the_chart(case):
    labels, points, layout = _marks(RADAR_CASES[case])
    for box in labels + points:
        assert box.x0 >= 0 and box.y0 >= 0, (case, box)
        assert box.x1 <= layout.width and box.y1 <= layout.height, (case, box)


def test_the_overlap_check_can_fail():
    # Two labels at the same place overlap; a point under a label overlaps it.
    layout = radar_layout(RADAR_CASES["demo"])
    label = layout.labels[-1].box
    assert label.overlaps(label)
    assert not label.overlaps(replace(label, x0=label.x1 + 1, x1=label.x1 + 5))


def test_an_out_of_scope_theme_is_left_out_of_the_shape_not_drawn_at_zero():
    items = RADAR_CASES["demo"]
    layout = radar_layout(items)
    assert len(layout.points) == len(layout.axes) == 6
    cx, cy = layout.centre
    # No point sits at the centre (which is what a zero would draw).
    assert all(math.hypot(x - cx, y - cy) > 10 for x, y, _ in layout.points)
    svg = radar_chart(items)
    runs = " ".join(text_runs(svg))
    assert "n/a (not applicable, left out of the shape): T3 Livestreaming." in runs
    assert "T3 Livestreaming" not in [lab.lines[0] for lab in layout.labels if lab.kind == "axis"]


def test_radar_axes_carry_short_theme_names_and_scores():
    svg = assessment_charts(demo_scored())["themes"]
    runs = text_runs(svg)
    for label in ("T1 Prevent CSAM", "T2 Grooming", "T4 Search", "T7 Collaboration"):
        assert label in runs
    assert "61" in runs and "29" in runs


def test_every_theme_of_the_catalogue_has_a_short_name():
    for theme in demo_scored().themes:
        assert short_theme_name(theme.title) != theme.title, theme.id
    assert short_theme_name("A theme of a later catalogue") == "A theme of a later catalogue"


@pytest.mark.parametrize("case", ["all_na", "one_in_scope"])
def test_with_fewer_than_three_scored_themes_bars_show_n_a(case):
    svg = radar_chart(RADAR_CASES[case])
    assert "chart-bars" in svg and "n/a (not applicable)" in svg
