"""The voice of children and families in the partners' quarterly returns (issue 12, item 8).

Each return carries a second table on its Return sheet, one row per voice question (locked,
bound by the signature); the counts and an optional anonymised story are filled in by the
partner (here with openpyxl, and once through LibreOffice), and the import lands the answered
rows in tblVoice for the return's period and partner — through the same engine as the figures,
replacing never doubling, officers' typed rows kept. Every bad count is refused with the file,
sheet and cell named and the master byte-identical; a return issued before the voice table
(template version 2) imports exactly as it did.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import get_column_letter, range_boundaries
from python_calamine import CalamineWorkbook

from conftest import TEST_SECRET
from libreoffice import soffice
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.collect.master import rows_digest, token
from qa_xl.example import fill_return
from qa_xl.validation import validate
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore, opened
from qa_xl.workbook.store import read_returns, read_table
from test_returns import PERIOD, figures_for

HERE = Path(__file__).parent
TODAY = dt.date(2026, 8, 3)
SIGNED_ON = dt.date(2026, 7, 20)
VOICE = S.ISSUED_VOICE.table


@pytest.fixture
def issued_returns(master, tmp_path) -> dict[str, Path]:
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    return {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}


@pytest.fixture
def questions(config) -> list[str]:
    return list(config.lists["voice_question"])


def answers_for(questions: list[str], seed: int) -> dict[str, dict]:
    """Plausible answers to every question, different per partner; a story on the first."""
    out = {}
    for i, q in enumerate(questions):
        n = 12 + 3 * seed + i
        out[q] = {"respondents": n, "yes": n - 4, "partly": 2, "no": 1}
    out[questions[0]]["story"] = f"A young person said the worker came back as promised ({seed})."
    return out


def voice_table(master: Path) -> pd.DataFrame:
    return read_table(FileStore(master), S.VOICE).df


def as_rows(df: pd.DataFrame) -> set[tuple]:
    """tblVoice rows as plain tuples, to compare with what was filled in."""
    def plain(v):
        return None if pd.isna(v) else v if isinstance(v, str) else int(v)
    return {tuple(plain(v) for v in row) for row in df[S.VOICE.names].itertuples(index=False)}


def expected(pid: str, answers: dict[str, dict]) -> set[tuple]:
    return {(PERIOD, pid, q, a.get("respondents"), a.get("yes"), a.get("partly"), a.get("no"),
             a.get("story")) for q, a in answers.items()}


def cell_of(path: Path, question_index: int, column: str) -> str:
    """The A1 cell of one column of the voice table's row for a question, from the file."""
    ws = openpyxl.load_workbook(path)["Return"]
    first_col, header, _, _ = range_boundaries(ws.tables[VOICE].ref)
    names = [ws.cell(header, first_col + i).value for i in range(len(S.ISSUED_VOICE.names))]
    return f"{get_column_letter(first_col + names.index(column))}{header + 1 + question_index}"


def fill(path: Path, seed: int, voice: dict[str, dict] | None = None,
         on: dt.date = SIGNED_ON) -> Path:
    fill_return(path, figures_for(path, seed), f"Lead {seed}", on, voice)
    return path


def type_voice_rows(master: Path, rows: list[list]) -> None:
    """Rows an officer typed on the Voice sheet."""
    with opened(master, "Officer", write=True) as store:
        store.write({S.VOICE.table: pd.DataFrame(rows, columns=S.VOICE.names)})


def fill_in_libreoffice(path: Path, figures: dict, voice: dict, tmp_path: Path) -> None:
    """Type the figures and the voice answers through LibreOffice's own API and save the file
    there (tests/uno_fill.py, under the system Python that has UNO)."""
    soffice()  # LibreOffice missing is a broken machine, not a skip
    ws = openpyxl.load_workbook(path)["Return"]
    tables = []
    for name, key, rows in (("tblReturn", ["period", "indicator_id"],
                             {"|".join(k): v for k, v in figures.items()}),
                            (VOICE, ["question"], voice)):
        first_col, header, _, _ = range_boundaries(ws.tables[name].ref)
        tables.append({"header_row": header - 1, "first_col": first_col - 1, "key": key,
                       "rows": rows})
    job = tmp_path / "uno_return.json"
    job.write_text(json.dumps({"sheet": "Return", "tables": tables, "by": "Lead LO",
                               "on": SIGNED_ON.isoformat()}), encoding="utf-8")
    subprocess.run(["/usr/bin/python3", str(HERE / "uno_fill.py"), str(path), str(job)],
                   check=True, capture_output=True, timeout=300)


