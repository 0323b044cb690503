"""QA timetable: next due dates, status, forward plan, annual review and cadence checks.

Every expected answer is worked out by hand from the framework's rules in the comment beside it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.programme import timetable as T
from qa_xl.workbook import schema as S

D = dt.date


def _table(schema: S.TableSchema, *rows: dict) -> S.Table:
    """A typed table exactly as the reader builds it; the header is on sheet row 3."""
    raw = S.RawTable(schema.table, schema.sheet, schema.names,
                     [[row.get(name) for name in schema.names] for row in rows], first_row=3)
    return S.type_table(raw, schema)


def _activity(activity_id: str, frequency: str, last_done: dt.date | None = None,
              **extra: object) -> dict:
    row = {"activity_id": activity_id, "activity_type": "Thematic audit",
           "title": f"Activity {activity_id}", "frequency": frequency, "last_done": last_done,
           "reporting_route": "Q&PC", "status": "Planned"}
    return {**row, **extra}


# ------------------------------------------------------------------------------- next_due

@pytest.mark.parametrize(("last", "frequency", "expected"), [
    (D(2026, 1, 15), "Quarterly", D(2026, 4, 15)),
    (D(2026, 5, 1), "Half-yearly", D(2026, 11, 1)),
    (D(2025, 4, 1), "Annual", D(2026, 4, 1)),
    (D(2026, 3, 31), "Every two years", D(2028, 3, 31)),
    # month arithmetic clamps to the month's end, and knows leap years
    (D(2027, 8, 31), "Half-yearly", D(2028, 2, 29)),  # 2028 is a leap year
    (D(2026, 8, 31), "Half-yearly", D(2027, 2, 28)),  # 2027 is not
    (D(2027, 11, 30), "Quarterly", D(2028, 2, 29)),
    (D(2028, 2, 29), "Annual", D(2029, 2, 28)),
    (D(2028, 2, 29), "Every two years", D(2030, 2, 28)),
    (D(2025, 12, 31), "Quarterly", D(2026, 3, 31)),  # into the last day of the financial year
    (D(2026, 1, 1), "Quarterly", D(2026, 4, 1)),  # ...and across into the next one
])
def test_next_due_adds_the_cadence(last: dt.date, frequency: str, expected: dt.date) -> None:
    assert T.next_due(last, frequency) == expected


@pytest.mark.parametrize("frequency", ["As arises", "One-off", "one off", " AS ARISES "])
def test_activities_that_do_not_recur_have_no_due_date(frequency: str) -> None:
    assert T.next_due(D(2026, 1, 1), frequency) is None


def test_next_due_reads_frequency_loosely_and_timestamps() -> None:
    assert T.next_due(pd.Timestamp("2026-01-31"), "half yearly") == D(2026, 7, 31)
    assert T.next_due(dt.datetime(2026, 1, 31, 9, 30), "QUARTERLY") == D(2026, 4, 30)


def test_never_done_has_no_due_date() -> None:
    assert T.next_due(None, "Annual") is None
    assert T.next_due(pd.NaT, "Quarterly") is None


def test_unknown_frequency_is_refused() -> None:
    with pytest.raises(ValueError, match="not a timetable frequency"):
        T.next_due(D(2026, 1, 1), "Bi-annual")


# ------------------------------------------------------------------------ timetable_status

def test_status_now_for_every_case() -> None:
    today = D(2026, 6, 1)
    table = _table(
        S.TIMETABLE,
        # the example: an annual activity last done 14 months ago is overdue
        _activity("ANN", "Annual", D(2025, 4, 1), status="Completed"),  # due 1 Apr 2026
        _activity("DUE_TODAY", "Quarterly", D(2026, 3, 1)),  # due 1 Jun 2026: today
        _activity("IN_28", "Half-yearly", D(2025, 12, 29)),  # due 29 Jun 2026: 28 days
        _activity("IN_29", "Half-yearly", D(2025, 12, 30)),  # due 30 Jun 2026: 29 days
        _activity("ONE_DONE", "One-off", D(2026, 2, 1), status="Completed"),
        _activity("ARISES", "As arises", None),
        _activity("NEVER", "Annual", None),
        _activity("DROPPED", "Annual", D(2024, 4, 1), status="Cancelled"),
    )
    status = T.timetable_status(table.df, today)
    assert list(status["status_now"]) == [
        "Overdue", "Due soon", "Due soon", "On track", "Completed", "Not scheduled",
        "Not scheduled", "Not scheduled",
    ]
    assert status.loc[4, "next_due"] == pd.Timestamp("2026-04-01")
    assert pd.isna(status.loc[9, "next_due"])
    assert str(status["next_due"].dtype) == "datetime64[s]"  # writes back like a read column
    assert list(status.index) == list(table.df.index)  # sheet rows kept


def test_stale_next_due_in_the_workbook_is_not_trusted() -> None:
    table = _table(S.TIMETABLE, _activity("A", "Annual", D(2025, 4, 1), next_due=D(2030, 1, 1)))
    status = T.timetable_status(table.df, D(2026, 6, 1))
    assert status.loc[4, "next_due"] == pd.Timestamp("2026-04-01")
    assert status.loc[4, "status_now"] == "Overdue"


def test_due_soon_window_is_configurable() -> None:
    table = _table(S.TIMETABLE, _activity("A", "Quarterly", D(2026, 3, 10)))  # due 10 Jun 2026
    assert T.timetable_status(table.df, D(2026, 6, 1), 7).loc[4, "status_now"] == "On track"
    assert T.timetable_status(table.df, D(2026, 6, 1), 9).loc[4, "status_now"] == "Due soon"


def test_empty_timetable() -> None:
    empty = S.empty_frame(S.TIMETABLE)
    status = T.timetable_status(empty, D(2026, 6, 1))
    assert status.empty and "status_now" in status
    assert T.forward_plan(empty, {"Q&PC": D(2026, 7, 1)}, D(2026, 6, 1)).empty
    review = T.annual_review(empty, D(2025, 4, 1))
    assert review.activities.empty and review.by_type.empty
    assert T.quarterly_gaps(empty, D(2026, 6, 1)).empty
    assert T.check(empty, {}, D(2026, 6, 1)) == []
    partners = _table(S.PARTNERS, {"partner_id": "POL", "name": "Police",
                                   "returns_expected": "Yes"}).df
    assert T.section11_programme(empty, partners, D(2026, 6, 1))["status"].tolist() == [
        "No report"]
    assert T.section11_programme(empty, S.empty_frame(S.PARTNERS), D(2026, 6, 1)).empty


# ----------------------------------------------------------------------------- forward plan

def test_meeting_body_drops_a_trailing_number_or_date() -> None:
    assert T.meeting_body("Q&PC 2") == "Q&PC"
    assert T.meeting_body("Q&PC (14/05/2026)") == "Q&PC"
    assert T.meeting_body("Board") == "Board"
    assert T.meeting_body("Executive Committee 1") == "Executive Committee"


def test_forward_plan_places_each_activity_at_the_first_meeting_after_it_is_due() -> None:
    today = D(2026, 5, 1)
    meetings = {"Q&PC 0": D(2026, 4, 20),  # already held: ignored
                "Q&PC 1": D(2026, 5, 14), "Q&PC 2": D(2026, 7, 9), "Board": D(2026, 6, 25)}
    table = _table(
        S.TIMETABLE,
        _activity("LATE", "Annual", D(2025, 3, 1)),  # due 1 Mar 2026: overdue -> Q&PC 1
        _activity("MAY20", "Quarterly", D(2026, 2, 20)),  # due 20 May -> after Q&PC 1 -> Q&PC 2
        _activity("MAY14", "Quarterly", D(2026, 2, 14)),  # due on the meeting day -> Q&PC 1
        # "Quarterly report via Q&PC to Board": at both bodies
        _activity("MAA", "Quarterly", D(2026, 3, 1), reporting_route="Q&PC to Board"),  # 1 Jun
        _activity("SEP", "Half-yearly", D(2026, 3, 1)),  # due 1 Sep: after the last Q&PC given
        _activity("SCR", "As arises", D(2026, 4, 1)),  # no due date
        _activity("CDOP", "Quarterly", D(2026, 3, 1), reporting_route="CDOP"),  # no CDOP meeting
    )
    plan = T.forward_plan(table.df, meetings, today)
    got = [(row.meeting, row.activity_id) for row in plan.itertuples()]
    assert got == [("Q&PC 1", "LATE"), ("Q&PC 1", "MAY14"), ("Board", "MAA"),
                   ("Q&PC 2", "MAY20"), ("Q&PC 2", "MAA")]
    assert plan.loc[0, "status_now"] == "Overdue"
    assert plan.loc[0, "next_due"] == D(2026, 3, 1)


# ---------------------------------------------------------------------------- annual review

def _programme() -> S.Table:
    return _table(
        S.TIMETABLE,
        _activity("Q_END", "Quarterly", D(2026, 3, 31), activity_type="Multi-agency audit"),
        _activity("A_START", "Annual", D(2025, 4, 1), activity_type="Risk register review"),
        _activity("A_BEFORE", "Annual", D(2025, 3, 31), activity_type="Risk register review"),
        _activity("H_ONCE", "Half-yearly", D(2025, 5, 1), activity_type="Section 11 audit"),
        _activity("Q_NEVER", "Quarterly", None, activity_type="Multi-agency audit"),
        _activity("TWO", "Every two years", D(2024, 6, 1), activity_type="Section 11 audit"),
        _activity("SCR", "As arises", None, activity_type="Serious Case Review"),
        _activity("OFF", "Quarterly", D(2024, 1, 1), activity_type="Peer reviews",
                  status="Cancelled"),
    )


def test_annual_review_of_the_financial_year() -> None:
    review = T.annual_review(_programme().df, D(2025, 4, 1))  # 2025-26: 1 Apr 2025-31 Mar 2026
    outcome = dict(zip(review.activities["activity_id"], review.activities["outcome"]))
    assert outcome == {
        "Q_END": "Ran",  # done 31 Mar 2026, the year's last day; next due 30 Jun 2026
        "A_START": "Ran",  # done 1 Apr 2025, the year's first day; due again 1 Apr 2026
        "A_BEFORE": "Slipped",  # done the day before the year; due 31 Mar 2026, not done
        "H_ONCE": "Ran, then slipped",  # done 1 May 2025; due 1 Nov 2025, not done since
        "Q_NEVER": "No record",
        "TWO": "Not due",  # due 1 Jun 2026, after the year
        "SCR": "Not due",
        "OFF": "Cancelled",  # not counted as slipped
    }
    assert review.by_type.loc["Risk register review"].to_dict() == {
        "activities": 2, "ran": 1, "slipped": 1, "no_record": 0}
    assert review.by_type.loc["Multi-agency audit"].to_dict() == {
        "activities": 2, "ran": 1, "slipped": 0, "no_record": 1}


def test_annual_review_during_the_year_counts_only_what_is_already_late() -> None:
    review = T.annual_review(_programme().df, D(2025, 4, 1), today=D(2025, 10, 1))
    outcome = dict(zip(review.activities["activity_id"], review.activities["outcome"]))
    assert outcome["H_ONCE"] == "Ran"  # due 1 Nov 2025: not late on 1 Oct 2025
    assert outcome["A_BEFORE"] == "Not due"  # due 31 Mar 2026


# --------------------------------------------------------------------------- cadence checks

@pytest.mark.parametrize(("today", "last", "flagged"), [
    (D(2026, 7, 15), D(2025, 12, 31), True),  # Q2: last two quarters are Q4 and Q1
    (D(2026, 7, 15), D(2026, 1, 1), False),
    (D(2026, 4, 1), D(2025, 9, 30), True),  # first day of 2026-27: Q3 and Q4 of 2025-26
    (D(2026, 4, 1), D(2025, 10, 1), False),
    (D(2026, 3, 31), D(2025, 9, 30), False),  # last day of 2025-26: Q2 and Q3 count
    (D(2026, 3, 31), D(2025, 6, 30), True),
    (D(2026, 7, 15), None, True),  # never done
])
def test_quarterly_activity_with_nothing_in_two_quarters(today: dt.date, last: dt.date | None,
                                                         flagged: bool) -> None:
    table = _table(S.TIMETABLE, _activity("MAA", "Quarterly", last),
                   _activity("ANN", "Annual", D(2020, 1, 1)),  # not quarterly: never flagged
                   _activity("OFF", "Quarterly", None, status="Cancelled"))  # cancelled: never
    gaps = T.quarterly_gaps(table.df, today)
    assert list(gaps["activity_id"]) == (["MAA"] if flagged else [])


def _audits(*rows: tuple[str, dt.date, str]) -> pd.DataFrame:
    return _table(S.AUDITS, *[
        {"audit_id": a, "audit_date": day, "case_ref": case, "partner_id": partner,
         "stage": "Referral", "grade": "Good"}
        for a, day, case in rows for partner in ("POL", "HLT")]).df


def test_cases_per_audit_about_four() -> None:
    audits = _audits(*[("MA1", D(2026, 5, 10), f"C{i}") for i in range(1, 5)],
                     ("MA2", D(2026, 8, 12), "C5"), ("MA2", D(2026, 8, 12), "C6"))
    counts = T.cases_per_audit(audits)
    assert counts.loc["MA1", "cases"] == 4 and counts.loc["MA1", "about_right"]
    assert counts.loc["MA2", "cases"] == 2 and not counts.loc["MA2", "about_right"]
    assert counts.loc["MA2", "quarter"] == "2026-27 Q2"


def test_quarters_without_a_multi_agency_audit() -> None:
    audits = _audits(("MA1", D(2026, 3, 31), "C1"), ("MA2", D(2026, 4, 1), "C1"))
    # today in 2026-27 Q3: the last four quarters are 2025-26 Q3, Q4 and 2026-27 Q1, Q2
    assert T.quarters_without_audit(audits, D(2026, 10, 5)) == ["2025-26 Q3", "2026-27 Q2"]
    assert T.quarters_without_audit(S.empty_frame(S.AUDITS), D(2026, 4, 1), 2) == [
        "2025-26 Q3", "2025-26 Q4"]


def test_section_11_rolling_two_year_programme() -> None:
    partners = _table(S.PARTNERS,
                      {"partner_id": "POL", "name": "Police", "returns_expected": "Yes"},
                      {"partner_id": "HLT", "name": "Health Trust", "returns_expected": "Yes"},
                      {"partner_id": "EDU", "name": "Education", "returns_expected": "Yes"}).df
    table = _table(
        S.TIMETABLE,
        _activity("S11_POL", "Every two years", D(2025, 5, 1), activity_type="Section 11 audit",
                  title="Action plan report: POL"),
        _activity("S11_HLT", "Every two years", D(2024, 3, 1), activity_type="Partner reports",
                  title="S.11 action plan - Health Trust"),
        _activity("OTHER", "Annual", D(2026, 1, 1), title="Thematic audit: EDU"),  # not S11
    )
    programme = T.section11_programme(table.df, partners, D(2026, 6, 1))
    assert list(programme["status"]) == ["Reported", "Overdue", "No report"]
    assert programme.loc[0, "due_by"] == D(2027, 5, 1)
    assert programme.loc[1, "due_by"] == D(2026, 3, 1)  # two years after 1 Mar 2024


# ---------------------------------------------------------------------------- validation

def test_check_findings_name_the_cell() -> None:
    table = _table(
        S.TIMETABLE,
        _activity("FUTURE", "Annual", D(2026, 6, 2)),  # row 4
        _activity("DONE", "Half-yearly", None, status="Completed"),  # row 5
        _activity("GAP", "Quarterly", D(2025, 9, 30)),  # row 6: nothing in 2025-26 Q3 or Q4
        _activity("ONE", "One-off", None, status="Completed"),  # row 7
        _activity("FINE", "Quarterly", D(2026, 5, 1)),  # row 8
        _activity("NEW", "Quarterly", None, status="Planned"),  # row 9: not run yet: fine
        _activity("OFF", "Quarterly", D(2024, 1, 1), status="Cancelled"),  # row 10: fine
    )
    findings = T.check(table.df, table.letters, D(2026, 6, 1))
    got = [(f["severity"], f["cell"], f["row_key"], f["check"]) for f in findings]
    assert got == [
        ("Error", "F4", "FUTURE", "date_in_future"),
        ("Warning", "F5", "DONE", "last_done_missing"),
        ("Warning", "F6", "GAP", "quarterly_gap"),
        ("Warning", "F7", "ONE", "last_done_missing"),
    ]
    assert all(f["sheet"] == "Timetable" and f["message"].endswith(".") for f in findings)
    assert set(findings[0]) == set(S.FINDING_COLUMNS)
