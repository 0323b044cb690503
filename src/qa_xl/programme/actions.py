"""Learning and improvement actions: what is overdue or due soon, by learning area and source.

The framework links all learning from quality assurance to ten learning areas (training, team
meetings, workforce planning, communication strategy, policy & procedures, commissioning,
supervision, partner improvement plans, business plan, workshops & forums). Q&PC sees the
actions overdue first, and each year which learning areas had no activity at all.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.ACTIONS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import as_date as _as_date, cell as _cell, finding, text as _text
from qa_xl.programme.timetable import DUE_SOON, ON_TRACK, OVERDUE, due_status
from qa_xl.workbook.schema import ACTIONS

_finding = partial(finding, ACTIONS.sheet)

DONE_STATUSES = frozenset({"completed", "closed"})
NO_DUE_DATE = "No due date"
PAPER_ORDER = (OVERDUE, DUE_SOON, ON_TRACK, NO_DUE_DATE)
NOT_SET = "Not set"


def is_done(df: pd.DataFrame) -> pd.Series:
    """Completed or Closed (any case); everything else is still open."""
    return df["status"].fillna("").str.strip().str.lower().isin(DONE_STATUSES).astype(bool)


def _status_now(status: Any, due: dt.date | None, today: dt.date, soon: dt.date) -> str:
    if _text(status).lower() in DONE_STATUSES:
        return _text(status).capitalize()
    if due is None:
        return NO_DUE_DATE
    return due_status(due, today, soon)


def action_status(df: pd.DataFrame, today: dt.date, due_soon_days: int = 28) -> pd.DataFrame:
    """The actions with ``status_now``: Completed or Closed as recorded; otherwise Overdue once
    the due date has passed, Due soon within ``due_soon_days`` (four weeks), On track, or
    No due date."""
    today = _as_date(today)
    soon = today + dt.timedelta(days=due_soon_days)
    out = df.copy()
    out["status_now"] = pd.Series(
        [_status_now(s, _as_date(d), today, soon)
         for s, d in zip(df["status"].tolist(), df["due_date"].tolist())],
        index=df.index, dtype="string")
    return out


def for_papers(df: pd.DataFrame, today: dt.date, include_done: bool = False) -> pd.DataFrame:
    """Actions in the order the papers list them: overdue first, then due soon, on track and
    no due date, earliest due date first within each; done actions last when included."""
    status = action_status(df, today)
    if not include_done:
        status = status[~is_done(df)]
    rank = status["status_now"].map({s: i for i, s in enumerate(PAPER_ORDER)}).fillna(
        len(PAPER_ORDER))
    return (status.assign(_rank=rank)
            .sort_values(["_rank", "due_date"], kind="stable", na_position="last")
            .drop(columns="_rank"))


def counts_by(df: pd.DataFrame, column: str, today: dt.date) -> pd.DataFrame:
    """Per value of ``column`` (learning_area or source): total, open, overdue, due soon and
    done actions. A blank value is counted as "Not set"."""
    status = action_status(df, today)
    group = status[column].fillna(NOT_SET).rename(column)
    flags = pd.DataFrame({
        "total": 1,
        "open": ~is_done(df),
        "overdue": status["status_now"] == OVERDUE,
        "due_soon": status["status_now"] == DUE_SOON,
        "done": is_done(df),
    }, index=df.index).astype("int64")
    return flags.groupby(group, sort=True).sum()


def by_learning_area(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """:func:`counts_by` learning area."""
    return counts_by(df, "learning_area", today)


def by_source(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """:func:`counts_by` source (SCR, audit, review...)."""
    return counts_by(df, "source", today)


def areas_without_activity(df: pd.DataFrame, learning_areas: Iterable[str],
                           year_start: dt.date) -> list[str]:
    """The learning areas with no action due in the year from ``year_start`` (1 April).

    'Activity' is an action whose due date falls in the year, whatever its status; an action
    with no due date cannot be placed in a year and is not counted. Names match ignoring case
    and surrounding spaces; the result keeps the order of ``learning_areas``.
    """
    start = pd.Timestamp(_as_date(year_start))
    end = start + pd.DateOffset(years=1)
    in_year = df[(df["due_date"] >= start) & (df["due_date"] < end)]
    active = {_text(area).lower() for area in in_year["learning_area"]}
    return [area for area in learning_areas if _text(area).lower() not in active]


# ---------------------------------------------------------------------------- validation

def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date) -> list[dict]:
    """Cross-field rules for tblActions: an open action needs an owner and a due date; a
    completed one should say what changed for children."""
    findings = []
    done = is_done(df)
    for row in df.itertuples():
        key = _text(row.action_id)
        if not done[row.Index]:
            if not _text(row.owner):
                findings.append(_finding(
                    "Error", _cell(letters, "owner", row.Index), key, "owner_missing",
                    f"Open action {key} has no owner: name who is accountable for it."))
            if _as_date(row.due_date) is None:
                findings.append(_finding(
                    "Warning", _cell(letters, "due_date", row.Index), key, "due_date_missing",
                    f"Open action {key} has no due date: set one."))
        elif not _text(row.evidence_of_impact):
            findings.append(_finding(
                "Warning", _cell(letters, "evidence_of_impact", row.Index), key,
                "impact_missing",
                f"Action {key} is {_text(row.status)} but has no evidence of impact: record what "
                "changed for children as a result."))
    return findings
