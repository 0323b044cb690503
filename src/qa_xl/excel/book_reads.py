"""The open book read in one go: what :class:`qa_xl.excel.live.LiveStore` reads from.

Each call into Excel is a round trip (a COM call on Windows, an AppleScript event on macOS), and
reading table by table costs a few calls per table and sheet: over 7,000 for a button on a
200-partner master. So the book is read once, whole, in the fewest calls the engine allows:

- Office.js and the remote engine: the book's payload is already here — the add-in sends every
  sheet's values and tables with the call (``book.api``): one call, read as xlwings reads it.
- Desktop Excel on Windows: one ``Workbook.SaveCopyAs`` of the open book (unsaved edits
  included; the book itself stays as it is, still unsaved) to a temporary file, read with the
  file back end (python-calamine), which also sees the formulas.
- Anywhere else (Excel for Mac, where AppleScript has no save-a-copy): table by table, as
  before — a few calls per table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from qa_xl.workbook.schema import RawTable

ROWS_BELOW = 20  # rows under a table read to find values typed outside it
_ADDRESS = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


class Reads(Protocol):
    """The reading half of :class:`qa_xl.workbook.store.Store`, over the book as it was read."""

    def sheet_names(self) -> list[str]: ...

    def table_names(self) -> list[str]: ...

    def table_sheet(self, table: str) -> str: ...

    def read_raw(self, table: str) -> RawTable: ...

    def rows_below(self, raw: RawTable) -> list[int]: ...

    def formula_cells(self, sheet: str) -> dict[str, str]: ...

    def sheet_values(self, sheet: str) -> list[list[Any]]: ...


def book_reads(book: Any, engine_name: str, engine: Any, label: str) -> Reads:
    """The book read in the fewest calls its engine allows (see the module's words)."""
    if engine_name in ("remote", "officejs"):
        return BookPayload(book.api, engine)
    if engine_name == "excel" and sys.platform == "win32":
        return saved_copy(book, label)
    return LiveReads(book)


# ------------------------------------------------------------------- Office.js: the payload

class BookPayload:
    """The Office.js client's book payload: every sheet's values anchored at A1 ("" for an
    empty cell, dates as ISO text) and each sheet's tables with their addresses. Values are
    cleaned by the engine's own converter, so a cell reads exactly as ``Range.value`` would
    read it."""

    def __init__(self, api: dict[str, Any], engine: Any) -> None:
        self._sheets = {sheet["name"]: sheet for sheet in api["sheets"]}
        self._clean = engine.impl.clean_value_data
        self._values: dict[str, list[list[Any]]] = {}
        self._places: dict[str, tuple[str, int, int, int, int]] = {}
        for sheet in api["sheets"]:
            for table in sheet.get("tables") or ():
                self._places[table["name"]] = (sheet["name"], *bounds(table["range_address"]))

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def table_names(self) -> list[str]:
        return list(self._places)

    def table_sheet(self, table: str) -> str:
        return self._places[table][0]

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._values:
            raw = self._sheets[sheet].get("values") or []
            self._values[sheet] = self._clean(raw, dt.datetime, None, None, False)
        return self._values[sheet]

    def _block(self, sheet: str, top: int, left: int, bottom: int, right: int
               ) -> list[list[Any]]:
        values = self.sheet_values(sheet)
        width = right - left + 1
        out = []
        for r in range(top, bottom + 1):
            row = values[r - 1][left - 1:right] if r <= len(values) else []
            out.append(list(row) + [None] * (width - len(row)))
        return out

    def read_raw(self, table: str) -> RawTable:
        sheet, top, left, bottom, right = self._places[table]
        values = self._block(sheet, top, left, bottom, right)
        header = ["" if h is None else str(h) for h in values[0]]
        return RawTable(table, sheet, header, values[1:], first_row=top, first_col=left)

    def rows_below(self, raw: RawTable) -> list[int]:
        """The rows under a table that hold values (until a blank one), at most
        ``ROWS_BELOW``."""
        after = raw.first_row + len(raw.rows) + 1
        values = self._block(raw.sheet, after, raw.first_col, after + ROWS_BELOW - 1,
                             raw.first_col + len(raw.header) - 1)
        return _filled_rows(values, after)

    def formula_cells(self, sheet: str) -> dict[str, str]:
        return {}  # Office.js does not send formulas with the book


def _filled_rows(values: list[list[Any]], after: int) -> list[int]:
    """The sheet rows (``after`` being the first of ``values``) that hold a value, up to the
    first blank row."""
    found = []
    for i, row in enumerate(values):
        if all(v in (None, "") for v in row):
            break
        found.append(after + i)
    return found


def bounds(address: str) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), 1-based, of an A1 address such as ``Sheet1!$A$3:$F$9``."""
    match = _ADDRESS.match(address.rsplit("!", 1)[-1].strip().upper())
    if not match:
        raise ValueError(f"not a range address: {address!r}")
    c1, r1, c2, r2 = match.groups()
    top, left = int(r1), _column(c1)
    return (top, left, int(r2), _column(c2)) if c2 else (top, left, top, left)


def _column(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col


# ------------------------------------------------------ desktop Excel on Windows: a copy

class SavedCopy:
    """The book as a saved copy read by the file back end; a table's sheet from calamine."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._sheet_of: dict[str, str] = {}

    def sheet_names(self) -> list[str]:
        return self._store.sheet_names()

    def table_names(self) -> list[str]:
        return self._store.table_names()

    def table_sheet(self, table: str) -> str:
        if table not in self._sheet_of:
            self._sheet_of[table] = self._store.read_raw(table).sheet
        return self._sheet_of[table]

    def read_raw(self, table: str) -> RawTable:
        return self._store.read_raw(table)

    def rows_below(self, raw: RawTable) -> list[int]:
        return self._store.rows_below(raw)

    def formula_cells(self, sheet: str) -> dict[str, str]:
        return self._store.formula_cells(sheet)

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        return self._store.sheet_values(sheet)


