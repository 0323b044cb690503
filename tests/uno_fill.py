"""Fill in an issued self-assessment form in LibreOffice, as a school without Excel would:
the cells typed through LibreOffice's own API, the file saved by LibreOffice as .xlsx. Runs
under /usr/bin/python3 (UNO does not import in a venv):

    /usr/bin/python3 tests/uno_fill.py FORM.xlsx ANSWERS.json

ANSWERS.json: {"answers": {question: {column: value}}, "by": "...", "on": "YYYY-MM-DD"};
dates as "YYYY-MM-DD" (typed as dates), everything else as text.
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
    elif value is None:
        cell.setString("")
    else:
        cell.setString(str(value))


def fill(desktop, path, spec):
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    try:
        sheet = doc.Sheets.getByName(SHEET)
        header = [sheet.getCellByPosition(c, HEADER_ROW).getString() for c in range(11)]
        column = {name: i for i, name in enumerate(header)}
        row = HEADER_ROW + 1
        while sheet.getCellByPosition(column["question"], row).getString():
            question = sheet.getCellByPosition(column["question"], row).getString()
            for name, value in spec["answers"].get(question, {}).items():
                put(sheet.getCellByPosition(column[name], row), value)
            row += 1
        put(sheet.getCellByPosition(1, 3), spec["by"])
        put(sheet.getCellByPosition(1, 4), spec["on"])
        doc.storeToURL(url, (prop("FilterName", "Calc MS Excel 2007 XML"),
                             prop("Overwrite", True)))
    finally:
        doc.close(True)


def main():
    path, answers = sys.argv[1], sys.argv[2]
    with open(answers, encoding="utf-8") as handle:
        spec = json.load(handle)
    with libreoffice_desktop() as desktop:
        fill(desktop, path, spec)


if __name__ == "__main__":
    main()
