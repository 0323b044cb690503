"""qa-xl new: the workbook contract, data validation, and LibreOffice as the real spreadsheet."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from libreoffice import convert
from qa_xl.core.errors import UnusableInput
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_lists, read_table

CONTRACT_SHEETS = ["Start", "Config", "Partners", "Indicators", "Rollup", "Timetable", "Risks",
                   "Audits", "Voice", "Actions", "ContentAreas", "ImportLog", "Validation",
                   "Lists"]


def test_every_table_of_the_contract_with_its_columns(master, config):
    book = openpyxl.load_workbook(master)
    for sheet in CONTRACT_SHEETS:
        assert sheet in book.sheetnames
    expected = {s.table: (s.sheet, s.names) for s in S.FIXED_TABLES}
    for p in config.partners:
        rs = S.return_schema(p.partner_id)
        expected[rs.table] = (rs.sheet, rs.names)
    found = {}
    for ws in book.worksheets:
        for table in ws.tables.values():
            name = table.name
            header_cells = ws[table.ref][0]
            found[name] = (ws.title, [c.value for c in header_cells])
            assert ws.freeze_panes == f"A{header_cells[0].row + 1}", f"{name} header not frozen"
    assert found == expected


def test_contract_column_names_are_snake_case():
    for s in S.FIXED_TABLES:
        for name in s.names:
            assert name == name.lower() and " " not in name, name


def test_input_columns_have_validation_and_input_messages(master):
    book = openpyxl.load_workbook(master)
    for s in S.FIXED_TABLES:
        if s.owned:
            continue
        ws = book[s.sheet]
        header_row = ws.tables[s.table].ref.split(":")[0]
        first_row = int(header_row.lstrip("A")) + 1
        rules = ws.data_validations.dataValidation
        for i, col in enumerate(s.columns, start=1):
            if col.derived:
                continue
            cell = f"{S.column_letter(i)}{first_row}"
            covering = [dv for dv in rules if cell in dv.sqref]
            assert covering, f"{s.sheet}!{cell} ({col.name}) has no data validation"
            dv = covering[0]
            assert dv.prompt and dv.showInputMessage, f"{col.name} has no input message"
            if col.choices:
                assert dv.type == "list" and dv.formula1 == f"lst_{col.choices}"
            if col.kind == S.INT and col.max == 5:
                assert (dv.type, dv.formula1, dv.formula2) == ("whole", "1", "5")
            if col.kind == S.DATE:
                assert dv.type == "date"


def test_lists_feed_every_dropdown(master):
    store = FileStore(master)
    lists = read_lists(store)
    book = openpyxl.load_workbook(master)
    for s in S.FIXED_TABLES:
        for col in s.columns:
            if col.choices:
                assert lists.get(col.choices), f"list {col.choices} is empty or missing"
                assert f"lst_{col.choices}" in book.defined_names


def test_pre_filled_tables_read_back_typed(master, config):
    store = FileStore(master)
    timetable = read_table(store, S.TIMETABLE)
    assert len(timetable.df) == len(config.qa_programme)
    assert list(timetable.df["activity_id"]) == [a.activity_id for a in config.qa_programme]
    areas = read_table(store, S.CONTENT_AREAS)
    assert len(areas.df) == len(config.content_areas)
    indicators = read_table(store, S.INDICATORS)
    assert str(indicators.df["target"].dtype) == "float64"
    assert not indicators.type_failures


def test_libreoffice_recalculates_every_formula_without_error(master, tmp_path, config):
    out = convert(master, "xlsx", tmp_path / "lo")
    book = openpyxl.load_workbook(out, data_only=True)
    formulas = openpyxl.load_workbook(master)
    checked = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    value = book[ws.title][cell.coordinate].value
                    assert not (isinstance(value, str) and value.startswith("#")), (
                        f"{ws.title}!{cell.coordinate} {cell.value} -> {value}")
                    assert value is not None, f"{ws.title}!{cell.coordinate} not evaluated"
                    checked += 1
    assert checked >= 5
    start = book["Start"]
    counted = {start[f"B{r}"].value: start[f"C{r}"].value for r in range(21, 26)}
    assert counted["Partners"] == len(config.partners)  # recalculated, not a cached value
    assert counted["Indicators"] == len(config.indicators)
    tables = CalamineWorkbook.from_path(str(out), load_tables=True).table_names
    assert "tblRisks" in tables and "tblValidation" in tables


def test_refuses_to_overwrite_without_force(master, config):
    before = master.read_bytes()
    with pytest.raises(UnusableInput, match="already exists"):
        new(master, config)
    assert master.read_bytes() == before
    new(master, config, force=True)
    assert zipfile.is_zipfile(master)


def test_refuses_other_file_types(tmp_path, config):
    with pytest.raises(UnusableInput, match=r"\.xls"):
        new(tmp_path / "x.xls", config)


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path, config):
    import pandas as pd

    frame = pd.DataFrame([["A001", "Multi-agency audit", "=HYPERLINK(\"http://x\",\"y\")",
                           "+4", "Training", "Owner", None, "In progress", "@SUM(1)", None]],
                         columns=S.ACTIONS.names)
    path = new(tmp_path / "m.xlsx", config, data={S.ACTIONS.table: frame})
    ws = openpyxl.load_workbook(path)["Actions"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)
             and c.value[:1] in "=+@"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_same_inputs_same_bytes(tmp_path, config):
    a = new(tmp_path / "a.xlsx", config, secret="1" * 64, workbook_id="x")
    b = new(tmp_path / "b.xlsx", config, secret="1" * 64, workbook_id="x")
    za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
    assert za.namelist() == zb.namelist()
    for name in za.namelist():
        assert za.read(name) == zb.read(name), name


def test_config_sheet_holds_names_settings_and_secret(master, config):
    store = FileStore(master)
    df = read_table(store, S.CONFIG).df.set_index("key")
    assert df.at["partnership", "value"] == config.names["partnership"]
    assert df.at["committee_short", "value"] == config.names["committee_short"]
    assert len(str(df.at["return_secret", "value"])) == 64
    assert Path(master).exists()
