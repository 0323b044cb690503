"""What the papers' charts say: trend lines, SPC (XmR) charts and the 5 x 5 risk heat map.

Each chart is described by a small picklable *spec* (plain numbers and words) and drawn into
PNG bytes (:mod:`qa_xl.papers.drawing`) with the text that a screen reader reads instead of it
(the alt text, made here). The alt text says what the chart shows ("Contacts received by the
MASH rose from 812 to 944 over 8 quarters; target 900"), so a reader who cannot see the
picture loses nothing.

Colours are the Okabe-Ito palette, which stays distinguishable with every common colour-vision
deficiency; no chart relies on colour alone (markers differ in shape, lines in dash pattern,
and every meaning is also written as words).

This module imports neither pandas nor matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
GREY = "#767676"  # 4.5:1 on white: the lightest grey that still reads as text
DPI = 110
MM_PER_INCH = 25.4
TREND_MM = (27.94, 8.89)  # a sparkline in a scorecard row: 1.1 x 0.35 inches, whole pixels
SPARK_DPI = 220  # small pictures need more dots per inch to stay sharp
SPC_MM = (160, 72)
ICON_MM = (7, 7)  # a Making Data Count style icon in the SPC summary table
BARS_MM = (90, 45)  # a measure year by year, in the yearly report
HEAT_MM = (120, 96)
BAND_COLOURS = ("#CDE4F5", OKABE_ITO["yellow"], OKABE_ITO["orange"], OKABE_ITO["vermillion"],
                OKABE_ITO["purple"])
BAND_TINTS = ("#E3EFF9", "#FAF6C2", "#FBE2A8", "#F5C6B0", "#EDD3E3")  # the same, light
LIKELIHOOD_WORDS = ("Rare", "Unlikely", "Possible", "Likely", "Almost certain")
IMPACT_WORDS = ("Negligible", "Minor", "Moderate", "Major", "Catastrophic")
PERIOD_WORDS = {"Q": ("quarter", "quarters"), "H": ("half-year", "half-years"),
                "Y": ("year", "years")}


# ------------------------------------------------------------------------- numbers as words

def format_value(value: float | None, unit: str, *, missing: str = "No data") -> str:
    """A figure as the papers print it: 1,234 for a count, 85.3% for a percentage (stored as
    0.853), one decimal place for rates, days and scores. Missing figures read ``missing``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    value = float(value)
    kind = str(unit or "").strip().lower()
    if kind.startswith("percent"):
        return f"{value * 100:.1f}%"
    if kind == "count" and value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def axis_value(value: float, unit: str) -> str:
    """Shorter tick labels: no decimals unless the axis needs them."""
    if str(unit or "").strip().lower().startswith("percent"):
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.1f}"


def period_word(labels: Sequence[str], count: int) -> str:
    kind = "Q" if labels and " Q" in labels[-1] else "H" if labels and " H" in labels[-1] else "Y"
    one, many = PERIOD_WORDS[kind]
    return f"{count} {one if count == 1 else many}"


def present(values: Sequence[float | None]) -> list[tuple[int, float]]:
    return [(i, float(v)) for i, v in enumerate(values)
            if v is not None and not (isinstance(v, float) and math.isnan(v))]


# ----------------------------------------------------------------------------------- specs

@dataclass(frozen=True)
class Chart:
    """A drawn chart: PNG bytes, the alt text that replaces it for a screen reader, a short
    title, and the width and height (mm) it is drawn for, so the document shows it without
    rescaling."""

    png: bytes
    alt: str
    title: str
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class TrendSpec:
    """One indicator over time. ``labels`` are periods ("2026-27 Q1"), ``values`` in the
    indicator's unit (a percentage as 0.85)."""

    name: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    unit: str
    target: float | None = None


@dataclass(frozen=True)
class SpcSpec:
    """An XmR chart of one indicator: ``improvement`` is "increase", "decrease" or "neutral"
    (see :func:`qa_xl.papers.spc.xmr`); ``rebase`` holds the points (index, reason) from
    which the officer had the limits recalculated."""

    name: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    unit: str
    improvement: str
    target: float | None = None
    rebase: tuple[tuple[int, str], ...] = ()

    @property
    def rebase_at(self) -> tuple[int, ...]:
        return tuple(i for i, _ in self.rebase)


@dataclass(frozen=True)
class BarSpec:
    """A measure year by year (the yearly report): one bar per year, its figure written on
    it, the target as a dashed line."""

    name: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    unit: str
    target: float | None = None


@dataclass(frozen=True)
class IconSpec:
    """A Making Data Count style icon: ``kind`` is a variation icon (common_cause,
    improvement_high, improvement_low, concern_high, concern_low, neutral_high, neutral_low)
    or an assurance icon (pass, fail, inconsistent, none)."""

    kind: str


@dataclass(frozen=True)
class HeatSpec:
    """Open risks on the 5 x 5 matrix: ``risks`` holds (risk_id, likelihood, impact, band);
    ``bands`` the register's bands as (name, lowest score, highest score)."""

    risks: tuple[tuple[str, int, int, str], ...]
    bands: tuple[tuple[str, int, int], ...]


