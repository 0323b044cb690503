"""``qa-xl rollup``: consolidate the partner returns into tblRollup, and return compliance.

One read of the workbook, one write; the logic is pandas on DataFrames and never knows which
back end it has. Rates are recomputed from summed numerators and denominators — never an
average of partners' percentages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qa_xl.core.periods import Period, PeriodError, frequency_kinds, period_kinds, period_or_none
from qa_xl.core.rag import direction_series, rag_series
from qa_xl.core.words import plural
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import Finding, refuse_errors
from qa_xl.workbook.store import Store, read_returns, read_settings, read_table, status_cells

ALL = "all"
ON_TIME, LATE, MISSING, NOT_DUE = "On time", "Late", "Missing", "Not yet due"


@dataclass
class RollupResult:
    rollup: pd.DataFrame  # tblRollup's columns
    current_period: str
    later_returns: str | None = None  # the latest quarter returned, when after current_period
    inputs: tuple[Any, ...] = ()  # what compliance needs, worked out only when asked for

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """partner_id, period, status (On time / Late / Missing / Not yet due), rows,
        submitted_on, due."""
        return compliance(*self.inputs)

    def summary(self) -> str:
        rated = self.rollup[self.rollup["period"] == self.current_period]
        counts = rated["rag"].value_counts()
        words = ", ".join(f"{counts[k]} {k}" for k in ("Green", "Amber", "Red") if k in counts)
        text = (f"{plural(self.rollup['indicator_id'].nunique(), 'indicator')} over "
                f"{plural(self.rollup['period'].nunique(), 'period')} rolled up"
                + (f"; {self.current_period}: {words}" if words else ""))
        if self.later_returns:
            text += (f". Returns for {self.later_returns} are in and rolled up, but "
                     f"current_period on the Config sheet is still {self.current_period}: "
                     "change it to report on the new quarter")
        return text


def expected_partners(indicators: pd.DataFrame, partners: pd.DataFrame) -> dict[str, list[str]]:
    """indicator_id -> the partner_ids expected to report it ("All" = every partner that
    sends returns)."""
    sending = partners.loc[partners["returns_expected"].fillna("Yes").str.casefold() != "no",
                           "partner_id"].dropna().tolist()
    out = {}
    for ind_id, text in zip(indicators["indicator_id"], indicators["reporting_partners"]):
        if pd.isna(ind_id):
            continue
        if pd.isna(text) or str(text).strip().casefold() == ALL:
            out[ind_id] = sending
        else:
            out[ind_id] = [p.strip() for p in str(text).split(",") if p.strip()]
    return out


def consolidate(returns: pd.DataFrame, indicators: pd.DataFrame, partners: pd.DataFrame,
                current: Period) -> pd.DataFrame:
    """tblRollup: every indicator in every period of its frequency up to ``current``."""
    ind = indicators.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    ind = ind.assign(kind=frequency_kinds(ind["frequency"])).dropna(subset=["kind"])
    expected = expected_partners(ind, partners)
    rows = returns.dropna(subset=["indicator_id", "period"]).merge(
        ind[["indicator_id", "aggregation", "kind"]], on="indicator_id", how="inner")
    rows = rows[period_kinds(rows["period"]) == rows["kind"]]
    pairs = pd.DataFrame([(i, p) for i, ids in expected.items() for p in ids],
                         columns=["indicator_id", "partner_id"]).astype("string")
    rows = rows.merge(pairs, on=["indicator_id", "partner_id"], how="inner")
    figures = _aggregate(rows)
    grid = _grid(ind, rows, current)
    out = grid.merge(figures, on=["indicator_id", "period"], how="left")
    out = out.merge(ind[["indicator_id", "indicator_name", "oba_measure", "target", "polarity",
                         "amber_tolerance"]], on="indicator_id", how="left")
    out["partners_reported"] = out["partners_reported"].fillna(0).astype("Int64")
    out["partners_expected"] = out["indicator_id"].map(
        {k: len(v) for k, v in expected.items()}).astype("Int64")
    out["rag"] = rag_series(out["value"], out["target"], out["polarity"], out["amber_tolerance"])
    previous = out.groupby("indicator_id", sort=False)["value"].shift(1)
    out["direction"] = direction_series(out["value"], previous, out["polarity"])
    return out[S.ROLLUP.names].reset_index(drop=True)


def _grid(ind: pd.DataFrame, rows: pd.DataFrame, current: Period) -> pd.DataFrame:
    """Every period of each frequency from the first return of that frequency up to the
    current one, for every indicator (so a period nobody reported shows as "No data")."""
    first: dict[str, Period] = {}
    for text in rows["period"].unique():
        p = Period.parse(text)
        first[p.kind] = min(first.get(p.kind, p), p)
    grid = []
    for order, (ind_id, kind) in enumerate(zip(ind["indicator_id"], ind["kind"])):
        last = Period.containing(current.end, kind)
        if last.end > current.end:
            last = last.previous()
        p = min(first.get(kind, last), last)
        while p <= last:
            grid.append((order, p, ind_id, str(p)))
            p = p.shift(1)
    grid.sort(key=lambda g: (g[0], g[1]))
    return pd.DataFrame([g[2:] for g in grid], columns=["indicator_id", "period"])


def _aggregate(rows: pd.DataFrame) -> pd.DataFrame:
    """Partner figures to one figure per indicator and period, by the indicator's rule."""
    keys = ["indicator_id", "period"]
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "value", "numerator", "denominator",
                                     "partners_reported"])
    ratio = rows["aggregation"] == "ratio"
    has_value = np.where(ratio, rows["numerator"].notna() & rows["denominator"].notna(),
                         rows["value"].notna())
    rows = rows.assign(_reported=has_value)
    groups = rows.groupby(keys, sort=False)
    sums = groups[["value", "numerator", "denominator"]].sum(min_count=1).rename(
        columns={"value": "value_sum"})
    sums["value_mean"] = groups["value"].mean()
    sums["partners_reported"] = groups["_reported"].sum()
    sums["aggregation"] = groups["aggregation"].first()
    latest = (rows[rows["value"].notna()]
              .sort_values("submitted_on", kind="stable", na_position="first")
              .groupby(keys, sort=False)["value"].last())
    sums["value_latest"] = latest
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = sums["numerator"] / sums["denominator"].where(sums["denominator"] > 0)
    sums["value"] = np.select(
        [sums["aggregation"] == "ratio", sums["aggregation"] == "mean",
         sums["aggregation"] == "latest"],
        [rate, sums["value_mean"], sums["value_latest"]], sums["value_sum"])
    keep_parts = sums["aggregation"] == "ratio"
    sums["numerator"] = sums["numerator"].where(keep_parts | sums["numerator"].notna())
    return sums.reset_index()[[*keys, "value", "numerator", "denominator",
                               "partners_reported"]]


