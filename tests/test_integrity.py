"""Nothing lost, doubled or quietly changed: what an import, a roll-up and an issue may and may
not touch, the signature that binds every row, replays, package checks by what the package
declares, identifiers, rows under a table, derived status and commands that refuse bad data.

Real files throughout: masters built by qa_xl, returns filled with openpyxl as a partner would,
packages edited with zipfile as a doctored file would be. (Processes killed mid-save, full
disks, locks and concurrent writers are in test_faults.py.)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from lxml import etree

from conftest import TEST_SECRET
from qa_xl.cli import main
from qa_xl.collect.consolidate import rollup
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.collect.master import token
from qa_xl.core.errors import DataError, UnusableInput
from qa_xl.example import fill_return
from qa_xl.validation import validate
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns, read_table
from qa_xl.workbook.xlsxparts import TableWrite, write_workbook
from test_returns import PERIOD, figures_for, issued

Q2 = "2026-27 Q2"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
MAIN = NS["m"]


@pytest.fixture
def issued_returns(master, tmp_path) -> dict[str, Path]:
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    return {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}


def filled(path: Path, seed: int, on: dt.date = dt.date(2026, 7, 20), by: str = "DI Jones"
           ) -> Path:
    fill_return(path, figures_for(path, seed), by, on)
    return path


def run(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, (out.out + out.err).replace("\n", " ")


def sheet_part(path: Path, sheet: str) -> str:
    """The zip name of a sheet's XML, through the workbook and its relationships."""
    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
               for s in book.iterfind(".//m:sheet", NS) if s.get("name") == sheet)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def row_xml(path: Path, sheet: str) -> dict[int, bytes]:
    """Each row of a sheet as its XML bytes: what a byte-for-byte comparison needs."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read(sheet_part(path, sheet)))
    return {int(r.get("r")): etree.tostring(r) for r in root.iterfind(".//m:sheetData/m:row",
                                                                       NS)}


def table_rows(path: Path, table: str) -> tuple[int, int]:
    """(first data row, last data row) of a table, from its ref."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/tables/"):
                root = etree.fromstring(z.read(name))
                if root.get("name") == table:
                    a, b = root.get("ref").split(":")
                    return int(re.sub(r"\D", "", a)) + 1, int(re.sub(r"\D", "", b))
    raise KeyError(table)


