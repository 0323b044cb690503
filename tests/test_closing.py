"""Closed periods: once reported, a quarter's figures move only for a reason that is logged,
and a pack built again for it says what changed and why."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from qa_xl import papers
from qa_xl.cli import main
from qa_xl.collect.closing import close_period
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.errors import UnusableInput
from qa_xl.example import fill_return
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table
from test_returns import PERIOD, figures_for


@pytest.fixture
def reported(master, tmp_path):
    """Q1 issued, police's return imported, then the quarter closed after the meeting."""
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    police = next(f for f in files if f.name.startswith("police_"))
    fill_return(police, figures_for(police, 1), "DI Jones", dt.date(2026, 7, 20))
    import_returns(master, [police])
    closed = close_period(master, "2026/27 q1", now=dt.datetime(2026, 9, 15, 17, 0))
    assert closed == [PERIOD]
    return police


def test_closing_keeps_the_figures_as_they_stood(master, reported):
    closed = read_table(FileStore(master), S.CLOSED_PERIODS).df
    assert set(closed["period"]) == {PERIOD}
    assert closed["closed_on"].iloc[0].to_pydatetime() == dt.datetime(2026, 9, 15, 17, 0)
    with pytest.raises(UnusableInput, match="was closed on 15/09/2026"):
        close_period(master, PERIOD)


def test_an_import_for_a_closed_period_needs_a_reason(master, reported, tmp_path, capsys):
    correction = tmp_path / "police_corrected.xlsx"
    shutil.copyfile(reported, correction)
    figures = figures_for(reported, 2)
    fill_return(correction, figures, "DI Jones", dt.date(2026, 9, 20))
    before = master.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "import", str(master), str(correction)])
    text = capsys.readouterr().out.replace("\n", " ")
    assert exit_.value.code == 2 and "was closed on 15/09/2026" in text and "--reopen" in text
    assert master.read_bytes() == before
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "import", str(master), str(correction), "--reopen",
              "Police corrected a miscount found by their audit"])
    assert exit_.value.code == 0
    log = read_table(FileStore(master), S.IMPORT_LOG).df
    assert "reopened: Police corrected a miscount" in log["result"].iloc[-1]
    tracker = read_table(FileStore(master), S.RETURNS_TRACKER).df.set_index("partner_id")
    assert "Police corrected a miscount" in tracker.loc["police", "note"]
    # The pack for the closed quarter says what changed since it was closed, and why.
    context = papers.paper_context(master, "pack", period=PERIOD, draw=False)
    since = context["since_closed"]
    assert since["closed"] and "closed on 15/09/2026" in since["summary"]
    assert since["changed"] and since["changed"][0]["before"] != since["changed"][0]["after"]
    assert any("Police corrected a miscount" in r for r in since["reasons"])


def test_a_pack_for_an_open_quarter_has_nothing_to_say_about_closing(master, tmp_path):
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    fill_return(files[0], figures_for(files[0], 1), "Lead", dt.date(2026, 7, 20))
    import_returns(master, [files[0]])
    assert papers.paper_context(master, "pack", period=PERIOD, draw=False)["since_closed"][
        "closed"] is False


def test_period_close_from_the_command_line(master, tmp_path, capsys):
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    fill_return(files[0], figures_for(files[0], 1), "Lead", dt.date(2026, 7, 20))
    import_returns(master, [files[0]])
    with pytest.raises(SystemExit) as exit_:
        main(["period", "close", str(master), PERIOD])
    assert exit_.value.code == 0 and "--reopen" in capsys.readouterr().out


@pytest.mark.parametrize(("period", "words"), [
    ("2026-27 Q3", "runs until 31/12/2026"),  # not ended on 2 December
    ("2030-31 Q1", "runs until 30/06/2030"),
    ("2026-27", "is not a quarter"),
    ("2026-27 H1", "is not a quarter"),
    ("2019-20 Q1", "holds no partner's figures for 2019-20 Q1"),
])
def test_a_period_that_cannot_have_gone_to_the_committee_is_not_closed(master, reported,
                                                                        period, words):
    before = master.read_bytes()
    with pytest.raises(UnusableInput) as exc:
        close_period(master, period, now=dt.datetime(2026, 12, 2, 9, 0))
    assert words in str(exc.value)
    assert master.read_bytes() == before


def test_closing_a_quarter_not_yet_ended_exits_2(master, reported, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["period", "close", str(master), "2099-00 Q1"])
    assert exit_.value.code == 2 and "runs until 30/06/2099" in capsys.readouterr().err
