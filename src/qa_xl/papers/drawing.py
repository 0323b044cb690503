"""Drawing the papers' charts: matplotlib figures made once and reused, and a worker process.

Speed matters because a pack holds fifty charts or more and a fresh matplotlib figure costs
about 0.12 s. Here each kind of chart reuses one figure whose artists are made once (only
their data change), the words are drawn with Pillow onto the rendered figure (in matplotlib
3.11 text was three quarters of an SPC chart's time), and the whole batch is drawn by a worker
process that imports matplotlib while the main process is still reading the workbook
(:func:`warm_up`, :func:`start`), so the charts are ready by the time the document has been
rendered. Where ``fork`` is not available (Windows, where the Excel buttons run; Pyodide in xlwings
Lite) or a worker cannot start, the charts are drawn in-process: slower, never wrong.

What each chart says — its spec, alt text and title — is in :mod:`qa_xl.papers.charts`.
matplotlib is imported only when the first chart is drawn.
"""

from __future__ import annotations

import io
import itertools
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

from qa_xl.papers.charts import (
    BAND_COLOURS,
    BARS_MM,
    DPI,
    GREY,
    HEAT_MM,
    ICON_MM,
    ICONS,
    IMPACT_WORDS,
    LIKELIHOOD_WORDS,
    MM_PER_INCH,
    OKABE_ITO,
    SPARK_DPI,
    SPC_MM,
    TREND_MM,
    BarSpec,
    Chart,
    HeatSpec,
    IconSpec,
    SpcSpec,
    Spec,
    TrendSpec,
    axis_value,
    band_colour,
    band_of,
    bars_alt,
    clipped,
    format_value,
    heat_alt,
    icon_alt,
    present,
    spc_alt,
    title_of,
    trend_alt,
)

# The target's words: a darker vermillion than its line, 5.5:1 on white (the line's own
# colour, #D55E00, is 3.9:1: enough for a line, too little for text)
TARGET_TEXT = "#B04A00"
MIN_POOL_CHARTS = 6  # fewer charts than this are drawn in-process: a pool costs more


def _matplotlib() -> Any:
    """Import matplotlib for drawing off screen (Agg) with the papers' text settings."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "font.family": _font_family(), "font.size": 7.5, "axes.edgecolor": GREY,
        "axes.linewidth": 0.6, "xtick.color": "#333333", "ytick.color": "#333333",
        "xtick.major.size": 2, "ytick.major.size": 2,
    })
    return matplotlib


def _font_family() -> str:
    """Arial where installed (Windows), its metric twin Liberation Sans on Linux, else the
    font matplotlib ships. One family only: matplotlib looks up every family in a list for
    every piece of text, which is slow and warns for each one missing."""
    from matplotlib import font_manager

    names = {font.name for font in font_manager.fontManager.ttflist}
    return next((f for f in ("Arial", "Liberation Sans") if f in names), "DejaVu Sans")


def _new_figure(size_mm: tuple[float, float], dpi: int = DPI) -> Any:
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_mm[0] / MM_PER_INCH, size_mm[1] / MM_PER_INCH), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any, dpi: int = DPI) -> bytes:
    """PNG bytes of the figure; light compression (flat colours compress well anyway)."""
    from PIL import Image

    canvas = fig.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw",
                             "RGBA", 0, 1).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3, dpi=(dpi, dpi))
    return buffer.getvalue()


def _x_ticks(labels: Sequence[str], most: int = 7) -> list[int]:
    """Where the period labels go: a few, always including the latest (every label would
    crowd the axis)."""
    n = len(labels)
    step = max(1, math.ceil(n / most))
    return sorted(range(n - 1, -1, -step))


def _y_range(numbers: Sequence[float], unit: str) -> tuple[float, float, list[float]]:
    """Limits with a margin, never below zero for figures that cannot be negative, and a few
    round ticks (labelled in the indicator's unit by the caller)."""
    low, high = min(numbers), max(numbers)
    pad = (high - low) * 0.15 or abs(high) * 0.1 or 1.0
    low = max(0.0, low - pad) if low >= 0 else low - pad
    high += pad
    if str(unit).lower().startswith("percent") and max(numbers) <= 1.0:
        high = min(high, 1.0 + pad / 3)
    return low, high, _nice_ticks(low, high)


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high + 1e-12]


