"""The live-Excel back end: the :class:`qa_xl.workbook.store.Store` interface over an open
xlwings Book, the twin of :class:`qa_xl.workbook.filestore.FileStore`.

Every call to Excel is a round trip (a COM or AppleScript call on the desktop, an action for
Office.js), so the store reads the whole book in one go (:mod:`qa_xl.excel.book_reads`) and
writes each result table in one range write; it never loops over cells. This is the only layer
that imports xlwings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import xlwings as xw

from qa_xl.core.errors import DataError
from qa_xl.excel.book_reads import Reads, book_reads
from qa_xl.workbook.build import CONDITIONAL_FILLS
from qa_xl.workbook.schema import RawTable, column_letter, schema_for
from qa_xl.workbook.store import (
    START_SHEET,
    STATUS_CELLS,
    RowsWrite,
    frame_rows,
    grown_header,
    row_plan,
)

FILLS = CONDITIONAL_FILLS["severity"]  # Error red, Warning amber: as the Validation sheet
MAC_MAX_CELL_CALLS = 300  # Excel for Mac has no multi-area ranges: one call per cell, bounded
WINDOWS_MAX_ADDRESS = 250  # Range("A1,B2,…") takes an address of up to 255 characters
OFFICEJS_MAX_CELLS = 10_000  # Range.set_colors() takes at most 10,000 cells per call
CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_EXCEL_WOULD_CONVERT = re.compile(
    r"^\s*([=+\-@]|[0-9.,]+\s*%?\s*$|\d{1,4}[/-]\d{1,2}([/-]\d{1,4})?\s*$|(true|false)\s*$)",
    re.IGNORECASE)




# ------------------------------------------------------------------------------ the back end

class LiveStore:
    """The :class:`qa_xl.workbook.store.Store` interface over an open xlwings Book.

    Reads: the whole book in one go, once a run (:func:`book_reads`: the book's payload on
    Office.js and the remote engine, one saved copy on desktop Excel for Windows); a table
    written in the run is read again from Excel. Writes: per result table at most three calls
    (resize the table, clear rows it no longer has, set the values), one per derived column
    and one per block of cells. Works on every xlwings engine: the desktop one officers use
    and the remote one the tests use.
    """

    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.label = book.name
        fullname = Path(str(book.fullname))
        if fullname.is_absolute():  # a local file (not OneDrive/SharePoint, not Office.js)
            self.path = fullname
        self._engine = book.app.engine
        self.engine = self._engine.name
        self._reads: Reads | None = None
        self._tables: dict[str, str] = {}  # table name -> sheet name, once read
        self._sheet_list: list[str] = []
        self._raw: dict[str, RawTable] = {}
        self._written: set[str] = set()  # tables Excel holds other rows of now
        self._sheets: dict[str, Any] = {}  # sheet name -> xw.Sheet, looked up once
        self._book_sheets: Any = None  # the book's sheets collection, asked for once
        self._table_objects: dict[str, Any] = {}
        self.status_written = False

    # -- reading
    @property
    def reads(self) -> Reads:
        """The whole book as it was when the button was pressed, read once."""
        if self._reads is None:
            self._reads = book_reads(self.book, self.engine, self._engine, self.label)
            self._sheet_list = self._reads.sheet_names()
            self._tables = {name: self._reads.table_sheet(name)
                            for name in self._reads.table_names()}
        return self._reads

    def sheet_names(self) -> list[str]:
        self.reads  # noqa: B018 -- reads the book once
        return list(self._sheet_list)

    def table_names(self) -> list[str]:
        self.reads  # noqa: B018
        return list(self._tables)

    def _sheet(self, name: str) -> Any:
        """A sheet's object, one call the first time (the book's sheets collection is asked
        for once a run, not once a sheet: an import writes one sheet per partner)."""
        if name not in self._sheets:
            if self._book_sheets is None:
                self._book_sheets = self.book.sheets
            self._sheets[name] = self._book_sheets[name]
        return self._sheets[name]

    def _table_sheet(self, name: str) -> Any:
        """The sheet holding a table (its xlwings object: no call until it is used)."""
        self.table_names()
        return self._sheet(self._tables[name])

    def _table(self, name: str) -> Any:
        """The table's own object, looked up (two calls) only when it must be resized."""
        if name not in self._table_objects:
            self._table_objects[name] = self._table_sheet(name).tables[name]
        return self._table_objects[name]

    def read_raw(self, table: str) -> RawTable:
        if table not in self._raw:
            if table in self._written:  # Excel has other rows now: read them from it
                rng = self._table(table).range
                values = rng.options(ndim=2).value  # header and body: one read
                header = ["" if h is None else str(h) for h in values[0]]
                self._raw[table] = RawTable(table, self._tables[table], header,
                                            [list(r) for r in values[1:]],
                                            first_row=rng.row, first_col=rng.column)
            else:
                self._raw[table] = self.reads.read_raw(table)
        return self._raw[table]

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Nothing to report: Excel refuses to merge cells inside a table (ListObject), and
        tables are all qa_xl reads. (A file edited by other tools is checked by FileStore.)"""
        return []

    def rows_below(self, raw: RawTable) -> list[int]:
        """Excel extends a table when a row is typed under it, but a workbook last saved by
        LibreOffice or Google Sheets can hold rows outside: the rows under each table, as the
        book was read."""
        return self.reads.rows_below(raw)

    def formula_cells(self, sheet: str) -> dict[str, str]:
        """The formulas where the book's read has them (desktop Excel's saved copy); Office.js
        does not send formulas with the book (nothing to report there)."""
        return self.reads.formula_cells(sheet)

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        return self.reads.sheet_values(sheet)

    # -- writing
    def write(self, tables: dict[str, pd.DataFrame],
              cells: dict[str, dict[str, Any]] | None = None,
              columns: dict[str, pd.DataFrame] | None = None,
              rows: dict[str, RowsWrite] | None = None) -> None:
        """Whole tables, single cells, (``columns``, frames indexed by sheet row) only some
        columns of a table, and (``rows``) only some rows — each table, column, run of rows or
        block of cells in one call."""
        for name, df in (columns or {}).items():
            self._write_columns(name, df)
        for name, change in (rows or {}).items():
            self._write_rows(name, change)
        for name, df in tables.items():
            self._write_table(name, df)
        for sheet, values in (cells or {}).items():
            if sheet in self.sheet_names():
                self._write_cells(sheet, values)
                if sheet == START_SHEET and set(STATUS_CELLS.values()) <= set(values):
                    self.status_written = True

    def _write_table(self, name: str, df: pd.DataFrame) -> None:
        if name not in self.table_names() and schema_for(name).added:
            self._add_table_sheet(name)
        raw = self.read_raw(name)  # the actual header order, and how many rows it had
        sheet = self._table_sheet(name)
        rows = [[excel_value(v) for v in row] for row in frame_rows(df, schema_for(name),
                                                                    raw.header)]
        top, left, width = raw.first_row, raw.first_col, len(raw.header)
        old, new = max(len(raw.rows), 1), max(len(rows), 1)  # a table keeps one body row
        if new != old:
            self._table(name).resize(sheet.range((top, left), (top + new, left + width - 1)))
        if old > new:
            sheet.range((top + new + 1, left), (top + old, left + width - 1)).clear_contents()
        if rows:
            self._put(sheet, top + 1, left, rows)
        else:
            sheet.range((top + 1, left), (top + 1, left + width - 1)).clear_contents()
        self._forget(name)

    def _put(self, sheet: Any, top: int, left: int, rows: list[list[Any]]) -> None:
        """Rows of values into the block they fill, from (top, left): two calls (the range,
        its values). xlwings' ``Range.value`` would resize the range first, which costs a
        dozen more round trips (it compares sheets, books and apps); the values are made
        ready for Excel by the engine's own converter instead, as ``.value`` would."""
        prepare = self._engine.impl.prepare_xl_data_element
        width = max(len(row) for row in rows)
        sheet.range((top, left), (top + len(rows) - 1, left + width - 1)).raw_value = [
            [prepare(v, {}) for v in row] + [""] * (width - len(row)) for row in rows]

    def _forget(self, name: str) -> None:
        """Excel has the new rows now (the remote engine only queues them): a later read in
        this run asks Excel for the table again."""
        self._raw.pop(name, None)
        self._written.add(name)

    def _add_table_sheet(self, name: str) -> None:
        """A workbook made before qa_xl had this table: its sheet, laid out as qa_xl lays out
        every table sheet, added after the last (four calls: the sheet, its words, the
        table)."""
        schema = schema_for(name)
        after = self._sheet(self._sheet_list[-1])
        sheet = self._book_sheets.add(name=schema.sheet, after=after)
        self._sheets[schema.sheet] = sheet
        self._sheet_list.append(schema.sheet)
        self._put(sheet, 1, 1, [[schema.title], [schema.intro], [None]])
        self._put(sheet, 3, 1, [schema.names])
        self._table_objects[name] = sheet.tables.add(
            source=sheet.range((3, 1), (4, len(schema.names))), name=name, has_headers=True,
            table_style_name="TableStyleLight9")
        self._tables[name] = schema.sheet
        self._raw[name] = RawTable(name, schema.sheet, schema.names, [[None] * len(
            schema.names)], first_row=3, first_col=1)

    def _write_rows(self, name: str, change: RowsWrite) -> None:
        """Only the rows that change: the new rows where the removed ones were and after the
        last, and any row the plan moves (:func:`qa_xl.workbook.store.row_plan`); every other
        row is not touched, so what Excel holds there stays exactly as it is."""
        raw = self.read_raw(name)
        sheet = self._table_sheet(name)
        for column in grown_header(raw.header, schema_for(name), change)[len(raw.header):]:
            self._append_column(sheet, raw, len(raw.header), column)  # qa_xl keeps it now
            raw = replace(raw, header=[*raw.header, column])
        top, left, width = raw.first_row, raw.first_col, len(raw.header)
        height = len(raw.rows)
        if height == 1 and all(v in (None, "") for v in raw.rows[0]):
            height = 0  # an empty table's one blank row
        plan = row_plan(top + 1, height, set(change.remove),
                        frame_rows(change.add, schema_for(name), raw.header))
        writes: dict[int, list[Any]] = {}
        for dest, item in enumerate(plan, start=top + 1):
            if isinstance(item, int):
                if item != dest:  # a kept row moved up into a gap
                    self._refuse_moving_formulas(sheet, item, left, width)
                    writes[dest] = list(raw.rows[item - top - 1])
            else:
                writes[dest] = item
        old, new = max(height, 1), max(len(plan), 1)
        if new != old:
            self._table(name).resize(sheet.range((top, left), (top + new, left + width - 1)))
        if old > new:
            sheet.range((top + new + 1, left), (top + old, left + width - 1)).clear_contents()
        run: list[int] = []
        for dest in [*sorted(writes), None]:  # one write per run of consecutive rows
            if run and (dest is None or dest != run[-1] + 1):
                self._put(sheet, run[0], left, [[excel_value(v) for v in writes[r]]
                                                for r in run])
                run = []
            if dest is not None:
                run.append(dest)
        self._forget(name)

    @staticmethod
    def _refuse_moving_formulas(sheet: Any, row: int, left: int, width: int) -> None:
        """A formula in a row that must move would point elsewhere once moved: refused where
        the engine can see formulas (desktop Excel); Office.js does not send them."""
        try:
            formulas = sheet.range((row, left), (row, left + width - 1)).options(
                ndim=2).formula
        except NotImplementedError:
            return
        for j, text in enumerate(formulas[0] if formulas else ()):
            if isinstance(text, str) and text.startswith("="):
                raise DataError("the cell holds a formula in a row qa_xl would have to move "
                                "to another row of the table", sheet=sheet.name,
                                cell=f"{column_letter(left + j)}{row}",
                                action="type its value instead of the formula (or move the "
                                "formula out of the table) and try again")

    def _write_columns(self, name: str, df: pd.DataFrame) -> None:
        """Derived columns (a risk's score, an activity's next due date): one write per column
        over the table's body; the columns officers type in are not touched."""
        raw = self.read_raw(name)
        if not raw.rows:
            return
        sheet = self._table_sheet(name)
        first = raw.first_row + 1
        rows = frame_rows(df.reindex(range(first, first + len(raw.rows))), schema_for(name),
                          list(df.columns))
        header = list(raw.header)
        for column in df.columns:
            if column not in header:  # a workbook made before qa_xl derived it
                self._append_column(sheet, raw, len(header), column)
                header.append(column)
        for j, column in enumerate(df.columns):
            left = raw.first_col + header.index(column)
            self._put(sheet, first, left, [[excel_value(r[j])] for r in rows])

    def _append_column(self, sheet: Any, raw: RawTable, width: int, column: str) -> None:
        """The table one column wider, its new header ``column``; refused when the column to
        its right holds anything (two calls: read it, resize and name it)."""
        top, right = raw.first_row, raw.first_col + width
        bottom = top + max(len(raw.rows), 1)
        held = sheet.range((top, right), (bottom, right)).options(ndim=2).value or []
        for i, (value,) in enumerate(held):
            if value not in (None, ""):
                raise DataError(f"the cell right of table {raw.name} is not empty, but qa_xl "
                                f"adds its column {column!r} there", sheet=sheet.name,
                                cell=f"{column_letter(right)}{top + i}", action="move what is "
                                "there one column further right and try again")
        self._table(raw.name).resize(sheet.range((top, raw.first_col), (bottom, right)))
        self._put(sheet, top, right, [[column]])

    def _write_cells(self, sheet: str, values: dict[str, Any]) -> None:
        """One write for a block of cells that fills a rectangle (the status cells), else one
        per cell (a handful)."""
        where = {cell: _coordinates(cell) for cell in values}
        rows = sorted({r for r, _ in where.values()})
        cols = sorted({c for _, c in where.values()})
        ws = self._sheet(sheet)
        if len(where) == len(rows) * len(cols) and rows == list(range(rows[0], rows[-1] + 1)) \
                and cols == list(range(cols[0], cols[-1] + 1)):
            grid = {rc: excel_value(values[cell]) for cell, rc in where.items()}
            self._put(ws, rows[0], cols[0], [[grid[(r, c)] for c in cols] for r in rows])
            return
        for cell, value in values.items():
            self._put(ws, *where[cell], [[excel_value(value)]])

    # -- marking cells
    def mark(self, colours: dict[str, dict[str, str | None]]) -> None:
        """Fill cells, sheet by sheet: {sheet: {cell: "#RRGGBB" or None for no fill}}, in as
        few calls as the engine allows."""
        budget = MAC_MAX_CELL_CALLS
        for sheet, cells in colours.items():
            if not cells or sheet not in self.sheet_names():
                continue
            ws = self._sheet(sheet)
            if self.engine in ("remote", "officejs"):
                _mark_block(ws, cells)
            elif sys.platform == "win32":
                for colour, address in _union_addresses(cells):
                    ws.range(address).color = colour
            else:
                for cell, colour in list(cells.items())[:budget]:
                    ws.range(cell).color = colour
                budget = max(0, budget - len(cells))

    def derived_cell(self, sheet: str, cell: str) -> bool:
        """Is the cell in a derived (grey) column of a table read in this run?"""
        row, col = _coordinates(cell)
        for raw in self._raw.values():
            if raw.sheet == sheet and raw.first_col <= col < raw.first_col + len(raw.header):
                name = raw.header[col - raw.first_col]
                try:
                    return schema_for(raw.name).column(name).derived and row > raw.first_row
                except KeyError:
                    return False
        return False


