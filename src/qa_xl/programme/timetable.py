"""The QA timetable: when each activity is next due, what is late, and what reports where.

The framework's "Priority areas for Quality Assurance Compliance" give every review and audit a
cadence (quarterly multi-agency audits of about four cases, bi-annual Section 11 audits with a
two-year rolling programme of partner reports, an annual risk register review...) and a
reporting route (Q&PC, Board, Executive, CDOP). The workbook's own ``next_due`` column is never
trusted: it is worked out again here from ``last_done`` and ``frequency``.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.TIMETABLE` (and ``AUDITS``
for the audit cadence); no file I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import cell as _cell, finding, text as _text
from qa_xl.core.periods import Period
from qa_xl.workbook.schema import TIMETABLE

_finding = partial(finding, TIMETABLE.sheet)

MONTHS_BETWEEN = {"quarterly": 3, "half yearly": 6, "annual": 12, "every two years": 24}
NOT_RECURRING = frozenset({"as arises", "one off"})
DONE_STATUSES = frozenset({"completed", "complete", "done", "closed"})
CANCELLED = "cancelled"
OVERDUE, DUE_SOON, ON_TRACK, COMPLETED, NOT_SCHEDULED = (
    "Overdue", "Due soon", "On track", "Completed", "Not scheduled",
)
STATUS_VALUES = (OVERDUE, DUE_SOON, ON_TRACK, COMPLETED, NOT_SCHEDULED)
SECTION_11 = re.compile(r"\b(s\.?\s?11|section\s*11)\b", re.IGNORECASE)
SECTION_11_CYCLE_MONTHS = 24


# ------------------------------------------------------------------------------ small helpers


def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime or pandas Timestamp; None for a blank (NaT, NA, None)."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a date: {value!r}")


def _frequency_key(frequency: Any) -> str:
    """'Half-yearly', 'half yearly ' and 'HALF-YEARLY' all read as 'half yearly'."""
    return " ".join(_text(frequency).replace("-", " ").split()).lower()


def _cancelled(status: Any) -> bool:
    return _text(status).lower() == CANCELLED


def _mask(df: pd.DataFrame, test: Callable[[Any], bool]) -> pd.Series:
    """A boolean row mask from a test of each row (a list would select columns when empty)."""
    return pd.Series([test(row) for row in df.itertuples()], index=df.index, dtype=bool)


# ---------------------------------------------------------------------------- next due date

def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months; a day past the new month's end becomes its last day.

    So 31 August + 6 months is 28 February, or 29 February in a leap year: a due date never
    spills into the month after.
    """
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last_day))


def recurs(frequency: Any) -> bool:
    """True for a frequency with a cadence (Quarterly ... Every two years)."""
    return _frequency_key(frequency) in MONTHS_BETWEEN


def next_due(last_done: dt.date | None, frequency: str) -> dt.date | None:
    """When the activity should next report: last done plus its cadence.

    None when it has never been done or when it does not recur (As arises, One-off). An
    unknown frequency raises ValueError (the workbook's dropdown keeps it from happening).
    """
    key = _frequency_key(frequency)
    if key in NOT_RECURRING:
        return None
    if key not in MONTHS_BETWEEN:
        raise ValueError(
            f"{frequency!r} is not a timetable frequency: use Quarterly, Half-yearly, Annual, "
            "Every two years, As arises or One-off"
        )
    last = as_date(last_done)
    return None if last is None else add_months(last, MONTHS_BETWEEN[key])


def _next_due_or_none(last_done: Any, frequency: Any) -> dt.date | None:
    """next_due for a table row: a bad frequency is a validation finding, not a crash."""
    try:
        return next_due(last_done, frequency)
    except ValueError:
        return None


def _date_column(values: list[dt.date | None], index: pd.Index) -> pd.Series:
    """Dates as the schema's datetime64[s] column, so they write back like a read column."""
    return pd.to_datetime(pd.Series(values, index=index, dtype=object)).astype("datetime64[s]")