def _axes(fig: Any, rect: tuple[float, float, float, float]) -> tuple[Any, Any, Any, Any]:
    """Axes with a left and a bottom spine, and the tick marks and horizontal grid as three
    lines (grid, x ticks, y ticks) whose data the caller sets for each chart.

    Matplotlib's own ticks are an artist per tick, laid out again for every chart: they
    were a third of an SPC chart's drawing time. The same marks drawn as three reused lines
    look the same and cost next to nothing."""
    from matplotlib.lines import TICKDOWN, TICKLEFT
    from matplotlib.transforms import blended_transform_factory as blend

    ax = fig.add_axes(rect)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    (grid,) = ax.plot([], [], color="#DDDDDD", linewidth=0.5, zorder=0.5,
                      transform=blend(ax.transAxes, ax.transData))
    mark = {"linestyle": "none", "color": "#333333", "markersize": 2, "markeredgewidth": 0.8,
            "clip_on": False}
    (x_ticks,) = ax.plot([], [], marker=TICKDOWN, transform=blend(ax.transData, ax.transAxes),
                         **mark)
    (y_ticks,) = ax.plot([], [], marker=TICKLEFT, transform=blend(ax.transAxes, ax.transData),
                         **mark)
    return ax, grid, x_ticks, y_ticks


class _TrendFigure:
    """One figure for every trend chart: its artists are made once and only their data
    change from chart to chart (re-creating axes and lines was most of the cost).

    The trend chart is a sparkline sized for a scorecard row: the line, the target dashed,
    the latest point marked; no text, because the row beside it gives the figures and text
    is what costs time to draw."""

    def __init__(self) -> None:
        self.fig = _new_figure(TREND_MM, dpi=SPARK_DPI)
        self.ax = ax = self.fig.add_axes((0.03, 0.12, 0.9, 0.76))
        ax.set_axis_off()
        (self.line,) = ax.plot([], [], color=OKABE_ITO["blue"], linewidth=1.1,
                               solid_capstyle="round")
        self.target = ax.axhline(0, color=OKABE_ITO["vermillion"], linestyle=(0, (3, 2)),
                                 linewidth=0.8)
        (self.latest,) = ax.plot([], [], linestyle="none", marker="o", markersize=2.6,
                                 color=OKABE_ITO["blue"])

    def draw(self, spec: TrendSpec) -> bytes:
        points = present(spec.values)
        self.line.set_data(range(len(spec.values)),
                           [math.nan if v is None else float(v) for v in spec.values])
        self.latest.set_data([i for i, _ in points[-1:]], [v for _, v in points[-1:]])
        shown = spec.target is not None
        self.target.set_visible(shown)
        if shown:
            self.target.set_ydata([spec.target, spec.target])
        numbers = [v for _, v in points] + ([spec.target] if shown else [])
        low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
        pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
        self.ax.set_ylim(low - pad, high + pad)
        self.ax.set_xlim(-0.3, max(len(spec.values), 1) - 0.7)
        return _png(self.fig, SPARK_DPI)


_MARKERS = {  # classification -> (colour, marker, legend words)
    "common_cause": (GREY, "o", "Common cause"),
    "improvement": (OKABE_ITO["blue"], "^", "Special cause: improvement"),
    "concern": (OKABE_ITO["orange"], "v", "Special cause: concern"),
    "neither": (OKABE_ITO["purple"], "D", "Special cause: unusual (no better direction)"),
}
_LIMITS = (("mean", "Mean", "-", OKABE_ITO["black"]),
           ("upl", "Upper limit", (0, (2, 2)), GREY),
           ("lpl", "Lower limit", (0, (2, 2)), GREY))
