"""Closed periods: once a period's figures have gone to the committee, they stop moving.

``qa-xl period close P`` records the period's consolidated figures as they stand (the quarter
and the half-year or year that closes with it) in ``tblClosedPeriods``. From then on an import
for a closed period is refused unless the officer reopens it with a reason
(``--reopen "reason"``), which goes into the import log and the returns tracker; a paper built
again for the period says which figures changed since it was closed, and why.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.consolidate import consolidate
from qa_xl.collect.master import Master, periods_due
from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import Period, PeriodError, period_or_none
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import opened
from qa_xl.workbook.store import Store, read_table, status_cells


@dataclass(frozen=True)
class Closure:
    period: str
    closed_on: dt.datetime | None
    closed_by: str

    def words(self) -> str:
        when = f" on {self.closed_on:%d/%m/%Y}" if self.closed_on else ""
        return f"{self.period} was closed{when} by {self.closed_by or 'an officer'}"


def closures(closed: pd.DataFrame) -> dict[str, Closure]:
    """Each closed period (the quarter, and the half-year or year closed with it)."""
    out: dict[str, Closure] = {}
    for r in closed.dropna(subset=["period"]).itertuples():
        if r.period not in out:
            when = None if pd.isna(r.closed_on) else pd.Timestamp(r.closed_on).to_pydatetime()
            out[str(r.period)] = Closure(str(r.period), when,
                                         "" if pd.isna(r.closed_by) else str(r.closed_by))
    return out


def close_period(workbook: str | Path | Store, period: str, *,
                 now: dt.datetime | None = None) -> list[str]:
    """Close a quarter (and the half-year or year ending with it): its figures as they stand
    are kept, and imports for it need a reason from now on. Returns the periods closed."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    try:
        p = Period.typed(period)
    except PeriodError as exc:
        raise UnusableInput(str(exc), action="give the period as 2026-27 Q2") from exc
    if p.kind != "Q":
        raise UnusableInput(f"{p} is not a quarter: periods are closed a quarter at a time",
                            action=f"close the quarter the committee has seen ({p.year}-"
                            f"{(p.year + 1) % 100:02d} Q4 closes the half-year and the year "
                            "with it)")
    if now.date() <= p.end:
        raise UnusableInput(f"{p} runs until {p.end:%d/%m/%Y}, so its figures are not final",
                            action="close it once it has ended and its figures have gone to "
                            "the committee")
    with opened(workbook, "Close period", write=True) as store:
        master = Master.read(store)
        closed = read_table(store, S.CLOSED_PERIODS).df
        done = closures(closed)
        if str(p) in done:
            raise UnusableInput(f"{done[str(p)].words()}", file=store.label,
                                action="nothing to do: it stays closed")
        periods = [str(q) for q in periods_due(p).values()]
        if not master.returns["period"].astype(str).isin(periods).any():
            raise UnusableInput(f"the master holds no partner's figures for {p}, so there is "
                                "nothing to close", file=store.label, action="check the "
                                "period: close the quarter whose figures the committee has seen")
        figures = consolidate(master.returns, master.indicators, master.partners, p)
        figures = figures[figures["period"].isin(periods)]
        user = _user()
        rows = pd.DataFrame({
            "period": figures["period"], "indicator_id": figures["indicator_id"],
            "indicator_name": figures["indicator_name"], "value": figures["value"],
            "rag": figures["rag"], "partners_reported": figures["partners_reported"],
            "closed_on": now, "closed_by": user})
        if rows.empty:
            rows = pd.DataFrame([[str(p), None, None, None, None, 0, now, user]],
                                columns=S.CLOSED_PERIODS.names)
        kept = closed[~closed["period"].isin(periods)]
        store.write({S.CLOSED_PERIODS.table: pd.concat([kept, rows], ignore_index=True)},
                    status_cells("Close period", f"{', '.join(periods)} closed: imports for "
                                 "them now need a reason (--reopen)"))
    return periods


def changes_since_closing(closed: pd.DataFrame, rollup: pd.DataFrame, log: pd.DataFrame,
                          period: str) -> dict[str, Any] | None:
    """For a paper built again for a closed period: which figures differ from when it was
    closed, and the reasons the import log gives (None when the period is not closed)."""
    mine = closed[closed["period"] == period]
    if mine.empty:
        return None
    closure = closures(mine)[period]
    now = rollup[rollup["period"] == period].set_index("indicator_id")
    changed = []
    for r in mine.dropna(subset=["indicator_id"]).itertuples():
        current = now["value"].get(r.indicator_id) if r.indicator_id in now.index else None
        before = None if pd.isna(r.value) else float(r.value)
        after = None if current is None or pd.isna(current) else float(current)
        if (before is None) != (after is None) or (
                before is not None and after is not None and abs(before - after) > 1e-9):
            changed.append({"indicator_id": r.indicator_id, "name": r.indicator_name,
                            "before": before, "after": after})
    reasons = []
    if not log.empty:
        reopened = log[log["result"].fillna("").str.contains("reopened:", regex=False)]
        for r in reopened.itertuples():
            if period_or_none(r.period) is not None and str(r.period) == period:
                reasons.append({"partner_id": r.partner_id, "file": r.file_name,
                                "reason": str(r.result).split("reopened:", 1)[1].strip()})
    return {"closure": closure.words(), "changed": changed, "reasons": reasons}


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return ""
