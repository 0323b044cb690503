"""The roll-up: figures worked out by hand from the returns, and written to tblRollup."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.collect.consolidate import compliance, consolidate, rollup
from qa_xl.core.periods import Period
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table

Q1, Q2 = "2026-27 Q1", "2026-27 Q2"
CURRENT = Period.parse(Q2)


def indicators() -> pd.DataFrame:
    rows = [
        # id, aggregation, polarity, target, tolerance, partners
        ("SAFE", "ratio", "Higher is better", 0.5, 0.05, "A, B"),
        ("REFS", "sum", "Lower is better", 100, 10, "All"),
        ("TRAIN", "sum", "Higher is better", None, None, "All"),
        ("DAYS", "mean", "Lower is better", 20, 2, "A, B"),
        ("LAC", "latest", "Neutral", None, None, "A, B"),
    ]
    return pd.DataFrame([{"indicator_id": i, "indicator_name": f"Name {i}",
                          "oba_measure": "How well did we do it?", "aggregation": a,
                          "polarity": p, "target": t, "amber_tolerance": tol,
                          "frequency": "Quarterly", "reporting_partners": rp}
                         for i, a, p, t, tol, rp in rows])


def partners() -> pd.DataFrame:
    return pd.DataFrame({"partner_id": ["A", "B", "C"], "returns_expected": ["Yes", "Yes",
                                                                             "Yes"]})


def returns() -> pd.DataFrame:
    day = pd.Timestamp
    rows = [
        # partner, period, indicator, value, numerator, denominator, submitted
        ("A", Q2, "SAFE", 0.9, 9, 10, day("2026-10-20")),
        ("B", Q2, "SAFE", 0.1, 10, 100, day("2026-10-21")),
        ("A", Q1, "SAFE", 0.5, 5, 10, day("2026-07-20")),
        ("B", Q1, "SAFE", 0.5, 50, 100, day("2026-07-20")),
        ("A", Q2, "REFS", 60, None, None, day("2026-10-20")),
        ("B", Q2, "REFS", 48, None, None, day("2026-10-21")),  # C never sent its return
        ("A", Q1, "REFS", 70, None, None, day("2026-07-20")),
        ("B", Q1, "REFS", 50, None, None, day("2026-07-20")),
        ("C", Q1, "REFS", 5, None, None, day("2026-08-30")),   # late
        ("A", Q2, "TRAIN", 30, None, None, day("2026-10-20")),
        ("A", Q2, "DAYS", 18, None, None, day("2026-10-20")),
        ("B", Q2, "DAYS", 25, None, None, day("2026-10-21")),
        ("A", Q2, "LAC", 500, None, None, day("2026-10-25")),
        ("B", Q2, "LAC", 510, None, None, day("2026-10-21")),
    ]
    return pd.DataFrame(rows, columns=["partner_id", "period", "indicator_id", "value",
                                       "numerator", "denominator", "submitted_on"])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return consolidate(returns(), indicators(), partners(), CURRENT).set_index(
        ["indicator_id", "period"])


def test_ratio_is_summed_parts_not_averaged_percentages(table):
    row = table.loc[("SAFE", Q2)]
    assert (row["numerator"], row["denominator"]) == (19, 110)
    assert row["value"] == pytest.approx(19 / 110)  # 0.173, where averaging gives 0.5
    assert row["rag"] == "Red"  # 0.173 is more than 0.05 below the 0.5 target
    assert row["direction"] == "Worsening"  # from 55/110 = 0.5 in Q1
    assert table.loc[("SAFE", Q1), "value"] == pytest.approx(0.5)


def test_lower_is_better_with_a_missing_partner(table):
    row = table.loc[("REFS", Q2)]
    assert row["value"] == 108  # 60 + 48; C sent nothing
    assert (row["partners_reported"], row["partners_expected"]) == (2, 3)
    assert row["rag"] == "Amber"  # 8 above a target of 100, within the tolerance of 10
    assert row["direction"] == "Improving"  # down from 125: lower is better
    assert table.loc[("REFS", Q1), "value"] == 125


def test_no_target_and_no_data(table):
    assert table.loc[("TRAIN", Q2), "rag"] == "No target"
    assert table.loc[("TRAIN", Q2), "value"] == 30
    assert table.loc[("LAC", Q2), "rag"] == "No target"  # neutral


def test_mean_and_latest(table):
    assert table.loc[("DAYS", Q2), "value"] == pytest.approx(21.5)
    assert table.loc[("DAYS", Q2), "rag"] == "Amber"
    assert table.loc[("LAC", Q2), "value"] == 500  # A's return was submitted last


def test_every_indicator_has_every_period_to_the_current_one(table):
    assert set(table.index.get_level_values("period")) == {Q1, Q2}
    assert len(table) == 5 * 2
    assert table.loc[("TRAIN", Q1), "rag"] == "No data"
    assert table.loc[("TRAIN", Q1), "partners_reported"] == 0


def test_compliance():
    frame = compliance(returns(), indicators(), partners(), [Period.parse(Q1), CURRENT], 30,
                       today=dt.date(2026, 11, 25))
    status = frame.set_index(["partner_id", "period"])["status"]
    assert status[("A", Q2)] == "On time"
    assert status[("C", Q1)] == "Late"  # 30 Aug is after 30 June + 30 days
    assert status[("C", Q2)] == "Missing"


@pytest.mark.parametrize("typed", ["2026-27 Q2", "2026/27 Q2", "2026-2027 q2", " 2026-27  Q2 ",
                                   "2026/27q2", "2026 - 27 Q2"])
def test_periods_typed_as_officers_write_them(typed):
    assert Period.typed(typed) == CURRENT


@pytest.mark.parametrize("typed", ["2026-27 Q7", "Q2", "2026-28 Q1", "26/27 Q2", ""])
def test_period_typos_are_refused(typed):
    from qa_xl.core.periods import PeriodError

    with pytest.raises(PeriodError, match=r"period|follow"):
        Period.typed(typed)
    with pytest.raises(PeriodError):
        Period.parse("2026/27 Q2")  # cells of the workbook keep one spelling


def test_a_return_not_yet_due_is_not_missing():
    """Q2's returns are due 30 October: until then C's is 'Not yet due', from 31 October it
    is 'Missing'; returns already in are 'On time' either way."""
    periods = [Period.parse(Q1), CURRENT]
    for today, expected in ((dt.date(2026, 10, 30), "Not yet due"),
                            (dt.date(2026, 10, 31), "Missing")):
        frame = compliance(returns(), indicators(), partners(), periods, 30, today=today)
        status = frame.set_index(["partner_id", "period"])["status"]
        assert status[("C", Q2)] == expected
        assert status[("A", Q2)] == "On time" and status[("C", Q1)] == "Late"


def test_rollup_writes_tbl_rollup(tmp_path, config):
    pid = config.partners[0].partner_id
    ind = next(i for i in config.indicators if i.aggregation == "ratio"
               and pid in config.partners_for(i) and i.frequency == "Quarterly")
    row = [config.settings["current_period"], ind.indicator_id, 0.25, 1, 4, None, "Lead",
           dt.date(2026, 10, 1)]
    rows = pd.DataFrame([row], columns=[c.name for c in S.RETURN_COLUMNS])
    path = new(tmp_path / "QA_Master.xlsx", config, data={f"tblReturn_{pid}": rows})
    result = rollup(path)
    written = read_table(FileStore(path), S.ROLLUP).df
    assert len(written) == len(result.rollup) >= len(config.indicators)
    mine = written[(written["indicator_id"] == ind.indicator_id)
                   & (written["period"] == config.settings["current_period"])]
    assert mine["value"].tolist() == [0.25]
    assert mine["numerator"].tolist() == [1.0] and mine["denominator"].tolist() == [4.0]


def test_rollup_writes_derived_columns_and_nothing_else(demo_master):
    import openpyxl

    book = openpyxl.load_workbook(demo_master)
    book["Risks"]["N5"] = "officer's note beside the table"
    book["Risks"]["F4"] = 99  # a stale score typed over: the roll-up puts it right
    book["Timetable"]["G6"] = None
    book.save(demo_master)
    store = FileStore(demo_master)
    risks_before = read_table(store, S.RISKS).df
    timetable_before = read_table(store, S.TIMETABLE).df
    rollup(demo_master, today=dt.date(2026, 11, 25))
    store = FileStore(demo_master)
    risks_after = read_table(store, S.RISKS).df
    timetable_after = read_table(store, S.TIMETABLE).df
    assert risks_before["score"].iloc[0] == 99
    expected = (risks_before["likelihood"] * risks_before["impact"]).astype("Int64")
    pd.testing.assert_series_equal(risks_after["score"], expected, check_names=False)
    inputs = [c.name for c in S.RISKS.columns if not c.derived]
    pd.testing.assert_frame_equal(risks_after[inputs], risks_before[inputs])
    inputs = [c.name for c in S.TIMETABLE.columns if not c.derived]
    pd.testing.assert_frame_equal(timetable_after[inputs], timetable_before[inputs])
    annual = timetable_after[(timetable_after["frequency"] == "Annual")
                             & timetable_after["last_done"].notna()].iloc[0]
    assert annual["next_due"] == annual["last_done"] + pd.DateOffset(years=1)
    assert openpyxl.load_workbook(demo_master)["Risks"]["N5"].value.startswith("officer's")


def test_rollup_refuses_bad_data_and_leaves_the_master(demo_master, capsys):
    import openpyxl

    from qa_xl.cli import main

    book = openpyxl.load_workbook(demo_master)
    book["Indicators"]["I4"] = "ninety"  # a target typed as text
    book.save(demo_master)
    before = demo_master.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        main(["rollup", str(demo_master)])
    assert exit_.value.code == 1
    assert "Indicators!I4" in capsys.readouterr().err
    assert demo_master.read_bytes() == before


def test_rollup_without_its_table_is_unusable(demo_master, capsys):
    import openpyxl

    from qa_xl.cli import main

    book = openpyxl.load_workbook(demo_master)
    book.remove(book["Rollup"])
    book.save(demo_master)
    with pytest.raises(SystemExit) as exit_:
        main(["rollup", str(demo_master)])
    assert exit_.value.code == 2 and "tblRollup" in capsys.readouterr().err


def test_returns_after_the_current_period_are_rolled_up_with_a_hint(tmp_path, config):
    pid = config.partners[0].partner_id
    ind = next(i for i in config.indicators if i.aggregation == "sum"
               and pid in config.partners_for(i) and i.frequency == "Quarterly")
    later = str(Period.parse(config.settings["current_period"]).shift(1))
    row = [later, ind.indicator_id, 7, None, None, None, "Lead", dt.date(2027, 1, 2)]
    rows = pd.DataFrame([row], columns=[c.name for c in S.RETURN_COLUMNS])
    path = new(tmp_path / "QA_Master.xlsx", config, data={f"tblReturn_{pid}": rows})
    result = rollup(path)
    assert later in set(result.rollup["period"])
    assert f"Returns for {later}" in result.summary() and "current_period" in result.summary()