_FONTS: dict[tuple[bool, float, int], Any] = {}


class _Words:
    """The words of a chart, drawn with Pillow onto the rendered figure.

    In matplotlib 3.11 each piece of text costs about a millisecond to lay out and draw
    (glyph by glyph), which made an SPC chart's twenty labels three quarters of its time.
    Pillow draws the same TrueType font (the one matplotlib would use) in microseconds;
    matplotlib still draws everything else and says where each word goes."""

    def __init__(self, fig: Any) -> None:
        self.fig = fig
        self.items: list[tuple[float, float, str, float, bool, str, str]] = []

    def add(self, xy: tuple[float, float], text: str, *, size: float = 7.5,
            bold: bool = False, colour: str = "#333333", anchor: str = "lm") -> None:
        """``xy`` in display pixels (origin bottom left, as matplotlib's transforms give);
        ``anchor`` as Pillow's: l/m/r then t/m/b... (here 'lm', 'mt', 'rm', 'lt')."""
        self.items.append((xy[0], xy[1], text, size, bold, colour, anchor))

    def png(self, dpi: int = DPI) -> bytes:
        from PIL import Image

        canvas = self.fig.canvas
        canvas.draw()
        width, height = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA",
                                 0, 1).convert("RGB")
        for x, y, text, size, bold, colour, anchor in self.items:
            mask, (left, top) = _text_mask(text, size, bold, anchor, dpi)
            image.paste(colour, (round(x) + left, round(height - y) + top), mask)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=3, dpi=(dpi, dpi))
        return buffer.getvalue()


MAX_MASKS = 5000
_MASKS: dict[tuple[str, float, bool, str, int], tuple[Any, tuple[int, int]]] = {}


def _text_mask(text: str, size: float, bold: bool, anchor: str,
               dpi: int) -> tuple[Any, tuple[int, int]]:
    """The word as a grey-scale mask and its offset from the anchor point, rendered once:
    period labels, tick values and legend words recur on every chart, and pasting a ready
    mask costs a tenth of laying the text out again."""
    key = (text, size, bold, anchor, dpi)
    if key not in _MASKS:
        if len(_MASKS) >= MAX_MASKS:  # a long-lived process (the Excel add-in's server)
            _MASKS.clear()
        from PIL import Image, ImageDraw

        font = _pil_font(bold, size, dpi)
        anchor = anchor[0] + {"t": "a", "b": "d"}.get(anchor[1], anchor[1])
        left, top, right, bottom = font.getbbox(text, anchor=anchor)
        mask = Image.new("L", (max(1, right - left), max(1, bottom - top)))
        ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
        _MASKS[key] = (mask, (left, top))
    return _MASKS[key]


def _pil_font(bold: bool, size: float, dpi: int) -> Any:
    """Pillow's handle on the TrueType file matplotlib uses for this weight."""
    key = (bold, size, dpi)
    if key not in _FONTS:
        from matplotlib import font_manager
        from PIL import ImageFont

        path = font_manager.findfont(font_manager.FontProperties(
            family=_font_family(), weight="bold" if bold else "normal"))
        _FONTS[key] = ImageFont.truetype(path, round(size * dpi / 72))
    return _FONTS[key]