# ------------------------------------------------------------------------------- status now

def _status_now(frequency: Any, status: Any, due: dt.date | None, today: dt.date,
                soon: dt.date) -> str:
    if _cancelled(status):
        return NOT_SCHEDULED
    if not recurs(frequency):
        return COMPLETED if _text(status).lower() in DONE_STATUSES else NOT_SCHEDULED
    if due is None:
        return NOT_SCHEDULED
    return due_status(due, today, soon)


def due_status(due: dt.date, today: dt.date, soon: dt.date) -> str:
    """Overdue once the date has passed, Due soon up to ``soon``, otherwise On track: one rule
    for QA activities and improvement actions alike."""
    if due < today:
        return OVERDUE
    return DUE_SOON if due <= soon else ON_TRACK


def timetable_status(df: pd.DataFrame, today: dt.date, due_soon_days: int = 28) -> pd.DataFrame:
    """The timetable with ``next_due`` worked out and ``status_now`` added.

    A recurring activity is Overdue once its next due date has passed, Due soon when that date
    is within ``due_soon_days``, otherwise On track; with no last done date it is Not scheduled.
    An activity that does not recur (As arises, One-off) is Completed when its status says so,
    otherwise Not scheduled. For a recurring activity the dates decide, whatever the status
    says, because "Completed" there only describes the last run. A Cancelled activity is
    Not scheduled.
    """
    today = as_date(today)
    soon = today + dt.timedelta(days=due_soon_days)
    due = [_next_due_or_none(last, freq) for last, freq in zip(df["last_done"], df["frequency"])]
    out = df.copy()
    out["next_due"] = _date_column(due, df.index)
    status = [_status_now(f, s, d, today, soon) for f, s, d in zip(df["frequency"], df["status"],
                                                                      due)]
    out["status_now"] = pd.Series(status, index=df.index, dtype="string")
    return out


# ----------------------------------------------------------------------------- forward plan