def edit_return(path: Path, change) -> None:
    """Edit a return with openpyxl as a partner (or a tamperer) could: sheet protection does
    not stop it."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def rewrite_zip(path: Path, parts: dict[str, bytes | None], *, extra: list | None = None
                ) -> None:
    """Replace (or with None remove) zip members; ``extra`` adds members as given, even a
    name twice."""
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    for name, data in parts.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        for name, data in extra or []:
            z.writestr(name, data)


def add_override(path: Path, part: str, content_type: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        types = z.read("[Content_Types].xml").decode()
    return types.replace("</Types>", f'<Override PartName="/{part}" ContentType="'
                                     f'{content_type}"/></Types>').encode()


# ------------------------------------------------ an import changes only what it imports

def test_an_import_leaves_every_other_row_of_the_partner_cell_for_cell(master, tmp_path,
                                                                       issued_returns):
    assert import_returns(master, [filled(issued_returns["police"], 1)]).exit_code == 0
    sheet = "Return_police"
    first, last = table_rows(master, "tblReturn_police")
    # An officer types what qa_xl cannot read into the Q1 rows: text in a number cell, a
    # date typed as text, and (in Excel) a formula.
    col = {name: i for i, name in enumerate(S.return_schema("police").names)}
    letter = {n: openpyxl.utils.get_column_letter(i + 1) for n, i in col.items()}
    write_workbook(master, cells={sheet: {f"{letter['value']}{first}": "n/a",
                                          f"{letter['submitted_on']}{first + 1}": "31/07/2026"}},
                   backup=False)
    book = openpyxl.load_workbook(master)
    book[sheet][f"{letter['commentary']}{first + 2}"] = "=1+1"
    book.save(master)
    before = {r: x for r, x in row_xml(master, sheet).items() if first <= r <= last}
    q2 = issue_returns(master, Q2, tmp_path / "q2", ["police"])[0]
    report = import_returns(master, [filled(q2, 2, dt.date(2026, 10, 20))])
    assert report.exit_code == 0, report.lines()
    after = row_xml(master, sheet)
    assert {r: after[r] for r in before} == before  # the Q1 rows, byte for byte
    returns = read_returns(FileStore(master)).df
    assert set(returns["period"]) == {PERIOD, Q2}


def test_a_formula_in_a_row_that_would_move_is_refused_not_moved(master, tmp_path,
                                                                 issued_returns):
    police = filled(issued_returns["police"], 1)
    import_returns(master, [police])
    sheet, table = "Return_police", "tblReturn_police"
    extra = list(read_table(FileStore(master), S.return_schema("police")).df.iloc[0])
    header = FileStore(master).header(table)
    rows = [list(r) for r in read_table(FileStore(master), S.return_schema("police")).df.
            itertuples(index=False)]
    # One more Q1 row than the return has (a row an officer copied), then the Q2 rows after.
    write_workbook(master, {table: TableWrite(header, [*rows, extra])}, backup=False)
    q2 = issue_returns(master, Q2, tmp_path / "q2", ["police"])[0]
    import_returns(master, [filled(q2, 2, dt.date(2026, 10, 20))])
    _, last = table_rows(master, table)
    commentary = openpyxl.utils.get_column_letter(header.index("commentary") + 1)
    book = openpyxl.load_workbook(master)
    book[sheet][f"{commentary}{last}"] = '=CONCAT("Q2 ", "note")'
    book.save(master)
    before = master.read_bytes()
    correction = filled(police, 3, dt.date(2026, 7, 25))  # Q1 again: one row fewer than held
    # The surplus Q1 slot would be filled by the table's last row, which holds a formula:
    # the import is refused, naming that cell, rather than move the formula.
    with pytest.raises(UnusableInput, match="formula in a row qa_xl would have to move") as e:
        import_returns(master, [correction])
    assert e.value.cell == f"{commentary}{last}" and e.value.sheet == sheet
    assert master.read_bytes() == before


def test_without_a_formula_the_last_row_moves_into_the_gap_unchanged(master, tmp_path,
                                                                     issued_returns):
    police = filled(issued_returns["police"], 1)
    import_returns(master, [police])
    table = "tblReturn_police"
    schema = S.return_schema("police")
    header = FileStore(master).header(table)
    df = read_table(FileStore(master), schema).df
    rows = [list(r) for r in df.itertuples(index=False)]
    write_workbook(master, {table: TableWrite(header, [*rows, rows[0]])}, backup=False)
    q2 = issue_returns(master, Q2, tmp_path / "q2", ["police"])[0]
    import_returns(master, [filled(q2, 2, dt.date(2026, 10, 20))])
    q2_rows = read_table(FileStore(master), schema).df.query("period == @Q2")
    report = import_returns(master, [filled(police, 3, dt.date(2026, 7, 25))])
    assert report.exit_code == 0, report.lines()
    after = read_table(FileStore(master), schema).df
    assert len(after[after["period"] == PERIOD]) == len(rows)  # the copied row is gone
    moved = after[after["period"] == Q2].sort_values("indicator_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(moved, q2_rows.sort_values("indicator_id").reset_index(
        drop=True))


def test_the_import_log_is_appended_never_rewritten(master, issued_returns):
    import_returns(master, [filled(issued_returns["police"], 1)])
    first, last = table_rows(master, "tblImportLog")
    before = {r: x for r, x in row_xml(master, "ImportLog").items() if first <= r <= last}
    import_returns(master, [filled(issued_returns["education"], 2)])
    after = row_xml(master, "ImportLog")
    assert {r: after[r] for r in before} == before
    assert len(read_table(FileStore(master), S.IMPORT_LOG).df) == 2


def test_validate_reports_a_formula_typed_into_a_derived_column(demo_master):
    first, _ = table_rows(demo_master, "tblRisks")
    score = openpyxl.utils.get_column_letter(S.RISKS.names.index("score") + 1)
    book = openpyxl.load_workbook(demo_master)
    book["Risks"][f"{score}{first}"] = f"=D{first}*E{first}"
    book.save(demo_master)
    findings = validate(demo_master)
    hit = findings[(findings["check"] == "formula_in_derived")]
    assert hit["cell"].tolist() == [f"{score}{first}"]
    assert "writes the value over it" in hit["message"].iloc[0]


# ------------------------------------------------------ signatures that bind every row

def _swap_two_rows(book) -> None:
    ws = book["Return"]
    first = int(ws.tables["tblReturn"].ref.split(":")[0][1:]) + 1
    names = S.ISSUED_RETURN.names
    for column in ("indicator_id", "indicator_name"):
        c = names.index(column) + 1
        a, b = ws.cell(first, c), ws.cell(first + 1, c)
        a.value, b.value = b.value, a.value


def _relabel_definition(book) -> None:
    ws = book["Return"]
    first = int(ws.tables["tblReturn"].ref.split(":")[0][1:]) + 1
    ws.cell(first, S.ISSUED_RETURN.names.index("definition") + 1).value = "Anything we like"


@pytest.mark.parametrize("tamper", [_swap_two_rows, _relabel_definition])
def test_relabelled_or_swapped_rows_break_the_signature(master, issued_returns, tamper):
    path = filled(issued_returns["police"], 1)
    edit_return(path, tamper)
    before = master.read_bytes()
    result = import_returns(master, [path]).results[0]
    assert not result.accepted and "not as issued" in result.problems[0]
    assert master.read_bytes() == before


def test_a_return_issued_by_the_older_signature_still_imports_with_a_warning(
        master, issued_returns):
    path = filled(issued_returns["police"], 1)

    def as_version_1(book) -> None:
        ws = book["About"]
        meta = {row[0].value: row[1] for row in ws.iter_rows()}
        meta["template_version"].value = "1"
        values = {k: str(v.value) for k, v in meta.items()}
        meta["token"].value = token(TEST_SECRET, values)

    edit_return(path, as_version_1)
    result = import_returns(master, [path]).results[0]
    assert result.accepted, result.problems
    assert any("older qa_xl" in w for w in result.warnings)


def test_each_issue_carries_its_own_serial_and_time(master, tmp_path):
    def about(path: Path) -> dict[str, str]:
        ws = openpyxl.load_workbook(path)["About"]
        return {r[0].value: r[1].value for r in ws.iter_rows()}

    one = about(issue_returns(master, PERIOD, tmp_path / "a", ["police"])[0])
    two = about(issue_returns(master, PERIOD, tmp_path / "b", ["police"])[0])
    assert one["serial"] != two["serial"] and len(one["serial"]) == 32
    assert dt.datetime.fromisoformat(one["issued_at"])
    assert one["rows"] == two["rows"]  # the same rows issued: the same digest


# --------------------------------------------------------------------------- no replays

def test_the_same_file_again_changes_nothing_and_says_so(master, issued_returns, capsys):
    path = filled(issued_returns["police"], 1)
    import_returns(master, [path])
    before = master.read_bytes()
    code, text = run(["returns", "import", str(master), str(path)], capsys)
    assert code == 0 and "already imported" in text and "nothing changed" in text
    assert master.read_bytes() == before


def test_a_superseded_file_is_refused_naming_both_unless_replace_newer(master, issued_returns,
                                                                       tmp_path, capsys):
    path = filled(issued_returns["police"], 1)
    old = tmp_path / "police_first_fill.xlsx"
    shutil.copyfile(path, old)
    import_returns(master, [old])
    correction = filled(path, 2)  # corrected the same day: only the log tells them apart
    assert import_returns(master, [correction]).exit_code == 0
    before = master.read_bytes()
    code, text = run(["returns", "import", str(master), str(old)], capsys)
    assert code == 2 and old.name in text and correction.name in text
    assert "--replace-newer" in text and master.read_bytes() == before
    code, _ = run(["returns", "import", str(master), str(old), "--replace-newer"], capsys)
    assert code == 0
    values = read_returns(FileStore(master)).df
    first_fill = figures_for(old, 1)
    row = values.iloc[0]
    assert row["value"] == first_fill[(row["period"], row["indicator_id"])].get(
        "value", row["value"])


def test_an_older_fill_is_refused_naming_both(master, issued_returns, tmp_path):
    path = issued_returns["police"]
    older = tmp_path / "police_older.xlsx"
    shutil.copyfile(path, older)
    filled(path, 2, dt.date(2026, 7, 22))
    filled(older, 1, dt.date(2026, 7, 10))
    import_returns(master, [path])
    before = master.read_bytes()
    result = import_returns(master, [older]).results[0]
    assert not result.accepted
    assert "completed on 10/07/2026" in result.problems[0] and "22/07/2026" in result.problems[0]
    assert master.read_bytes() == before
    assert import_returns(master, [older], replace_newer=True).exit_code == 0


def test_an_older_fill_beside_a_good_one_refuses_only_the_older(master, issued_returns,
                                                                tmp_path):
    """The check of the next file once one was refused as older (it was an exit 3)."""
    police, probation = issued_returns["police"], issued_returns["probation"]
    older = tmp_path / "police_older.xlsx"
    shutil.copyfile(police, older)
    filled(police, 2, dt.date(2026, 7, 22))
    filled(probation, 2, dt.date(2026, 7, 22))
    import_returns(master, [police, probation])
    filled(older, 1, dt.date(2026, 7, 10))
    newer = tmp_path / "probation_newer.xlsx"
    shutil.copyfile(probation, newer)
    filled(newer, 3, dt.date(2026, 7, 25))
    report = import_returns(master, [older, newer])
    by_file = {r.file.name: r for r in report.results}
    assert not by_file[older.name].accepted and "10/07/2026" in by_file[older.name].problems[0]
    assert by_file[newer.name].accepted


@pytest.mark.parametrize("typed", ["10/07/2026", "2026-07-10"])
def test_a_completion_date_typed_as_text_is_read_as_that_date(master, issued_returns, tmp_path,
                                                              typed):
    """Read as today's date, it let an older fill past the check that refuses it."""
    path = issued_returns["police"]
    older = tmp_path / "police_older.xlsx"
    shutil.copyfile(path, older)
    filled(path, 2, dt.date(2026, 7, 22))
    import_returns(master, [path])
    filled(older, 1, dt.date(2026, 7, 10))
    book = openpyxl.load_workbook(older)
    book["Return"]["B5"] = typed  # text, as a partner's cell formatted as text holds it
    book.save(older)
    before = master.read_bytes()
    result = import_returns(master, [older]).results[0]
    assert not result.accepted and "completed on 10/07/2026" in result.problems[0]
    assert master.read_bytes() == before


