"""What a hostile tester found in the Section 11 and Section 175/157 forms (issue 12), each
pinned: an older fill after a newer one, the sign-off kept, superseded actions closed, a
confirmed carried-forward form accepted, re-issuing an untouched form, cycles checked, a
tampered cell named, and the forms' own words.

Real workbooks throughout: a master built by qa-xl new, forms written by qa_xl and filled
with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import TEST_SECRET
from forms_fixture import schools_frame
from qa_xl.collect.self_assessment import s11_import, s11_issue
from qa_xl.example import fill_self_assessment
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table

CYCLE = "2026-28"
TODAY = dt.date(2026, 11, 25)
DUE = dt.datetime(2027, 6, 1)


@pytest.fixture(scope="module")
def _template(tmp_path_factory, config) -> Path:
    path = tmp_path_factory.mktemp("sa_hostile") / "QA_Master.xlsx"
    return new(path, config, secret=TEST_SECRET, workbook_id="sa-hostile",
               data={S.SCHOOLS.table: schools_frame()})


@pytest.fixture
def book(tmp_path, _template) -> Path:
    path = tmp_path / "QA_Master.xlsx"
    shutil.copyfile(_template, path)
    return path


def all_fully(config, **over: dict) -> dict[str, dict]:
    out = {q.id: {"grade": "Fully met", "evidence": "Policy seen.", "action": None,
                  "owner": None, "due": None} for _, q in config.self_assessment("s11")
           .questions()}
    for q, cells in over.items():
        out[q] = {**out[q], **cells}
    return out


def table(book: Path, schema: S.TableSchema) -> pd.DataFrame:
    return read_table(FileStore(book), schema).df


def _copies(path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        out.append(path.with_name(name))
        shutil.copyfile(path, out[-1])
    return out


DRAFT = {"S11_1a": {"grade": "Partly met", "evidence": "DRAFT", "action": "Draft action.",
                    "owner": "DSL", "due": DUE}}


# ------------------------------------------------------- 1. an older fill after a newer one

def test_an_older_fill_after_a_newer_one_is_refused(book, tmp_path, config):
    issued = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    draft, final = _copies(issued, "draft.xlsx", "final.xlsx")
    fill_self_assessment(draft, all_fully(config, **DRAFT), "Zoë Ångström-Ærø",
                         dt.date(2026, 10, 1))
    fill_self_assessment(final, all_fully(config), "Zoë Ångström-Ærø", dt.date(2026, 11, 20))
    assert s11_import(book, [final], today=TODAY).exit_code == 0
    before = book.read_bytes()
    report = s11_import(book, [draft], today=TODAY)
    assert not report.results[0].accepted and book.read_bytes() == before
    problem = report.results[0].problems[0]
    assert "completed on 01/10/2026" in problem and "20/11/2026" in problem
    assert "final.xlsx" in problem and "--replace-newer" in problem
    answers = table(book, S.SELF_ASSESSMENT).set_index("question")
    assert answers.loc["S11_1a", "grade"] == "Fully met"
    # the officer says the draft is the one to keep
    again = s11_import(book, [draft], today=TODAY, replace_newer=True)
    assert again.exit_code == 0, again.lines()
    assert table(book, S.SELF_ASSESSMENT).set_index("question").loc["S11_1a", "grade"] == \
        "Partly met"


def test_the_sign_off_is_kept_with_the_answers(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, all_fully(config), "Zoë Ångström-Ærø", dt.date(2026, 11, 20))
    assert s11_import(book, [path], today=TODAY).exit_code == 0
    got = table(book, S.SELF_ASSESSMENT)
    assert set(got["submitted_by"]) == {"Zoë Ångström-Ærø"}
    assert set(got["completed_on"]) == {pd.Timestamp(2026, 11, 20)}


def _drop_sign_off_columns(book: Path, out: Path) -> Path:
    """A master of qa_xl before the sign-off was kept: tblSelfAssessment without its last two
    columns (made here from a new one with openpyxl)."""
    wb = openpyxl.load_workbook(book)
    ws = wb["SelfAssessment"]
    t = ws.tables[S.SELF_ASSESSMENT.table]
    width = len(S.SELF_ASSESSMENT.names)
    ws.delete_cols(width - 1, 2)
    first, last = t.ref.split(":")
    t.ref = f"{first}:{openpyxl.utils.get_column_letter(width - 2)}{last[1:]}"
    t.tableColumns = t.tableColumns[:width - 2]
    t.autoFilter.ref = t.ref
    wb.save(out)
    return out


def test_an_older_master_gets_the_sign_off_columns(book, tmp_path, config):
    old = _drop_sign_off_columns(book, tmp_path / "Old.xlsx")
    header = read_table(FileStore(old), S.SELF_ASSESSMENT)
    assert "submitted_by" not in FileStore(old).header(S.SELF_ASSESSMENT.table)
    assert header.df.empty
    issued = s11_issue(old, CYCLE, tmp_path / "f", ["police"])[0]
    draft, final = _copies(issued, "draft.xlsx", "final.xlsx")
    fill_self_assessment(draft, all_fully(config, **DRAFT), "A. Lead", dt.date(2026, 10, 1))
    fill_self_assessment(final, all_fully(config), "A. Lead", dt.date(2026, 11, 20))
    assert s11_import(old, [final], today=TODAY).exit_code == 0
    assert FileStore(old).header(S.SELF_ASSESSMENT.table)[-2:] == ["submitted_by",
                                                                  "completed_on"]
    got = table(old, S.SELF_ASSESSMENT)
    assert set(got["submitted_by"]) == {"A. Lead"}
    assert set(got["completed_on"]) == {pd.Timestamp(2026, 11, 20)}
    # the date shows as a date in Excel (its column's number format)
    ws = openpyxl.load_workbook(old)["SelfAssessment"]
    col = S.SELF_ASSESSMENT.names.index("completed_on") + 1
    assert ws.cell(4, col).number_format == S.DATE_FORMAT
    # and the older fill is refused there too
    assert not s11_import(old, [draft], today=TODAY).results[0].accepted


# ------------------------------------------------------- 2. an action no longer planned

def test_an_action_no_longer_planned_is_closed_not_left_open(book, tmp_path, config):
    from qa_xl.programme.self_assessment import action_counts, cycle_actions

    issued = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    draft, final = _copies(issued, "draft.xlsx", "final.xlsx")
    fill_self_assessment(draft, all_fully(config, **DRAFT), "Lead", dt.date(2026, 10, 1))
    fill_self_assessment(final, all_fully(config), "Lead", dt.date(2026, 11, 20))
    assert s11_import(book, [draft], today=TODAY).exit_code == 0
    key = "S11-2026-28-police-S11_1a"
    actions = table(book, S.ACTIONS)
    row = int(actions.index[actions["action_id"] == key][0])
    edited = actions[["learning_area", "evidence_of_impact"]].astype(object)
    edited.loc[row] = ["Training", "Lead named in October."]  # the officer's own words
    FileStore(book).write({}, columns={S.ACTIONS.table: edited})
    report = s11_import(book, [final], today=TODAY,
                        now=dt.datetime(2026, 11, 25, 9, 30))
    assert report.exit_code == 0, report.lines()
    assert any(key in w and "closed" in w for w in report.results[0].warnings)
    after = table(book, S.ACTIONS)
    assert len(after) == len(actions)  # the row kept
    closed = after[after["action_id"] == key].iloc[0]
    assert closed["status"] == "Closed"
    assert "closed by the re-import of final.xlsx on 25/11/2026: now Fully met" in \
        closed["finding"]
    assert closed["action"] == "Draft action." and closed["owner"] == "DSL"
    assert closed["learning_area"] == "Training"
    assert closed["evidence_of_impact"] == "Lead named in October."
    acts = cycle_actions(after, config.self_assessment("s11"), CYCLE, dt.date(2026, 11, 25))
    assert action_counts(acts)["outstanding"] == 0
    # planned again in a later fill: the same row, open again
    again = final.with_name("again.xlsx")
    shutil.copyfile(issued, again)
    fill_self_assessment(again, all_fully(config, **DRAFT), "Lead", dt.date(2026, 11, 24))
    assert s11_import(book, [again], today=TODAY).exit_code == 0
    reopened = table(book, S.ACTIONS)
    assert len(reopened) == len(actions)
    assert reopened[reopened["action_id"] == key].iloc[0]["status"] == "Not started"


# ------------------------------------------- 4. re-issuing a carried-forward form untouched

def _last_cycle(book: Path, tmp_path: Path, config, org: str = "police") -> dict:
    """The organisation's 2024-26 form imported, with two actions due in 2025."""
    answers = all_fully(config, S11_1a={"grade": "Not met", "evidence": "None yet.",
                                        "action": "Name a lead.", "owner": "Director",
                                        "due": dt.datetime(2025, 3, 31)},
                        S11_2a={"grade": "Partly met", "evidence": "Draft.",
                                "action": "Finish the policy.", "owner": "Lead",
                                "due": dt.datetime(2025, 6, 30)},
                        S11_3a={"action": "Keep it under review."})  # Fully met, noted
    path = s11_issue(book, "2024-26", tmp_path / "last", [org])[0]
    fill_self_assessment(path, answers, "Lead", dt.date(2024, 10, 1))
    report = s11_import(book, [path], today=dt.date(2024, 10, 2))
    assert report.exit_code == 0, report.lines()
    return answers


