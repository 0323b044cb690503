"""write_workbook on real files: built with XlsxWriter, edited with openpyxl, read back with
python-calamine, openpyxl and (when installed) LibreOffice. No mocks."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings, strategies as st
from python_calamine import CalamineWorkbook

from libreoffice import convert
from qa_xl.core.errors import DataError, UnusableInput, WorkbookLocked
from qa_xl.workbook.xlsxparts import TableWrite, check_not_locked, write_workbook

HEADER = ["Partner", "Count", "Score", "Due", "Done", "Note"]
ROLLUP = "xl/worksheets/sheet2.xml"  # sheet order: Start, Rollup
TABLE = "xl/tables/table1.xml"
# a real vbaProject.bin: the one in xlwings' quickstart workbook (xlwings is a dependency)
XLWINGS_XLSM = Path(importlib.util.find_spec("xlwings").origin).parent / "quickstart.xlsm"


def sample_rows(n: int, start: int = 0) -> list[list]:
    return [[f"Partner {i}", i, i / 4, dt.date(2026, 1, 1) + dt.timedelta(days=i), i % 2 == 0,
             f"note {i}"] for i in range(start, start + n)]


def make_master(path: Path, n: int = 3, *, vba: bytes | None = None) -> Path:
    """Start sheet (status cells, a formula over the table) and Rollup sheet: tblRollup at
    B2:G(2+n) between cells in columns A and J, a date format on the Due column, a formula in I3."""
    wb = xlsxwriter.Workbook(path)
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    start = wb.add_worksheet("Start")
    start.write("A5", "Status")
    start.write("B5", "Draft")
    start.write_datetime("B6", dt.datetime(2026, 1, 1), wb.add_format({"num_format": "d mmm yy"}))
    start.write_formula("B7", "=COUNTA(tblRollup[Partner])", None, n)
    rollup = wb.add_worksheet("Rollup")
    rollup.set_column("E:E", 12, date)
    rollup.write("A3", "keep-left")
    rollup.write("J3", "keep-right")
    rollup.write_formula("I3", "=C3*2", None, 0)
    rollup.add_table(1, 1, 1 + max(n, 1), 6, {
        "name": "tblRollup", "columns": [{"header": h} for h in HEADER],
        **({"data": sample_rows(n)} if n else {})})
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
        start.insert_button("D2", {"macro": "SampleCall", "caption": "Refresh"})
    wb.close()
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def calamine_table(path: Path, name: str = "tblRollup") -> list[list]:
    return CalamineWorkbook.from_path(path, load_tables=True).get_table_by_name(name).to_python()


def calamine_sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(path).get_sheet_by_name(name).to_python(
        skip_empty_area=False)


def expected_calamine(rows: list[list]) -> list[list]:
    return [[("" if v is None else v) for v in row] for row in rows] or [[""] * len(HEADER)]


# --- 1. rows in, read back by two readers ------------------------------------------------


@pytest.mark.parametrize("n_rows", [6, 2, 0])
def test_table_rows_read_back_exactly(tmp_path: Path, n_rows: int) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx", n=3)
    rows = sample_rows(n_rows, start=10)
    if rows:
        rows[0][5] = '=HYPERLINK("http://x")'
        rows[-1][2] = None
    write_workbook(master, {"tblRollup": TableWrite(HEADER, rows)})

    assert calamine_table(master) == expected_calamine(rows)
    ws = openpyxl.load_workbook(master)["Rollup"]
    assert ws.tables["tblRollup"].ref == f"B2:G{2 + max(n_rows, 1)}"
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=2 + n_rows,
                                                          min_col=2, max_col=7)]
    want = [[dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v for v in row]
            for row in rows]
    assert got == want
    if rows:
        assert (ws["G3"].value, ws["G3"].data_type) == ('=HYPERLINK("http://x")', "s")
    assert ws["E3"].number_format == "dd/mm/yyyy" or not rows
    assert (ws["A3"].value, ws["J3"].value, ws["I3"].value) == ("keep-left", "keep-right", "=C3*2")
    assert ws.max_row == max(3, 2 + n_rows)  # rows past the table are gone, dimension shrinks


def test_grow_then_shrink_then_empty_same_file(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx", n=3)
    for n in (7, 2, 0, 4):
        rows = sample_rows(n, start=n)
        write_workbook(master, {"tblRollup": TableWrite(HEADER, rows)}, backup=False)
        assert calamine_table(master) == expected_calamine(rows)
    sheet = members(master)[ROLLUP].decode()
    assert re.search(r'<dimension ref="A2:J6"/>', sheet)
    assert "<f>C3*2</f>" in sheet


def test_single_cells_keep_style_and_go_in_order(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    when = dt.datetime(2026, 11, 25, 18, 15)
    write_workbook(master, cells={"Start": {"B5": "Validated", "B6": when, "C1": 1.5,
                                            "A9": True, "A6": None}})
    ws = openpyxl.load_workbook(master)["Start"]
    assert (ws["B5"].value, ws["B6"].value, ws["C1"].value, ws["A9"].value) == (
        "Validated", when, 1.5, True)
    assert ws["B6"].number_format == "d mmm yy"
    sheet = calamine_sheet(master, "Start")
    assert sheet[0][2] == 1.5 and sheet[5][1] == when
    xml = members(master)["xl/worksheets/sheet1.xml"].decode()
    assert [int(r) for r in re.findall(r'<row r="(\d+)"', xml)] == [1, 5, 6, 7, 9]


def test_text_is_escaped_and_cleaned(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    nasty = "a\x01b <&> \"q\" \r\n tab\t _x0041_ é ✓"
    write_workbook(master, cells={"Start": {"B5": nasty, "B8": "", "B9": "@cmd", "B10": "-1+2"}})
    sheet = calamine_sheet(master, "Start")
    assert sheet[4][1] == nasty.replace("\x01", "")
    assert len(sheet) == 10 and sheet[7][1] == "" and sheet[8][1] == "@cmd"
    ws = openpyxl.load_workbook(master)["Start"]
    assert ws["B8"].value is None and ws["B10"].data_type == "s"


_LEGAL_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters=[
    *map(chr, range(32)), "\ufffe", "\uffff"]) | st.sampled_from("\t\n\r"), min_size=1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_LEGAL_TEXT, st.integers(-2**53, 2**53),
                          st.floats(allow_nan=False, allow_infinity=False)), max_size=8))
def test_round_trip_of_any_text_and_number(rows: list[tuple[str, int, float]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        wb = xlsxwriter.Workbook(path)
        wb.add_worksheet("S").add_table("A1:C2", {"name": "t", "columns": [
            {"header": h} for h in "abc"]})
        wb.close()
        write_workbook(path, {"t": TableWrite(list("abc"), [list(row) for row in rows])},
                       backup=False)
        assert calamine_table(path, "t") == ([list(row) for row in rows] or [["", "", ""]])


def test_date_1904_workbook(tmp_path: Path) -> None:
    path = tmp_path / "Mac.xlsx"
    wb = xlsxwriter.Workbook(path, {"date_1904": True})
    ws = wb.add_worksheet("S")
    ws.set_column("B:B", 12, wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.add_table("A1:B2", {"name": "t", "columns": [{"header": "x"}, {"header": "d"}]})
    wb.close()
    rows = [["a", dt.date(2026, 3, 4)], ["b", dt.datetime(2026, 3, 4, 12, 30)]]
    write_workbook(path, {"t": TableWrite(["x", "d"], rows)})
    assert calamine_table(path, "t") == rows
    assert openpyxl.load_workbook(path)["S"]["B2"].value == dt.datetime(2026, 3, 4)


# --- 2. what officers add in Excel survives ------------------------------------------------


def officer_edits(master: Path, tmp_path: Path) -> None:
    """What an officer might add: a chart, a picture, a comment, a conditional format, a sheet."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from PIL import Image as PILImage

    png = tmp_path / "logo.png"
    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(png)
    wb = openpyxl.load_workbook(master)
    ws = wb["Rollup"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=2, max_row=5), titles_from_data=True)
    ws.add_chart(chart, "L2")
    ws.add_image(Image(str(png)), "L20")
    ws["J3"].comment = Comment("checked by QA", "Officer")
    ws.conditional_formatting.add("C3:C50", CellIsRule(operator="greaterThan", formula=["2"],
                                                      fill=PatternFill("solid", "FFC7CE")))
    wb.create_sheet("Officer notes")["A1"] = "my notes"
    wb.save(master)