def test_a_completion_date_that_is_not_a_date_is_refused_naming_its_cell(master,
                                                                         issued_returns):
    path = filled(issued_returns["police"], 1)
    book = openpyxl.load_workbook(path)
    book["Return"]["B5"] = "last Tuesday"
    book.save(path)
    before = master.read_bytes()
    report = import_returns(master, [path])
    (result,) = report.results
    assert not result.accepted and report.exit_code == 1
    assert "cell B5" in result.problems[0] and "'last Tuesday', which is not a date" in \
        result.problems[0]
    assert master.read_bytes() == before


@pytest.mark.parametrize("table", ["tblReturn", "tblReturnVoice"])
def test_a_row_typed_under_a_table_is_refused_naming_its_cell(master, issued_returns, table):
    """Typed under the table (openpyxl and LibreOffice do not extend it), the row is not
    read: its figure would have been lost without a word."""
    path = filled(issued_returns["police"], 1)
    book = openpyxl.load_workbook(path)
    ws = book["Return"]
    first_col, _, _, last_row = openpyxl.utils.range_boundaries(ws.tables[table].ref)
    cell = f"{openpyxl.utils.get_column_letter(first_col + 1)}{last_row + 1}"
    ws[cell] = 42
    book.save(path)
    before = master.read_bytes()
    report = import_returns(master, [path])
    (result,) = report.results
    assert not result.accepted and report.exit_code == 1
    assert f"cell {cell}: '42' is typed under the table" in result.problems[0]
    assert master.read_bytes() == before


