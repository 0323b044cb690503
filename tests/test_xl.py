"""The Excel buttons' Python side (qa_xl.xl) on a real xlwings Book through the remote engine.

The Book is built from the demo workbook's JSON, as Excel's Office.js client would send it;
what each entry point does to it comes back as the list of actions Excel would run. Each test
checks those actions write what the library computes for the same workbook read from its file,
into the right table, in a number of calls that depends on the tables, never on the cells.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import xlwings as xw

from qa_xl import xl  # the module name the buttons' VBA calls
from qa_xl.collect.consolidate import derived_columns, rollup as rollup_file
from qa_xl.excel import live
from qa_xl.excel.udfs import QA_NEXT_DUE, QA_RAG, QA_RISK_SCORE
from qa_xl.validation import validate as check_file
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import STATUS_CELLS, frame_rows, read_settings, read_table
from qa_xl.workbook.xlsxparts import write_workbook
from xl_remote import actions, remote_book, sheet_position

FIRST_DATA_ROW = 4  # build.HEADER_ROW + 2: title, intro, header, then the rows


@pytest.fixture(autouse=True)
def _no_mock_caller():
    yield
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def cell_of(schema: S.TableSchema, column: str, row: int = 0) -> str:
    return f"{S.column_letter(schema.names.index(column) + 1)}{FIRST_DATA_ROW + row}"


def caller(path: Path, name: str = "QA_Master.xlsx") -> xw.Book:
    """The workbook as the book that called the button (xw.Book.caller())."""
    book = remote_book(path, name)
    book.set_mock_caller()
    return book


def to_excel(rows: list[list]) -> list[list]:
    """What the remote engine puts in a setValues action for rows of Python values."""
    def one(v):
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        return live.excel_value(v)
    return [[one(v) for v in row] for row in rows]


def writes(book: xw.Book, sheet: str) -> list[dict]:
    pos = sheet_position(book, sheet)
    return [a for a in actions(book) if a["sheet_position"] == pos]


def set_values(book: xw.Book, sheet: str) -> list[dict]:
    return [a for a in writes(book, sheet) if a["func"] == "setValues"]


def status(book: xw.Book) -> list:
    """The values written to the Start sheet's status cells (C14:C17) in one action."""
    (action,) = [a for a in set_values(book, "Start")]
    first = STATUS_CELLS["action"]
    assert (action["start_row"] + 1, action["start_column"] + 1) == (int(first[1:]), 3)
    assert (action["row_count"], action["column_count"]) == (4, 1)
    return [row[0] for row in action["values"]]


def table_rows(book: xw.Book, schema: S.TableSchema, header_row: int = 3) -> list[list]:
    """The rows one setValues action writes under a table's header."""
    (action,) = set_values(book, schema.sheet)
    assert action["start_row"] == header_row and action["start_column"] == 0
    assert action["column_count"] == len(schema.names)
    return action["values"]


def rows_written(book: xw.Book, sheet: str) -> dict[int, list]:
    """Sheet row (1-based) -> the values the setValues actions write on that sheet."""
    out: dict[int, list] = {}
    for action in set_values(book, sheet):
        for i, values in enumerate(action["values"]):
            out[action["start_row"] + 1 + i] = values
    return out


def marked(book: xw.Book) -> dict[tuple[str, str], str | None]:
    """(sheet, cell) -> the fill the setRangeColors actions give it ('keep' cells left out)."""
    out = {}
    for a in actions(book):
        if a["func"] != "setRangeColors":
            continue
        sheet = book.sheets[a["sheet_position"]].name
        for r, row in enumerate(a["args"][0]):
            for c, colour in enumerate(row):
                if colour != "keep":
                    cell = f"{S.column_letter(a['start_column'] + c + 1)}{a['start_row'] + r + 1}"
                    out[(sheet, cell)] = colour.upper() if colour else colour
    return out


DERIVED_WRITES = 5  # next_due and due_status, score and due_status, due_status: one call each


