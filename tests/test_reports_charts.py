import xml.etree.ElementTree as ET

import pytest

from reports.charts import assessment_charts, bar_chart, radar_chart, trend_chart
from tests.report_data import sample_scored

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


def test_bar_chart_shortens_long_labels_but_keeps_their_start():
    label = "P9 " + "Informed global approach; evolving threat in design " * 3
    (text,) = [t for t in texts(bar_chart([(label, 50.0, "amber")])) if t.startswith("P9")]
    assert text.endswith("\u2026") and len(text) < len(label)


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