class _SpcFigure:
    """One figure for every SPC chart, artists made once (see :class:`_TrendFigure`); its
    words are drawn by :class:`_Words`."""

    LEGEND_Y = 0.04

    def __init__(self) -> None:
        from matplotlib.lines import Line2D

        self.fig = fig = _new_figure(SPC_MM)
        self.ax, self.grid, self.x_ticks, self.y_ticks = _axes(fig, (0.075, 0.27, 0.72, 0.55))
        ax = self.ax
        (self.values,) = ax.plot([], [], color=GREY, linewidth=1.0, zorder=2)
        self.points = {kind: ax.plot([], [], linestyle="none", marker=marker, markersize=4.5,
                                     color=colour, zorder=3)[0]
                       for kind, (colour, marker, _words) in _MARKERS.items()}
        self.limits = {field: (ax.plot([], [], linestyle=style, color=colour, linewidth=0.9,
                                       zorder=1)[0], words, colour)
                       for field, words, style, colour in _LIMITS}
        self.target = ax.axhline(0, color=OKABE_ITO["vermillion"], linewidth=1.1,
                                 linestyle=(0, (6, 2, 1, 2)))
        self.rebases = [ax.axvline(0, color="#333333", linewidth=0.8, linestyle=(0, (4, 2)),
                                   zorder=1, visible=False) for _ in range(4)]
        self.legends: dict[bool, list[tuple[Any, float, str]]] = {}
        for neutral, kinds in ((False, ("common_cause", "improvement", "concern")),
                               (True, ("common_cause", "neither"))):
            entries, x = [], 0.075
            for kind in kinds:
                colour, marker, words = _MARKERS[kind]
                mark = fig.add_artist(Line2D([x], [self.LEGEND_Y], marker=marker,
                                             color=colour, markersize=4.5, linestyle="none"))
                entries.append((mark, x + 0.012, words))
                text_px = _pil_font(False, 6.5, DPI).getlength(words)
                x += 0.04 + text_px / fig.canvas.get_width_height()[0]
            self.legends[neutral] = entries

    def draw(self, spec: SpcSpec, result: Any) -> bytes:
        from matplotlib.transforms import blended_transform_factory

        ax, fig, words = self.ax, self.fig, _Words(self.fig)
        x = list(range(len(spec.values)))
        y = [math.nan if v is None else v for v in result.value]
        self.values.set_data(x, y)
        for kind, line in self.points.items():
            xs = [i for i, c in enumerate(result.classification) if c == kind and y[i] == y[i]]
            line.set_data(xs, [y[i] for i in xs])
        numbers = [v for v in y if v == v]
        right = blended_transform_factory(ax.transAxes, ax.transData)
        labels: list[tuple[float, str, str, bool]] = []
        for field, (line, name, colour) in self.limits.items():
            # limits as Making Data Count shows them: a percentage's within 0-100%, a
            # count's not below 0; each segment's own, not joined across a recalculation
            series = [math.nan if v is None else clipped(v, spec.unit)
                      for v in getattr(result, field)]
            line.set_data(*_segmented(result.segments, series))
            numbers += [v for v in series if v == v]
            if series and series[-1] == series[-1]:
                labels.append((series[-1], f"{name} {format_value(series[-1], spec.unit)}",
                               colour, False))
        self.target.set_visible(spec.target is not None)
        if spec.target is not None:
            self.target.set_ydata([spec.target, spec.target])
            numbers.append(float(spec.target))
            labels.append((spec.target, f"Target {format_value(spec.target, spec.unit)}",
                           TARGET_TEXT, True))
        low, high, ticks = _y_range(numbers or [0.0], spec.unit)
        positions = _x_ticks(spec.labels)
        ax.set_ylim(low, high)
        ax.set_xlim(-0.5, max(len(spec.labels), 1) - 0.5)
        self.grid.set_data([v for _ in ticks for v in (0.0, 1.0, math.nan)],
                           [v for t in ticks for v in (t, t, math.nan)])
        self.y_ticks.set_data([0.0] * len(ticks), ticks)
        self.x_ticks.set_data(positions, [0.0] * len(positions))
        for value, text, colour, bold in _spread(labels, ax):
            px, py = right.transform((1.0, value))
            words.add((px + 5, py), text, colour=colour, bold=bold)
        for line, (index, _reason) in itertools.zip_longest(self.rebases, spec.rebase,
                                                            fillvalue=(None, "")):
            if line is None:
                break
            line.set_visible(index is not None)
            if index is not None:
                line.set_xdata([index - 0.5, index - 0.5])
                px, py = ax.transData.transform((index - 0.5, ax.get_ylim()[1]))
                words.add((px + 3, py - 2), f"Recalculated from {spec.labels[index]}",
                          size=6.5, anchor="lt")
        for tick in ticks:
            px, py = ax.transData.transform((ax.get_xlim()[0], tick))
            words.add((px - 5, py), axis_value(tick, spec.unit), anchor="rm")
        for i in positions:
            px, py = ax.transData.transform((i, ax.get_ylim()[0]))
            year, _, part = spec.labels[i].partition(" ")
            for line, text in enumerate(t for t in (part, year) if t):
                words.add((px, py - 5 - 11 * line), text, anchor="mt")
        width, height = fig.canvas.get_width_height()
        words.add((0.075 * width, 0.955 * height), f"Variation: {result.variation_text}",
                  anchor="lt")
        words.add((0.075 * width, 0.885 * height),
                  f"Assurance: {result.assurance_text.split(' – ')[0]}", anchor="lt")
        for neutral, entries in self.legends.items():
            shown = neutral == (spec.improvement == "neutral")
            for mark, text_x, text in entries:
                mark.set_visible(shown)
                if shown:
                    words.add((text_x * width, self.LEGEND_Y * height), text, size=6.5)
        return words.png()


