"""qa-xl demo: a worked example that exercises every status, the same for the same seed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.example import demo
from qa_xl.programme import actions, risks, timetable, voice
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns, read_table


@pytest.fixture(scope="module")
def demo_tables(_demo_template):
    path, result = _demo_template
    store = FileStore(path)
    tables = {s.table: read_table(store, s).df for s in S.FIXED_TABLES}
    tables["returns"] = read_returns(store).df
    return tables, result


def test_every_status_is_exercised(demo_tables):
    tables, result = demo_tables
    today = result.today
    status = timetable.timetable_status(tables["tblTimetable"], today)["status_now"]
    assert "Overdue" in set(status)
    assert "Worsening" in set(risks.risk_summary(tables["tblRisks"], today)["change"])
    assert "Inadequate" in set(tables["tblAudits"]["grade"])
    assert "Overdue" in set(actions.action_status(tables["tblActions"], today)["status_now"])
    assert voice.voice_summary(tables["tblVoice"])["suppressed"].any()
    assert set(tables["tblRollup"]["rag"]) >= {"Green", "Red", "No target"}


def test_returns_came_in_through_files(demo_tables):
    tables, result = demo_tables
    assert result.files and result.imported
    log = tables["tblImportLog"]
    assert len(log) == result.imported + result.forms
    # every file accepted (a second cycle's form that plans last cycle's action again says
    # that it closed the old one, a warning)
    assert log["result"].str.startswith("Accepted").all()
    assert set(log.loc[~log["period"].str.startswith(("s11", "s175")), "result"]) == {
        "Accepted"}
    current = tables["tblConfig"].set_index("key").at["current_period", "value"]
    assert (tables["returns"]["period"] == current).sum() > 0


def test_no_errors_in_the_demo(demo_tables):
    _, result = demo_tables
    assert not (result.findings["severity"] == "Error").any()


def test_same_seed_same_data(tmp_path):
    a = demo(tmp_path / "a", quarters=2, seed=5)
    b = demo(tmp_path / "b", quarters=2, seed=5)
    c = demo(tmp_path / "c", quarters=2, seed=6)
    frames = []
    for result in (a, b, c):
        store = FileStore(result.workbook)
        frames.append(read_returns(store).df.drop(columns=["submitted_on"]))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert not frames[0].equals(frames[2])
    assert a.today == b.today and isinstance(a.today, dt.date)


def test_synthetic_partners(tmp_path):
    result = demo(tmp_path, partners=12, quarters=2, seed=1)
    partners = read_table(FileStore(result.workbook), S.PARTNERS).df
    assert len(partners) == 12 and partners["partner_id"].is_unique


def test_self_assessments_came_in_through_forms(demo_tables):
    """A closed Section 11 cycle (2024-26, and the one before it) every partner returned, and
    an open Section 175/157 cycle (2026-28) most of the ~120 schools returned, every answer
    through the real issue and import; actions keyed to their answers."""
    tables, result = demo_tables
    schools, answers = tables["tblSchools"], tables["tblSelfAssessment"]
    assert 100 <= len(schools) <= 150 and schools["school_id"].is_unique
    assert {"Primary", "Secondary", "Special", "Further education"} <= set(schools["phase"])
    assert set(schools["type"]) == {"Maintained", "Academy", "Independent", "FE"}
    s11 = answers[(answers["form"] == "s11") & (answers["cycle"] == "2024-26")]
    partners = set(tables["tblPartners"]["partner_id"])
    assert set(s11["organisation"]) == partners
    s175 = answers[(answers["form"] == "s175") & (answers["cycle"] == "2026-28")]
    returned = s175["organisation"].nunique()
    assert len(schools) * 0.7 < returned < len(schools)
    assert result.forms == 2 * len(partners) + returned
    grades = set(s11["grade"].dropna())
    assert {"Fully met", "Partly met", "Not met"} <= grades
    keyed = tables["tblActions"]["action_id"].astype(str)
    assert keyed.str.startswith("S11-2024-26-").any()
    assert keyed.str.startswith("S175-2026-28-").any()