def test_officer_additions_are_kept_byte_for_byte(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx", n=3)
    officer_edits(master, tmp_path)
    before = members(master)
    rows = sample_rows(5)
    write_workbook(master, {"tblRollup": TableWrite(HEADER, rows)})
    after = members(master)

    assert list(after) == list(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {ROLLUP, TABLE}
    sheet = after[ROLLUP].decode()
    for element in ("<drawing ", "<legacyDrawing ", "<conditionalFormatting "):
        assert element in sheet
    ws = openpyxl.load_workbook(master)["Rollup"]
    assert (ws["A3"].value, ws["J3"].value, ws["J3"].comment.text) == (
        "keep-left", "keep-right", "checked by QA")
    assert calamine_table(master) == expected_calamine(rows)


# --- 3. .xlsm with a VBA project and a button -----------------------------------------------


def test_xlsm_vba_and_button_untouched(tmp_path: Path) -> None:
    with zipfile.ZipFile(XLWINGS_XLSM) as z:
        vba = z.read("xl/vbaProject.bin")
    master = make_master(tmp_path / "QA_Master.xlsm", vba=vba)
    before = members(master)
    assert any("vmlDrawing" in name for name in before)
    rows = sample_rows(4)
    write_workbook(master, {"tblRollup": TableWrite(HEADER, rows)},
                   cells={"Start": {"B5": "Validated"}})
    after = members(master)
    assert after["xl/vbaProject.bin"] == vba
    for name in before:
        if name not in {ROLLUP, TABLE, "xl/worksheets/sheet1.xml"}:
            assert after[name] == before[name], name
    assert "<legacyDrawing " in after["xl/worksheets/sheet1.xml"].decode()
    assert openpyxl.load_workbook(master, keep_vba=True)["Start"]["B5"].value == "Validated"
    assert calamine_table(master) == expected_calamine(rows)


# --- 4. refusals leave the master byte-identical --------------------------------------------


def assert_untouched(master: Path, original: bytes) -> None:
    assert master.read_bytes() == original
    leftovers = [p.name for p in master.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert not (master.parent / "backups").exists()


@pytest.mark.parametrize("lock_name", ["~$QA_Master.xlsx", ".~lock.QA_Master.xlsx#"])
def test_locked_workbook(tmp_path: Path, lock_name: str) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    original = master.read_bytes()
    (tmp_path / lock_name).write_text("owner")
    with pytest.raises(WorkbookLocked) as caught:
        write_workbook(master, {"tblRollup": TableWrite(HEADER, sample_rows(2))})
    assert caught.value.exit_code == 2
    program = "Excel" if lock_name.startswith("~$") else "LibreOffice"
    assert f"close the workbook in {program}" in str(caught.value)
    assert lock_name in str(caught.value)
    with pytest.raises(WorkbookLocked):
        check_not_locked(master)
    assert_untouched(master, original)


@pytest.mark.parametrize(
    ("tables", "cells", "expect"),
    [
        ({"tblMissing": TableWrite(HEADER, [])}, None, "no table named 'tblMissing'"),
        ({"tblRollup": TableWrite(["Partner", "Count"], [])}, None, "has the columns"),
        ({"tblRollup": TableWrite([*HEADER[:-1], "Notes"], [])}, None, "has the columns"),
        (None, {"NoSuchSheet": {"A1": 1}}, "no sheet named 'NoSuchSheet'"),
        ({"tblRollup": TableWrite(HEADER, sample_rows(12))}, None, "table needs this row"),
    ],
)
def test_unusable_requests(tmp_path: Path, tables, cells, expect: str) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx", n=3)
    if "needs this row" in expect:  # something typed below the table, in its columns
        write_workbook(master, cells={"Rollup": {"D12": "typed by an officer"}}, backup=False)
    original = master.read_bytes()
    with pytest.raises(UnusableInput) as caught:
        write_workbook(master, tables, cells)
    assert expect in str(caught.value) and str(master) in str(caught.value)
    assert caught.value.exit_code == 2 and caught.value.file == str(master)
    assert_untouched(master, original)


@pytest.mark.parametrize(("options", "rows", "expect"), [
    ({"total_row": True}, 2, "a totals row"),
    ({"header_row": False}, 2, "hidden header row"),
    ({}, 12, "in the way of table 'tblRollup'"),  # tblLow below it is in the way
])
def test_tables_that_cannot_be_written(tmp_path: Path, options: dict, rows: int,
                                       expect: str) -> None:
    master = tmp_path / "QA_Master.xlsx"
    wb = xlsxwriter.Workbook(master)
    ws = wb.add_worksheet("Rollup")
    columns = [{"header": h} for h in HEADER]
    ws.add_table("B2:G5", {"name": "tblRollup", "columns": columns, **options})
    ws.add_table("B10:C11", {"name": "tblLow", "columns": columns[:2]})
    wb.close()
    original = master.read_bytes()
    with pytest.raises(UnusableInput, match=re.escape(expect)):
        write_workbook(master, {"tblRollup": TableWrite(HEADER, sample_rows(rows))})
    assert_untouched(master, original)


def test_bad_values_are_data_errors(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    original = master.read_bytes()
    with pytest.raises(DataError) as caught:
        write_workbook(master, cells={"Start": {"C3": float("inf")}})
    assert (caught.value.exit_code, caught.value.sheet, caught.value.cell) == (1, "Start", "C3")
    with pytest.raises(DataError):
        write_workbook(master, cells={"Start": {"C3": "x" * 40000}})
    assert_untouched(master, original)


@pytest.mark.parametrize("content", [b"not a workbook", b"", b"PK\x03\x04broken"])
def test_not_a_zip(tmp_path: Path, content: bytes) -> None:
    master = tmp_path / "QA_Master.xlsx"
    master.write_bytes(content)
    with pytest.raises(UnusableInput, match=r"not an \.xlsx/\.xlsm workbook"):
        write_workbook(master, {"tblRollup": TableWrite(HEADER, [])})
    assert_untouched(master, content)


def test_damaged_part(tmp_path: Path) -> None:
    master = rewrite_zip(make_master(tmp_path / "QA_Master.xlsx"),
                         {TABLE: b"<table><oops></table>"})
    original = master.read_bytes()
    with pytest.raises(UnusableInput, match=r"part xl/tables/table1\.xml is damaged"):
        write_workbook(master, {"tblRollup": TableWrite(HEADER, [])})
    assert_untouched(master, original)


def test_backups_are_kept_and_pruned(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    versions = []
    for i in range(5):
        versions.append(master.read_bytes())
        saved = write_workbook(master, {"tblRollup": TableWrite(HEADER, sample_rows(i + 1))},
                               keep_backups=3)
        assert saved is not None and saved.parent == tmp_path / "backups"
        assert saved.read_bytes() == versions[-1]
        assert re.fullmatch(r"QA_Master\.backup-\d{8}-\d{6}(-\d+)?\.xlsx", saved.name)
    kept = sorted((tmp_path / "backups").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert len(kept) == 3
    assert {p.read_bytes() for p in kept} == set(versions[-3:])
    assert write_workbook(master, cells={"Start": {"B5": "x"}}, backup=False) is None
    assert len(list((tmp_path / "backups").iterdir())) == 3
    assert oct(master.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- 5. formulas overwritten: calcChain goes, consistently -----------------------------------


def rewrite_zip(path: Path, replace: dict[str, bytes]) -> Path:
    """Rewrite a package with some members replaced or added (added ones go last)."""
    old = members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {**old, **replace}.items():
            z.writestr(name, data)
    return path


def with_calc_chain(path: Path) -> Path:
    """Give the master the calcChain Excel writes on save (XlsxWriter writes none)."""
    parts = members(path)
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    types = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    chain = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="'
             b'http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<c r="B7" i="1"/><c r="I3" i="2"/></calcChain>')
    return rewrite_zip(path, {"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types,
                              "xl/calcChain.xml": chain})


def test_formula_overwritten_drops_calc_chain(tmp_path: Path) -> None:
    master = with_calc_chain(make_master(tmp_path / "QA_Master.xlsx"))
    write_workbook(master, cells={"Rollup": {"I3": 5}})
    after = members(master)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert openpyxl.load_workbook(master)["Rollup"]["I3"].value == 5
    assert calamine_sheet(master, "Rollup")[2][8] == 5


def test_calc_chain_kept_when_no_formula_is_touched(tmp_path: Path) -> None:
    master = with_calc_chain(make_master(tmp_path / "QA_Master.xlsx"))
    before = members(master)
    write_workbook(master, {"tblRollup": TableWrite(HEADER, sample_rows(9))})
    after = members(master)
    assert after["xl/calcChain.xml"] == before["xl/calcChain.xml"]
    assert {n for n in before if before[n] != after[n]} == {ROLLUP, TABLE}


def test_excel_saved_workbook_is_recalculated_on_open(tmp_path: Path) -> None:
    """Excel drops fullCalcOnLoad when it saves; formulas over the new rows must not stay stale."""
    master = make_master(tmp_path / "QA_Master.xlsx")
    book = members(master)["xl/workbook.xml"]
    master = rewrite_zip(master, {"xl/workbook.xml": book.replace(b' fullCalcOnLoad="1"', b"")})
    write_workbook(master, {"tblRollup": TableWrite(HEADER, sample_rows(2))})
    assert b'fullCalcOnLoad="1"' in members(master)["xl/workbook.xml"]


def test_shared_formula_is_not_cut_in_two(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx")
    sheet = members(master)[ROLLUP].replace(
        b"<f>C3*2</f>", b'<f t="shared" ref="I3:I5" si="0">C3*2</f>')
    master = rewrite_zip(master, {ROLLUP: sheet})
    original = master.read_bytes()
    with pytest.raises(UnusableInput) as caught:
        write_workbook(master, cells={"Rollup": {"I3": 1}})
    assert caught.value.cell == "I3" and "shares" in str(caught.value)
    assert_untouched(master, original)


# --- 6. LibreOffice opens the result ---------------------------------------------------------


def libreoffice_convert(master: Path, out: Path) -> Path:
    """Open `master` in LibreOffice headless (fresh profile) and save it again as .xlsx."""
    return convert(master, "xlsx", out)


@pytest.mark.libreoffice
def test_libreoffice_opens_written_workbook(tmp_path: Path) -> None:
    master = make_master(tmp_path / "QA_Master.xlsx", n=3)
    rows = sample_rows(5, start=20)
    write_workbook(master, {"tblRollup": TableWrite(HEADER, rows)}, cells={"Start": {"B5": "OK"}})
    converted = libreoffice_convert(master, tmp_path / "converted")
    rollup = calamine_sheet(converted, "Rollup")
    assert [row[1:7] for row in rollup[2:7]] == expected_calamine(rows)
    assert rollup[2][8] == 40  # I3 =C3*2 beside the table, over the new value
    start = calamine_sheet(converted, "Start")
    assert start[4][1] == "OK"
    assert start[6][1] == 5  # COUNTA(tblRollup[Partner]) sees the table's new extent