def test_a_table_stretched_far_past_its_rows_is_refused_before_it_is_read(master,
                                                                        issued_returns):
    """A 12 KB return whose table's range reaches row 1,048,576 made the reader fill every
    blank cell of it: 800 MB for one file (a folder of them would stop the machine)."""
    path = filled(issued_returns["police"], 1)
    book = openpyxl.load_workbook(path)
    table = book["Return"].tables["tblReturn"]
    table.ref = re.sub(r"\d+$", "1048576", table.ref)
    book.save(path)
    before = master.read_bytes()
    report = import_returns(master, [path])
    (result,) = report.results
    assert not result.accepted and report.exit_code == 2
    assert "tblReturn has been stretched to A7:K1048576" in result.problems[0]
    assert master.read_bytes() == before


def test_a_note_typed_beside_a_form_s_table_is_refused_naming_its_cell(master,
                                                                       issued_returns):
    path = filled(issued_returns["police"], 1)
    book = openpyxl.load_workbook(path)
    ws = book["Return"]
    _, top, last_col, _ = openpyxl.utils.range_boundaries(ws.tables["tblReturn"].ref)
    cell = f"{openpyxl.utils.get_column_letter(last_col + 1)}{top + 2}"
    ws[cell] = "see our e-mail of 3 July"
    book.save(path)
    before = master.read_bytes()
    (result,) = import_returns(master, [path]).results
    assert not result.accepted
    assert f"cell {cell}: 'see our e-mail of 3 July' is typed beside the table" in \
        result.problems[0]
    assert master.read_bytes() == before


def test_merged_cells_in_a_form_s_table_are_refused_naming_them(master, issued_returns):
    """Merged, only the first cell is read: a figure and its commentary typed across them
    could not be told apart."""
    path = filled(issued_returns["police"], 1)
    book = openpyxl.load_workbook(path)
    book["Return"].merge_cells("H8:I8")
    book.save(path)
    before = master.read_bytes()
    report = import_returns(master, [path])
    (result,) = report.results
    assert not result.accepted and report.exit_code == 1
    assert "cells H8:I8 are merged" in result.problems[0]
    assert master.read_bytes() == before