def bounded(book: xw.Book, tables: int, extra: int = 0) -> None:
    """At most three writes per table written, one for the status and ``extra`` more (the
    actions Excel replays; every call, reads included, is counted in test_xl_calls.py)."""
    assert len(actions(book)) <= 3 * tables + 1 + extra, [a["func"] for a in actions(book)]


# ------------------------------------------------------------------------------- validate

def spoil(path: Path) -> dict[str, dict[str, object]]:
    """Put mistakes into the workbook file: a likelihood of 9, an unknown unit, text in a
    return's value, a commentary with an email address (a Warning)."""
    ret = S.return_schema("police")
    cells = {
        "Risks": {cell_of(S.RISKS, "likelihood"): 9},
        "Indicators": {cell_of(S.INDICATORS, "unit"): "Bananas"},
        ret.sheet: {cell_of(ret, "value", 1): "lots",
                    cell_of(ret, "commentary", 2): "ask jo.bloggs@example.org"},
    }
    write_workbook(path, cells=cells, backup=False)
    return cells


def test_validate_writes_the_findings_the_library_finds_and_marks_their_cells(demo_master):
    spoil(demo_master)
    expected = check_file(demo_master)  # read-only, from the file
    assert {"Error", "Warning"} <= set(expected["severity"])
    book = caller(demo_master)

    outcome = xl.validate()

    found = table_rows(book, S.VALIDATION)
    assert found == to_excel(expected[S.FINDING_COLUMNS].values.tolist())
    assert status(book)[0] == "Validate" and status(book)[2] == outcome["result"]
    assert outcome["result"].startswith(f"{(expected['severity'] == 'Error').sum()} error")
    wanted = {}
    for severity in ("Warning", "Error"):  # an Error on the same cell wins
        for sheet, cell in expected.loc[expected["severity"] == severity, ["sheet", "cell"]].values:
            wanted[(sheet, cell)] = live.FILLS[severity].upper()
    assert marked(book) == wanted
    marked_sheets = expected["sheet"].nunique()
    bounded(book, tables=1, extra=marked_sheets + DERIVED_WRITES)


def test_validate_again_unmarks_cells_that_are_now_right(demo_master):
    spoiled = spoil(demo_master)
    check_file(demo_master, write=True)  # the last run's findings are in tblValidation
    before = read_table(FileStore(demo_master), S.VALIDATION).df
    risk_cell = spoiled["Risks"][cell_of(S.RISKS, "likelihood")]
    assert risk_cell == 9
    write_workbook(demo_master, cells={"Risks": {cell_of(S.RISKS, "likelihood"): 3}},
                   backup=False)
    expected = check_file(demo_master)
    book = caller(demo_master)

    xl.validate(book)

    fixed = cell_of(S.RISKS, "likelihood")
    assert fixed in set(before["cell"]) and fixed not in set(expected["cell"])
    (mark,) = [a for a in writes(book, "Risks") if a["func"] == "setRangeColors"]
    assert (mark["start_row"] + 1, mark["start_column"] + 1) == (FIRST_DATA_ROW, 4)
    assert mark["args"][0] == [[None]]  # the fill is taken off again
    assert table_rows(book, S.VALIDATION) == to_excel(
        expected[S.FINDING_COLUMNS].values.tolist())


