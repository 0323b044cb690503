"""Figures over a half-year or a year: what the Board report and the yearly report show.

A quarterly indicator's half-year (or year) is worked out from the partners' quarterly
figures by the indicator's own rule, exactly as the roll-up works out a quarter:

* ``sum``: every partner's figure of every quarter of the span added up (the half-year's MASH
  contacts are Q1's plus Q2's);
* ``ratio``: the numerators of every partner and quarter summed, divided by the summed
  denominators (never an average of quarterly percentages);
* ``mean``: the mean of every partner's figure of every quarter of the span;
* ``latest``: a snapshot, so the figure of the span's last quarter that has one (the number
  of looked-after children at the end of the half-year is that of its last quarter).

An indicator that is already reported half-yearly or yearly keeps its own figures. The span
figures come from :func:`qa_xl.collect.consolidate.consolidate` itself, given the partners'
rows relabelled with the span they fall in, so RAG and direction of travel (against the
previous span) follow the same rules as everywhere else.

A count's target is set per period of its own, so over a span it is multiplied by the
number of periods added up (a quarterly target of 900 contacts is 1,800 for a half-year);
a rate's, a mean's and a snapshot's target stays as it is.

A partner counts as reporting a span's figure when it reported every quarter of the span
that has passed; one that reported only some of them is counted as ``partial``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from qa_xl.core.periods import FREQUENCY_OF, Period, frequency_kinds, period_or_none

LENGTH = {"Q": 1, "H": 2, "Y": 3}
LENGTH_PARTS = {("Q", "H"): 2, ("Q", "Y"): 4, ("H", "Y"): 2}
SPAN_WORDS = {"H": "half-year", "Y": "year"}


def _native(indicators: pd.DataFrame) -> dict[str, str]:
    ind = indicators.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    kinds = frequency_kinds(ind["frequency"])
    return {str(i): k for i, k in zip(ind["indicator_id"], kinds) if isinstance(k, str)}


def span_rollup(returns: pd.DataFrame, indicators: pd.DataFrame, partners: pd.DataFrame,
                span: Period, latest_quarter: Period) -> pd.DataFrame:
    """tblRollup's columns for every indicator over spans of ``span``'s kind up to ``span``,
    with three more: ``combined`` (how many of the indicator's own periods make the span's
    figure: 2 for a quarterly indicator in a half-year, 1 when it reports half-yearly),
    ``partial`` (partners that reported only some of them) and ``native`` (the indicator's
    own frequency kind). ``latest_quarter`` is the last quarter with returns: quarters after
    it are not yet expected."""
    from qa_xl.collect.consolidate import consolidate

    kind = span.kind
    native = _native(indicators)
    shorter = {i for i, k in native.items() if LENGTH[k] < LENGTH[kind]}
    rows = returns.dropna(subset=["indicator_id", "period"])
    parsed = {p: period_or_none(p) for p in rows["period"].unique()}
    rows = rows.assign(_own=rows["period"].map(parsed))
    rows = rows[rows["_own"].notna()]
    moved = rows["indicator_id"].isin(shorter)
    if moved.any():
        own = rows.loc[moved, "_own"]
        wanted = rows.loc[moved, "indicator_id"].map(native)
        same_kind = [p.kind == k for p, k in zip(own, wanted)]
        keep = rows.loc[moved][same_kind]
        spans = [str(Period.containing(p.end, kind)) for p in keep["_own"]]
        keep = keep.assign(period=spans)
        keep = _latest_only(keep, indicators)
        rows = pd.concat([rows[~moved], keep], ignore_index=True)
    relabelled = indicators.copy()
    moved_ind = relabelled["indicator_id"].isin(shorter)
    relabelled.loc[moved_ind, "frequency"] = FREQUENCY_OF[kind]
    # a count's target is per period of its own: a half-year's is two quarters' worth
    summed = moved_ind & (relabelled["aggregation"] == "sum")
    scale = relabelled.loc[summed, "indicator_id"].map(
        lambda i: LENGTH_PARTS[(native[str(i)], kind)]).astype(float)
    for column in ("target", "amber_tolerance"):
        relabelled.loc[summed, column] = relabelled.loc[summed, column] * scale
    quarter = Period.containing(span.end, "Q")
    out = consolidate(rows.drop(columns="_own"), relabelled, partners, quarter)
    snapshots = set(indicators.loc[indicators["aggregation"] == "latest", "indicator_id"])
    return _coverage(out, rows, native, shorter, snapshots, kind, latest_quarter)


def _latest_only(rows: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """For a snapshot ('latest') indicator, only the rows of the span's last own period that
    has a figure: the half-year's count of looked-after children is its last quarter's."""
    latest = set(indicators.loc[indicators["aggregation"] == "latest", "indicator_id"].dropna())
    snap = rows["indicator_id"].isin(latest)
    if not snap.any():
        return rows
    part = rows[snap & rows["value"].notna()]
    last = part.groupby(["indicator_id", "period"])["_own"].max().to_dict()
    keep = [last.get((i, p)) == own for i, p, own in
            zip(rows["indicator_id"].tolist(), rows["period"].tolist(), rows["_own"].tolist())]
    return rows[~snap | pd.Series(keep, index=rows.index)]


def _coverage(out: pd.DataFrame, rows: pd.DataFrame, native: dict[str, str], shorter: set[str],
              snapshots: set[str], kind: str, latest_quarter: Period) -> pd.DataFrame:
    """partners_reported, partial and combined for the relabelled indicators (a snapshot's
    figure comes from one quarter, so one quarter is all it needs)."""
    out = out.copy()
    out["native"] = out["indicator_id"].map(native)
    out["combined"] = [LENGTH_PARTS[(native.get(i, kind), kind)] if i in shorter else 1
                       for i in out["indicator_id"]]
    out["partial"] = 0
    if not shorter:
        return out
    ratio = rows["numerator"].notna() & rows["denominator"].notna()
    reported = rows[rows["indicator_id"].isin(shorter) & (rows["value"].notna() | ratio)]
    counts = reported.groupby(["indicator_id", "period", "partner_id"])["_own"].nunique()
    # each span's partners' counts of own periods, looked up in a dict, not the MultiIndex
    by_span: dict[tuple[Any, Any], list[int]] = {}
    for (indicator, period, _partner), n in counts.items():
        by_span.setdefault((indicator, period), []).append(n)
    mine_rows = out[out["indicator_id"].isin(shorter)]
    for index, indicator, period in zip(mine_rows.index, mine_rows["indicator_id"].tolist(),
                                        mine_rows["period"].tolist()):
        span = Period.parse(period)
        due = 1 if indicator in snapshots else _parts_due(span, native[indicator],
                                                          latest_quarter)
        mine = by_span.get((indicator, period))
        if mine is None:
            continue
        complete = int(sum(n >= due for n in mine))
        out.at[index, "partners_reported"] = complete
        out.at[index, "partial"] = len(mine) - complete
    return out


def _parts_due(span: Period, native: str, latest_quarter: Period) -> int:
    """How many of the span's own periods have passed by ``latest_quarter``."""
    parts = LENGTH_PARTS[(native, span.kind)]
    first = Period.containing(span.start, native)
    return max(1, sum(first.shift(i).end <= latest_quarter.end for i in range(parts)))