def test_two_fills_in_one_import_the_later_wins(master, issued_returns, tmp_path):
    path = issued_returns["police"]
    older = tmp_path / "police_older.xlsx"
    shutil.copyfile(path, older)
    filled(path, 2, dt.date(2026, 7, 22))
    filled(older, 1, dt.date(2026, 7, 10))
    report = import_returns(master, [older, path])
    accepted = [r.file.name for r in report.results if r.accepted]
    assert accepted == [path.name]
    stored = read_returns(FileStore(master)).df
    assert len(stored) == len(issued(path))  # one set of figures, not two


def test_a_return_for_a_period_not_yet_ended_is_refused_unless_early(master, issued_returns):
    path = filled(issued_returns["police"], 1)
    early = dt.date(2026, 6, 15)
    result = import_returns(master, [path], today=early).results[0]
    assert not result.accepted and "ends on 30/06/2026" in result.problems[0]
    assert "--early" in result.problems[0]
    assert import_returns(master, [path], today=early, early=True).exit_code == 0


# ------------------------------------------------- package checks by what it declares

def _macro_under_another_name(path: Path) -> None:
    part = "xl/media/notes.dat"
    rewrite_zip(path, {part: b"Attribute VB_Name = \"x\"\n",
                       "[Content_Types].xml": add_override(
                           path, part, "application/vnd.ms-office.vbaProject")})


def _worksheet_at_an_unusual_path(path: Path) -> None:
    part = "xl/elsewhere/figures.xml"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1"><f>WEBSERVICE("http://x.example")</f></c></row>'
             '</sheetData></worksheet>').encode()
    rewrite_zip(path, {part: sheet, "[Content_Types].xml": add_override(
        path, part, "application/vnd.openxmlformats-officedocument.spreadsheetml."
        "worksheet+xml")})


def _duplicate_entry(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        part = next(n for n in z.namelist() if n.startswith("xl/worksheets/"))
        data = z.read(part)
    rewrite_zip(path, {}, extra=[(part, data)])


def _external_link(path: Path) -> None:
    rels = "xl/_rels/workbook.xml.rels"
    with zipfile.ZipFile(path) as z:
        text = z.read(rels).decode()
    link = ('<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/externalLinkPath" Target="file:///C:/other.xlsx" '
            'TargetMode="External"/>')
    rewrite_zip(path, {rels: text.replace("</Relationships>", link + "</Relationships>")
                       .encode()})


def _utf16_doctype(path: Path) -> None:
    """A document type in a UTF-16 part: no "<!" in its bytes for a quick scan to see."""
    part = "docProps/app.xml"
    with zipfile.ZipFile(path) as z:
        text = z.read(part).decode("utf-8")
    body = text[text.index("<Properties"):]
    doctored = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "boom">]>'
                + body).encode("utf-16")
    assert b"<!" not in doctored
    rewrite_zip(path, {part: doctored})


def _undeclared_part(path: Path) -> None:
    rewrite_zip(path, {"xl/stowaway.bin": b"\x00" * 64})


@pytest.mark.parametrize(("doctor", "words"), [
    (_macro_under_another_name, "carries macros"),
    (_worksheet_at_an_unusual_path, "hold formulas"),
    (_duplicate_entry, "more than once"),
    (_external_link, "a link to another file"),
    (_undeclared_part, "not in the package's list of its parts"),
    (_utf16_doctype, "declares XML entities or a document type"),
])
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_package_checks_go_by_what_the_package_declares(master, issued_returns, doctor,
                                                        words, capsys):
    path = filled(issued_returns["police"], 1)
    doctor(path)
    before = master.read_bytes()
    code, text = run(["returns", "import", str(master), str(path)], capsys)
    assert code in (1, 2), text
    assert path.name in text and words in text, text
    assert master.read_bytes() == before


def test_a_damaged_return_in_a_folder_is_refused_by_name_and_the_rest_imported(
        master, issued_returns, tmp_path, capsys):
    folder = tmp_path / "completed"
    folder.mkdir()
    for i, partner in enumerate(("police", "education", "probation")):
        shutil.copyfile(filled(issued_returns[partner], i), folder / issued_returns[partner].name)
    bad = folder / issued_returns["probation"].name
    part = sheet_part(bad, "Return")
    with zipfile.ZipFile(bad) as z:
        xml = z.read(part).decode()
    # A shared-string index far past the end of the table: calamine cannot read the sheet.
    xml, n = re.subn(r'<c r="A1"[^>]*>.*?</c>', '<c r="A1" t="s"><v>99999</v></c>', xml,
                     count=1, flags=re.S)
    assert n == 1
    rewrite_zip(bad, {part: xml.encode()})
    code, text = run(["returns", "import", str(master), str(folder)], capsys)
    assert code == 2, text
    assert bad.name in text and "cannot be read" in text and "Internal error" not in text
    stored = read_returns(FileStore(master)).df
    assert set(stored["partner_id"]) == {"police", "education"}
    log = read_table(FileStore(master), S.IMPORT_LOG).df
    assert bad.name in set(log["file_name"])


