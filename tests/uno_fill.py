"""Fill in an issued form in LibreOffice, as a school or partner without Excel would: the
cells typed through LibreOffice's own API, the file saved by LibreOffice as .xlsx. Runs under
/usr/bin/python3 (UNO does not import in a venv):

    /usr/bin/python3 tests/uno_fill.py FORM.xlsx ANSWERS.json

ANSWERS.json for a self-assessment: {"answers": {question: {column: value}}, "by": "...",
"on": "YYYY-MM-DD"}; for any form's tables: {"sheet": "Return", "tables": [{"header_row": R,
"first_col": C, "key": [column, ...], "rows": {"key|parts": {column: value}}}], "by", "on"}
(header_row and first_col 0-based). Dates as "YYYY-MM-DD" (typed as dates), numbers as
numbers, everything else as text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import uno

from uno_vba import libreoffice_desktop, prop

SHEET = "Assessment"
HEADER_ROW = 6  # 0-based, as the form is written (collect.master.HEADER_ROW)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def put(cell, value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        cell.setValue((dt.date.fromisoformat(value) - EXCEL_EPOCH).days)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.setValue(value)
    elif value is None:
        cell.setString("")
    else:
        cell.setString(str(value))


def fill(desktop, path, spec):
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    try:
        sheet = doc.Sheets.getByName(spec.get("sheet", SHEET))
        tables = spec.get("tables") or [{"header_row": HEADER_ROW, "first_col": 0,
                                         "key": ["question"], "rows": spec["answers"]}]
        for table in tables:
            fill_table(sheet, table)
        put(sheet.getCellByPosition(1, 3), spec["by"])
        put(sheet.getCellByPosition(1, 4), spec["on"])
        doc.storeToURL(url, (prop("FilterName", "Calc MS Excel 2007 XML"),
                             prop("Overwrite", True)))
    finally:
        doc.close(True)


def fill_table(sheet, table):
    """Type into one table, row by row under its header, each row found by its key."""
    top, left = table["header_row"], table["first_col"]
    header = []
    while name := sheet.getCellByPosition(left + len(header), top).getString():
        header.append(name)
    column = {name: left + i for i, name in enumerate(header)}
    row = top + 1
    while sheet.getCellByPosition(column[table["key"][0]], row).getString():
        key = "|".join(sheet.getCellByPosition(column[k], row).getString()
                       for k in table["key"])
        for name, value in table["rows"].get(key, {}).items():
            put(sheet.getCellByPosition(column[name], row), value)
        row += 1


def main():
    path, answers = sys.argv[1], sys.argv[2]
    with open(answers, encoding="utf-8") as handle:
        spec = json.load(handle)
    with libreoffice_desktop() as desktop:
        fill(desktop, path, spec)


if __name__ == "__main__":
    main()