def test_validate_with_no_findings_empties_the_table_and_unmarks(demo_master):
    spoiled = demo_master.with_name("spoiled.xlsx")
    shutil.copyfile(demo_master, spoiled)
    spoil(spoiled)
    old = check_file(spoiled, write=True)
    assert check_file(demo_master).empty  # the demo itself is clean
    # The clean workbook with the spoiled one's findings still listed, as after a fix.
    FileStore(demo_master).write({S.VALIDATION.table: old[S.FINDING_COLUMNS]})
    book = caller(demo_master)

    xl.validate(book)

    val = writes(book, S.VALIDATION.sheet)
    assert [(a["func"], a["start_row"], a["row_count"]) for a in val] == [
        ("resizeTable", None, None), ("rangeClearContents", 4, len(old) - 1),
        ("rangeClearContents", 3, 1)]
    assert val[0]["args"][1] == "$A$3:$F$4"  # the header and one empty body row
    assert status(book)[2] == "No problems found"
    unmarked = {(book.sheets[a["sheet_position"]].name, a["start_row"], a["start_column"])
                for a in actions(book) if a["func"] == "setRangeColors"}
    assert {sheet for sheet, _, _ in unmarked} == set(old["sheet"])
    for a in actions(book):
        if a["func"] == "setRangeColors":
            assert {c for row in a["args"][0] for c in row} <= {None, "keep"}
    bounded(book, tables=1, extra=old["sheet"].nunique() + DERIVED_WRITES)


def test_many_bad_cells_cost_one_call_per_sheet(demo_master):
    cells = {f"D{FIRST_DATA_ROW + i}": 9 for i in range(6)}
    cells.update({f"E{FIRST_DATA_ROW + i}": 0 for i in range(6)})
    write_workbook(demo_master, cells={"Risks": cells}, backup=False)
    expected = check_file(demo_master)
    assert (expected["sheet"] == "Risks").sum() >= 12
    book = caller(demo_master)

    xl.validate(book)

    marks = [a for a in writes(book, "Risks") if a["func"] == "setRangeColors"]
    assert len(marks) == 1
    bounded(book, tables=1, extra=expected["sheet"].nunique() + DERIVED_WRITES)


# --------------------------------------------------------------------------------- roll up

def test_rollup_writes_what_the_library_computes_in_one_write(demo_master):
    expected = rollup_file(demo_master, write=False)
    derived = derived_columns(FileStore(demo_master), dt.date.today())
    header = FileStore(demo_master).header(S.ROLLUP.table)
    old_rows = len(read_table(FileStore(demo_master), S.ROLLUP).df)
    book = caller(demo_master)

    outcome = xl.rollup()

    assert table_rows(book, S.ROLLUP) == to_excel(frame_rows(expected.rollup, S.ROLLUP, header))
    resized = [a for a in writes(book, "Rollup") if a["func"] == "resizeTable"]
    rows = len(expected.rollup)
    assert [a["args"][1] for a in resized] == ([] if rows == old_rows else
                                               [f"$A$3:$L${3 + rows}"])
    assert [status(book)[0], status(book)[2]] == ["Roll up", expected.summary()]
    assert outcome["result"] == expected.summary()
    # The derived columns (next due, score, due status): one write each, nothing else on
    # those sheets.
    for schema in (S.TIMETABLE, S.RISKS, S.ACTIONS):
        frame = derived[schema.table]
        done = writes(book, schema.sheet)
        assert len(done) == len(frame.columns)
        for action, column in zip(done, frame.columns):
            assert action["func"] == "setValues" and action["start_row"] == frame.index[0] - 1
            assert action["start_column"] == schema.names.index(column)
            assert action["values"] == to_excel(frame_rows(frame, schema, [column]))
    bounded(book, tables=1, extra=DERIVED_WRITES)


def test_rollup_of_an_emptied_table_clears_the_rows_it_no_longer_has(demo_master):
    # The Rollup table holds far more rows than the roll-up makes (stale rows from before).
    store = FileStore(demo_master)
    rolled = read_table(store, S.ROLLUP).df
    store.write({S.ROLLUP.table: pd.concat([rolled, rolled, rolled], ignore_index=True)})
    old_rows = len(read_table(FileStore(demo_master), S.ROLLUP).df)
    expected = rollup_file(demo_master, write=False).rollup
    assert 0 < len(expected) < old_rows
    book = caller(demo_master)

    xl.rollup(book)

    funcs = [(a["func"], a["start_row"], a["row_count"]) for a in writes(book, "Rollup")]
    assert funcs[0][0] == "resizeTable"
    assert ("rangeClearContents", 3 + len(expected), old_rows - len(expected)) in funcs
    assert len(table_rows(book, S.ROLLUP)) == len(expected)