def meeting_body(label: str) -> str:
    """The body a meeting label names: 'Q&PC 2' and 'Q&PC (14/05/2026)' are both 'Q&PC'."""
    return re.sub(r"\s*(\(.*\)|#?\d[\d\s/.-]*)$", "", label.strip())


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` as whole words, ignoring case: the route 'Q&PC to Board'
    mentions both 'Q&PC' and 'Board'."""
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None


def forward_plan(df: pd.DataFrame, meetings: Mapping[str, dt.date],
                 today: dt.date) -> pd.DataFrame:
    """What reports to each coming meeting, for the papers' forward plan.

    ``meetings`` maps a label to a date; the label starts with the body whose meetings it names
    and may end with a number or a date to tell meetings apart, e.g. ``{"Q&PC 1": ...,
    "Q&PC 2": ..., "Board": ...}``. An activity reports to a body when its reporting route names
    the body, and goes to the first meeting of that body on or after its next due date (an
    overdue activity to the first meeting). Meetings before ``today`` are ignored, and so are
    activities with no next due date or due after the body's last meeting given.
    """
    today = as_date(today)
    status = timetable_status(df, today)
    dated = ((as_date(day), label) for label, day in meetings.items())
    upcoming = sorted((day, label) for day, label in dated if day is not None and day >= today)
    rows = []
    for row in status.itertuples():
        due = as_date(row.next_due)
        if due is None:
            continue
        taken: set[str] = set()
        for day, label in upcoming:
            body = meeting_body(label)
            if body not in taken and due <= day and _mentions(_text(row.reporting_route), body):
                taken.add(body)
                rows.append({"meeting": label, "meeting_date": day, "activity_id": row.activity_id,
                             "activity_type": row.activity_type, "title": row.title,
                             "lead": row.lead, "reporting_route": row.reporting_route,
                             "next_due": due, "status_now": row.status_now})
    columns = ["meeting", "meeting_date", "activity_id", "activity_type", "title", "lead",
               "reporting_route", "next_due", "status_now"]
    plan = pd.DataFrame(rows, columns=columns)
    return plan.sort_values(["meeting_date", "meeting", "next_due"], kind="stable",
                            ignore_index=True)


# ---------------------------------------------------------------------------- annual review

@dataclass(frozen=True)
class ProgrammeReview:
    """The year's QA programme: one row per activity, and the counts per activity type."""

    activities: pd.DataFrame
    by_type: pd.DataFrame


def _outcome(ran: bool, slipped: bool, never: bool, cancelled: bool) -> str:
    if cancelled:
        return "Cancelled, ran" if ran else "Cancelled"
    if ran:
        return "Ran, then slipped" if slipped else "Ran"
    if never:
        return "No record"
    return "Slipped" if slipped else "Not due"


def annual_review(df: pd.DataFrame, year_start: dt.date,
                  today: dt.date | None = None) -> ProgrammeReview:
    """What ran and what slipped in the year starting ``year_start`` (1 April for a financial
    year), so that Q&PC can review the programme and plan the next one.

    An activity ran when its last done date falls in the year. A recurring activity slipped
    when its next due date (worked out from last done) fell on or before the year's end (or
    ``today`` if earlier, for a review during the year) and nothing has been done since. A
    recurring activity with no last done date has "No record". A Cancelled activity neither
    slipped nor lacks a record: its outcome says "Cancelled". Only the latest run of each
    activity is kept in the timetable, so a run that a later one replaced is not counted.
    """
    start = as_date(year_start)
    end = add_months(start, 12) - dt.timedelta(days=1)
    cutoff = min(end, as_date(today)) if today is not None else end
    rows = []
    for row in df.itertuples():
        last = as_date(row.last_done)
        due = _next_due_or_none(last, row.frequency)
        cancelled = _cancelled(row.status)
        ran = last is not None and start <= last <= end
        never = recurs(row.frequency) and last is None and not cancelled
        slipped = due is not None and due <= cutoff and not cancelled
        rows.append({"activity_id": row.activity_id, "activity_type": row.activity_type,
                     "title": row.title, "frequency": row.frequency, "last_done": last,
                     "next_due": due, "ran": ran, "slipped": slipped, "no_record": never,
                     "outcome": _outcome(ran, slipped, never, cancelled)})
    columns = ["activity_id", "activity_type", "title", "frequency", "last_done", "next_due",
               "ran", "slipped", "no_record", "outcome"]
    activities = pd.DataFrame(rows, columns=columns)
    counted = ["activities", "ran", "slipped", "no_record"]
    by_type = (activities.assign(activities=1)
               .groupby("activity_type", sort=True, dropna=False)[counted].sum().astype("int64"))
    return ProgrammeReview(activities, by_type)


# --------------------------------------------------------------------------- cadence checks

def two_quarters_back(today: dt.date) -> dt.date:
    """The start of the quarter two before today's: the earliest date that still counts as
    'done in the last two quarters' (on 15 July 2026, 1 January 2026)."""
    return Period.containing(as_date(today), "Q").shift(-2).start


def quarterly_gaps(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Quarterly activities with nothing done in the last two whole quarters.

    'The last two quarters' are the two financial quarters before the current one; an entry in
    the current quarter also counts. An activity never done is included; a cancelled one is not.
    """
    since = pd.Timestamp(two_quarters_back(today))
    quarterly = (df["frequency"].map(_frequency_key) == "quarterly") & ~df["status"].map(
        _cancelled).astype(bool)
    late = quarterly & (df["last_done"].isna() | (df["last_done"] < since))
    return df.loc[late, ["activity_id", "activity_type", "title", "last_done"]]


def cases_per_audit(audits: pd.DataFrame, expected: int = 4, tolerance: int = 1) -> pd.DataFrame:
    """Distinct cases in each multi-agency audit, against the framework's 'approximately 4 cases'.

    ``about_right`` is True when the count is within ``tolerance`` of ``expected`` (3 to 5 by
    default). Indexed by audit_id, in date order; ``quarter`` is the audit's financial quarter.
    """
    columns = ["audit_date", "quarter", "cases", "about_right"]
    if audits.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="audit_id"))
    grouped = audits.groupby("audit_id", sort=False)
    out = pd.DataFrame({"audit_date": grouped["audit_date"].min(),
                        "cases": grouped["case_ref"].nunique()})
    out["quarter"] = [str(Period.containing(as_date(d), "Q")) if not pd.isna(d) else ""
                      for d in out["audit_date"]]
    out["about_right"] = (out["cases"] - expected).abs() <= tolerance
    return out.sort_values("audit_date", kind="stable")[columns]


def quarters_without_audit(audits: pd.DataFrame, today: dt.date, look_back: int = 4) -> list[str]:
    """The last ``look_back`` whole financial quarters in which no multi-agency audit met."""
    current = Period.containing(as_date(today), "Q")
    held = {str(Period.containing(as_date(d), "Q")) for d in audits["audit_date"].dropna()}
    quarters = [str(current.shift(-n)) for n in range(look_back, 0, -1)]
    return [q for q in quarters if q not in held]


def section11_programme(df: pd.DataFrame, partners: pd.DataFrame,
                        today: dt.date) -> pd.DataFrame:
    """The two-year rolling programme of Section 11 reports: has every partner reported?

    A timetable row is a Section 11 report when its activity type or title says 'Section 11',
    'S11' or 'S.11'; it belongs to a partner when its title names the partner_id or the
    partner's name. Each partner's latest report must be within the last two years: status is
    'Reported' (due again on ``due_by``), 'Overdue' or 'No report'.
    """
    today = as_date(today)
    s11 = df[_mask(df, lambda row: bool(SECTION_11.search(
        f"{_text(row.activity_type)} {_text(row.title)}")))]
    rows = []
    for partner in partners.itertuples():
        names = [n for n in (_text(partner.partner_id), _text(partner.name)) if n]
        mine = s11[_mask(s11, lambda row, names=names: any(
            _mentions(_text(row.title), n) for n in names))]
        latest = as_date(mine["last_done"].max()) if len(mine) else None
        due_by = add_months(latest, SECTION_11_CYCLE_MONTHS) if latest else None
        status = "No report" if latest is None else ("Overdue" if due_by < today else "Reported")
        rows.append({"partner_id": partner.partner_id, "name": partner.name,
                     "last_report": latest, "due_by": due_by, "status": status})
    return pd.DataFrame(rows, columns=["partner_id", "name", "last_report", "due_by", "status"])


# ---------------------------------------------------------------------------- validation

def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date) -> list[dict]:
    """Cross-field rules for tblTimetable (the schema already checks types and lists).

    An activity that has never run (no last done date, not marked Completed) is not a finding:
    a new workbook starts that way. :func:`quarterly_gaps` still lists it for the papers.
    """
    today = as_date(today)
    since = two_quarters_back(today)
    findings = []
    for row in df.itertuples():
        key, last = _text(row.activity_id), as_date(row.last_done)
        cell = _cell(letters, "last_done", row.Index)
        live = not _cancelled(row.status)
        if last is not None and last > today:
            findings.append(_finding(
                "Error", cell, key, "date_in_future",
                f"Last done {last:%d/%m/%Y} is in the future: enter the date it last reported."))
        elif last is None and _text(row.status).lower() in DONE_STATUSES:
            findings.append(_finding(
                "Warning", cell, key, "last_done_missing",
                f"Activity {key} is marked {_text(row.status)} but has no last done date: "
                "enter when it reported."))
        quarterly = _frequency_key(row.frequency) == "quarterly"
        if live and quarterly and last is not None and last < since:
            findings.append(_finding(
                "Warning", cell, key, "quarterly_gap",
                f"Quarterly activity {key} has not run since {last:%d/%m/%Y}, two quarters or "
                "more: run it, or change its frequency if the programme changed."))
    return findings
