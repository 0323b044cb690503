"""What the Board report shows: the half-year's figures, and which indicators are headlines.

The Board reads a half-year (:mod:`qa_xl.papers.spans` works its figures out), so every
figure in its report is the half-year's, said as such. Its headline scorecard holds the
indicators that matter to a Board: every Red one, the ones that worsened most, and those of
the content areas the Board has made a high priority (tblContentAreas). The rest are in an
appendix, so that nothing is left out.
"""

from __future__ import annotations

from typing import Any

from qa_xl.core.periods import Period, period_or_none
from qa_xl.papers.data import _Data, _text
from qa_xl.papers.scorecard import Indicator

WORST_MOVERS = 3  # indicators that worsened most, shown as headlines whatever their RAG


def latest_quarter(data: _Data, half: Period) -> Period:
    """The last quarter of the half-year that has returns (quarters after it are not yet
    expected), or the half-year's last quarter."""
    last = Period.containing(half.end, "Q")
    quarters = [p for p in map(period_or_none, data.returns["period"].dropna().unique())
                if p is not None and p.kind == "Q" and half.contains(p)]
    return max(quarters) if quarters else last


def _worsened_by(ind: Indicator) -> float:
    """How much the figure moved the wrong way, as a share of the previous figure."""
    if ind.direction != "Worsening" or ind.value is None or ind.previous is None:
        return 0.0
    return abs(ind.value - ind.previous) / (abs(ind.previous) or 1.0)


def _key(text: Any) -> str:
    return " ".join(_text(text).lower().split())


def headlines(data: _Data, inds: list[Indicator]) -> dict[str, str]:
    """indicator_id -> why it is a headline ("Red", "Worsened most", "Priority: Domestic
    abuse"), for the indicators that are; the others go to the appendix."""
    why: dict[str, list[str]] = {}
    for ind in inds:
        if ind.rag == "Red":
            why.setdefault(ind.id, []).append("Red")
    movers = sorted((i for i in inds if _worsened_by(i) > 0 and i.polarity_clear),
                    key=lambda i: -_worsened_by(i))[:WORST_MOVERS]
    for ind in movers:
        why.setdefault(ind.id, []).append("Worsened most")
    areas = data.content_areas
    high = {_key(a): _text(a) for a, p in zip(areas["content_area"], areas["priority"])
            if _key(p) == "high"}
    for ind in inds:
        if _key(ind.content_area) in high:
            why.setdefault(ind.id, []).append(f"Priority: {high[_key(ind.content_area)]}")
    for ind in inds:  # a sum over part of the half-year reads low: say so where it is shown
        if ind.id in why and int(ind.row.get("partial", 0) or 0):
            why[ind.id].append("part of the half-year only")
    return {ind_id: "; ".join(reasons) for ind_id, reasons in why.items()}


def figures_note(half: Period, last: Period) -> str:
    """How the half-year's figures are made, in one paragraph for the scorecard."""
    quarters = [str(q) for q in (Period.containing(half.start, "Q"),
                                 Period.containing(half.end, "Q"))]
    so_far = "" if last.end >= half.end else (
        f" The half-year is not over: its figures so far are those of {last} only.")
    return (f"Every figure is for the half-year {half} ({quarters[0]} and {quarters[1]}): "
            "counts are the two quarters added together, and their targets are two quarters' "
            "worth; rates are worked out from the numerators and denominators of both "
            "quarters added together; snapshot figures (such as children looked after) are "
            "the last quarter's; means average every quarterly figure. A half-yearly measure "
            "is its own half-year figure. Direction of travel compares with the previous "
            f"half-year, {half.previous()}.{so_far}")