def test_reissuing_an_untouched_carried_forward_form_replaces_it(book, tmp_path, config):
    _last_cycle(book, tmp_path, config)
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    again = s11_issue(book, CYCLE, tmp_path / "f", ["police"])
    assert again == [path] and not again.skipped  # untouched: not "started"
    fill_self_assessment(path, {"S11_1b": {"evidence": "New evidence."}})
    kept = s11_issue(book, CYCLE, tmp_path / "f", ["police"])
    assert not kept and kept.skipped[0][0] == path


# ---------------------------------------------------------------- 6. a locked cell edited

def test_an_edited_locked_cell_is_named(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, all_fully(config), "Lead", dt.date(2026, 11, 20))
    wb = openpyxl.load_workbook(path)
    ws = wb[S.ISSUED_SELF_ASSESSMENT.sheet]
    column = S.ISSUED_SELF_ASSESSMENT.names.index("question_text") + 1
    ws.cell(9, column).value = "We have a lead (softened)"  # the second question's text
    wb.save(path)
    before = book.read_bytes()
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 1 and book.read_bytes() == before
    letter = openpyxl.utils.get_column_letter(column)
    assert f"cell {letter}9 is not as issued" in report.results[0].problems[0]


# ------------------------------------- 3. confirming a carried-forward form unchanged