def _segmented(segments: Sequence[Any], series: list[float]) -> tuple[list[float],
                                                                       list[float]]:
    """A limit line per segment, from half a step before its first point to half a step
    after its last, with a gap (NaN) between segments so a recalculation is not joined."""
    xs: list[float] = []
    ys: list[float] = []
    for seg in segments:
        if seg.stop <= seg.start:
            continue
        level = series[seg.start]
        xs += [seg.start - 0.5, seg.stop - 0.5, math.nan]
        ys += [level, level, math.nan]
    return xs, ys


def _spread(labels: list[tuple[float, str, str, bool]], ax: Any,
            gap_px: float = 11.0) -> list[tuple[float, str, str, bool]]:
    """Right-hand labels moved apart where their lines are too close to read (a target on
    the mean, say), keeping their order; positions stay in data units."""
    if len(labels) < 2:
        return labels
    to_px = ax.transData.transform
    from_px = ax.transData.inverted().transform
    ordered = sorted(labels, key=lambda item: item[0])
    placed: list[tuple[float, str, str, bool]] = []
    last_px = -math.inf
    for value, text, colour, bold in ordered:
        py = max(to_px((0, value))[1], last_px + gap_px)
        placed.append((from_px((0, py))[1], text, colour, bold))
        last_px = py
    return placed


_FIGURES: dict[str, Any] = {}


def _reused(kind: str, make: Any) -> Any:
    if kind not in _FIGURES:
        _FIGURES[kind] = make()
    return _FIGURES[kind]


def trend_chart(spec: TrendSpec) -> Chart:
    """A line of the indicator over time, the latest point labelled, the target dashed."""
    return Chart(_reused("trend", _TrendFigure).draw(spec), trend_alt(spec), title_of(spec),
                 *TREND_MM)


def spc_chart(spec: SpcSpec) -> Chart:
    """An XmR chart the Making Data Count way: mean, process limits, target, special-cause
    points marked by shape and colour, and the variation and assurance verdicts as words."""
    from qa_xl.papers.spc import xmr

    result = xmr(list(spec.values), improvement=spec.improvement, target=spec.target,
                 rebase_at=spec.rebase_at)
    png = _reused("spc", _SpcFigure).draw(spec, result)
    return Chart(png, spc_alt(spec, result), title_of(spec), *SPC_MM)


