"""RAG rating and direction of travel: one definition used by the roll-up, validation,
the papers and the ``QA_RAG`` worksheet function.

RAG is never shown by colour alone: these functions return the words, and the workbook and
papers colour them.
"""

from __future__ import annotations

import math

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