def test_confirming_the_carried_forward_form_unchanged_is_accepted(book, tmp_path, config):
    _last_cycle(book, tmp_path, config)
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, {}, "Lead", dt.date(2026, 11, 20))  # confirmed, signed
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    warned = [w for w in report.results[0].warnings if "confirms last cycle's action" in w]
    assert len(warned) == 2 and "S11-2024-26-police-S11_1a" in warned[0]
    assert not [w for w in report.results[0].warnings if "not raised" in w]  # said last time
    assert "31/03/2025" in warned[0]
    actions = table(book, S.ACTIONS)
    keys = sorted(k for k in actions["action_id"] if k.startswith("S11-"))
    assert keys == ["S11-2024-26-police-S11_1a", "S11-2024-26-police-S11_2a"]  # not doubled
    assert set(actions.loc[actions["action_id"].isin(keys), "status"]) == {"Not started"}
    answers = table(book, S.SELF_ASSESSMENT)
    now = answers[answers["cycle"] == CYCLE].set_index("question")
    assert now.loc["S11_1a", "grade"] == "Not met"
    assert now.loc["S11_1a", "due"] == pd.Timestamp(2025, 3, 31)
    # the partner plans one again with a new date: one action for it, in this cycle's row
    fill_self_assessment(path, {"S11_2a": {"due": dt.datetime(2027, 9, 30)}}, "Lead",
                         dt.date(2026, 11, 24))
    again = s11_import(book, [path], today=TODAY)
    assert again.exit_code == 0, again.lines()
    after = table(book, S.ACTIONS).set_index("action_id")
    assert after.loc["S11-2026-28-police-S11_2a", "status"] == "Not started"
    assert after.loc["S11-2026-28-police-S11_2a", "due_date"] == pd.Timestamp(2027, 9, 30)
    assert after.loc["S11-2024-26-police-S11_2a", "status"] == "Closed"
    assert "carried into S11-2026-28-police-S11_2a" in \
        after.loc["S11-2024-26-police-S11_2a", "finding"]
    assert after.loc["S11-2024-26-police-S11_1a", "status"] == "Not started"  # still open
    assert "S11-2026-28-police-S11_1a" not in after.index