Spec = TrendSpec | SpcSpec | HeatSpec | IconSpec | BarSpec

# What each icon shows: (fill, letter, letter colour, words for the alt text). The letter is
# black on the light fills and white on the dark ones, 4.5:1 or more either way.
ICONS = {
    "common_cause": (GREY, "~", "#FFFFFF", "Common cause variation: no significant change"),
    "improvement_high": (OKABE_ITO["blue"], "H", "#FFFFFF",
                         "Special cause variation: improvement, higher values"),
    "improvement_low": (OKABE_ITO["blue"], "L", "#FFFFFF",
                        "Special cause variation: improvement, lower values"),
    "concern_high": (OKABE_ITO["orange"], "H", "#000000",
                     "Special cause variation: concern, higher values"),
    "concern_low": (OKABE_ITO["orange"], "L", "#000000",
                    "Special cause variation: concern, lower values"),
    "neutral_high": (OKABE_ITO["purple"], "H", "#000000",
                     "Special cause variation: unusually high values, no better direction"),
    "neutral_low": (OKABE_ITO["purple"], "L", "#000000",
                    "Special cause variation: unusually low values, no better direction"),
    "pass": (OKABE_ITO["blue"], "P", "#FFFFFF", "Assurance: consistently passes the target"),
    "fail": (OKABE_ITO["orange"], "F", "#000000", "Assurance: consistently fails the target"),
    "inconsistent": (GREY, "?", "#FFFFFF", "Assurance: hit and miss, the target will be met "
                     "some of the time"),
    "none": ("#FFFFFF", "–", "#000000", "Assurance: not assessed (no target, or no better "
             "direction)"),
}


def icon_alt(kind: str) -> str:
    return ICONS.get(kind, ICONS["none"])[3] + "."


def limit_bounds(unit: str) -> tuple[float | None, float | None]:
    """The values a figure of this unit can take, for clipping process limits as NHS
    England's Making Data Count tool does: a percentage between 0% and 100%, a count, rate
    or number of days not below 0."""
    kind = str(unit or "").strip().lower()
    if kind.startswith("percent"):
        return 0.0, 1.0
    if kind in ("count", "days") or kind.startswith("rate"):
        return 0.0, None
    return None, None


def clipped(value: float | None, unit: str) -> float | None:
    """A process limit as shown: within the values the unit can take."""
    if value is None:
        return None
    low, high = limit_bounds(unit)
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


# ------------------------------------------------------------------------------- alt texts

def trend_alt(spec: TrendSpec) -> str:
    """'MASH contacts rose from 812 to 944 over 8 quarters; target 900.'"""
    points = present(spec.values)
    span = period_word(spec.labels, len(spec.labels))
    target = (f"target {format_value(spec.target, spec.unit)}" if spec.target is not None
              else "no target")
    if not points:
        return f"{spec.name}: no figures reported over {span}; {target}."
    (first_i, first), (last_i, last) = points[0], points[-1]
    fmt_first, fmt_last = format_value(first, spec.unit), format_value(last, spec.unit)
    if len(points) == 1:
        return f"{spec.name} was {fmt_last} in {spec.labels[last_i]}, the only figure over " \
               f"{span}; {target}."
    over = period_word(spec.labels, last_i - first_i + 1)
    if fmt_first == fmt_last:
        movement = f"stayed at {fmt_last} over {over}"
    else:
        verb = "rose" if last > first else "fell"
        movement = f"{verb} from {fmt_first} to {fmt_last} over {over}"
    gaps = len(spec.labels[first_i:last_i + 1]) - len(points)
    missing = f" ({gaps} without a figure)" if gaps else ""
    return f"{spec.name} {movement}{missing}; {target}."


def spc_alt(spec: SpcSpec, result: Any) -> str:
    """What an XmR chart shows, in words: span, mean, limits, special-cause points and the
    variation and assurance verdicts."""
    points = present(spec.values)
    span = period_word(spec.labels, len(spec.labels))
    if not points:
        return f"{spec.name}: statistical process control chart with no figures over {span}."
    seg = result.segments[-1]
    fmt = lambda v: format_value(v, spec.unit)  # noqa: E731
    special = {c: result.count(c) for c in ("improvement", "concern", "neither")}
    marked = ", ".join(f"{n} {c if c != 'neither' else 'unusual (no better direction)'}"
                       for c, n in special.items() if n)
    target = (f"target {fmt(spec.target)}" if spec.target is not None else "no target")
    rebased = "".join(f" Limits recalculated from {spec.labels[i]} ({reason})."
                      for i, reason in spec.rebase)
    return (f"{spec.name}: statistical process control chart of {span} "
            f"({spec.labels[0]} to {spec.labels[-1]}); latest {fmt(points[-1][1])}; "
            f"mean {fmt(seg.mean)}, process limits {fmt(clipped(seg.lpl, spec.unit))} to "
            f"{fmt(clipped(seg.upl, spec.unit))}; {target}.{rebased} "
            f"Special cause points: {marked or 'none'}. Variation: {result.variation_text}. "
            f"Assurance: {result.assurance_text}.")