class _HeatFigure:
    """The 5 x 5 matrix, drawn as 25 squares made once; their colours and the words (by
    :class:`_Words`) change with the register."""

    RECT = (0.2, 0.25, 0.76, 0.68)

    def __init__(self) -> None:
        from matplotlib.patches import Rectangle

        self.fig = fig = _new_figure(HEAT_MM)
        self.ax = ax = fig.add_axes(self.RECT)
        ax.set_xlim(0.5, 5.5)
        ax.set_ylim(0.5, 5.5)
        ax.set_axis_off()
        self.cells = {(lik, imp): ax.add_patch(Rectangle(
            (imp - 0.5, lik - 0.5), 1, 1, edgecolor="white", linewidth=1.5))
            for lik in range(1, 6) for imp in range(1, 6)}
        self.swatches = [fig.add_artist(Rectangle((0, 0.045), 0.025, 0.03, edgecolor=GREY,
                                                  linewidth=0.4, transform=fig.transFigure))
                         for _ in BAND_COLOURS]

    def draw(self, spec: HeatSpec) -> bytes:
        ax, words = self.ax, _Words(self.fig)
        width, height = self.fig.canvas.get_width_height()
        ids: dict[tuple[int, int], list[str]] = {}
        for risk_id, likelihood, impact, _band in spec.risks:
            ids.setdefault((likelihood, impact), []).append(risk_id)
        for (lik, imp), patch in self.cells.items():
            patch.set_facecolor(band_colour(band_of(lik * imp, spec.bands), spec.bands))
            here = ids.get((lik, imp), [])
            shown = [*here[:3], f"+{len(here) - 3} more"] if len(here) > 4 else here
            x, y = ax.transData.transform((imp, lik))
            for line, text in enumerate(shown):
                words.add((x, y + 5.5 * (len(shown) - 1) - 11 * line), text, size=6.5,
                          bold=True, colour="#000000", anchor="mm")
        for i, word in enumerate(IMPACT_WORDS, 1):
            x, y = ax.transData.transform((i, 0.5))
            words.add((x, y - 4), str(i), size=6.5, anchor="mt")
            words.add((x, y - 14), word, size=6.5, anchor="mt")
        for i, word in enumerate(LIKELIHOOD_WORDS, 1):
            x, y = ax.transData.transform((0.5, i))
            words.add((x - 5, y), f"{word} {i}", size=6.5, anchor="rm")
        x, y = ax.transData.transform((3, 0.5))
        words.add((x, y - 27), "Impact", bold=True, anchor="mt")
        x, y = ax.transData.transform((0.5, 5.5))
        words.add((x - 5, y + 4), "Likelihood", bold=True, anchor="rb")
        for i, swatch in enumerate(self.swatches):
            swatch.set_visible(i < len(spec.bands))
        labels = [f"{name} ({low}-{high})" for name, low, high in spec.bands]
        steps = [0.06 + _pil_font(False, 6.5, DPI).getlength(t) / width for t in labels]
        x = 0.58 - sum(steps) / 2  # centred under the matrix
        for swatch, (name, _, _), label, step in zip(self.swatches, spec.bands, labels, steps):
            swatch.set_x(x)
            swatch.set_facecolor(band_colour(name, spec.bands))
            words.add(((x + 0.032) * width, 0.06 * height), label, size=6.5)
            x += step
        return words.png()


def heat_map_chart(spec: HeatSpec) -> Chart:
    """The 5 x 5 matrix, likelihood up and impact across, each cell shaded by its band and
    holding the ids of the open risks in it."""
    return Chart(_reused("heat", _HeatFigure).draw(spec), heat_alt(spec), title_of(spec),
                 *HEAT_MM)