def test_a_users_mistake_is_a_message_not_a_traceback(demo_master):
    store = FileStore(demo_master)
    config = read_table(store, S.CONFIG).df
    config.loc[config["key"] == "current_period", "value"] = "next quarter"
    store.write({S.CONFIG.table: config})
    book = caller(demo_master)

    outcome = xl.rollup()

    assert outcome["result"] == "error" and "current_period" in outcome["message"]
    assert status(book)[0] == "Roll up"
    assert status(book)[2].startswith("Not done: ") and "current_period" in status(book)[2]
    (alert,) = [a for a in actions(book) if a["func"] == "alert"]
    assert alert["args"][0] == outcome["message"] and alert["args"][3] == "critical"
    assert not set_values(book, "Rollup")


def test_text_that_excel_would_turn_into_a_formula_or_number_goes_as_text():
    assert live.excel_value("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert live.excel_value("+44 1902 555") == "'+44 1902 555"
    assert live.excel_value("12") == "'12" and live.excel_value("1/2") == "'1/2"
    assert live.excel_value("TRUE") == "'TRUE"
    assert live.excel_value("2026-27 Q1") == "2026-27 Q1" and live.excel_value(12.0) == 12.0


# ---------------------------------------------------------------------------- the returns

def _set_config(path: Path, key: str, value: object) -> None:
    store = FileStore(path)
    config = read_table(store, S.CONFIG).df
    config.loc[config["key"] == key, "value"] = value
    store.write({S.CONFIG.table: config})


def test_issue_returns_writes_the_files_the_library_writes(demo_master, tmp_path):
    from qa_xl.collect.issue import issue_returns

    folder = tmp_path / "issued"
    _set_config(demo_master, "returns_folder", str(folder))
    period = read_settings(FileStore(demo_master))["current_period"]
    expected = issue_returns(demo_master, period, out_dir=tmp_path / "by_library")
    book = caller(demo_master)

    outcome = xl.issue_returns()

    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in expected)
    assert [status(book)[0], status(book)[3]] == ["Issue returns", str(folder)]
    assert outcome["result"] == f"{len(expected)} returns issued for {period}"
    # Issuing writes only the returns tracker (one call) and the status (one call).
    written = [(book.sheets[a["sheet_position"]].name, a["func"]) for a in actions(book)]
    assert sorted(written) == [("Returns", "setValues"), ("Start", "setValues")]


