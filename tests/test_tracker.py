"""The returns tracker: issued, reminded, received — and where each return stands.

Real masters and returns; the clock is given to the jobs (``now=``) so that On time and Late
are decided by when qa_xl received the return, never by the date the partner typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from qa_xl.collect import tracker as T
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.example import fill_return
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_settings, read_table
from test_returns import PERIOD, figures_for

ISSUED = dt.datetime(2026, 7, 1, 9, 0)
DEADLINE = dt.date(2026, 7, 30)  # 2026-27 Q1 ends 30 June; 30 days to return


def tracked(master: Path) -> pd.DataFrame:
    return read_table(FileStore(master), S.RETURNS_TRACKER).df.set_index("partner_id")


@pytest.fixture
def issued(master, tmp_path) -> dict[str, Path]:
    files = issue_returns(master, PERIOD, tmp_path / "returns", now=ISSUED)
    return {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}


def test_issue_records_when_and_which_file(master, issued):
    df = tracked(master)
    assert set(df.index) == set(issued)
    for pid, path in issued.items():
        row = df.loc[pid]
        assert row["period"] == PERIOD and Path(row["file"]) == path.resolve()
        assert row["issued_on"] == pd.Timestamp(ISSUED)
        assert row["status"] == T.NOT_YET_DUE  # as at the issue: the deadline is to come


def test_on_time_and_late_go_by_arrival_not_the_typed_date(master, issued):
    police, education = issued["police"], issued["education"]
    # Police typed a date after the deadline but the file arrived in time; education typed a
    # date well in time but the file arrived late.
    fill_return(police, figures_for(police, 1), "DI Jones", dt.date(2026, 8, 9))
    fill_return(education, figures_for(education, 2), "Head", dt.date(2026, 7, 2))
    arrived = dt.datetime(2026, 7, 29, 16, 45)
    import_returns(master, [police], now=arrived, replace_newer=True)
    import_returns(master, [education], now=dt.datetime(2026, 8, 12, 10, 0))
    df = tracked(master)
    assert df.loc["police", "status"] == T.ON_TIME
    assert df.loc["police", "first_received_on"] == pd.Timestamp(arrived)
    assert df.loc["education", "status"] == T.LATE
    assert df.loc["police", "figures_accepted"] == len(figures_for(police, 1))
    # A later correction does not move "first received on".
    fill_return(police, figures_for(police, 3), "DI Jones", dt.date(2026, 8, 9))
    import_returns(master, [police], now=dt.datetime(2026, 9, 1, 9, 0))
    assert tracked(master).loc["police", "first_received_on"] == pd.Timestamp(arrived)


def test_a_refused_return_says_so_until_a_good_one_arrives(master, issued):
    path = issued["probation"]
    fill_return(path, {k: {**v, "value": -4} if "value" in v else v
                       for k, v in figures_for(path, 1).items()}, "Lead", dt.date(2026, 7, 5))
    other = issued["police"]
    fill_return(other, figures_for(other, 2), "DI Jones", dt.date(2026, 7, 5))
    import_returns(master, [path, other], now=dt.datetime(2026, 7, 6, 9, 0))
    df = tracked(master)
    assert df.loc["probation", "status"] == T.REFUSED
    assert "cannot be negative" in df.loc["probation", "note"]
    fill_return(path, figures_for(path, 1), "Lead", dt.date(2026, 7, 7))
    import_returns(master, [path], now=dt.datetime(2026, 7, 7, 9, 0))
    df = tracked(master)
    assert df.loc["probation", "status"] == T.ON_TIME and pd.isna(df.loc["probation", "note"])


def test_not_yet_due_before_the_deadline_then_missing():
    row = {"partner_id": "police", "period": PERIOD, "first_received_on": None, "note": None}
    settings = {"return_deadline_days": 30}
    assert T.status_of(row, settings, DEADLINE) == T.NOT_YET_DUE
    assert T.status_of(row, settings, DEADLINE + dt.timedelta(days=1)) == T.MISSING
    assert T.deadline(PERIOD, settings) == DEADLINE


def test_reminders_are_kept_one_after_another(master, issued):
    settings = read_settings(FileStore(master))
    df = read_table(FileStore(master), S.RETURNS_TRACKER).df
    once = T.after_reminders(df, [("police", PERIOD)], settings, dt.datetime(2026, 8, 1, 9))
    twice = T.after_reminders(once, [("police", PERIOD)], settings, dt.datetime(2026, 8, 8, 9))
    row = twice.set_index("partner_id").loc["police"]
    assert row["reminded_on"] == "01/08/2026 09:00; 08/08/2026 09:00"


def test_a_workbook_made_before_the_tracker_gets_its_sheet(master, tmp_path):
    book = openpyxl.load_workbook(master)
    del book["Returns"]
    book.save(master)
    assert S.RETURNS_TRACKER.table not in FileStore(master).table_names()
    assert read_table(FileStore(master), S.RETURNS_TRACKER).df.empty  # read as empty
    issue_returns(master, PERIOD, tmp_path / "r", ["police"], now=ISSUED)
    store = FileStore(master)
    assert S.RETURNS_TRACKER.table in store.table_names()
    assert store.sheet_names()[-1] == "Returns"
    assert list(tracked(master).index) == ["police"]
    values = store.sheet_values("Returns")
    assert values[0][0] == S.RETURNS_TRACKER.title and values[2][:2] == ["partner_id", "period"]


def test_compliance_in_the_papers_goes_by_arrival_and_counts_only_quarters_since_the_start(
        master, issued):
    from qa_xl import papers

    police, education = issued["police"], issued["education"]
    fill_return(police, figures_for(police, 1), "DI Jones", dt.date(2026, 8, 20))  # typed late
    fill_return(education, figures_for(education, 2), "Head", dt.date(2026, 7, 2))
    import_returns(master, [police], now=dt.datetime(2026, 7, 28, 9, 0))  # arrived in time
    import_returns(master, [education], now=dt.datetime(2026, 8, 20, 9, 0))  # arrived late
    context = papers.paper_context(master, "pack", period=PERIOD, draw=False,
                                   today=dt.date(2026, 9, 1))
    comp = context["compliance"]
    by = {r["partner"]: r for r in comp["partners"]}
    assert by["police"]["status"] == T.ON_TIME and by["education"]["status"] == T.LATE
    assert comp["quarters"] == 1  # the partnership's first quarter: not "1 of 4"
    assert by["police"]["on_time_recent"] == "1 of 1"
