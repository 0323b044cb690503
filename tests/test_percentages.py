"""Percentages as people read and type them: 0.908 is shown as 90.8% in the issued return, on
the Rollup sheet and in the Indicators' targets — checked in LibreOffice's own rendering — while
what is stored stays the fraction."""

from __future__ import annotations

import datetime as dt
import subprocess

import openpyxl
import pytest

from libreoffice import convert
from qa_xl.collect.consolidate import rollup
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.example import fill_return
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns
from test_returns import PERIOD, figures_for


@pytest.fixture
def police(master, tmp_path):
    files = issue_returns(master, PERIOD, tmp_path / "returns", ["police"])
    return files[0]


def _rows(path):
    ws = openpyxl.load_workbook(path)["Return"]
    first = int(ws.tables["tblReturn"].ref.split(":")[0][1:]) + 1
    names = S.ISSUED_RETURN.names
    return ws, first, names


def test_a_percentage_row_is_formatted_as_a_percentage_in_the_return(police):
    ws, first, names = _rows(police)
    unit, value, previous, numerator = (names.index(c) + 1 for c in (
        "unit", "value", "previous_value", "numerator"))
    seen = set()
    for r in range(first, ws.max_row + 1):
        kind = ws.cell(r, unit).value
        if kind is None:
            continue
        shown = ws.cell(r, value).number_format
        assert (shown == "0.0%") == (kind == "Percentage"), (r, kind, shown)
        assert (ws.cell(r, previous).number_format == "0.0%") == (kind == "Percentage")
        assert ws.cell(r, numerator).number_format != "0.0%"  # the parts stay counts
        seen.add(kind)
    assert "Percentage" in seen and len(seen) > 1


@pytest.mark.libreoffice
def test_libreoffice_shows_a_stored_fraction_as_a_percentage(master, police, tmp_path):
    ws, first, names = _rows(police)
    unit = names.index("unit") + 1
    rows = [(r, ws.cell(r, 2).value) for r in range(first, ws.max_row + 1)
            if ws.cell(r, unit).value == "Percentage"]
    figures = figures_for(police, 1)  # every row, then the percentages typed as 90.8%
    figures.update({(PERIOD, ind): {"value": 0.908, "numerator": 227, "denominator": 250,
                                    "commentary": "Checked."} for _, ind in rows})
    fill_return(police, figures, "DI Jones", dt.date(2026, 7, 20))
    pdf = convert(police, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "90.8%" in text
    # What is imported stays the fraction, and the Rollup sheet shows it as a percentage.
    report = import_returns(master, [police])
    assert report.exit_code == 0, report.lines()
    stored = read_returns(FileStore(master)).df
    assert 0.908 in set(stored["value"].round(3))
    rollup(master)
    pdf = convert(master, "pdf", tmp_path / "master")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "90.8%" in text
