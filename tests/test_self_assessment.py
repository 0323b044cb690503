"""Section 11 and Section 175/157 self-assessments: issue to every partner and school, fill
(openpyxl, and one in LibreOffice), import, carry forward, actions; every bad form
refused with file, sheet and cell named and the master byte for byte unchanged.

Real workbooks throughout: a master built by qa-xl new, forms written by qa_xl, filled with
openpyxl, one typed and saved in LibreOffice (through its API, tests/uno_fill.py).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import TEST_SECRET
from forms_fixture import SCHOOLS, schools_frame
from libreoffice import soffice
from qa_xl.cli import main
from qa_xl.collect.self_assessment import (
    FROM_LAST_CYCLE,
    import_self_assessment,
    issue_self_assessment,
    s11_import,
    s11_issue,
    s175_import,
    s175_issue,
)
from qa_xl.core.errors import DataError
from qa_xl.example import fill_self_assessment
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table

HERE = Path(__file__).parent
CYCLE = "2026-28"
TODAY = dt.date(2026, 10, 15)
SIGNED_ON = dt.date(2026, 10, 1)
DUE = dt.datetime(2027, 3, 31)


@pytest.fixture(scope="module")
def _sa_template(tmp_path_factory, config) -> Path:
    path = tmp_path_factory.mktemp("sa") / "QA_Master.xlsx"
    return new(path, config, secret=TEST_SECRET, workbook_id="sa-test",
               data={S.SCHOOLS.table: schools_frame()})


@pytest.fixture
def book(tmp_path, _sa_template) -> Path:
    path = tmp_path / "QA_Master.xlsx"
    shutil.copyfile(_sa_template, path)
    return path


def questions(config, form: str) -> list[str]:
    return [q.id for _, q in config.self_assessment(form).questions()]


def answers_for(config, form: str, seed: int) -> dict[str, dict]:
    """A plausible set of answers: most Fully met, every fifth Partly met (with an action),
    every seventh Not met (action, owner, due), shifted by ``seed``."""
    out = {}
    for i, q in enumerate(questions(config, form)):
        k = i + seed
        if k % 7 == 0:
            out[q] = {"grade": "Not met", "evidence": "No policy yet.",
                      "action": f"Write the {q} policy.", "owner": "Head of service",
                      "due": DUE}
        elif k % 5 == 0:
            out[q] = {"grade": "Partly met", "evidence": "Draft in place.",
                      "action": f"Finish the {q} work.", "owner": "Lead", "due": DUE}
        else:
            out[q] = {"grade": "Fully met", "evidence": "Policy reviewed 2026."}
    return out


def fill_in_libreoffice(path: Path, answers: dict[str, dict], by: str, on: dt.date,
                        tmp_path: Path) -> None:
    """Type the answers into the form through LibreOffice's own API and save it there
    (tests/uno_fill.py, under the system Python that has UNO)."""
    soffice()  # LibreOffice missing is a broken machine, not a skip
    spec = {"answers": {q: {k: (v.date().isoformat() if isinstance(v, dt.datetime) else v)
                            for k, v in a.items()} for q, a in answers.items()},
            "by": by, "on": on.isoformat()}
    job = tmp_path / "uno_answers.json"
    job.write_text(json.dumps(spec), encoding="utf-8")
    subprocess.run(["/usr/bin/python3", str(HERE / "uno_fill.py"), str(path), str(job)],
                   check=True, capture_output=True, timeout=300)


def table(book: Path, schema: S.TableSchema) -> pd.DataFrame:
    return read_table(FileStore(book), schema).df


# ------------------------------------------------------------------------------ round trip

def test_round_trip_to_partners_and_schools(book, tmp_path, config):
    partners = s11_issue(book, CYCLE, tmp_path / "s11")
    schools = s175_issue(book, CYCLE, tmp_path / "s175")
    assert len(partners) == len(config.partners) and len(schools) == len(SCHOOLS)
    assert partners[0].name == f"{config.partners[0].partner_id}_s11_{CYCLE}.xlsx"

    layout = openpyxl.load_workbook(schools[0])
    ws = layout[S.ISSUED_SELF_ASSESSMENT.sheet]
    assert ws.protection.sheet and layout["About"].sheet_state == "veryHidden"
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    grade = next(dv for dv in rules.values() if dv.type == "list")
    assert grade.formula1 == '"Fully met,Partly met,Not met,Not applicable"'
    assert "Fully met" in grade.prompt
    sought = config.self_assessment("s175").standards[0].questions[0].evidence
    assert any(dv.prompt and sought[:40] in dv.prompt for dv in rules.values())
    assert [c.value for c in layout[S.ISSUED_SELF_ASSESSMENT.sheet][7]] == \
        S.ISSUED_SELF_ASSESSMENT.names
    assert layout["Grades"]["A2"].value == "Fully met"

    expected_actions = 0
    lo_path = schools[1]  # filled in LibreOffice, as a school without Excel would
    for seed, path in enumerate([*partners, *schools]):
        form = "s11" if path in partners else "s175"
        answers = answers_for(config, form, seed)
        expected_actions += sum(a["grade"] != "Fully met" for a in answers.values())
        if path == lo_path:
            fill_in_libreoffice(path, answers, "Safeguarding lead", SIGNED_ON, tmp_path)
        else:
            fill_self_assessment(path, answers, "Safeguarding lead", SIGNED_ON)

    report = s11_import(book, partners, today=TODAY)
    assert report.exit_code == 0, report.lines()
    report = s175_import(book, [tmp_path / "s175"], today=TODAY)  # a folder
    assert report.exit_code == 0, report.lines()

    answers = table(book, S.SELF_ASSESSMENT)
    n11, n175 = len(questions(config, "s11")), len(questions(config, "s175"))
    assert len(answers) == len(partners) * n11 + len(schools) * n175
    # worked by hand: s11 has 20 questions, s175 16; seed 0 (police): questions 0, 7, 14
    # are Not met and 5, 10, 15 Partly met
    police = answers[answers["organisation"] == "police"].set_index("question")
    assert police["grade"].value_counts().to_dict() == {"Fully met": 14, "Not met": 3,
                                                         "Partly met": 3}
    assert police.loc["S11_1a", "grade"] == "Not met"
    assert police.loc["S11_1a", "owner"] == "Head of service"
    assert police.loc["S11_1a", "due"] == pd.Timestamp(DUE)
    # the school filled in LibreOffice (seed len(partners) + 1) is there with its own grades
    lo_id = SCHOOLS[1][0]
    lo = answers[answers["organisation"] == lo_id]
    assert len(lo) == n175
    lo_seed = len(partners) + 1
    assert (lo["grade"] == "Not met").sum() == sum(
        (i + lo_seed) % 7 == 0 for i in range(n175))
    actions = table(book, S.ACTIONS)
    assert len(actions) == expected_actions
    assert set(actions["source"]) == {"Section 11 audit", "Section 175/157 audit"}
    assert "S11-2026-28-police-S11_1a" in set(actions["action_id"])
    assert set(actions["status"]) == {"Not started"}
    log = table(book, S.IMPORT_LOG)
    assert len(log) == len(partners) + len(schools)
    assert log["result"].str.startswith("Accepted").all()
    # and the master still validates: the action keys are good action_ids
    from qa_xl.validation import validate

    found = validate(book)
    errors = found[(found["severity"] == "Error") & found["sheet"].isin(
        ["Actions", "SelfAssessment", "Schools"])]
    assert errors.empty, errors.to_string()


def test_reimport_replaces_and_actions_update_in_place(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 0), "Lead", SIGNED_ON)
    assert s11_import(book, [path], today=TODAY).exit_code == 0
    actions = table(book, S.ACTIONS)
    assert len(actions) == 6
    key = "S11-2026-28-police-S11_1a"
    row = int(actions.index[actions["action_id"] == key][0])
    # the officer moves the action on, on the Actions sheet
    edited = actions[["status", "evidence_of_impact"]].astype(object)
    edited.loc[row] = ["In progress", "Draft seen by the Board."]
    FileStore(book).write({}, columns={S.ACTIONS.table: edited})
    # the partner sends a corrected form: a new action text and date, one answer now met
    changed = {"S11_1a": {"action": "Appoint a named lead by March.", "due": dt.datetime(
        2027, 6, 30)}, "S11_2a": {"grade": "Fully met", "action": None, "owner": None,
                                  "due": None}}
    fill_self_assessment(path, changed, "Lead", dt.date(2026, 10, 10))
    report = s11_import(book, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    answers = table(book, S.SELF_ASSESSMENT)
    assert len(answers) == len(questions(config, "s11"))  # replaced, not doubled
    after = table(book, S.ACTIONS)
    assert len(after) == 6  # updated, not added
    updated = after[after["action_id"] == key].iloc[0]
    assert int(after.index[after["action_id"] == key][0]) == row  # in its own row
    assert updated["action"] == "Appoint a named lead by March."
    assert updated["due_date"] == pd.Timestamp(2027, 6, 30)
    assert updated["status"] == "In progress"
    assert updated["evidence_of_impact"] == "Draft seen by the Board."
    # the same file again changes nothing
    before = book.read_bytes()
    again = s11_import(book, [path], today=TODAY)
    assert again.results[0].unchanged and book.read_bytes() == before


def test_second_cycle_carries_the_answers_forward(book, tmp_path, config):
    first = s11_issue(book, CYCLE, tmp_path / "a", ["police"])[0]
    answers = answers_for(config, "s11", 0)
    fill_self_assessment(first, answers, "Lead", SIGNED_ON)
    assert s11_import(book, [first], today=TODAY).exit_code == 0
    second = s11_issue(book, "2028-30", tmp_path / "b", ["police"], today=dt.date(2028, 3, 1))[0]
    sheet = openpyxl.load_workbook(second)[S.ISSUED_SELF_ASSESSMENT.sheet]
    names = S.ISSUED_SELF_ASSESSMENT.names
    rows = {r[names.index("question")]: dict(zip(names, r)) for r in
            sheet.iter_rows(min_row=8, values_only=True)}
    mark = FROM_LAST_CYCLE.format(cycle=CYCLE)
    assert all(r["last_cycle"] == mark for r in rows.values())
    assert rows["S11_1a"]["grade"] == "Not met" and rows["S11_1a"]["owner"] == \
        "Head of service"
    assert rows["S11_1b"]["grade"] == "Fully met"
    assert rows["S11_1b"]["evidence"] == "Policy reviewed 2026."
    # the partner confirms most and moves two on; the old due dates have passed by 2029
    moved = {"S11_1a": {"grade": "Partly met", "due": dt.datetime(2029, 12, 1)},
             "S11_2a": {"grade": "Fully met", "action": None, "owner": None, "due": None}}
    for q, a in answers.items():
        if a["grade"] != "Fully met" and q not in moved:
            moved[q] = {"due": dt.datetime(2029, 12, 1)}
    fill_self_assessment(second, moved, "Lead", dt.date(2029, 5, 1))
    report = s11_import(book, [second], today=dt.date(2029, 5, 2))
    assert report.exit_code == 0, report.lines()
    got = table(book, S.SELF_ASSESSMENT)
    assert set(got["cycle"]) == {CYCLE, "2028-30"}
    now = got[got["cycle"] == "2028-30"].set_index("question")
    assert now.loc["S11_1a", "grade"] == "Partly met"
    assert now.loc["S11_1b", "grade"] == "Fully met"  # confirmed as carried forward
    assert now.loc["S11_1b", "evidence"] == "Policy reviewed 2026."
    before = got[got["cycle"] == CYCLE].set_index("question")
    assert before.loc["S11_1a", "grade"] == "Not met"  # the first cycle is kept
    keys = set(table(book, S.ACTIONS)["action_id"])
    assert {"S11-2026-28-police-S11_1a", "S11-2028-30-police-S11_1a"} <= keys


def test_a_started_form_is_not_replaced(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    again = s11_issue(book, CYCLE, tmp_path, ["police"])
    assert again == [path] and not again.skipped  # unfilled: issued again
    fill_self_assessment(path, {"S11_1a": {"grade": "Fully met"}})
    kept = s11_issue(book, CYCLE, tmp_path, ["police"])
    assert not kept and kept.skipped[0][0] == path
    assert s11_issue(book, CYCLE, tmp_path, ["police"], force=True) == [path]


def test_the_command_line(book, tmp_path, capsys, config):
    with pytest.raises(SystemExit) as done:
        main(["s175", "issue", str(book), "--cycle", CYCLE, "--out", str(tmp_path / "f"),
              "--school", "oak_academy"])
    assert done.value.code in (0, None)
    path = tmp_path / "f" / f"oak_academy_s175_{CYCLE}.xlsx"
    assert path.exists() and "1 form issued" in capsys.readouterr().out
    fill_self_assessment(path, answers_for(config, "s175", 2), "DSL", dt.date.today())
    with pytest.raises(SystemExit) as done:
        main(["s175", "import", str(book), str(path)])
    text = capsys.readouterr().out
    assert done.value.code == 0, text
    assert "Accepted" in text
    with pytest.raises(SystemExit) as done:
        main(["s11", "issue", str(book), "--cycle", "2026-27"])
    assert done.value.code == 2


# --------------------------------------------------------------------------- bad forms

def _grid(path: Path, question: str, **cells) -> None:
    fill_self_assessment(path, {question: cells})


def _edit_about(path: Path, key: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    for row in wb["About"].iter_rows():
        if row[0].value == key:
            row[1].value = value
    wb.save(path)


def _locked_text(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb[S.ISSUED_SELF_ASSESSMENT.sheet]["D8"] = "An easier question."
    wb.save(path)


def _formula(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb[S.ISSUED_SELF_ASSESSMENT.sheet]["H9"] = "=1+1"
    wb.save(path)


def _macros(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\0" * 100
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _renamed(path: Path) -> Path:
    other = path.with_name(path.name.replace("police", "health_ccg"))
    path.rename(other)
    return other


# (how the form is spoilt, the words the refusal must hold, the cell it must name, exit)
BAD = {
    "grade not on the scale": (lambda p: _grid(p, "S11_1b", grade="Mostly met"),
                               "Mostly met", "G9", 1),
    "Not met without an action": (lambda p: _grid(p, "S11_1b", grade="Not met",
                                                  owner="Lead", due=DUE),
                                  "S11_1b is Not met: give a planned action", "I9", 1),
    "Not met without an owner": (lambda p: _grid(p, "S11_1b", grade="Not met",
                                                 action="Do it", due=DUE),
                                 "give the action's owner", "J9", 1),
    "a new action already overdue": (lambda p: _grid(p, "S11_1b", grade="Partly met",
                                                     action="Do it", owner="Lead",
                                                     due=dt.datetime(2026, 9, 1)),
                                     "which has passed", "K9", 1),
    "a locked cell changed": (_locked_text, "locked cells", "sheet Assessment", 1),
    "a forged signature": (lambda p: _edit_about(p, "token", "0" * 64),
                           "signature does not match", "", 2),
    "another organisation's details": (lambda p: _edit_about(p, "organisation", "education"),
                                       "signature does not match", "", 2),
    "another cycle's details": (lambda p: _edit_about(p, "cycle", "2028-30"),
                                "signature does not match", "", 2),
    "a formula": (_formula, "hold formulas", "H9", 1),
    "macros": (_macros, "macros", "", 2),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_form_is_refused_and_the_master_unchanged(case, book, tmp_path, config, capsys):
    spoil, words, cell, code = BAD[case]
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 1), "Lead", SIGNED_ON)
    spoil(path)
    before = book.read_bytes()
    with pytest.raises(SystemExit) as done:
        main(["s11", "import", str(book), str(path)])
    text = capsys.readouterr().out.replace("\n", " ")
    assert done.value.code == code, text
    assert path.name in text and words in text and cell in text, text
    assert book.read_bytes() == before
    assert table(book, S.SELF_ASSESSMENT).empty


def _refused(book: Path, report, *words: str) -> None:
    result = report.results[0]
    text = " ".join(result.problems)
    assert not result.accepted and all(w in text for w in words), text
    assert not report.written


def test_a_form_for_another_cycle_is_refused(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 1), "Lead", SIGNED_ON)
    before = book.read_bytes()
    report = s11_import(book, [path], cycle="2028-30", today=TODAY)
    _refused(book, report, path.name, "sheet About", "for the cycle 2026-28, not 2028-30")
    assert report.exit_code == 1 and book.read_bytes() == before


def test_a_form_saved_as_another_organisations_is_refused(book, tmp_path, config):
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 1), "Lead", SIGNED_ON)
    other = _renamed(path)
    before = book.read_bytes()
    report = s11_import(book, [other], today=TODAY)
    _refused(book, report, other.name, "named for health_ccg", "police's (sheet About)")
    assert book.read_bytes() == before


def test_a_school_form_is_not_a_section_11_form(book, tmp_path, config):
    path = s175_issue(book, CYCLE, tmp_path, ["city_fe"])[0]
    fill_self_assessment(path, answers_for(config, "s175", 1), "DSL", SIGNED_ON)
    before = book.read_bytes()
    report = s11_import(book, [path], today=TODAY)
    _refused(book, report, path.name, "Section 175/157 safeguarding audit form",
             "qa-xl s175 import")
    assert book.read_bytes() == before


def test_an_organisation_no_longer_in_the_master_is_refused(book, tmp_path, config):
    path = s175_issue(book, CYCLE, tmp_path, ["city_fe"])[0]
    fill_self_assessment(path, answers_for(config, "s175", 1), "DSL", SIGNED_ON)
    FileStore(book).write({S.SCHOOLS.table: schools_frame(
        [s for s in SCHOOLS if s[0] != "city_fe"])})
    before = book.read_bytes()
    report = s175_import(book, [path], today=TODAY)
    _refused(book, report, path.name, "sheet About", "'city_fe' is not on the Schools sheet")
    assert report.exit_code == 1 and book.read_bytes() == before


def test_a_school_id_breaking_the_identifier_rule_is_refused(book, tmp_path):
    FileStore(book).write({S.SCHOOLS.table: schools_frame(
        [*SCHOOLS, ("2nd school", "Second School", "Primary", "Maintained", "Head", "")])})
    before = book.read_bytes()
    with pytest.raises(DataError) as caught:
        s175_issue(book, CYCLE, tmp_path / "out")
    text = str(caught.value)
    assert "Schools!A9" in text and "'2nd school'" in text, text
    assert book.read_bytes() == before and not (tmp_path / "out").exists()


def test_a_blank_form_is_refused(book, tmp_path):
    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    report = import_self_assessment(book, "s11", [path], today=TODAY)
    _refused(book, report, "has not been filled in")


def test_issue_refuses_a_bad_cycle(book):
    from qa_xl.core.errors import UnusableInput

    with pytest.raises(UnusableInput, match="2026-28"):
        issue_self_assessment(book, "s11", "2026/28")


def test_a_master_made_before_the_self_assessments_takes_them(book, tmp_path, config):
    """A workbook of qa_xl 0.2 has no Schools or SelfAssessment sheet and no grade list (made
    here from a new one by removing them, with openpyxl): the first import adds the sheet,
    and a second import still passes the checks."""
    old = tmp_path / "Old.xlsx"
    wb = openpyxl.load_workbook(book)
    for sheet in ("Schools", "SelfAssessment"):
        del wb[sheet]
    lists = wb["Lists"]
    for cell in lists[1]:
        name = cell.value
        if name in ("grade", "school_phase", "school_type"):
            for row in range(1, lists.max_row + 1):
                lists.cell(row, cell.column).value = None
            del wb.defined_names[f"lst_{name}"]
    wb.save(old)
    path = s11_issue(old, CYCLE, tmp_path / "f", ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 0), "Lead", SIGNED_ON)
    assert s11_import(old, [path], today=TODAY).exit_code == 0
    assert "SelfAssessment" in openpyxl.load_workbook(old, read_only=True).sheetnames
    fill_self_assessment(path, {"S11_1b": {"evidence": "Policy reviewed again."}})
    report = s11_import(old, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert len(table(old, S.SELF_ASSESSMENT)) == len(questions(config, "s11"))
    # the Section 175/157 audit needs schools: the sheet is added for the officer to fill in
    with pytest.raises(DataError, match="Schools sheet"):
        s175_issue(old, CYCLE, tmp_path / "schools")
    assert "Schools" in openpyxl.load_workbook(old, read_only=True).sheetnames
    FileStore(old).write({S.SCHOOLS.table: schools_frame()})
    assert len(s175_issue(old, CYCLE, tmp_path / "schools")) == len(SCHOOLS)


def test_a_form_from_another_master_is_refused(book, tmp_path, config):
    other = new(tmp_path / "other" / "Other.xlsx", config, secret="9f3c" * 16,
                workbook_id="other")
    path = s11_issue(other, CYCLE, tmp_path / "theirs", ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 1), "Lead", SIGNED_ON)
    before = book.read_bytes()
    report = s11_import(book, [path], today=TODAY)
    _refused(book, report, path.name, "issued by another master workbook")
    assert report.exit_code == 2 and book.read_bytes() == before


def test_a_form_given_to_the_returns_import_is_refused(book, tmp_path, config):
    from qa_xl.collect.importing import import_returns

    path = s11_issue(book, CYCLE, tmp_path, ["police"])[0]
    fill_self_assessment(path, answers_for(config, "s11", 1), "Lead", SIGNED_ON)
    before = book.read_bytes()
    report = import_returns(book, [path], today=TODAY)
    _refused(book, report, path.name, "self-assessment form", "qa-xl s11 import")
    assert book.read_bytes() == before