def bars_alt(spec: BarSpec) -> str:
    """'Bar chart of X by year: 60.2% in 2024-25, 62.9% in 2025-26; the aim is 75.0%.'"""
    shown = [f"{format_value(v, spec.unit, missing='no figure')} in {label}"
             for label, v in zip(spec.labels, spec.values)]
    aim = (f"; the target is {format_value(spec.target, spec.unit)}"
           if spec.target is not None else "")
    return f"Bar chart of {spec.name} by year: {', '.join(shown) or 'no figures'}{aim}."


def heat_alt(spec: HeatSpec) -> str:
    """Every occupied cell of the matrix, highest score first, with its risks and band."""
    if not spec.risks:
        return "Risk heat map: there are no open risks on the 5 by 5 matrix."
    cells: dict[tuple[int, int], list[str]] = {}
    bands: dict[tuple[int, int], str] = {}
    for risk_id, likelihood, impact, band in spec.risks:
        cells.setdefault((likelihood, impact), []).append(risk_id)
        bands[(likelihood, impact)] = band
    parts = [f"likelihood {lik} by impact {imp} (score {lik * imp}, {bands[(lik, imp)]}): "
             f"{', '.join(ids)}"
             for (lik, imp), ids in sorted(cells.items(), key=lambda kv: (-kv[0][0] * kv[0][1],
                                                                         -kv[0][0]))]
    count = len(spec.risks)
    return (f"Risk heat map of {count} open risk{'s' if count != 1 else ''} by likelihood "
            f"(1 rare to 5 almost certain) and impact (1 negligible to 5 catastrophic): "
            + "; ".join(parts) + ".")


def band_colour(name: str, bands: Sequence[tuple[str, int, int]], *,
                tint: bool = False) -> str:
    """The colour of a band: lightest for the lowest scores. ``tint`` gives the light shade
    a table cell uses, on which dark text keeps a contrast above 7:1 (the heat map's strong
    colours carry black text at 5:1 or more)."""
    ordered = [b[0] for b in sorted(bands, key=lambda b: b[1])]
    index = ordered.index(name) if name in ordered else 0
    colours = BAND_TINTS if tint else BAND_COLOURS
    return colours[min(index, len(colours) - 1)]


def band_of(score: int, bands: Sequence[tuple[str, int, int]]) -> str:
    return next((name for name, low, high in bands if low <= score <= high), "")


def size_of(spec: Spec) -> tuple[float, float]:
    """The width and height (mm) a chart is drawn for."""
    return {TrendSpec: TREND_MM, SpcSpec: SPC_MM, HeatSpec: HEAT_MM, IconSpec: ICON_MM,
            BarSpec: BARS_MM}[type(spec)]


def title_of(spec: Spec) -> str:
    """A short title for the picture (Word shows it with the alt text)."""
    if isinstance(spec, HeatSpec):
        return "Risk heat map"
    if isinstance(spec, BarSpec):
        return f"Year by year: {spec.name}"
    if isinstance(spec, IconSpec):
        return "Assurance icon" if spec.kind in ("pass", "fail", "inconsistent", "none") \
            else "Variation icon"
    return f"{'Trend' if isinstance(spec, TrendSpec) else 'SPC chart'}: {spec.name}"


# ---------------------------------------------------------------------- charts in a context

@dataclass(frozen=True)
class ChartSlot:
    """Where a chart goes in the context until it is drawn: what the document needs to place
    it (alt text, title, size) is known before the picture is."""

    index: int
    alt: str
    title: str
    width_mm: float
    height_mm: float


class ChartSlots:
    """Collects chart specs while the context is built, leaving a :class:`ChartSlot` in the
    context for each; the charts are then drawn all at once (in the warmed-up workers)."""

    def __init__(self) -> None:
        self.specs: list[Spec] = []
        self._slots: dict[tuple[Spec, str], ChartSlot] = {}

    def add(self, spec: Spec, alt: str) -> ChartSlot:
        """A slot for the chart; the same chart asked for twice (an SPC table's icons) is
        drawn once and its picture stored once in the document."""
        key = (spec, alt)
        if key not in self._slots:
            self.specs.append(spec)
            width, height = size_of(spec)
            self._slots[key] = ChartSlot(len(self.specs) - 1, alt, title_of(spec), width,
                                         height)
        return self._slots[key]

    @staticmethod
    def fill(context: Any, drawn: list[Chart]) -> Any:
        """The context with each slot replaced by its drawn chart."""
        if isinstance(context, ChartSlot):
            return drawn[context.index]
        if isinstance(context, dict):
            return {k: ChartSlots.fill(v, drawn) for k, v in context.items()}
        if isinstance(context, list):
            return [ChartSlots.fill(v, drawn) for v in context]
        return context