class _BarsFigure:
    """One figure for every year-by-year bar chart (the yearly report): up to eight bars,
    made once; their heights, the target line and the words change."""

    MOST = 8

    def __init__(self) -> None:
        self.fig = fig = _new_figure(BARS_MM)
        self.ax, self.grid, self.x_ticks, self.y_ticks = _axes(fig, (0.1, 0.2, 0.7, 0.72))
        self.bars = self.ax.bar(range(self.MOST), [0] * self.MOST, width=0.6,
                                color=OKABE_ITO["blue"], zorder=2)
        self.target = self.ax.axhline(0, color=OKABE_ITO["vermillion"], linewidth=1.1,
                                      linestyle=(0, (6, 2, 1, 2)))

    def draw(self, spec: BarSpec) -> bytes:
        ax, words = self.ax, _Words(self.fig)
        values = [v for v in spec.values[-self.MOST:]]
        labels = list(spec.labels[-self.MOST:])
        for i, bar in enumerate(self.bars):
            shown = i < len(values) and values[i] is not None
            bar.set_visible(shown)
            if shown:
                bar.set_height(values[i])
        numbers = [v for v in values if v is not None] + (
            [spec.target] if spec.target is not None else [])
        high = max(numbers or [1.0]) * 1.18 or 1.0
        ax.set_xlim(-0.6, max(len(values), 1) - 0.4)
        ax.set_ylim(0, high)
        ticks = _nice_ticks(0, high)
        self.grid.set_data([v for _ in ticks for v in (0.0, 1.0, math.nan)],
                           [v for t in ticks for v in (t, t, math.nan)])
        self.y_ticks.set_data([0.0] * len(ticks), ticks)
        self.x_ticks.set_data([], [])
        self.target.set_visible(spec.target is not None)
        if spec.target is not None:
            self.target.set_ydata([spec.target, spec.target])
            px, py = ax.transData.transform((ax.get_xlim()[1], spec.target))
            words.add((px + 5, py), f"Target {format_value(spec.target, spec.unit)}",
                      colour=TARGET_TEXT, bold=True, anchor="lm")
        for tick in ticks:
            px, py = ax.transData.transform((ax.get_xlim()[0], tick))
            words.add((px - 5, py), axis_value(tick, spec.unit), anchor="rm")
        for i, (label, value) in enumerate(zip(labels, values)):
            px, py = ax.transData.transform((i, 0))
            words.add((px, py - 5), label, anchor="mt")
            text = format_value(value, spec.unit, missing="No figure")
            _, top = ax.transData.transform((i, value or 0))
            line = (ax.transData.transform((0, spec.target))[1]
                    if spec.target is not None else None)
            y, colour, anchor = value_label_place(top, py, line)
            words.add((px, y), text, bold=True, colour=colour, anchor=anchor)
        return words.png()


LABEL_PX = 7.5 * DPI / 72  # the height of a bar's figure, in pixels


def value_label_place(top: float, base: float, line: float | None
                      ) -> tuple[float, str, str]:
    """Where a bar's figure goes (y in pixels, colour, anchor): just above the bar, unless
    the target line runs through that place (the line struck the figure through); then
    inside the top of the bar in white (5.2:1 on the bar's blue) where the bar is tall
    enough, or else just above the line."""
    above = (top + 3, "#000000", "mb")
    if line is None or not (top - 1 <= line <= top + 3 + LABEL_PX + 2):
        return above
    if top - base >= LABEL_PX + 8:
        return (top - 3, "#FFFFFF", "mt")
    return (line + 3, "#000000", "mb")


def bar_chart(spec: BarSpec) -> Chart:
    """A measure year by year: a bar per year with its figure, the target dashed."""
    return Chart(_reused("bars", _BarsFigure).draw(spec), bars_alt(spec), title_of(spec),
                 *BARS_MM)


ICON_DPI = 300
_ICONS: dict[str, bytes] = {}