def saved_copy(book: Any, label: str) -> Reads:
    """One ``SaveCopyAs`` of the open book (two calls: the workbook object, the save) to a
    temporary file, read whole and deleted; table by table if Excel refuses the copy."""
    from qa_xl.workbook.filestore import FileStore

    suffix = Path(label).suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"
    folder = tempfile.mkdtemp(prefix="qa_xl-")
    path = Path(folder) / f"copy{suffix}"
    try:
        try:
            book.api.SaveCopyAs(str(path))
        except Exception:  # COM refused (a protected view, a full disk): read it live
            return LiveReads(book)
        store = FileStore(path)  # reads the file's bytes once
        store.path, store.label = Path(label), label  # messages name the book, not the copy
        return SavedCopy(store)
    finally:
        with contextlib.suppress(OSError):
            if path.exists():
                os.remove(path)
            os.rmdir(folder)


# ------------------------------------------------------------ elsewhere: table by table

class LiveReads:
    """Reads from Excel itself: each table's range (header and body) in one call, the rows
    under it in one more; a sheet's tables are looked up once."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._tables: dict[str, str] | None = None

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def table_names(self) -> list[str]:
        if self._tables is None:
            self._tables = {}
            for sheet in self.book.sheets:
                name = sheet.name
                for table in sheet.tables:
                    self._tables[table.name] = name
        return list(self._tables)

    def table_sheet(self, table: str) -> str:
        self.table_names()
        assert self._tables is not None
        return self._tables[table]

    def read_raw(self, table: str) -> RawTable:
        sheet = self.book.sheets[self.table_sheet(table)]
        rng = sheet.tables[table].range
        values = rng.options(ndim=2).value  # header and body: one read
        header = ["" if h is None else str(h) for h in values[0]]
        return RawTable(table, sheet.name, header, [list(r) for r in values[1:]],
                        first_row=rng.row, first_col=rng.column)

    def rows_below(self, raw: RawTable) -> list[int]:
        ws = self.book.sheets[raw.sheet]
        after = raw.first_row + len(raw.rows) + 1
        values = ws.range((after, raw.first_col), (after + ROWS_BELOW - 1,
                                                   raw.first_col + len(raw.header) - 1)
                          ).options(ndim=2).value or []
        return _filled_rows(values, after)

    def formula_cells(self, sheet: str) -> dict[str, str]:
        """Desktop Excel gives the used range's formulas in one call."""
        from qa_xl.workbook.schema import column_letter

        ws = self.book.sheets[sheet]
        try:
            used = ws.used_range
            formulas = used.options(ndim=2).formula
        except NotImplementedError:
            return {}
        top, left = used.row, used.column
        return {f"{column_letter(left + j)}{top + i}": text
                for i, row in enumerate(formulas or ()) for j, text in enumerate(row)
                if isinstance(text, str) and text.startswith("=")}

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        return ws.range((1, 1), (last.row, last.column)).options(ndim=2).value