def test_import_returns_from_the_returns_folder(demo_master, _demo_template, tmp_path):
    from qa_xl.collect.importing import import_returns

    folder = tmp_path / "completed"
    folder.mkdir()
    files = _demo_template[1].files[:3]
    for file in files:
        shutil.copyfile(file, folder / file.name)
    _set_config(demo_master, "returns_folder", str(folder))
    # The demo imported these very files: forget that, so that they import again (the same
    # file again would change nothing, by design).
    store = FileStore(demo_master)
    store.write({S.IMPORT_LOG.table: S.empty_frame(S.IMPORT_LOG)})
    by_library = demo_master.with_name("by_library.xlsx")
    shutil.copyfile(demo_master, by_library)
    report = import_returns(by_library, sorted(folder.iterdir()))
    assert all(r.accepted for r in report.results)
    expected = FileStore(by_library)
    book = caller(demo_master)

    outcome = xl.import_returns()

    assert outcome["result"] == f"{len(files)} of {len(files)} returns imported"
    written = {book.sheets[a["sheet_position"]].name for a in actions(book)
               if a["func"] == "setValues"}
    partners = {r.partner_id for r in report.results}
    voiced = {r.partner_id for r in report.results if r.voice is not None and len(r.voice)}
    assert voiced  # the demo's partners answer the voice questions in their returns
    assert written == {"Start", "ImportLog", "Returns", S.VOICE.sheet} | {
        f"Return_{p}" for p in partners}
    for result in report.results:
        # Only the rows of the imported periods are written, where the file import put them;
        # every other row of the partner's table is not touched.
        schema = S.return_schema(result.partner_id)
        typed = read_table(expected, schema).df
        periods = set(result.rows["period"])
        mine = typed[typed["period"].isin(periods)]
        want = dict(zip(mine.index, to_excel(frame_rows(mine, schema,
                                                         expected.header(schema.table)))))
        assert rows_written(book, schema.sheet) == want
    log = rows_written(book, S.IMPORT_LOG.sheet)
    want = frame_rows(read_table(expected, S.IMPORT_LOG).df, S.IMPORT_LOG, S.IMPORT_LOG.names)
    appended = to_excel(want)[-len(files):]  # appended after the log's earlier rows
    assert [r[1:] for r in log.values()] == [r[1:] for r in appended]  # all but the time
    # the voice answers replace the rows the demo's own import put there, in their places
    voice = read_table(expected, S.VOICE).df
    mine = voice[voice["partner_id"].isin(voiced) & voice["period"].isin(
        {r.period for r in report.results})]
    assert rows_written(book, S.VOICE.sheet) == dict(zip(mine.index, to_excel(frame_rows(
        mine, S.VOICE, expected.header(S.VOICE.table)))))
    assert not [a for a in actions(book) if a["func"] == "alert"]
    bounded(book, tables=len(partners) + 2)


def test_import_returns_with_an_empty_folder_says_so(demo_master, tmp_path):
    (tmp_path / "empty").mkdir()
    _set_config(demo_master, "returns_folder", str(tmp_path / "empty"))
    book = caller(demo_master)

    outcome = xl.import_returns()

    assert outcome["result"] == "No files chosen: nothing imported"
    assert status(book)[2] == outcome["result"] and len(actions(book)) == 1


def test_import_returns_from_a_missing_folder_is_a_message(demo_master, tmp_path):
    _set_config(demo_master, "returns_folder", str(tmp_path / "nowhere"))
    book = caller(demo_master)

    outcome = xl.import_returns()

    assert outcome["result"] == "error" and "nowhere" in outcome["message"]
    assert [a["func"] for a in actions(book)] == ["setValues", "alert"]


# ------------------------------------------------------------------------------ the papers

