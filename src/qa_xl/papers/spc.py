"""Statistical process control as the NHS does it ("Making Data Count", NHS England).

An XmR (individuals and moving range) chart, the "plot the dots" way of NHS England's *Making
Data Count* programme, following the rules and their precedence in the NHS-R community's R
package NHSRplotthedots (``ptd_spc``), which is the reference implementation:

* **Limits** (``ptd_spc_standard``). Per rebase segment: mean of the values; moving range
  ``|x[i] - x[i-1]|`` between consecutive rows; mean moving range (MR-bar); process limits
  ``mean ± 2.66 × MR-bar``. With ``screen_outliers`` (NHSRplotthedots' default, ``TRUE``) every
  moving range that is not *strictly below* ``3.267 × MR-bar`` is left out and MR-bar is
  computed once more from the rest (one pass, not repeated). A missing value is skipped: it is
  left out of the mean, and so are both moving ranges that touch it (the gap is not bridged,
  as R's ``diff`` gives ``NA`` there).
* **Rules** (``ptd_calculate_point_type``), each evaluated inside one rebase segment only:

  - ``astronomical``: the value is strictly above the upper or strictly below the lower process
    limit (a value exactly on a limit is not beyond it);
  - ``trend``: 7 consecutive points each strictly higher (or each strictly lower) than the one
    before - 6 differences all of the same sign; equal consecutive values break a trend;
  - ``two_in_three``: in 3 consecutive points *all on the same side of the mean*, at least 2 lie
    beyond two-thirds of the way to a limit (beyond ``mean ± 2σ``, ``σ = 2.66/3 × MR-bar``) but
    not beyond the limit itself; only those (2 or 3) points are marked;
  - ``shift``: 7 consecutive points on the same side of the mean; a point exactly on the mean
    breaks the run.

  Every point of a signalling run is marked (all points of a shift or trend, however long).
* **Precedence** when a point is caught by several rules (``ptd_special_cause_type``):
  astronomical, then trend, then two-in-three, then shift. The first rule that applies decides
  the point's direction: astronomical, two-in-three and shift by the side of the mean, a trend
  by its own direction (rising = high) - so a falling trend above the mean is a concern when
  higher is better. ``ptd_point_type`` then orients high/low by the improvement direction:
  "improvement" or "concern", or "neither" when the direction is neutral.
* **Variation verdict** (``ptd_get_icons``): the classification of the most recent point.
* **Assurance verdict** (``ptd_calculate_assurance_type``): the process limits of the last point
  (the latest segment). ``target > upl``: "consistently fails" when higher is better,
  "consistently passes" when lower is better; ``target < lpl``: the reverse; otherwise "hit and
  miss" (a target exactly on a limit is hit and miss). No assurance for a neutral direction.
* **Short segments** (``ptd_add_short_group_warnings``): a segment of fewer than 12 points is
  warned about; here :attr:`SpcResult.enough_points` is false unless every segment has 12 or
  more non-missing values.

Where this module deliberately differs from NHSRplotthedots (all edge cases):

* A missing value also breaks runs: no shift, trend or two-in-three window spans a missing
  value (in R such a window is ``NA``, never ``TRUE``, and a trend window containing ``NA``
  raises an error).
* The variation verdict is taken from the most recent *non-missing* point (R takes the last
  row, which reads "common cause" when the last value is missing).
* A constant segment (MR-bar 0) keeps limits equal to the mean; R's screening would discard
  every moving range (``0 < 0`` is false) and give no limits at all.
* Comparisons against the mean, the 2σ lines and the limits ignore floating-point noise below
  one part in 10⁹, so a value that is on the mean or on a limit by arithmetic counts as on it.
* The trend direction of a point belonging to two trends is that of the later trend (R's stated
  intent, "use right side"); R differs only when two trends meet without overlapping.
* A neutral series with a target gets ``assurance == "no target"`` (R: no assurance icon).

Could not be confirmed from NHSRplotthedots' source: R has no explicit rule for counting
"enough points" when values are missing (it counts rows); the committee wording of the verdicts
is ours, written after the meaning of the Making Data Count icons.

Only numpy is imported: this module is used by fast commands and must not pull in pandas or
matplotlib.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "LIMIT_FACTOR",
    "MIN_POINTS",
    "RULES",
    "RULE_TEXT",
    "RUN_LENGTH",
    "SCREEN_FACTOR",
    "Segment",
    "SpcResult",
    "xmr",
]

Improvement = Literal["increase", "decrease", "neutral"]
Rule = Literal["astronomical", "trend", "two_in_three", "shift"]
Classification = Literal["improvement", "concern", "common_cause", "neither"]
Variation = Literal[
    "special cause improvement", "special cause concern", "special cause neither", "common cause"
]
Assurance = Literal[
    "consistently passes target", "consistently fails target", "hit and miss", "no target"
]
Direction = Literal["high", "low"]

LIMIT_FACTOR = 2.66  # 3 / d2 with d2 = 1.128: mean ± 2.66 × MR-bar = mean ± 3σ
CLOSE_FACTOR = 2 * LIMIT_FACTOR / 3  # mean ± 2σ, "two-thirds of the way to a limit"
SCREEN_FACTOR = 3.267  # D4 for n = 2: upper range limit for moving-range screening
RUN_LENGTH = 7  # points in a shift or a trend
MIN_POINTS = 12  # fewer points per segment: NHSRplotthedots warns, we do not chart

#: The rules in order of precedence (the first that applies decides the point's direction).
RULES: tuple[Rule, ...] = ("astronomical", "trend", "two_in_three", "shift")

#: Plain words for each rule, for a chart legend or a committee paper.
RULE_TEXT: dict[str, str] = {
    "astronomical": "A point beyond a process limit",
    "trend": "Seven points in a row each rising, or each falling",
    "two_in_three": "Two of three points close to a process limit, on the same side",
    "shift": "Seven points in a row on the same side of the mean",
}

_REL_TOL = 1e-9


@dataclass(frozen=True)
class Segment:
    """One stretch of points between rebases, with its own mean and limits.

    ``start``/``stop`` are point indices as in ``range(start, stop)``. ``mean``, ``mr_bar``,
    ``lpl`` and ``upl`` are None when they cannot be computed (no value, or no moving range).
    ``screened`` are the indices of the points whose moving range (from the previous point) was
    left out as an outlier.
    """

    start: int
    stop: int
    n_values: int
    mean: float | None
    mr_bar: float | None
    lpl: float | None
    upl: float | None
    screened: tuple[int, ...]

    @property
    def enough_points(self) -> bool:
        return self.n_values >= MIN_POINTS


@dataclass(frozen=True)
class SpcResult:
    """An XmR chart worked out point by point, with its variation and assurance verdicts.

    Per-point tuples all have one entry per input value. ``value``, ``moving_range``, ``mean``,
    ``lpl`` and ``upl`` hold None where there is nothing to show. ``rules`` lists every rule that
    marked the point, in order of precedence; ``special_cause`` is the first of them (the one
    that decides), ``direction`` is "high"/"low" for a special-cause point, and
    ``classification`` is "improvement", "concern", "neither" (neutral series) or
    "common_cause". ``segment`` is the index into ``segments`` of each point.
    """

    improvement: Improvement
    target: float | None
    value: tuple[float | None, ...]
    moving_range: tuple[float | None, ...]
    mean: tuple[float | None, ...]
    lpl: tuple[float | None, ...]
    upl: tuple[float | None, ...]
    rules: tuple[tuple[Rule, ...], ...]
    special_cause: tuple[Rule | None, ...]
    direction: tuple[Direction | None, ...]
    classification: tuple[Classification, ...]
    segment: tuple[int, ...]
    segments: tuple[Segment, ...]
    variation: Variation
    variation_text: str
    variation_icon: str
    assurance: Assurance
    assurance_text: str
    assurance_icon: str | None
    enough_points: bool

    def __len__(self) -> int:
        return len(self.value)

    @property
    def special_cause_flag(self) -> tuple[bool, ...]:
        return tuple(c != "common_cause" for c in self.classification)

    def count(self, classification: Classification) -> int:
        """How many points have the given classification."""
        return sum(1 for c in self.classification if c == classification)


# --------------------------------------------------------------------------------------------
# input


def _as_float(v: object, i: int) -> float:
    if v is None:
        return math.nan
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"value {i} ({v!r}) is not a number") from None
    if math.isinf(f):
        raise ValueError(f"value {i} is infinite")
    return f


def _cmp(a: float, b: float) -> int:
    """Sign of a - b, 0 when equal up to floating-point noise; 0 when either is NaN."""
    if math.isnan(a) or math.isnan(b):
        return 0
    d = a - b
    if abs(d) <= _REL_TOL * max(abs(a), abs(b)):
        return 0
    return 1 if d > 0 else -1


def _segment_bounds(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    cuts = set()
    for r in rebase_at:
        if isinstance(r, bool) or int(r) != r:
            raise ValueError(f"rebase_at must hold point indices, not {r!r}")
        r = int(r)
        if not 0 <= r < max(n, 1):
            raise ValueError(f"rebase_at index {r} is outside the series (0 to {n - 1})")
        if r > 0:
            cuts.add(r)
    edges = [0, *sorted(cuts), n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


# --------------------------------------------------------------------------------------------
# limits


def _limits(y: np.ndarray, start: int, screen_outliers: bool) -> tuple[Segment, list]:
    valid = ~np.isnan(y)
    n_values = int(valid.sum())
    mean = float(y[valid].mean()) if n_values else math.nan
    mr = np.full(len(y), np.nan)
    if len(y) > 1:
        mr[1:] = np.abs(np.diff(y))  # NaN next to a missing value: the gap is not bridged
    have = ~np.isnan(mr)
    mr_bar = float(mr[have].mean()) if have.any() else math.nan
    screened: tuple[int, ...] = ()
    if screen_outliers and have.any() and mr_bar > 0:
        keep = have & (mr < SCREEN_FACTOR * mr_bar)
        screened = tuple(int(i) + start for i in np.flatnonzero(have & ~keep))
        mr_bar = float(mr[keep].mean()) if keep.any() else math.nan
    lpl = mean - LIMIT_FACTOR * mr_bar
    upl = mean + LIMIT_FACTOR * mr_bar

    def opt(x: float) -> float | None:
        return None if math.isnan(x) else x

    seg = Segment(
        start=start,
        stop=start + len(y),
        n_values=n_values,
        mean=opt(mean),
        mr_bar=opt(mr_bar),
        lpl=opt(lpl),
        upl=opt(upl),
        screened=screened,
    )
    return seg, [opt(float(m)) for m in mr]


# --------------------------------------------------------------------------------------------
# rules


def _rules(y: np.ndarray, seg: Segment) -> tuple[list[set[str]], list[dict[str, int]]]:
    """Rules per point of one segment, and the direction (+1/-1) each rule gives the point."""
    m = len(y)
    nan = math.nan
    mean = nan if seg.mean is None else seg.mean
    mr_bar = nan if seg.mr_bar is None else seg.mr_bar
    lpl, upl = mean - LIMIT_FACTOR * mr_bar, mean + LIMIT_FACTOR * mr_bar
    nlpl, nupl = mean - CLOSE_FACTOR * mr_bar, mean + CLOSE_FACTOR * mr_bar

    valid = [not math.isnan(v) for v in y]
    rtm = [_cmp(float(v), mean) for v in y]  # relative to mean: +1, -1, 0 (on it, or missing)
    outside = [_cmp(float(v), upl) > 0 or _cmp(float(v), lpl) < 0 for v in y]
    close = [
        not outside[i] and (_cmp(float(y[i]), nupl) > 0 or _cmp(float(y[i]), nlpl) < 0)
        for i in range(m)
    ]

    found: list[set[str]] = [set() for _ in range(m)]
    sign: list[dict[str, int]] = [{} for _ in range(m)]

    for i in range(m):
        if outside[i]:
            found[i].add("astronomical")
            sign[i]["astronomical"] = rtm[i]

    # trend: 6 differences of one sign; a later trend overrides the direction of an earlier one
    diffs = [
        (0 if not (valid[k] and valid[k + 1]) else int(np.sign(y[k + 1] - y[k])))
        for k in range(m - 1)
    ]
    for j in range(RUN_LENGTH - 1, m):
        window = diffs[j - RUN_LENGTH + 1 : j]
        for d in (1, -1):
            if all(x == d for x in window):
                for i in range(j - RUN_LENGTH + 1, j + 1):
                    found[i].add("trend")
                    sign[i]["trend"] = d

    # two in three: 3 points on one side of the mean, at least 2 of them close to a limit
    for k in range(m - 2):
        idx = range(k, k + 3)
        if abs(sum(rtm[i] for i in idx)) == 3 and sum(close[i] for i in idx) >= 2:
            for i in idx:
                if close[i]:
                    found[i].add("two_in_three")
                    sign[i]["two_in_three"] = rtm[i]

    # shift: 7 points on the same side of the mean
    for j in range(RUN_LENGTH - 1, m):
        side = rtm[j]
        if side != 0 and all(rtm[i] == side for i in range(j - RUN_LENGTH + 1, j)):
            for i in range(j - RUN_LENGTH + 1, j + 1):
                found[i].add("shift")
                sign[i]["shift"] = side

    return found, sign


# --------------------------------------------------------------------------------------------
# verdicts in words

_BETTER = {"increase": "higher is better", "decrease": "lower is better"}


def _variation(
    classification: Classification | None, direction: Direction | None, improvement: Improvement
) -> tuple[Variation, str, str]:
    if classification in (None, "common_cause"):
        return (
            "common cause",
            "Common cause variation – no significant change",
            "common_cause",
        )
    if classification == "neither":
        word = "high" if direction == "high" else "low"
        return (
            "special cause neither",
            f"Special cause variation – unusually {word} values "
            "(neither improvement nor concern: no direction is better)",
            f"neutral_{word}",
        )
    high_is_good = improvement == "increase"
    if classification == "improvement":
        icon = "improvement_high" if high_is_good else "improvement_low"
        return (
            "special cause improvement",
            f"Special cause variation – improvement ({_BETTER[improvement]})",
            icon,
        )
    icon = "concern_low" if high_is_good else "concern_high"
    return (
        "special cause concern",
        f"Special cause variation – concern ({_BETTER[improvement]})",
        icon,
    )


def _assurance(
    target: float | None, improvement: Improvement, lpl: float | None, upl: float | None
) -> tuple[Assurance, str, str | None]:
    if target is None:
        return "no target", "No target set – assurance not assessed", None
    if improvement == "neutral":
        return (
            "no target",
            "Assurance not assessed – with no better direction a target cannot be passed or failed",
            None,
        )
    increasing = improvement == "increase"
    if upl is not None and _cmp(target, upl) > 0:
        if increasing:
            return (
                "consistently fails target",
                "Consistently fails the target – the target is above the upper process limit, "
                "so it will not be met without a change to the process",
                "fail",
            )
        return (
            "consistently passes target",
            "Consistently passes the target – the target is above the upper process limit, "
            "so every point can be expected to meet it",
            "pass",
        )
    if lpl is not None and _cmp(target, lpl) < 0:
        if increasing:
            return (
                "consistently passes target",
                "Consistently passes the target – the target is below the lower process limit, "
                "so every point can be expected to meet it",
                "pass",
            )
        return (
            "consistently fails target",
            "Consistently fails the target – the target is below the lower process limit, "
            "so it will not be met without a change to the process",
            "fail",
        )
    return (
        "hit and miss",
        "Hit and miss – the target lies between the process limits, so it will be met "
        "some of the time and missed some of the time",
        "inconsistent",
    )


# --------------------------------------------------------------------------------------------
# entry point


def xmr(
    values: Sequence[float | None],
    improvement: Improvement = "increase",
    target: float | None = None,
    *,
    rebase_at: Sequence[int] = (),
    screen_outliers: bool = True,
) -> SpcResult:
    """Work out an XmR chart the Making Data Count way (see the module docstring).

    ``values`` in time order, None or NaN for a missing value. ``improvement`` says which way is
    better. ``target`` is an optional single target for the assurance verdict. ``rebase_at``
    holds the indices of the points that start a new segment with its own limits (a rebase).
    ``screen_outliers`` leaves out moving ranges of at least 3.267 × MR-bar before computing
    the limits, as NHSRplotthedots does by default.
    """
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError(
            f"improvement must be 'increase', 'decrease' or 'neutral', not {improvement!r}"
        )
    if target is not None:
        try:
            target = _as_float(target, 0)
        except ValueError:
            raise ValueError(f"target ({target!r}) must be a finite number or None") from None
        if math.isnan(target):
            target = None
    y_all = np.array([_as_float(v, i) for i, v in enumerate(values)], dtype=float)
    n = len(y_all)
    bounds = _segment_bounds(n, rebase_at)

    value = [None if math.isnan(v) else float(v) for v in y_all]
    moving_range: list[float | None] = []
    mean: list[float | None] = []
    lpl: list[float | None] = []
    upl: list[float | None] = []
    rules: list[tuple[Rule, ...]] = []
    special: list[Rule | None] = []
    direction: list[Direction | None] = []
    classification: list[Classification] = []
    seg_index: list[int] = []
    segments: list[Segment] = []
    orient = {"increase": 1, "decrease": -1, "neutral": 0}[improvement]

    for s, (a, b) in enumerate(bounds):
        y = y_all[a:b]
        seg, mrs = _limits(y, a, screen_outliers)
        segments.append(seg)
        moving_range.extend(mrs)
        found, sign = _rules(y, seg)
        for i in range(b - a):
            seg_index.append(s)
            mean.append(seg.mean)
            lpl.append(seg.lpl)
            upl.append(seg.upl)
            point_rules = tuple(r for r in RULES if r in found[i])
            rules.append(point_rules)
            first = point_rules[0] if point_rules else None
            d = sign[i][first] if first else 0
            special.append(first if d else None)
            direction.append("high" if d > 0 else "low" if d < 0 else None)
            if d == 0:
                classification.append("common_cause")
            elif orient == 0:
                classification.append("neither")
            else:
                classification.append("improvement" if d * orient > 0 else "concern")

    last = next((i for i in range(n - 1, -1, -1) if value[i] is not None), None)
    variation, variation_text, variation_icon = _variation(
        classification[last] if last is not None else None,
        direction[last] if last is not None else None,
        improvement,
    )
    assurance, assurance_text, assurance_icon = _assurance(
        target, improvement, lpl[-1] if n else None, upl[-1] if n else None
    )
    return SpcResult(
        improvement=improvement,
        target=target,
        value=tuple(value),
        moving_range=tuple(moving_range),
        mean=tuple(mean),
        lpl=tuple(lpl),
        upl=tuple(upl),
        rules=tuple(rules),
        special_cause=tuple(special),
        direction=tuple(direction),
        classification=tuple(classification),
        segment=tuple(seg_index),
        segments=tuple(segments),
        variation=variation,
        variation_text=variation_text,
        variation_icon=variation_icon,
        assurance=assurance,
        assurance_text=assurance_text,
        assurance_icon=assurance_icon,
        enough_points=bool(segments) and all(seg.enough_points for seg in segments),
    )
