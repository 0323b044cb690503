"""The returns tracker: every partner's return for every period — issued, reminded, received.

``tblReturnsTracker`` (the Returns sheet) has one row per partner and period, kept up to date by
the jobs that touch a return: issuing (when and which file), importing (when the first accepted
import arrived — the time qa_xl received it, not the date the partner typed — how many figures,
why a return was refused) and chasing (each reminder). Its status says where the return stands:

* **On time** / **Late** — accepted, first received by / after the deadline (the period's end
  plus ``return_deadline_days``);
* **Refused** — sent, refused, and not sent again since;
* **Missing** — nothing accepted and the deadline has passed;
* **Not yet due** — nothing accepted and the deadline is still to come.

The papers' compliance and the reminders read it. Pure functions on DataFrames; the jobs write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from qa_xl.core.periods import Period, period_or_none
from qa_xl.workbook import schema as S

ON_TIME, LATE, MISSING, NOT_YET_DUE, REFUSED = (
    "On time", "Late", "Missing", "Not yet due", "Refused")
STATUSES = (ON_TIME, LATE, MISSING, NOT_YET_DUE, REFUSED)
_REMINDER_FORMAT = "%d/%m/%Y %H:%M"


def deadline_days(settings: dict[str, Any]) -> int:
    try:
        return int(settings.get("return_deadline_days") or 30)
    except (TypeError, ValueError):
        return 30


def deadline(period: str | Period, settings: dict[str, Any]) -> dt.date:
    """The day a return for the period is due: the period's end plus the deadline days."""
    p = period if isinstance(period, Period) else Period.parse(period)
    return p.end + dt.timedelta(days=deadline_days(settings))


def status_of(row: pd.Series | dict[str, Any], settings: dict[str, Any],
              today: dt.date) -> str:
    """Where one return stands today (see the module's words)."""
    received = _when(row.get("first_received_on"))
    period = period_or_none(row.get("period"))
    due = deadline(period, settings) if period is not None else None
    if received is not None:
        return ON_TIME if due is None or received.date() <= due else LATE
    if _text(row.get("note")).startswith("Refused"):
        return REFUSED
    if due is not None and today > due:
        return MISSING
    return NOT_YET_DUE


def _when(value: Any) -> dt.datetime | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _frame(tracker: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(r["partner_id"]), str(r["period"])): dict(r)
            for _, r in tracker.iterrows() if not pd.isna(r["partner_id"])}


def _table(rows: dict[tuple[str, str], dict[str, Any]], settings: dict[str, Any],
           today: dt.date) -> pd.DataFrame:
    out = []
    for key in sorted(rows, key=lambda k: (Period.parse(k[1]) if period_or_none(k[1]) else
                                           Period.parse("1900-01 Q1"), k[0])):
        row = {name: rows[key].get(name) for name in S.RETURNS_TRACKER.names}
        row["status"] = status_of(row, settings, today)
        out.append(row)
    return pd.DataFrame(out, columns=S.RETURNS_TRACKER.names)


def _row(rows: dict[tuple[str, str], dict[str, Any]], partner_id: str, period: str
         ) -> dict[str, Any]:
    return rows.setdefault((partner_id, period), {"partner_id": partner_id, "period": period})


def after_issue(tracker: pd.DataFrame, issued: Iterable[tuple[str, str, str]],
                settings: dict[str, Any], when: dt.datetime) -> pd.DataFrame:
    """The tracker once (partner_id, period, file name) returns have been issued."""
    rows = _frame(tracker)
    for partner_id, period, file in issued:
        row = _row(rows, partner_id, period)
        row["issued_on"], row["file"] = when, file
    return _table(rows, settings, when.date())


def after_import(tracker: pd.DataFrame, attempts: Iterable[list[Any]],
                 settings: dict[str, Any], today: dt.date) -> pd.DataFrame:
    """The tracker once these import log rows (time, partner, period, file, sha256, rows,
    result) are logged: the first accepted import is when the return was received."""
    rows = _frame(tracker)
    for when, partner_id, period, _file, _sha, count, result in attempts:
        if not partner_id or not period or str(result).startswith("Unchanged"):
            continue
        row = _row(rows, str(partner_id), str(period))
        if str(result).startswith("Accepted"):
            if _when(row.get("first_received_on")) is None:
                row["first_received_on"] = when
            row["figures_accepted"] = count
            if _text(row.get("note")).startswith("Refused"):
                row["note"] = None
            if "; reopened: " in str(result):
                reason = str(result).split("; reopened: ", 1)[1]
                stamp = f"Reopened {pd.Timestamp(when):%d/%m/%Y}: {reason}"
                before = _text(row.get("note"))
                row["note"] = f"{before}; {stamp}" if before else stamp
        elif _when(row.get("first_received_on")) is None:
            row["note"] = str(result)[:300]
    return _table(rows, settings, today)


def after_reminders(tracker: pd.DataFrame, reminded: Iterable[tuple[str, str]],
                    settings: dict[str, Any], when: dt.datetime) -> pd.DataFrame:
    """The tracker once reminders have gone to these (partner_id, period)."""
    rows = _frame(tracker)
    stamp = when.strftime(_REMINDER_FORMAT)
    for partner_id, period in reminded:
        row = _row(rows, partner_id, period)
        before = _text(row.get("reminded_on")).strip()
        row["reminded_on"] = f"{before}; {stamp}" if before else stamp
    return _table(rows, settings, when.date())


def with_note(tracker: pd.DataFrame, partner_id: str, period: str, note: str,
              settings: dict[str, Any], today: dt.date) -> pd.DataFrame:
    """The tracker with a note added to one return's row (a period reopened, say)."""
    rows = _frame(tracker)
    row = _row(rows, partner_id, period)
    before = _text(row.get("note")).strip()
    row["note"] = f"{before}; {note}" if before else note
    return _table(rows, settings, today)


def refreshed(tracker: pd.DataFrame, settings: dict[str, Any], today: dt.date
              ) -> pd.DataFrame:
    """Every row's status as of today (Not yet due becomes Missing once the deadline passes)."""
    return _table(_frame(tracker), settings, today)
