"""RAG rating and direction of travel: one definition used by the roll-up, validation,
the papers and the ``QA_RAG`` worksheet function.

RAG is never shown by colour alone: these functions return the words, and the workbook and
papers colour them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd  # imported where used, so the scalar functions stay light

GREEN, AMBER, RED, NO_TARGET, NO_DATA = "Green", "Amber", "Red", "No target", "No data"
IMPROVING, WORSENING, NO_CHANGE, NOT_APPLICABLE = "Improving", "Worsening", "No change", "n/a"
HIGHER, LOWER, NEUTRAL = "Higher is better", "Lower is better", "Neutral"
RAG_VALUES = (GREEN, AMBER, RED, NO_TARGET, NO_DATA)
DIRECTION_VALUES = (IMPROVING, WORSENING, NO_CHANGE, NOT_APPLICABLE)


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def polarity_sign(polarity: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when neither (neutral)."""
    text = str(polarity).strip().lower()
    if text.startswith("higher"):
        return 1
    if text.startswith("lower"):
        return -1
    if text.startswith("neutral"):
        return 0
    raise ValueError(f"polarity must be {HIGHER!r}, {LOWER!r} or {NEUTRAL!r}, not {polarity!r}")


def rag(value: float | None, target: float | None, polarity: str,
        tolerance: float | None = None) -> str:
    """Green on or beyond target in the good direction; Amber within ``tolerance`` of it on the
    wrong side; Red beyond that. A neutral indicator, or one with no target, is "No target";
    a missing value is "No data"."""
    if _missing(value):
        return NO_DATA
    sign = polarity_sign(polarity)
    if _missing(target) or sign == 0:
        return NO_TARGET
    shortfall = (target - value) * sign  # > 0 means on the wrong side of target
    if shortfall <= 1e-12:
        return GREEN
    tol = 0.0 if _missing(tolerance) else max(float(tolerance), 0.0)
    return AMBER if shortfall <= tol + 1e-12 else RED


def direction(value: float | None, previous: float | None, polarity: str) -> str:
    """Improving / Worsening / No change against the previous period, respecting polarity."""
    if _missing(value) or _missing(previous):
        return NOT_APPLICABLE
    sign = polarity_sign(polarity)
    if sign == 0:
        return NOT_APPLICABLE
    change = (value - previous) * sign
    if abs(value - previous) <= 1e-9 * max(1.0, abs(previous)):
        return NO_CHANGE
    return IMPROVING if change > 0 else WORSENING


def _signs(polarity: pd.Series) -> pd.Series:
    def safe(p: object) -> float:
        try:
            return float(polarity_sign(str(p)))
        except ValueError:
            return math.nan

    lookup = {p: safe(p) for p in polarity.dropna().unique()}
    return polarity.map(lookup).astype("float64")


def rag_series(value: pd.Series, target: pd.Series, polarity: pd.Series,
               tolerance: pd.Series) -> pd.Series:
    """:func:`rag` for whole columns at once (the roll-up rates thousands of rows)."""
    import numpy as np
    import pandas as pd

    value, target = value.astype("float64"), target.astype("float64")
    sign = _signs(polarity)
    shortfall = (target - value) * sign
    tol = tolerance.astype("float64").fillna(0.0).clip(lower=0.0)
    choice = np.select(
        [value.isna(), target.isna() | sign.isna() | (sign == 0), shortfall <= 1e-12,
         shortfall <= tol + 1e-12],
        [NO_DATA, NO_TARGET, GREEN, AMBER], RED)
    return pd.Series(choice, index=value.index, dtype="string")


def direction_series(value: pd.Series, previous: pd.Series, polarity: pd.Series) -> pd.Series:
    """:func:`direction` for whole columns at once."""
    import numpy as np
    import pandas as pd

    value, previous = value.astype("float64"), previous.astype("float64")
    sign = _signs(polarity)
    same = (value - previous).abs() <= 1e-9 * previous.abs().clip(lower=1.0)
    change = (value - previous) * sign
    choice = np.select(
        [value.isna() | previous.isna() | sign.isna() | (sign == 0), same, change > 0],
        [NOT_APPLICABLE, NO_CHANGE, IMPROVING], WORSENING)
    return pd.Series(choice, index=value.index, dtype="string")