def icon_chart(spec: IconSpec) -> Chart:
    """A round Making Data Count style icon: the colour of the verdict and its letter (H or
    L for special cause high or low, ~ for common cause, P, F or ? for assurance), drawn
    once per kind with Pillow (four times larger, then reduced, for smooth edges)."""
    if spec.kind not in _ICONS:
        from PIL import Image, ImageDraw

        fill, letter, ink, _words = ICONS.get(spec.kind, ICONS["none"])
        size = round(ICON_MM[0] / MM_PER_INCH * ICON_DPI)
        big = size * 4
        image = Image.new("RGB", (big, big), "#FFFFFF")
        draw = ImageDraw.Draw(image)
        draw.ellipse((8, 8, big - 8, big - 8), fill=fill, outline="#333333", width=8)
        font = _pil_font(True, 55, ICON_DPI)  # a letter about half the circle's height
        draw.text((big / 2, big / 2), letter, fill=ink, font=font, anchor="mm")
        buffer = io.BytesIO()
        image.resize((size, size), Image.LANCZOS).save(buffer, format="PNG",
                                                       dpi=(ICON_DPI, ICON_DPI))
        _ICONS[spec.kind] = buffer.getvalue()
    return Chart(_ICONS[spec.kind], icon_alt(spec.kind), title_of(spec), *ICON_MM)


def draw(spec: Spec) -> Chart:
    """Draw any chart from its spec."""
    if isinstance(spec, IconSpec):
        return icon_chart(spec)
    if isinstance(spec, BarSpec):
        return bar_chart(spec)
    if isinstance(spec, TrendSpec):
        return trend_chart(spec)
    if isinstance(spec, SpcSpec):
        return spc_chart(spec)
    if isinstance(spec, HeatSpec):
        return heat_map_chart(spec)
    raise TypeError(f"not a chart spec: {spec!r}")


# ------------------------------------------------------------------------ worker processes

_POOL: Any = None


def _warm() -> None:
    """Worker start-up: import matplotlib and make the figures before any chart is asked."""
    _reused("trend", _TrendFigure)
    _reused("spc", _SpcFigure)
    _reused("heat", _HeatFigure)


def _can_fork() -> bool:
    """A forked worker can help: not on Windows, a single core, or Pyodide (xlwings Lite),
    which has no os.fork."""
    return (hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()
            and os.cpu_count() not in (None, 1))


def warm_up(workers: int = 1) -> None:
    """Start the chart worker(s) now, so that they import matplotlib while the caller reads
    the workbook. Call it before importing pandas. Does nothing without ``fork`` (Windows) or
    with ``QA_XL_CHART_WORKERS=0``.

    One worker is the default: on a two-core machine it has a core to itself while the main
    process reads and renders, and it draws a 40-partner pack's charts before the document is
    rendered; a second worker only competes with the main process for the other core."""
    global _POOL
    workers = int(os.environ.get("QA_XL_CHART_WORKERS", workers))
    if _POOL is None and workers > 0 and _can_fork():
        try:
            _POOL = multiprocessing.get_context("fork").Pool(workers, initializer=_warm)
        except (OSError, NotImplementedError, RuntimeError):  # no process can start here:
            _POOL = None  # the charts are drawn in this process


def shut_down() -> None:
    """Stop the chart workers (also done when the process exits)."""
    global _POOL
    if _POOL is not None:
        _POOL.close()
        _POOL.join()
        _POOL = None


def start(specs: Sequence[Spec]) -> Callable[[], list[Chart]]:
    """Start drawing every chart and return a function that waits for them (in order).

    With enough charts they are drawn by the warmed-up workers while the caller gets on with
    other work; otherwise they are drawn in this process when the function is called. The
    workers stop afterwards either way, so a long-running process (the Excel add-in's
    server) does not keep them."""
    specs = list(specs)
    if len(specs) >= MIN_POOL_CHARTS:
        warm_up()
    if _POOL is None or len(specs) < MIN_POOL_CHARTS:
        shut_down()
        return lambda: [draw(spec) for spec in specs]
    pending = _POOL.map_async(draw, specs, chunksize=max(1, len(specs) // 8))

    def wait() -> list[Chart]:
        try:
            return pending.get()
        finally:
            shut_down()

    return wait


def draw_all(specs: Sequence[Spec]) -> list[Chart]:
    """Draw every chart, in order (see :func:`start`)."""
    return start(specs)()