def excel_value(value: Any) -> Any:
    """A value as Excel should receive it: text that Excel would turn into a formula, number,
    date or TRUE/FALSE keeps a leading apostrophe (Excel's "this is text" prefix)."""
    if isinstance(value, str) and _EXCEL_WOULD_CONVERT.match(value):
        return "'" + value
    return value


def _coordinates(cell: str) -> tuple[int, int]:
    match = CELL.match(cell.strip().upper())
    if not match:
        raise ValueError(f"not a single cell: {cell!r}")
    letters, row = match.groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(row), col


def _mark_block(ws: Any, cells: dict[str, str | None]) -> None:
    """Office.js: one set_colors call over the block holding the cells ('...' keeps a cell's
    fill), in bands of rows when the block is over 10,000 cells."""
    where = {_coordinates(c): colour for c, colour in cells.items()}
    top = min(r for r, _ in where)
    bottom = max(r for r, _ in where)
    left = min(c for _, c in where)
    right = max(c for _, c in where)
    band = max(1, OFFICEJS_MAX_CELLS // (right - left + 1))
    for first in range(top, bottom + 1, band):
        last = min(bottom, first + band - 1)
        rows = [[where.get((r, c), ...) for c in range(left, right + 1)]
                for r in range(first, last + 1)]
        if any(v is not ... for row in rows for v in row):
            ws.range((first, left), (last, right)).set_colors(rows)


def _union_addresses(cells: dict[str, str | None]) -> Iterable[tuple[str | None, str]]:
    """Windows: the cells of each colour as multi-area addresses of at most 250 characters."""
    by_colour: dict[str | None, list[str]] = {}
    for cell, colour in cells.items():
        by_colour.setdefault(colour, []).append(cell)
    for colour, group in by_colour.items():
        address = ""
        for cell in group:
            if address and len(address) + len(cell) + 1 > WINDOWS_MAX_ADDRESS:
                yield colour, address
                address = ""
            address = f"{address},{cell}" if address else cell
        if address:
            yield colour, address
