"""A real xlwings Book without Excel: xlwings' remote engine fed the JSON that the Office.js
client would send for a workbook file (notes §1).

The payload is built from the file with openpyxl (``data_only``, so formula cells carry their
cached values): every sheet's values anchored at A1 with "" for empty cells, numbers as floats
(desktop Excel hands Python floats), dates as ISO strings, the Excel tables and the defined
names. ``XLWINGS_LICENSE_KEY=noncommercial`` must be set before xlwings is imported — conftest
does it — and only for tests: officers run the open-source desktop engine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

ISO = "%Y-%m-%dT%H:%M:%S.000Z"


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.strftime(ISO)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).strftime(ISO)
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def _address(c1: int, r1: int, c2: int, r2: int) -> str:
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"


def _table(ws: Any, table: Any) -> dict[str, Any]:
    c1, r1, c2, r2 = range_boundaries(table.ref)
    header = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
    totals = bool(table.totalsRowCount)
    body_last = r2 - 1 if totals else r2
    return {
        "name": table.name,
        "range_address": _address(c1, r1, c2, r2),
        "header_row_range_address": _address(c1, r1, c2, r1),
        "data_body_range_address": _address(c1, r1 + 1, c2, body_last) if body_last > r1
        else None,
        "total_row_range_address": _address(c1, r2, c2, r2) if totals else None,
        "show_headers": True,
        "show_totals": totals,
        "table_style": table.tableStyleInfo.name if table.tableStyleInfo else "",
        "show_autofilter": table.autoFilter is not None,
        "show_table_style_first_column": False,
        "show_table_style_last_column": False,
        "show_table_style_row_stripes": True,
        "show_table_style_column_stripes": False,
        "columns": [str(h) for h in header],
        "row_count": r2 - r1 + 1,
        "column_count": c2 - c1 + 1,
    }


def payload(path: str | Path, name: str | None = None) -> dict[str, Any]:
    """The Office.js client's book JSON for the workbook at ``path``."""
    path = Path(path)
    book = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in book.worksheets:
        rows = [[_json_value(v) for v in row] for row in ws.iter_rows(
            min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True)]
        sheets.append({
            "name": ws.title,
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
            "values": rows,
            "used_range_address": _address(1, 1, ws.max_column, ws.max_row),
            "tables": [_table(ws, t) for t in ws.tables.values()],
            "pictures": [], "shapes": [], "charts": [], "notes": [], "pivot_tables": [],
        })
    names = []
    for defined in book.defined_names.values():
        for sheet_title, ref in defined.destinations:
            index = book.sheetnames.index(sheet_title)
            names.append({"name": defined.name, "sheet_index": index,
                          "address": ref.replace("$", ""), "book_scope": True,
                          "scope_sheet_index": None, "scope_sheet_name": None,
                          "refers_to": f"={defined.attr_text}"})
    return {
        "client": "Office.js",
        "version": "0.37.8",
        "book": {"name": name or path.name, "active_sheet_index": 0,
                 "selection": "A1", "calculation": "automatic"},
        "names": names,
        "sheets": sheets,
    }


def remote_book(path: str | Path, name: str | None = None) -> Any:
    """An xlwings Book (remote engine) of the workbook file, with a clean range cache."""
    import xlwings as xw

    if "remote" not in [engine.name for engine in xw.engines]:
        raise RuntimeError("xlwings was imported before XLWINGS_LICENSE_KEY was set (see the "
                           "end of tests/conftest.py): its remote engine is missing")
    from xlwings.pro._xlremote import get_range_api

    get_range_api.cache_clear()  # keyed on cell values where 1 == 1.0 == True: leaks between books
    return xw.Book(json=payload(path, name))


def actions(book: Any) -> list[dict[str, Any]]:
    return book.json()["actions"]


def sheet_position(book: Any, sheet: str) -> int:
    return [s.name for s in book.sheets].index(sheet)