def test_a_folder_s_other_spreadsheets_are_refused_by_name_not_left_behind(
        master, issued_returns, tmp_path, capsys):
    """An inbox where one return came back as .XLSX, one saved as .xls and one as .ods: the
    first is imported, the others refused by name (a folder import used to skip them)."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copyfile(filled(issued_returns["police"], 1), folder / "POLICE_RETURN.XLSX")
    shutil.copyfile(filled(issued_returns["education"], 2), folder / "education.xls")
    shutil.copyfile(filled(issued_returns["probation"], 3), folder / "probation.ods")
    (folder / "~$POLICE_RETURN.XLSX").write_bytes(b"Excel's owner file")
    (folder / "covering note.txt").write_text("see attached")
    (folder / "sub.xlsx").mkdir()
    code, text = run(["returns", "import", str(master), str(folder)], capsys)
    assert code == 2, text
    assert "POLICE_RETURN.XLSX: Accepted" in text
    assert "education.xls" in text and "probation.ods" in text and "not .xls" in text
    assert "~$" not in text and "covering note" not in text and "sub.xlsx" not in text
    assert set(read_returns(FileStore(master)).df["partner_id"]) == {"police"}


def test_an_empty_folder_is_a_clear_answer(master, tmp_path, capsys):
    (tmp_path / "nothing").mkdir()
    code, text = run(["returns", "import", str(master), str(tmp_path / "nothing")], capsys)
    assert code == 2 and "holds no returns" in text


def test_over_long_free_text_is_refused_in_the_return(master, issued_returns):
    path = filled(issued_returns["police"], 1)

    def long_text(book) -> None:
        ws = book["Return"]
        first = int(ws.tables["tblReturn"].ref.split(":")[0][1:]) + 1
        ws.cell(first, S.ISSUED_RETURN.names.index("commentary") + 1).value = "x" * 2500
        ws["B4"] = "A" * 150

    edit_return(path, long_text)
    result = import_returns(master, [path]).results[0]
    assert not result.accepted and result.data_error
    assert "Return" in result.problems[0]
    assert re.search(r"cell (K\d+|B4)", " ".join(result.problems))


# ------------------------------------------------ identifiers that name files, sheets

def test_a_partner_id_that_climbs_out_of_the_folder_stops_issue(master, tmp_path, capsys):
    first, _ = table_rows(master, "tblPartners")
    write_workbook(master, cells={"Partners": {f"A{first}": "../../evil"}}, backup=False)
    out = tmp_path / "out"
    code, text = run(["returns", "issue", str(master), "--period", PERIOD, "--out", str(out)],
                     capsys)
    assert code == 1 and f"A{first}" in text and "partner_id" in text
    assert not list(tmp_path.rglob("evil*")) and not out.exists()


def test_issue_refuses_a_master_open_in_excel(master, tmp_path, capsys):
    (master.parent / f"~${master.name}").write_text("owner")
    code, text = run(["returns", "issue", str(master), "--period", PERIOD, "--out",
                      str(tmp_path / "out")], capsys)
    assert code == 2 and "open in Excel" in text


# ------------------------------------------------- issuing never overwrites a filled return

def test_issue_again_leaves_a_started_return_unless_forced(master, tmp_path, capsys):
    out = tmp_path / "out"
    files = issue_returns(master, PERIOD, out)
    started = filled(files[0], 1)
    untouched = files[1].read_bytes()
    kept = started.read_bytes()
    code, text = run(["returns", "issue", str(master), "--period", PERIOD, "--out", str(out)],
                     capsys)
    assert code == 0 and started.name in text and "started filling it in" in text
    assert started.read_bytes() == kept
    assert files[1].read_bytes() != untouched  # an unfilled return is simply issued again
    code, _ = run(["returns", "issue", str(master), "--period", PERIOD, "--out", str(out),
                   "--force"], capsys)
    assert code == 0 and started.read_bytes() != kept


# ------------------------------------------------------------------ rows under a table

def test_rows_typed_under_a_table_are_an_error_and_stop_the_roll_up(demo_master, capsys):
    _, last = table_rows(demo_master, "tblRisks")
    write_workbook(demo_master, cells={"Risks": {f"A{last + 1}": "R99", f"B{last + 1}":
                                                 "A risk typed under the table",
                                                 f"A{last + 2}": "R100"}}, backup=False)
    findings = validate(demo_master)
    hit = findings[findings["check"] == "rows_below_table"]
    assert hit["cell"].tolist() == [f"A{last + 1}"]
    assert f"rows {last + 1} to {last + 2}" in hit["message"].iloc[0]
    assert "Resize Table" in hit["message"].iloc[0]
    code, text = run(["pack", str(demo_master), "--out", str(demo_master.with_name("p.docx"))],
                     capsys)
    assert code == 1 and f"A{last + 1}" in text, text  # the risk register would miss them
    assert not demo_master.with_name("p.docx").exists()
    # Under a partner's return table (a LibreOffice save does not extend it): the figure
    # would be left out of the roll-up, so the roll-up stops and names the row.
    _, below = table_rows(demo_master, "tblReturn_police")
    write_workbook(demo_master, cells={"Return_police": {f"A{below + 1}": PERIOD,
                                                         f"B{below + 1}": "mash_contacts",
                                                         f"C{below + 1}": 12}}, backup=False)
    before = demo_master.read_bytes()
    code, text = run(["rollup", str(demo_master)], capsys)
    assert code == 1 and f"A{below + 1}" in text and "not part of the table" in text, text
    assert demo_master.read_bytes() == before


# ------------------------------------------------------------ the sheets show status

def test_rollup_writes_due_status_in_the_sheets(demo_master):
    rollup(demo_master)
    store = FileStore(demo_master)
    timetable = read_table(store, S.TIMETABLE).df
    assert set(timetable["due_status"].dropna()) <= {"Overdue", "Due soon", "On track",
                                                     "Completed", "Not scheduled"}
    assert "Overdue" in set(timetable["due_status"])
    risks = read_table(store, S.RISKS).df
    assert set(risks["due_status"]) >= {"Closed"}
    actions = read_table(store, S.ACTIONS).df
    assert "Overdue" in set(actions["due_status"])


def test_a_workbook_made_before_due_status_gets_the_column(demo_master):
    book = openpyxl.load_workbook(demo_master)
    ws = book["Timetable"]
    table = ws.tables["tblTimetable"]
    start, end = table.ref.split(":")
    last_col = openpyxl.utils.column_index_from_string(re.sub(r"\d", "", end))
    ws.delete_cols(last_col)
    last_row = re.sub(r"\D", "", end)
    table.ref = f"{start}:{openpyxl.utils.get_column_letter(last_col - 1)}{last_row}"
    table.tableColumns = table.tableColumns[:-1]
    table.autoFilter.ref = table.ref
    book.save(demo_master)
    assert "due_status" not in FileStore(demo_master).header("tblTimetable")
    rollup(demo_master)
    assert FileStore(demo_master).header("tblTimetable")[-1] == "due_status"
    df = read_table(FileStore(demo_master), S.TIMETABLE).df
    assert df["due_status"].notna().all()


# ------------------------------------------------- errors in what a command uses stop it

def _duplicate_indicator(master: Path) -> str:
    first, _ = table_rows(master, "tblIndicators")
    ids = read_table(FileStore(master), S.INDICATORS).df["indicator_id"]
    write_workbook(master, cells={"Indicators": {f"A{first + 1}": ids.iloc[0]}}, backup=False)
    return f"A{first + 1}"


def _renamed_indicators_sheet(master: Path) -> str:
    book = openpyxl.load_workbook(master)
    book["Indicators"].title = "Our indicators"
    book.save(master)
    return "Our indicators"


@pytest.mark.parametrize("spoil", [_duplicate_indicator, _renamed_indicators_sheet])
def test_rollup_import_and_issue_refuse_errors_in_what_they_use(master, issued_returns, spoil,
                                                              capsys):
    path = filled(issued_returns["police"], 1)
    where = spoil(master)
    before = master.read_bytes()
    for argv in (["rollup", str(master)], ["returns", "import", str(master), str(path)],
                 ["pack", str(master), "--out", str(master.with_name("pack.docx"))]):
        code, text = run(argv, capsys)
        assert code == 1 and where in text and "needs correct data first" in text, text
        assert master.read_bytes() == before
    with pytest.raises(DataError):
        issue_returns(master, PERIOD, master.parent / "again")


def test_a_negative_count_in_the_master_stops_the_roll_up(master, issued_returns, capsys):
    import_returns(master, [filled(issued_returns["police"], 1)])
    schema = S.return_schema("police")
    df = read_table(FileStore(master), schema).df
    row = next(i for i, r in df.iterrows() if not pd.isna(r["value"]) and pd.isna(
        r["denominator"]))
    value = openpyxl.utils.get_column_letter(schema.names.index("value") + 1)
    write_workbook(master, cells={"Return_police": {f"{value}{row}": -40}}, backup=False)
    code, text = run(["rollup", str(master)], capsys)
    assert code == 1 and f"{value}{row}" in text and "cannot be negative" in text


# --------------------------------------------------- any value a cell can hold: no crash

def _poison(path: Path) -> dict[str, dict[str, object]]:
    schema = S.return_schema("police")
    first, _ = table_rows(path, "tblReturn_police")
    col = {n: openpyxl.utils.get_column_letter(i + 1) for i, n in enumerate(schema.names)}
    risks_first, _ = table_rows(path, "tblRisks")
    rcol = {n: openpyxl.utils.get_column_letter(i + 1) for i, n in enumerate(S.RISKS.names)}
    return {
        "Return_police": {f"{col['value']}{first}": 1e308, f"{col['value']}{first + 1}": 1e308,
                          f"{col['numerator']}{first + 2}": "NaN",
                          f"{col['submitted_on']}{first + 3}": 2958470.0},
        "Risks": {f"{rcol['next_review']}{risks_first}": -5.0,
                  f"{rcol['likelihood']}{risks_first + 1}": "inf"},
    }


def test_any_value_a_cell_can_hold_is_a_finding_never_a_crash(demo_master, capsys):
    cells = _poison(demo_master)
    write_workbook(demo_master, cells=cells, backup=False)
    with zipfile.ZipFile(demo_master) as z:  # a doctored file: Excel never writes INF
        part = sheet_part(demo_master, "Return_police")
        xml = z.read(part).decode()
    first, _ = table_rows(demo_master, "tblReturn_police")
    value = openpyxl.utils.get_column_letter(S.return_schema("police").names.index("value") + 1)
    xml = xml.replace(f'<c r="{value}{first + 1}"', f'<c r="{value}{first + 1}" ', 1)
    xml = re.sub(rf'(<c r="{value}{first + 1}"[^>]*><v>)[^<]*(</v>)', r"\g<1>INF\g<2>", xml)
    rewrite_zip(demo_master, {part: xml.encode()})
    for argv in (["validate", str(demo_master)], ["rollup", str(demo_master)],
                 ["pack", str(demo_master), "--out", str(demo_master.with_name("p.docx"))],
                 ["paper", "board", str(demo_master), "--out",
                  str(demo_master.with_name("b.docx"))]):
        code, text = run(argv, capsys)
        assert code in (0, 1, 2), (argv, text)
        assert "Internal error" not in text
    findings = validate(demo_master)
    assert f"{value}{first}" in set(findings["cell"])
    assert any("not a usable figure" in m for m in findings["message"])


def test_an_os_fault_is_exit_2_not_a_bug(master, capsys, tmp_path):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where a folder should be")
    code, text = run(["returns", "issue", str(master), "--period", PERIOD, "--out",
                      str(blocked / "returns")], capsys)
    assert code == 2 and "Internal error" not in text, text


def test_read_only_master_is_refused(master):
    master.chmod(0o444)
    before = master.read_bytes()
    with pytest.raises(UnusableInput, match="read-only"):
        validate(master, write=True)
    assert master.read_bytes() == before


def test_a_master_behind_a_link_is_written_through_it(master, tmp_path, issued_returns):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "QA_Master.xlsx"
    shutil.move(master, real)
    real.chmod(0o640)
    master.symlink_to(real)
    beside_link = set((master.parent / "backups").glob("QA_Master.backup-*"))
    assert import_returns(master, [filled(issued_returns["police"], 1)]).exit_code == 0
    assert master.is_symlink() and master.resolve() == real
    assert oct(real.stat().st_mode & 0o777) == oct(0o640)
    assert not read_returns(FileStore(real)).df.empty
    # one backup set per workbook, beside the real file (as its lock): not one per path to it
    assert list((shared / "backups").glob("QA_Master.backup-*.xlsx"))
    assert set((master.parent / "backups").glob("QA_Master.backup-*")) == beside_link


def test_the_lock_file_says_who_holds_it(master):
    from qa_xl.workbook.lock import holder, lock_path, master_lock

    with master_lock(master, "qa-xl returns import", say=None):
        assert lock_path(master).exists()
        words = holder(master)
        assert "qa-xl returns import" in words and "process" in words and "since" in words
        with master_lock(master, "nested", say=None):  # re-entrant in one process
            pass
    assert holder(master) == ""