def test_a_changed_carried_forward_action_with_a_past_date_is_still_refused(
        book, tmp_path, config):
    _last_cycle(book, tmp_path, config)
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, {"S11_1a": {"action": "A new plan."}}, "Lead",
                         dt.date(2026, 11, 20))
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 1
    assert "the new action for S11_1a is due on 31/03/2025" in report.results[0].problems[0]


# --------------------------------------------------------------------------- 5. cycles

def test_a_cycle_overlapping_one_in_the_master_is_refused(book, tmp_path, config):
    from qa_xl.core.errors import UnusableInput

    early = s11_issue(book, "2025-27", tmp_path / "early", ["police"],
                      today=dt.date(2025, 6, 1))[0]  # before any answer was in the master
    _last_cycle(book, tmp_path, config)  # 2024-26 answers now in the master
    with pytest.raises(UnusableInput, match="2025-27 overlaps 2024-26") as refused:
        s11_issue(book, "2025-27", tmp_path / "f", ["police"])
    assert "2026-28" in refused.value.action
    fill_self_assessment(early, all_fully(config), "Lead", dt.date(2026, 11, 20))
    before = book.read_bytes()
    report = s11_import(book, [early], today=TODAY)
    assert report.exit_code == 1 and book.read_bytes() == before
    assert "the cycle 2025-27, which overlaps 2024-26" in report.results[0].problems[0]
    with pytest.raises(UnusableInput, match="2025-27 overlaps 2024-26"):  # exit 2
        s11_import(book, [early], today=TODAY, cycle="2025-27")
    assert book.read_bytes() == before


def test_a_cycle_beginning_more_than_a_year_on_is_refused(book, tmp_path, config, capsys):
    from qa_xl.cli import main
    from qa_xl.core.errors import UnusableInput

    with pytest.raises(UnusableInput, match="2030-32 begins on 01/04/2030"):
        s11_issue(book, "2030-32", tmp_path / "f", ["police"], today=TODAY)
    with pytest.raises(SystemExit) as done:
        main(["s11", "issue", str(book), "--cycle", "2032-34", "--partner", "police"])
    assert done.value.code == 2
    assert "2032-34" in capsys.readouterr().err
    # a form issued for it anyway (by a master whose clock was wrong) is refused on import
    path = s11_issue(book, "2030-32", tmp_path / "f", ["police"], today=dt.date(2029, 6, 1))[0]
    fill_self_assessment(path, all_fully(config), "Lead", dt.date(2026, 11, 20))
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 1 and "more than a year from today" in \
        report.results[0].problems[0]


def test_a_form_for_an_ended_cycle_imports_with_a_note(book, tmp_path, config):
    path = s11_issue(book, "2024-26", tmp_path / "f", ["police"], today=dt.date(2024, 5, 1))[0]
    fill_self_assessment(path, all_fully(config), "Lead", dt.date(2026, 11, 20))
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert any("the cycle 2024-26 ended on 31/03/2026" in w
               for w in report.results[0].warnings)


def test_the_papers_default_to_the_latest_cycle_that_has_begun():
    from types import SimpleNamespace

    from qa_xl.core.periods import Cycle
    from qa_xl.papers.self_assessment import latest_cycle

    answers = pd.DataFrame({"form": ["s11"] * 3, "cycle": ["2024-26", "2026-28", "2030-32"]})

    def data(today: dt.date) -> SimpleNamespace:  # what latest_cycle reads of a paper's data
        return SimpleNamespace(answers_of=lambda form: answers[answers["form"] == form],
                               today=today)

    assert latest_cycle(data(TODAY), "s11") == Cycle.parse("2026-28")
    assert latest_cycle(data(dt.date(2030, 4, 1)), "s11") == Cycle.parse("2030-32")


# ----------------------------------------------------------------- 7. the forms' words