def test_build_pack_saves_the_paper_and_says_where(demo_master, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = caller(demo_master)

    outcome = xl.build_pack()

    saved = Path(outcome["output"])
    assert saved.exists() and saved.suffix == ".docx"
    assert status(book)[0] == "Build pack" and status(book)[3] == str(saved)
    bounded(book, tables=0)


def test_build_board_report_saves_the_paper_and_says_where(demo_master, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = caller(demo_master)

    outcome = xl.build_board_report()

    saved = Path(outcome["output"])
    assert saved.exists() and saved.suffix == ".docx"
    assert status(book)[0] == "Build Board report" and status(book)[3] == str(saved)
    bounded(book, tables=0)


# -------------------------------------------------------------------- worksheet functions

def test_qa_rag_agrees_with_the_library():
    from qa_xl.core.rag import rag

    cases = [(0.9, 0.85, "Higher is better", 0.05), (0.82, 0.85, "Higher is better", 0.05),
             (0.7, 0.85, "Higher is better", 0.05), (12.0, 10.0, "Lower is better", 1.0),
             (10.5, 10.0, "Lower is better", 1.0), (3.0, None, "Higher is better", None),
             (None, 5.0, "Lower is better", 0.0), (7.0, 5.0, "Neutral", 1.0)]
    assert [QA_RAG(*c) for c in cases] == [rag(*c) for c in cases] == [
        "Green", "Amber", "Red", "Red", "Amber", "No target", "No data", "No target"]
    assert QA_RAG(1.0, 2.0, "Sideways", 0.0).startswith("#QA! polarity must be")
    assert QA_RAG("lots", 2.0, "Higher is better", 0.0) == "#QA! value must be a number, " \
                                                           "not 'lots'"


def test_qa_risk_score_agrees_with_the_library():
    from qa_xl.programme.risks import score

    assert [QA_RISK_SCORE(float(lik), float(imp)) for lik, imp in ((1, 1), (4, 5), (5, 5))] == [
        score(1, 1), score(4, 5), score(5, 5)] == [1, 20, 25]
    assert QA_RISK_SCORE(6.0, 1.0) == "#QA! likelihood must be a whole number from 1 to 5, not 6.0"
    assert QA_RISK_SCORE(2.0, None) == "#QA! impact must be a whole number from 1 to 5, not blank"
    assert QA_RISK_SCORE(2.5, 1.0).startswith("#QA! likelihood must be a whole number")


def test_qa_next_due_agrees_with_the_library():
    from qa_xl.programme.timetable import next_due

    done = dt.datetime(2025, 8, 31)  # what Excel hands Python for a date cell
    for frequency in ("Quarterly", "Half-yearly", "Annual", "Every two years"):
        assert QA_NEXT_DUE(done, frequency) == next_due(done.date(), frequency)
    assert QA_NEXT_DUE(done, "Half-yearly") == dt.date(2026, 2, 28)
    serial = (dt.date(2025, 9, 1) - dt.date(1899, 12, 30)).days  # a date cell with no format
    assert QA_NEXT_DUE(float(serial), "Annual") == next_due(dt.date(2025, 9, 1), "Annual")
    assert QA_NEXT_DUE(None, "Annual") == "" and QA_NEXT_DUE(done, "As arises") == ""
    assert QA_NEXT_DUE(done, "Weekly").startswith("#QA! 'Weekly' is not a timetable frequency")
    assert QA_NEXT_DUE("soon", "Annual") == "#QA! last_done must be a date, not 'soon'"


def test_frames_have_the_types_the_live_store_reads(demo_master):
    """A table read through the live store types exactly as the same table from the file."""
    book = remote_book(demo_master)
    in_excel, file = live.LiveStore(book), FileStore(demo_master)
    for schema in (S.CONFIG, S.INDICATORS, S.RISKS, S.TIMETABLE, S.return_schema("police")):
        a, b = read_table(in_excel, schema).df, read_table(file, schema).df
        pd.testing.assert_frame_equal(a, b, check_dtype=True)


def test_windows_marks_cells_with_few_multi_area_addresses():
    cells = {f"D{r}": live.FILLS["Error"] for r in range(4, 204)}
    cells.update({"F7": live.FILLS["Warning"], "B9": None})
    chunks = list(live._union_addresses(cells))
    assert all(len(address) <= live.WINDOWS_MAX_ADDRESS for _, address in chunks)
    assert len(chunks) <= 2 + 200 * 5 // live.WINDOWS_MAX_ADDRESS + 1
    covered = {(colour, cell) for colour, address in chunks for cell in address.split(",")}
    assert covered == {(colour, cell) for cell, colour in cells.items()}


def test_a_button_waits_for_the_lock_a_script_holds_and_says_who(demo_master, monkeypatch):
    """A button on a saved workbook and a command-line job share the writer's lock: the
    button does not write while the script does, and says who is writing."""
    import subprocess
    import sys

    holding = ("import sys, time\nfrom qa_xl.workbook.lock import master_lock\n"
               "with master_lock(sys.argv[1], 'qa-xl returns import', say=None):\n"
               "    print('held', flush=True)\n    time.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", holding, str(demo_master)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("QA_XL_LOCK_WAIT", "0.2")
        book = caller(demo_master, name=str(demo_master))  # a workbook saved on this disk
        outcome = xl.rollup(book)
        assert outcome["result"] == "error"
        assert "qa-xl returns import" in outcome["message"]
        assert f"process {holder.pid}" in outcome["message"]
        assert not [a for a in actions(book) if a["func"] == "setValues"
                    and book.sheets[a["sheet_position"]].name == "Rollup"]
    finally:
        holder.kill()
        holder.wait()
    book = caller(demo_master, name=str(demo_master))
    assert xl.rollup(book)["result"] != "error"  # the dead holder's lock is free again


def test_every_table_read_from_the_books_payload_types_as_from_the_file(demo_master):
    """The live store reads the whole book from the payload Office.js sends (one call): every
    table, the rows under it and the Lists sheet come out exactly as from the file."""
    from qa_xl.workbook.schema import schema_for
    from qa_xl.workbook.store import read_lists

    in_excel, file = live.LiveStore(remote_book(demo_master)), FileStore(demo_master)
    assert in_excel.table_names() == file.table_names()
    assert in_excel.sheet_names() == file.sheet_names()
    for name in file.table_names():
        schema = schema_for(name)
        a, b = read_table(in_excel, schema), read_table(file, schema)
        pd.testing.assert_frame_equal(a.df, b.df, check_dtype=True)
        assert in_excel.rows_below(in_excel.read_raw(name)) == file.rows_below(
            file.read_raw(name))
    assert read_lists(in_excel) == read_lists(file)


def test_rows_typed_under_a_table_are_seen_in_the_payload(demo_master):
    """A row typed under a table (a workbook last saved by LibreOffice) is found from the
    payload, as the file back end finds it."""
    raw = FileStore(demo_master).read_raw(S.RISKS.table)
    below = raw.first_row + len(raw.rows) + 1
    write_workbook(demo_master, cells={"Risks": {f"B{below}": "A risk typed below"}},
                   backup=False)
    in_excel, file = live.LiveStore(remote_book(demo_master)), FileStore(demo_master)
    assert in_excel.rows_below(in_excel.read_raw(S.RISKS.table)) == [below]
    assert file.rows_below(file.read_raw(S.RISKS.table)) == [below]


def test_a_book_made_before_the_returns_tracker_gets_its_sheet_when_returns_are_issued(
        demo_master, tmp_path):
    """A workbook made before qa_xl 0.2 has no Returns sheet: issuing adds it after the last
    sheet, with its words, header and table, and the tracker rows in one write."""
    import xlwings.pro._xlremote as remote

    from xl_remote import payload

    _set_config(demo_master, "returns_folder", str(tmp_path / "issued"))
    data = payload(demo_master, "QA_Master.xlsx")
    data["sheets"] = [s for s in data["sheets"] if s["name"] != S.RETURNS_TRACKER.sheet]
    remote.get_range_api.cache_clear()
    book = xw.Book(json=data)
    last = len(data["sheets"]) - 1

    outcome = xl.issue_returns(book)

    assert outcome["result"] != "error", outcome
    done = actions(book)
    assert [(a["func"], a["args"]) for a in done if a["func"] == "addSheet"] == [
        ("addSheet", [last + 1, S.RETURNS_TRACKER.sheet])]
    position = last + 1
    on_it = [a for a in done if a["sheet_position"] == position]
    assert [a["func"] for a in on_it] == ["setValues", "setValues", "addTable", "resizeTable",
                                          "setValues"]
    words, header, _, _, rows = on_it
    assert words["values"] == [[S.RETURNS_TRACKER.title], [S.RETURNS_TRACKER.intro], [""]]
    assert header["values"] == [S.RETURNS_TRACKER.names] and header["start_row"] == 2
    issued = sorted(p.name for p in (tmp_path / "issued").iterdir())
    assert len(rows["values"]) == len(issued) and rows["start_row"] == 3
    assert sorted(Path(r[S.RETURNS_TRACKER.names.index("file")]).name
                  for r in rows["values"]) == issued