def compliance(returns: pd.DataFrame, indicators: pd.DataFrame, partners: pd.DataFrame,
               periods: list[Period], deadline_days: int = 30,
               today: dt.date | None = None, tracker: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """Partner x quarter: "On time", "Late", "Refused", "Missing" (nothing from an expected
    partner once the deadline has passed) or "Not yet due" (nothing yet, the deadline still to
    come on ``today``, default today).

    The returns tracker decides where it knows: on time or late by when qa_xl *received* the
    return (its first accepted import), refused when a return was refused and not sent again.
    Figures with no tracker row (typed into the master, or imported before the tracker
    existed) are judged by their completion date. Quarters before the partnership's first
    return or issue are left out: a new partnership is not "1 of 4 on time".
    """
    from qa_xl.collect.tracker import REFUSED

    today = today or dt.date.today()
    expected = expected_partners(indicators, partners)
    order = list(partners["partner_id"])
    wanted = sorted({p for ids in expected.values() for p in ids},
                    key=lambda p: order.index(p) if p in order else len(order))
    canonical = {p: _canonical(p) for p in returns["period"].dropna().unique()}
    received = (returns.assign(period=returns["period"].map(canonical))
                .groupby(["partner_id", "period"])
                .agg(rows=("indicator_id", "size"), submitted_on=("submitted_on", "max")))
    received = received.to_dict("index")
    tracked = {} if tracker is None else {
        (str(r.partner_id), str(r.period)): r for r in tracker.itertuples()
        if not pd.isna(r.partner_id)}
    known = [Period.parse(p) for _, p in [*received, *tracked] if period_or_none(p)]
    first = min(known, key=lambda p: p.start) if known else None
    rows = []
    for period in periods:
        if first is not None and period.end < first.start:
            continue  # before the partnership had any return
        due = period.end + dt.timedelta(days=deadline_days)
        for pid in wanted:
            got = received.get((pid, str(period)))
            count = int(got["rows"]) if got else 0
            submitted = got["submitted_on"] if got else pd.NaT
            row = tracked.get((pid, str(period)))
            arrived = None if row is None or pd.isna(row.first_received_on) else pd.Timestamp(
                row.first_received_on)
            if count and arrived is not None:
                submitted = arrived
                status = LATE if arrived.date() > due else ON_TIME
            elif count:
                status = LATE if pd.notna(submitted) and submitted.date() > due else ON_TIME
            elif row is not None and str(row.status) == REFUSED:
                status = REFUSED
            else:
                status = NOT_DUE if today <= due else MISSING
            rows.append([pid, str(period), status, count, submitted, due])
    return pd.DataFrame(rows, columns=["partner_id", "period", "status", "rows",
                                       "submitted_on", "due"])


def _canonical(text: Any) -> str | None:
    period = period_or_none(text)
    return None if period is None else str(period)


def rollup(workbook: str | Path | Store, *, write: bool = True, quarters: int = 8,
           today: dt.date | None = None) -> RollupResult:
    """Rebuild tblRollup from every partner's return, and refresh the derived columns of the
    timetable and risk register (next due date, score): one read, one write."""
    from qa_xl.workbook.filestore import opened

    with opened(workbook, "Roll up", write=write) as store:
        settings = read_settings(store)
        current = _current_period(settings, store.label)
        tables = [read_table(store, S.INDICATORS), read_table(store, S.PARTNERS),
                  read_returns(store)]
        refuse_errors(store, tables, "the roll-up", rules_findings(*tables))
        indicators, partners, returns = (t.df for t in tables)
        latest = _latest_quarter(returns)
        result = RollupResult(
            consolidate(returns, indicators, partners, max(current, latest or current)),
            str(current), str(latest) if latest and latest > current else None,
            (returns, indicators, partners,
             [current.shift(i - quarters + 1) for i in range(quarters)],
             int(settings.get("return_deadline_days") or 30)))
        if write:
            store.write({S.ROLLUP.table: result.rollup},
                        status_cells("Roll up", result.summary()),
                        columns=derived_columns(store, today or dt.date.today()))
    return result


def _latest_quarter(returns: pd.DataFrame) -> Period | None:
    periods = [p for p in map(_canonical, returns["period"].dropna().unique()) if p]
    if not periods:
        return None
    last = max(Period.parse(p) for p in periods)
    return Period.containing(last.end, "Q")


def rules_findings(indicators: S.Table, partners: S.Table, returns: S.Table) -> list[Finding]:
    """The returns' own rules (a negative count, a numerator over its denominator, an
    unknown reporting partner) as the roll-up and the import must respect them."""
    from qa_xl.collect.rules import check_indicators, check_returns

    return [*check_indicators(indicators, set(partners.df["partner_id"].dropna())),
            *check_returns(returns, indicators)]


def derived_columns(store: Store, today: dt.date) -> dict[str, pd.DataFrame]:
    """What qa_xl works out in the tables officers type in — an activity's next due date, a
    risk's score, where each activity, risk and action stands today (``due_status``) — as
    frames of just those columns, indexed by sheet row."""
    from qa_xl.programme import actions, risks, timetable

    settings = read_settings(store)
    try:
        soon = int(settings.get("due_soon_days") or 28)
    except (TypeError, ValueError):
        soon = 28
    timetable_df = timetable.timetable_status(read_table(store, S.TIMETABLE).df, today, soon)
    risks_df = read_table(store, S.RISKS).df
    risks_out = risks.risk_summary(risks_df, today)[["score"]].assign(
        due_status=risks.review_status(risks_df, today, soon))
    actions_df = actions.action_status(read_table(store, S.ACTIONS).df, today, soon)
    return {
        S.TIMETABLE.table: timetable_df[["next_due", "status_now"]].rename(
            columns={"status_now": "due_status"}),
        S.RISKS.table: risks_out,
        S.ACTIONS.table: actions_df[["status_now"]].rename(columns={"status_now": "due_status"}),
    }


def _current_period(settings: dict[str, Any], label: str) -> Period:
    """The Config sheet's current period: a bad one is bad configuration (exit 2)."""
    from qa_xl.core.errors import UnusableInput

    try:
        period = Period.parse(settings.get("current_period"))
    except PeriodError as exc:
        raise UnusableInput(f"the setting current_period is not a period ({exc})", file=label,
                            sheet="Config", action="set current_period to a quarter such as "
                            "2026-27 Q2") from exc
    return period if period.kind == "Q" else Period.containing(period.end, "Q")
