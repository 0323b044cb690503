"""Charts for the papers: alt texts that say what a chart shows, real PNGs of the size the
document expects, colour-blind-safe marks, and the same pictures from the worker processes as
from this one."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qa_xl.papers import charts, drawing
from qa_xl.papers.charts import HeatSpec, SpcSpec, TrendSpec, format_value

QUARTERS = tuple(f"{2024 + i // 4}-{(25 + i // 4) % 100:02d} Q{i % 4 + 1}" for i in range(12))
BANDS = (("Low", 1, 4), ("Medium", 5, 9), ("High", 10, 15), ("Very high", 16, 25))


def _image(chart: charts.Chart) -> Image.Image:
    return Image.open(io.BytesIO(chart.png)).convert("RGB")


def _has_colour(image: Image.Image, hex_colour: str, tolerance: int = 24) -> bool:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    data = image.tobytes()
    return any(all(abs(a - b) <= tolerance for a, b in zip(pixel, target))
               for pixel in zip(data[0::3], data[1::3], data[2::3]))


@pytest.mark.parametrize(("value", "unit", "text"), [
    (1234.0, "Count", "1,234"), (12.5, "Count", "12.5"), (0.853, "Percentage", "85.3%"),
    (0.9, "Percentage", "90.0%"), (45.25, "Rate per 10,000", "45.2"), (3.0, "Days", "3.0"),
    (None, "Count", "No data"), (float("nan"), "Score", "No data"),
])
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_trend_alt_says_what_the_chart_shows():
    spec = TrendSpec("MASH contacts", QUARTERS[:8], (812, 850, 870, 860, 900, 910, 930, 944),
                     "Count", 900)
    assert charts.trend_alt(spec) == "MASH contacts rose from 812 to 944 over 8 quarters; " \
                                     "target 900."


@pytest.mark.parametrize(("values", "target", "expected"), [
    ((0.9, 0.8, 0.7), 0.75, "X fell from 90.0% to 70.0% over 3 quarters; target 75.0%."),
    ((0.7, None, 0.7), None, "X stayed at 70.0% over 3 quarters (1 without a figure); "
                             "no target."),
    ((None, 0.5, None), None, "X was 50.0% in 2024-25 Q2, the only figure over 3 quarters; "
                              "no target."),
    ((None, None, None), 0.9, "X: no figures reported over 3 quarters; target 90.0%."),
])
def test_trend_alt_edge_cases(values, target, expected):
    assert charts.trend_alt(TrendSpec("X", QUARTERS[:3], values, "Percentage", target)) == \
        expected


def test_trend_chart_is_a_sparkline_png_of_the_expected_size():
    chart = drawing.trend_chart(TrendSpec("X", QUARTERS, tuple(range(12)), "Count", 6))
    image = _image(chart)
    width_mm, height_mm = charts.TREND_MM
    assert chart.png.startswith(b"\x89PNG") and chart.title == "Trend: X"
    assert image.width == round(width_mm / 25.4 * charts.SPARK_DPI)
    assert abs(image.width / image.height - width_mm / height_mm) < 0.05
    assert _has_colour(image, charts.OKABE_ITO["blue"])  # the line
    assert _has_colour(image, charts.OKABE_ITO["vermillion"])  # the target


def test_spc_chart_marks_improvement_and_writes_the_verdicts():
    values = (50, 51, 49, 50, 52, 48, 50, 51, 49, 50, 51, 90)  # the last point is far above
    spec = SpcSpec("Referrals seen", QUARTERS, values, "Count", "increase", 52)
    chart = drawing.spc_chart(spec)
    assert "Special cause points: 1 improvement, 11 concern." in chart.alt  # and a shift
    assert "Variation: Special cause variation – improvement (higher is better)." in chart.alt
    assert "Assurance: Hit and miss" in chart.alt
    assert "statistical process control chart of 12 quarters (2024-25 Q1 to 2026-27 Q4)" in \
        chart.alt
    image = _image(chart)
    assert abs(image.width / image.height - charts.SPC_MM[0] / charts.SPC_MM[1]) < 0.05
    assert _has_colour(image, charts.OKABE_ITO["blue"])  # the improvement point


def test_spc_chart_marks_concern_in_orange():
    values = (50, 51, 49, 50, 52, 48, 50, 51, 49, 50, 51, 10)
    chart = drawing.spc_chart(SpcSpec("Y", QUARTERS, values, "Count", "increase"))
    assert "11 improvement, 1 concern" in chart.alt and "No target set" in chart.alt
    assert "Variation: Special cause variation – concern (higher is better)." in chart.alt
    assert _has_colour(_image(chart), charts.OKABE_ITO["orange"])


def test_heat_alt_lists_every_occupied_cell_highest_first():
    spec = HeatSpec((("R1", 2, 2, "Low"), ("R2", 4, 5, "Very high"), ("R3", 4, 5, "Very high")),
                    BANDS)
    assert charts.heat_alt(spec) == (
        "Risk heat map of 3 open risks by likelihood (1 rare to 5 almost certain) and impact "
        "(1 negligible to 5 catastrophic): likelihood 4 by impact 5 (score 20, Very high): R2, "
        "R3; likelihood 2 by impact 2 (score 4, Low): R1.")
    assert charts.heat_alt(HeatSpec((), BANDS)).endswith("there are no open risks on the 5 by "
                                                         "5 matrix.")


def test_heat_map_shades_bands_lightest_for_the_lowest():
    assert [charts.band_colour(name, BANDS) for name, _, _ in BANDS] == list(
        charts.BAND_COLOURS[:4])
    chart = drawing.heat_map_chart(HeatSpec((("R1", 5, 5, "Very high"),), BANDS))
    assert chart.title == "Risk heat map"
    assert _has_colour(_image(chart), charts.OKABE_ITO["vermillion"])


def test_workers_draw_the_same_charts_as_this_process():
    specs = [TrendSpec(f"T{i}", QUARTERS, tuple(float(i + j) for j in range(12)), "Count")
             for i in range(6)] + [SpcSpec("S", QUARTERS, tuple(range(12)), "Count", "decrease")]
    here = [drawing.draw(spec) for spec in specs]
    there = drawing.draw_all(specs)
    assert drawing._POOL is None  # the workers stopped
    assert [c.alt for c in there] == [c.alt for c in here]
    assert [_image(c).size for c in there] == [_image(c).size for c in here]
    assert [c.png for c in there] == [c.png for c in here]


def test_titles_and_sizes_are_known_before_drawing():
    spec = SpcSpec("S", QUARTERS, tuple(range(12)), "Count", "neutral")
    assert charts.size_of(spec) == charts.SPC_MM
    assert charts.title_of(spec) == "SPC chart: S"


def test_spc_chart_draws_its_grid_tick_marks_and_words():
    """The grid, the tick marks and the words are drawn outside matplotlib's tick machinery
    (reused lines and cached text masks): each must still be where the axes say."""
    values = (50, 51, 49, 50, 52, 48, 50, 51, 49, 50, 51, 53)
    spec = SpcSpec("Referrals seen", QUARTERS, values, "Count", "increase", None)
    image = _image(drawing.spc_chart(spec))
    figure = drawing._FIGURES["spc"]
    ax, height = figure.ax, image.height
    low, high, ticks = drawing._y_range([*values, *figure.limits["upl"][0].get_ydata(),
                                        *figure.limits["lpl"][0].get_ydata()], "Count")
    assert ax.get_ylim() == (low, high)
    (left, _), (right, _) = ax.transAxes.transform([(0, 0), (1, 0)])
    for tick in ticks:
        _, y = ax.transData.transform((0, tick))
        row = round(height - y)
        grid = [image.getpixel((x, r)) for r in (row - 1, row, row + 1)
                for x in range(int(left) + 2, int(right) - 2)]
        light_grey = sum(p[0] == p[1] == p[2] and 0xC0 <= p[0] < 0xF8 for p in grid)
        assert light_grey > (right - left) / 3, f"no grid line at {tick}"
        mark = [image.getpixel((int(left) - d, r)) for d in (1, 2) for r in (row - 1, row, row + 1)]
        assert any(sum(p) < 3 * 0x80 for p in mark), f"no tick mark at {tick}"
    for i in drawing._x_ticks(spec.labels):
        x, y = ax.transData.transform((i, low))
        below = [image.getpixel((round(x) + dx, round(height - y) + dy)) for dx in (-1, 0, 1)
                 for dy in (1, 2)]
        assert any(sum(p) < 3 * 0x80 for p in below), f"no tick mark under {spec.labels[i]}"
        words = image.crop((round(x) - 12, round(height - y) + 4, round(x) + 12,
                            round(height - y) + 30))
        assert words.convert("L").getextrema()[0] < 0x60, f"no label under {spec.labels[i]}"


def test_text_masks_are_reused_and_bounded(monkeypatch):
    monkeypatch.setattr(drawing, "MAX_MASKS", 3)
    drawing._MASKS.clear()
    first = drawing._text_mask("Q1", 7.5, False, "mt", charts.DPI)
    assert drawing._text_mask("Q1", 7.5, False, "mt", charts.DPI) is first
    for word in ("a", "b", "c", "d"):
        drawing._text_mask(word, 7.5, False, "mt", charts.DPI)
    assert len(drawing._MASKS) <= 3


def test_a_bar_s_figure_is_never_struck_through_by_the_target_line():
    """68.2% under a 75% target: the figure would sit on the dashed line, so it goes inside
    the bar in white (the yearly report's charts, looked at in the PDF)."""
    from qa_xl.papers.charts import BarSpec

    assert drawing.value_label_place(100, 20, None) == (103, "#000000", "mb")
    assert drawing.value_label_place(100, 20, 180) == (103, "#000000", "mb")  # far above
    assert drawing.value_label_place(100, 20, 108)[1:] == ("#FFFFFF", "mt")  # inside
    assert drawing.value_label_place(30, 20, 38) == (41, "#000000", "mb")  # short: above it
    near = BarSpec("Families better off", ("2024-25", "2025-26"), (0.682, 0.659), "Percentage",
                   target=0.75)
    far = BarSpec("Families better off", ("2024-25", "2025-26"), (0.682, 0.659), "Percentage",
                  target=0.2)

    def white_inside_bars(spec: BarSpec) -> int:
        image = Image.open(io.BytesIO(drawing.bar_chart(spec).png)).convert("RGB")
        blue = tuple(int(charts.OKABE_ITO["blue"][i:i + 2], 16) for i in (1, 3, 5))
        count = 0
        for x in range(image.width):
            column = [image.getpixel((x, y)) for y in range(image.height)]
            inside = [i for i, c in enumerate(column) if c == blue]
            if inside:
                count += sum(1 for c in column[min(inside):max(inside)] if min(c) > 240)
        return count

    assert white_inside_bars(near) > 20 and white_inside_bars(far) == 0