# ---------------------------------------------------------------------------------- issue

def test_every_return_carries_the_voice_questions_locked_and_signed(issued_returns,
                                                                    questions):
    path = issued_returns["police"]
    book = openpyxl.load_workbook(path)
    ws = book["Return"]
    assert set(ws.tables) == {"tblReturn", VOICE}  # both tables on the one Return sheet
    first_col, header, last_col, last = range_boundaries(ws.tables[VOICE].ref)
    assert [ws.cell(header, c).value for c in range(first_col, last_col + 1)] == \
        S.ISSUED_VOICE.names
    assert [ws.cell(r, first_col).value for r in range(header + 1, last + 1)] == questions
    for r in range(header + 1, last + 1):
        for c, col in enumerate(S.ISSUED_VOICE.columns, start=first_col):
            assert ws.cell(r, c).protection.locked == col.locked, col.name
    rules = ws.data_validations.dataValidation
    counts = [dv for dv in rules if dv.type == "whole"]
    assert {str(dv.sqref)[0] for dv in counts} == {get_column_letter(first_col + i)
                                                   for i in range(1, 5)}
    assert all(dv.operator in (None, "between") and dv.formula1 == "0" and dv.prompt
               for dv in counts)  # "between" is the default, so not written
    assert any("anonymised" in (dv.prompt or "") for dv in rules)
    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert about["template_version"] == "3"
    assert about["voice"] == rows_digest([[q] for q in questions])
    assert about["token"] == token(TEST_SECRET, about)  # the voice digest is signed


def test_a_return_with_only_voice_answers_typed_is_not_issued_over(master, issued_returns,
                                                                   questions):
    path = issued_returns["police"]
    fill_return(path, {}, voice={questions[1]: {"respondents": 3}})
    again = issue_returns(master, PERIOD, path.parent, ["police"])
    assert not again and "started" in again.skipped[0][1]


# ---------------------------------------------------------------------------- round trip