def test_a_due_date_past_2100_is_refused_as_the_form_refuses_it(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, all_fully(config, S11_1a={
        "grade": "Partly met", "action": "Fix it.", "owner": "DSL",
        "due": dt.datetime(9999, 12, 31)}), "Lead", dt.date(2026, 11, 20))
    before = book.read_bytes()
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 1 and book.read_bytes() == before, report.lines()
    assert "is not between 01/01/2000 and 31/12/2100" in report.results[0].problems[0]


def test_a_not_applicable_answer_with_an_action_warns_it_is_not_raised(book, tmp_path,
                                                                       config):
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, all_fully(config, S11_1a={
        "grade": "Not applicable", "action": "Still do X.", "owner": "DSL", "due": DUE}),
        "Lead", dt.date(2026, 11, 20))
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert any("S11_1a is Not applicable, so its planned action is kept with the answer but "
               "not raised" in w for w in report.results[0].warnings)
    assert not table(book, S.ACTIONS)["action_id"].str.startswith("S11-").any()


def test_the_forms_messages_speak_of_forms(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, all_fully(config, S11_1a={"evidence": "x" * 2001}), "Lead",
                         dt.date(2026, 11, 20))
    report = s11_import(book, [path], today=TODAY)
    assert "a form takes at most 2000" in report.results[0].problems[0]
    # a workbook without the hidden details
    bare = tmp_path / "bare.xlsx"
    wb = openpyxl.load_workbook(path)
    del wb["About"]
    wb.save(bare)
    problem = s11_import(book, [bare], today=TODAY).results[0].problems[0]
    assert "the form's hidden details are missing" in problem
    assert "qa-xl s11 issue" in problem and "returns" not in problem
    # the package and the sheet speak of the form too
    csv = tmp_path / "police.csv"
    csv.write_text("grade\n", encoding="utf-8")
    problem = s11_import(book, [csv], today=TODAY).results[0].problems[0]
    assert "a form must be the issued .xlsx file" in problem
    renamed = tmp_path / "renamed.xlsx"
    wb = openpyxl.load_workbook(path)
    wb[S.ISSUED_SELF_ASSESSMENT.sheet].title = "My answers"
    wb.save(renamed)
    problem = s11_import(book, [renamed], today=TODAY).results[0].problems[0]
    assert "the sheet holding the form is called 'My answers'" in problem
    # a partner's quarterly return given to s11 import
    from qa_xl.collect.issue import issue_returns

    returns = issue_returns(book, "2026-27 Q2", tmp_path / "returns", ["police"])
    problem = s11_import(book, [returns[0]], today=TODAY).results[0].problems[0]
    assert ("this is a partner's quarterly return, not a Section 11 self-assessment form: "
            "import it with qa-xl returns import") in problem


def test_in_excel_an_older_table_grows_the_sign_off_columns(book, tmp_path):
    """The live back end (xlwings' remote engine, as the Import button runs it): rows that
    bring the sign-off widen a table made before it, header and all, rather than drop it."""
    from qa_xl.excel.live import LiveStore
    from qa_xl.workbook.store import RowsWrite
    from xl_remote import actions, remote_book, sheet_position

    old = _drop_sign_off_columns(book, tmp_path / "Old.xlsx")
    xl_book = remote_book(old, "Old.xlsx")
    row = {c: None for c in S.SELF_ASSESSMENT.names}
    row.update(cycle=CYCLE, form="s11", organisation="police", standard="S11_1",
               question="S11_1a", grade="Fully met", submitted_on=dt.datetime(2026, 11, 25),
               submitted_by="A. Lead", completed_on=dt.datetime(2026, 11, 20))
    LiveStore(xl_book).write({}, rows={S.SELF_ASSESSMENT.table: RowsWrite(
        [], pd.DataFrame([row], columns=S.SELF_ASSESSMENT.names))})
    position = sheet_position(xl_book, S.SELF_ASSESSMENT.sheet)
    done = [a for a in actions(xl_book) if a["sheet_position"] == position]
    headers = [a["values"] for a in done if a["func"] == "setValues" and a["start_row"] == 2]
    assert headers == [[["submitted_by"]], [["completed_on"]]]
    (rows,) = [a["values"] for a in done if a["func"] == "setValues" and a["start_row"] == 3]
    assert rows[0][-2:] == ["A. Lead", "2026-11-20"]
    assert any(a["func"] == "resizeTable" for a in done)