def test_round_trip_openpyxl_and_libreoffice_lands_the_answers_as_filled(
        master, issued_returns, questions, tmp_path):
    ids = sorted(issued_returns)
    by_libreoffice, silent = ids[0], ids[1]  # one filled in LibreOffice, one asks no one
    want: set[tuple] = set()
    for seed, pid in enumerate(ids):
        path = issued_returns[pid]
        voice = {} if pid == silent else answers_for(questions, seed)
        if pid == ids[2]:  # answers to one question only, counts partly given
            voice = {questions[2]: {"respondents": 7, "yes": 5}}
        if pid == by_libreoffice:
            fill_in_libreoffice(path, figures_for(path, seed), voice, tmp_path)
        else:
            fill(path, seed, voice)
        want |= expected(pid, voice)
    report = import_returns(master, list(issued_returns.values()), today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert as_rows(voice_table(master)) == want
    lines = "\n".join(report.lines())
    assert f"{issued_returns[by_libreoffice].name}: Accepted" in lines
    assert "3 voice answers" in lines and "1 voice answer)" in lines
    # the figures land as before, and "figures accepted" counts figures only
    log = read_table(FileStore(master), S.IMPORT_LOG).df
    returns = read_returns(FileStore(master)).df
    for pid in ids:
        assert int(log.loc[log["partner_id"] == pid, "rows"].iloc[0]) == int(
            (returns["partner_id"] == pid).sum())
    tracker = read_table(FileStore(master), S.RETURNS_TRACKER).df.set_index("partner_id")
    assert tracker.loc[ids[0], "figures_accepted"] == (returns["partner_id"] == ids[0]).sum()
    voice_findings = validate(master, today=TODAY)
    assert voice_findings[voice_findings["sheet"] == S.VOICE.sheet].empty


def test_a_reimport_replaces_the_answers_never_doubles(master, issued_returns, questions,
                                                       tmp_path):
    path = fill(issued_returns["police"], 1, answers_for(questions, 1))
    first = tmp_path / "first.xlsx"
    shutil.copyfile(path, first)
    assert import_returns(master, [first], today=TODAY).exit_code == 0
    corrected = answers_for(questions, 4)
    corrected[questions[2]] = {"respondents": None, "yes": None, "partly": None, "no": None}
    fill(path, 1, corrected, on=SIGNED_ON + dt.timedelta(days=1))
    report = import_returns(master, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    rows = voice_table(master)
    assert len(rows) == 3 and not rows.duplicated(["period", "partner_id", "question"]).any()
    got = as_rows(rows)
    assert expected("police", {q: corrected[q] for q in questions[:2]}) <= got
    # the question the correction left blank keeps its earlier answer, and the report says so
    assert expected("police", {questions[2]: answers_for(questions, 1)[questions[2]]}) <= got
    lines = "\n".join(report.lines())
    assert "Note:" in lines and "leaves" in lines and "keeps its row" in lines
    assert import_returns(master, [path], today=TODAY).results[0].unchanged


def test_typed_rows_are_kept_and_a_return_replaces_only_its_own(master, issued_returns,
                                                                questions):
    q1, q2, q3 = questions
    typed = [
        [PERIOD, "childrens", q1, 20, 15, 3, 2, "Typed by an officer."],  # another partner
        ["2025-26 Q4", "police", q1, 9, 9, None, None, None],  # another period
        [PERIOD, "police", q1, 30, 10, 10, 10, None],  # the return answers it: replaced
        [PERIOD, "police", q3, 6, 6, 0, 0, "Kept: the return leaves it blank."],
    ]
    type_voice_rows(master, typed)
    before = voice_table(master)
    voice = {q1: {"respondents": 11, "yes": 8, "partly": 2, "no": 1},
             q2: {"respondents": 10, "yes": 10}}
    report = import_returns(master, [fill(issued_returns["police"], 2, voice)], today=TODAY)
    assert report.exit_code == 0, report.lines()
    after = voice_table(master)
    assert as_rows(after) == as_rows(before.drop(index=before.index[2])) | expected(
        "police", voice)
    row = before.index[2]
    lines = "\n".join(report.lines())
    assert f"replace the row the Voice sheet held for police {PERIOD} (row {row})" in lines
    assert "keeps its row" in lines  # q3: left blank, the typed row stays
    findings = validate(master, today=TODAY)
    assert findings[findings["sheet"] == S.VOICE.sheet].empty


def test_all_blank_voice_rows_land_nothing_and_refuse_nothing(master, issued_returns):
    type_voice_rows(master, [[PERIOD, "police", "Did I treat you with respect?", 8, 8, 0, 0,
                              None]])
    before = voice_table(master)
    report = import_returns(master, [fill(issued_returns["police"], 3)], today=TODAY)
    assert report.exit_code == 0 and not report.results[0].warnings, report.lines()
    pd.testing.assert_frame_equal(voice_table(master), before)
    assert "Note:" not in "\n".join(report.lines())


# ------------------------------------------------------------------------------ refusals

def _relabel(book, questions):
    ws = book["Return"]
    first_col, header, _, _ = range_boundaries(ws.tables[VOICE].ref)
    ws.cell(header + 1, first_col).value = "Did I do a good job?"


def _swap(book, questions):
    ws = book["Return"]
    first_col, header, _, _ = range_boundaries(ws.tables[VOICE].ref)
    one, two = ws.cell(header + 1, first_col), ws.cell(header + 2, first_col)
    one.value, two.value = two.value, one.value


def _drop_table(book, questions):
    del book["Return"].tables[VOICE]


def _downgrade(book, questions):
    """Claim the older template (no voice table signed) without the secret to sign it."""
    about = book["About"]
    for row in about.iter_rows():
        if row[0].value == "template_version":
            row[1].value = "2"


@pytest.mark.parametrize("doctor", [_relabel, _swap, _drop_table, _downgrade])
def test_a_doctored_voice_question_is_refused(master, issued_returns, questions, doctor):
    path = fill(issued_returns["police"], 1, answers_for(questions, 1))
    book = openpyxl.load_workbook(path)
    doctor(book, questions)
    book.save(path)
    before = master.read_bytes()
    report = import_returns(master, [path], today=TODAY)
    result = report.results[0]
    assert not result.accepted and report.exit_code in (1, 2)
    words = {_relabel: "not as issued", _swap: "not as issued", _drop_table: "is missing",
             _downgrade: "signature does not match"}[doctor]
    assert path.name in result.problems[0] and words in result.problems[0], result.problems
    assert master.read_bytes() == before


def _counts(q: int, **cells):
    return q, cells


BAD = {
    "more answers than respondents": (_counts(0, respondents=5, yes=4, partly=1, no=1),
                                      "respondents", "add up to 6, more than the 5"),
    "a negative count": (_counts(1, respondents=5, yes=-1), "yes", "at least 0"),
    "a fractional count": (_counts(2, respondents=5, yes=2.5), "yes", "whole number"),
    "a fractional respondents": (_counts(0, respondents=4.5), "respondents", "whole number"),
    "answers without respondents": (_counts(1, yes=3, no=1), "respondents",
                                    "respondents is blank, but yes and no are given"),
    "a story without respondents": (_counts(2, story="They listened."), "respondents",
                                    "respondents is blank, but story is given"),
    "a story with a phone number": (_counts(0, respondents=6, yes=6,
                                            story="Mum said call her on 07700 900123."),
                                    "story", "phone number"),
    "a story naming someone": (_counts(1, respondents=6, yes=6,
                                       story="Mrs Hughes said the plan was clear."),
                               "story", "name-like"),
    "text in a count": (_counts(2, respondents="twelve"), "respondents", "whole number"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_count_is_refused_naming_file_sheet_and_cell(master, issued_returns,
                                                              questions, case):
    (q, cells), column, words = BAD[case]
    path = issued_returns["police"]
    voice = answers_for(questions, 1)
    voice[questions[q]] = {"respondents": None, "yes": None, "partly": None, "no": None,
                           "story": None, **cells}
    fill(path, 1, voice)
    before = master.read_bytes()
    report = import_returns(master, [path], today=TODAY)
    result = report.results[0]
    assert not result.accepted and report.exit_code == 1, report.lines()
    where = f"{path.name}: sheet Return, cell {cell_of(path, q, column)}:"
    assert any(p.startswith(where) and words in p for p in result.problems), result.problems
    assert master.read_bytes() == before


# --------------------------------------------------------------------- the older returns

def as_version_2(path: Path) -> None:
    """The return as qa_xl issued it before the voice table (template version 2): the same
    figures table, no voice table, no voice digest, signed by version 2's details."""
    book = openpyxl.load_workbook(path)
    ws = book["Return"]
    _, header, _, last = range_boundaries(ws.tables[VOICE].ref)
    del ws.tables[VOICE]
    ws.delete_rows(header - 3, last - header + 4)  # its heading, how-to and rows go too
    about = book["About"]
    meta = {}
    for row in list(about.iter_rows()):
        if row[0].value == "voice":
            about.delete_rows(row[0].row)
    for row in about.iter_rows():
        meta[row[0].value] = row[1]
    meta["template_version"].value = "2"
    meta["token"].value = token(TEST_SECRET, {k: str(v.value) for k, v in meta.items()})
    book.save(path)


def test_a_version_2_return_still_imports_exactly_as_before(master, issued_returns,
                                                           questions):
    typed = [[PERIOD, "police", questions[0], 30, 10, 10, 10, None]]
    type_voice_rows(master, typed)
    path = issued_returns["police"]
    as_version_2(path)
    book = CalamineWorkbook.from_path(str(path), load_tables=True)
    assert book.table_names == ["tblReturn"]
    fill(path, 1)
    report = import_returns(master, [path], today=TODAY)
    assert report.exit_code == 0 and not report.results[0].warnings, report.lines()
    store = FileStore(master)
    returns = read_returns(store).df
    assert len(returns[returns["partner_id"] == "police"]) == len(report.results[0].rows)
    assert as_rows(voice_table(master)) == {(*typed[0][:7], None)}


def test_a_version_2_return_claiming_voice_answers_cannot(master, issued_returns, questions):
    """A version 2 file with a voice table pasted in: its table is not signed, so it is not
    read, and nothing of it lands."""
    path = issued_returns["police"]
    fill(path, 1, answers_for(questions, 1))
    book = openpyxl.load_workbook(path)
    about = book["About"]
    meta = {row[0].value: row[1] for row in about.iter_rows()}
    meta["template_version"].value = "2"
    meta["token"].value = token(TEST_SECRET, {k: str(v.value) for k, v in meta.items()})
    book.save(path)
    report = import_returns(master, [path], today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert voice_table(master).empty


# ----------------------------------------------------------------------------------- demo

def test_the_demo_voice_for_the_quarter_comes_from_its_returns(_demo_template):
    workbook, result = _demo_template
    store = FileStore(workbook)
    current = str(read_table(store, S.CONFIG).df.set_index("key").at["current_period",
                                                                       "value"])
    voice = read_table(store, S.VOICE).df
    now = voice[voice["period"] == current]
    assert len(now) and voice["period"].nunique() > 1  # earlier quarters typed, this one not
    imported = {r.partner_id for r in read_table(store, S.IMPORT_LOG).df.itertuples()
                if str(r.result).startswith("Accepted")}
    filled: set[tuple] = set()
    for path in result.files:
        pid = path.name.split(f"_{current.replace(' ', '_')}")[0]
        if pid not in imported:
            continue
        table = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(
            VOICE)
        for q, *counts, story in table.to_python():
            if any(v != "" for v in (*counts, story)):
                filled.add((current, pid, q, *(int(v) for v in counts), story or None))
    assert filled and as_rows(now) == filled


def test_a_master_without_voice_questions_issues_returns_without_the_table(config, tmp_path):
    """A Board that asks no voice questions (an empty list on its Lists sheet): no voice
    table, its absence signed, and the return imports as any other."""
    from dataclasses import replace

    from qa_xl.workbook.build import new

    silent = replace(config, lists={**config.lists, "voice_question": ()})
    master = new(tmp_path / "QA_Master.xlsx", silent, secret=TEST_SECRET,
                 workbook_id="00000000-0000-0000-0000-000000000000")
    path = issue_returns(master, PERIOD, tmp_path / "returns", ["police"])[0]
    assert set(openpyxl.load_workbook(path)["Return"].tables) == {"tblReturn"}
    report = import_returns(master, [fill(path, 1)], today=TODAY)
    assert report.exit_code == 0 and report.results[0].voice is None, report.lines()


def test_a_question_reworded_on_the_lists_sheet_after_issue_lands_and_is_said(
        master, issued_returns, questions):
    """The return asks what it was issued with (signed); if the Board rewords a question on
    its Lists sheet meanwhile, the answers still land, and the report says validate will flag
    the row."""
    from qa_xl.workbook.xlsxparts import write_workbook

    values = FileStore(master).sheet_values("Lists")
    col = [str(v) for v in values[0]].index("voice_question")
    write_workbook(master, cells={"Lists": {f"{get_column_letter(col + 1)}2":
                                            "Did we listen to you?"}}, backup=False)
    report = import_returns(master, [fill(issued_returns["police"], 1,
                                          answers_for(questions, 1))], today=TODAY)
    assert report.exit_code == 0, report.lines()
    assert len(voice_table(master)) == 3
    lines = "\n".join(report.lines())
    assert f"{questions[0]!r} is no longer on the Lists sheet's voice_question list" in lines
    findings = validate(master, today=TODAY)
    assert list(findings.loc[findings["sheet"] == S.VOICE.sheet, "check"]) == ["list"]
