"""What the Excel buttons run: the same library functions as the command line, on the open book.

Each button's VBA sub (``xl_macros/QAButtons.bas``) is one ``RunPython`` call into a function
here. The function takes the calling book (``book=None`` → ``xw.Book.caller()``), wraps it in
:class:`LiveStore` — the live-Excel twin of :class:`qa_xl.filestore.FileStore` — and hands it to
the library. Every call to Excel is a round trip (a COM or AppleScript call on the desktop, an
action for Office.js), so the store reads each table in one range read and writes each result
table in one range write; it never loops over cells. A user's mistake (:class:`QaXlError`)
becomes the Start sheet's status and a message box, never a traceback.

The worksheet functions (``=QA_RAG(...)`` …) are in :mod:`qa_xl.xl_udfs`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import xlwings as xw

from . import schema as S
from .build import CONDITIONAL_FILLS, DERIVED_GREY
from .errors import DataError, QaXlError
from .periods import Period, PeriodError
from .schema import RawTable, schema_for
from .store import START_SHEET, STATUS_CELLS, frame_rows, read_settings, status_cells

FILLS = CONDITIONAL_FILLS["severity"]  # Error red, Warning amber: as the Validation sheet
MAC_MAX_CELL_CALLS = 300  # Excel for Mac has no multi-area ranges: one call per cell, bounded
WINDOWS_MAX_ADDRESS = 250  # Range("A1,B2,…") takes an address of up to 255 characters
OFFICEJS_MAX_CELLS = 10_000  # Range.set_colors() takes at most 10,000 cells per call
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_EXCEL_WOULD_CONVERT = re.compile(
    r"^\s*([=+\-@]|[0-9.,]+\s*%?\s*$|\d{1,4}[/-]\d{1,2}([/-]\d{1,4})?\s*$|(true|false)\s*$)",
    re.IGNORECASE)


# ------------------------------------------------------------------------------ the back end

class LiveStore:
    """The :class:`qa_xl.store.Store` interface over an open xlwings Book.

    Reads: each table's whole range (header and body) in one call, cached for the run. Writes:
    per result table at most three calls (resize the table, clear rows it no longer has, set
    the values), one per derived column and one per block of cells. Works on every xlwings
    engine: the desktop one officers use and the remote one the tests use.
    """

    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.label = book.name
        fullname = Path(str(book.fullname))
        if fullname.is_absolute():  # a local file (not OneDrive/SharePoint, not Office.js)
            self.path = fullname
        self.engine = book.app.engine.name
        self._tables: dict[str, str] | None = None  # table name -> sheet name
        self._raw: dict[str, RawTable] = {}
        self.status_written = False

    # -- reading
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def table_names(self) -> list[str]:
        if self._tables is None:
            self._tables = {}
            for sheet in self.book.sheets:
                for table in sheet.tables:
                    self._tables[table.name] = sheet.name
        return list(self._tables)

    def _table(self, name: str) -> tuple[Any, Any]:
        self.table_names()
        assert self._tables is not None
        sheet = self.book.sheets[self._tables[name]]
        return sheet, sheet.tables[name]

    def read_raw(self, table: str) -> RawTable:
        if table not in self._raw:
            sheet, tbl = self._table(table)
            rng = tbl.range
            values = rng.options(ndim=2).value  # header and body: one read
            header = ["" if h is None else str(h) for h in values[0]]
            self._raw[table] = RawTable(table, sheet.name, header, [list(r) for r in values[1:]],
                                        first_row=rng.row, first_col=rng.column)
        return self._raw[table]

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Nothing to report: Excel refuses to merge cells inside a table (ListObject), and
        tables are all qa_xl reads. (A file edited by other tools is checked by FileStore.)"""
        return []

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        return ws.range((1, 1), (last.row, last.column)).options(ndim=2).value

    # -- writing
    def write(self, tables: dict[str, pd.DataFrame],
              cells: dict[str, dict[str, Any]] | None = None,
              columns: dict[str, pd.DataFrame] | None = None) -> None:
        """Whole tables, single cells, and (``columns``, frames indexed by sheet row) only
        some columns of a table — each table, column or block of cells in one call."""
        for name, df in (columns or {}).items():
            self._write_columns(name, df)
        for name, df in tables.items():
            self._write_table(name, df)
        for sheet, values in (cells or {}).items():
            if sheet in self.sheet_names():
                self._write_cells(sheet, values)
                if sheet == START_SHEET and set(STATUS_CELLS.values()) <= set(values):
                    self.status_written = True

    def _write_table(self, name: str, df: pd.DataFrame) -> None:
        raw = self.read_raw(name)  # the actual header order, and how many rows it had
        sheet, tbl = self._table(name)
        rows = [[excel_value(v) for v in row] for row in frame_rows(df, schema_for(name),
                                                                    raw.header)]
        top, left, width = raw.first_row, raw.first_col, len(raw.header)
        old, new = max(len(raw.rows), 1), max(len(rows), 1)  # a table keeps one body row
        if new != old:
            tbl.resize(sheet.range((top, left), (top + new, left + width - 1)))
        if old > new:
            sheet.range((top + new + 1, left), (top + old, left + width - 1)).clear_contents()
        if rows:
            sheet.range((top + 1, left)).value = rows
        else:
            sheet.range((top + 1, left), (top + 1, left + width - 1)).clear_contents()
        del self._raw[name]  # Excel has the new rows now (the remote engine only queues them)

    def _write_columns(self, name: str, df: pd.DataFrame) -> None:
        """Derived columns (a risk's score, an activity's next due date): one write per column
        over the table's body; the columns officers type in are not touched."""
        raw = self.read_raw(name)
        if not raw.rows:
            return
        sheet, _ = self._table(name)
        first = raw.first_row + 1
        rows = frame_rows(df.reindex(range(first, first + len(raw.rows))), schema_for(name),
                          list(df.columns))
        for j, column in enumerate(df.columns):
            left = raw.first_col + raw.header.index(column)
            sheet.range((first, left)).options(ndim=2).value = [[excel_value(r[j])]
                                                                 for r in rows]

    def _write_cells(self, sheet: str, values: dict[str, Any]) -> None:
        """One write for a block of cells that fills a rectangle (the status cells), else one
        per cell (a handful)."""
        where = {cell: _coordinates(cell) for cell in values}
        rows = sorted({r for r, _ in where.values()})
        cols = sorted({c for _, c in where.values()})
        ws = self.book.sheets[sheet]
        if len(where) == len(rows) * len(cols) and rows == list(range(rows[0], rows[-1] + 1)) \
                and cols == list(range(cols[0], cols[-1] + 1)):
            grid = {rc: excel_value(values[cell]) for cell, rc in where.items()}
            ws.range((rows[0], cols[0])).value = [[grid[(r, c)] for c in cols] for r in rows]
            return
        for cell, value in values.items():
            ws.range(cell).value = excel_value(value)

    # -- marking cells
    def mark(self, colours: dict[str, dict[str, str | None]]) -> None:
        """Fill cells, sheet by sheet: {sheet: {cell: "#RRGGBB" or None for no fill}}, in as
        few calls as the engine allows."""
        budget = MAC_MAX_CELL_CALLS
        for sheet, cells in colours.items():
            if not cells or sheet not in self.sheet_names():
                continue
            ws = self.book.sheets[sheet]
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
    match = _CELL.match(cell.strip().upper())
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


# --------------------------------------------------------------------- running an action

def _run(book: xw.Book | None, action: str, job: Callable[[LiveStore], tuple[str, str]]
         ) -> dict[str, str]:
    """Run one button's job on the calling book; show its result, or the user's mistake.

    ``job`` returns (result, output). The Start sheet's status cells are written unless the
    library already wrote them in its own single write.
    """
    book = book or xw.Book.caller()
    store = LiveStore(book)
    try:
        result, output = job(store)
    except QaXlError as exc:
        message = str(exc)
        store.write({}, status_cells(action, f"Not done: {message}"[:1000]))
        book.app.alert(message, title=f"qa_xl: {action}", mode="critical")
        return {"action": action, "result": "error", "message": message}
    if not store.status_written:
        store.write({}, status_cells(action, result, output))
    return {"action": action, "result": result, "output": output}


def validate(book: xw.Book | None = None) -> dict[str, str]:
    """The Validate button: every check; findings to the Validation sheet, cells marked."""
    from .checks import summary, validate as check

    def job(store: LiveStore) -> tuple[str, str]:
        before = _flagged(store)
        findings = check(store, write=True)
        store.mark(_colours(store, before, findings))
        return summary(findings), ""

    return _run(book, "Validate", job)


def _flagged(store: LiveStore) -> dict[str, set[str]]:
    """The cells the last Validate marked, from tblValidation as it is now."""
    if S.VALIDATION.table not in store.table_names():
        return {}
    raw = store.read_raw(S.VALIDATION.table)
    sheet_at, cell_at = raw.header.index("sheet"), raw.header.index("cell")
    out: dict[str, set[str]] = {}
    for row in raw.rows:
        sheet, cell = row[sheet_at], row[cell_at]
        if isinstance(sheet, str) and isinstance(cell, str) and _CELL.match(cell.upper()):
            out.setdefault(sheet, set()).add(cell.upper())
    return out


def _colours(store: LiveStore, before: dict[str, set[str]], findings: pd.DataFrame
             ) -> dict[str, dict[str, str | None]]:
    """New findings' cells in their severity's fill; last run's cells that are now fine lose
    the fill (back to grey in a derived column)."""
    colours: dict[str, dict[str, str | None]] = {}
    for sheet, cells in before.items():
        for cell in cells:
            colours.setdefault(sheet, {})[cell] = (
                DERIVED_GREY if store.derived_cell(sheet, cell) else None)
    # Warnings first, so an Error on the same cell wins.
    for severity in ("Warning", "Error"):
        rows = findings[findings["severity"] == severity] if len(findings) else findings
        for sheet, cell in zip(rows["sheet"], rows["cell"]):
            if isinstance(sheet, str) and isinstance(cell, str) and _CELL.match(cell.upper()):
                colours.setdefault(sheet, {})[cell.upper()] = FILLS[severity]
    return colours


def rollup(book: xw.Book | None = None) -> dict[str, str]:
    """The Roll up button: tblRollup rebuilt from every partner's return."""
    from .consolidate import rollup as run

    return _run(book, "Roll up", lambda store: (run(store, write=True).summary(), ""))


def _current_period(store: LiveStore) -> str:
    """tblConfig's current_period, refused with a message when it is not a period."""
    value = read_settings(store).get("current_period")
    try:
        return str(Period.parse(value))
    except PeriodError as exc:
        raise DataError(f"the setting current_period is {value!r}, not a period", file=store.label,
                        sheet="Config", action="set current_period on the Config sheet to a "
                        "quarter such as 2026-27 Q2") from exc


def _folder(store: LiveStore) -> Path:
    """tblConfig's returns_folder; blank (or relative) means beside the workbook."""
    setting = read_settings(store).get("returns_folder")
    base = store.path.parent if hasattr(store, "path") else Path.cwd()
    return base / str(setting).strip() if setting and str(setting).strip() else base


def issue_returns(book: xw.Book | None = None) -> dict[str, str]:
    """The Issue returns button: one return per partner for the current period."""
    from .returns import issue_returns as run

    def job(store: LiveStore) -> tuple[str, str]:
        period = _current_period(store)
        setting = read_settings(store).get("returns_folder")
        out_dir = _folder(store) if setting and str(setting).strip() else None
        files = run(store, period, out_dir=out_dir)
        where = str(files[0].parent) if files else ""
        return f"{len(files)} returns issued for {period}", where

    return _run(book, "Issue returns", job)


def import_returns(book: xw.Book | None = None) -> dict[str, str]:
    """The Import returns button: the completed returns an officer picks (a file dialog on the
    desktop) or, where there is no dialog, every .xlsx in the returns folder."""
    from .returns import import_returns as run

    def job(store: LiveStore) -> tuple[str, str]:
        files = ask_for_returns(store)
        if files is None:
            files = returns_in_folder(store)
        if not files:
            return "No files chosen: nothing imported", ""
        report = run(store, files)
        refused = [r for r in report.results if not r.accepted]
        if refused:
            store.book.app.alert("\n".join(report.lines())[:1500],
                                 title="qa_xl: Import returns", mode="info")
        accepted = len(report.results) - len(refused)
        return f"{accepted} of {len(report.results)} returns imported", str(files[0].parent)

    return _run(book, "Import returns", job)


def ask_for_returns(store: LiveStore) -> list[Path] | None:
    """Completed returns picked in a file dialog on desktop Excel ([] when cancelled); None
    where no dialog can be shown (Office.js, the tests, a dialog that failed to open), and the
    returns folder is used instead."""
    if store.engine != "excel":
        return None
    title = "Choose the completed partner returns"
    if sys.platform == "win32":
        try:  # Application.GetOpenFilename(FileFilter, FilterIndex, Title, ButtonText, Multi)
            chosen = store.book.app.api.GetOpenFilename(
                "Excel workbooks (*.xlsx),*.xlsx", 1, title, "", True)
        except Exception:  # COM refused the dialog: fall back to the folder
            return None
        return [Path(p) for p in chosen] if isinstance(chosen, tuple | list) else []
    if sys.platform == "darwin":
        script = ('tell application "System Events"\nactivate\n'
                  f'set picked to choose file with prompt "{title}" of type {{"xlsx", '
                  '"org.openxmlformats.spreadsheetml.sheet"} with multiple selections allowed\n'
                  'end tell\nset out to ""\nrepeat with f in picked\n'
                  'set out to out & POSIX path of f & linefeed\nend repeat\nreturn out')
        done = subprocess.run(["osascript", "-e", script], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            return [] if "-128" in done.stderr else None  # -128: the officer cancelled
        return [Path(line) for line in done.stdout.splitlines() if line.strip()]
    return None


def returns_in_folder(store: LiveStore) -> list[Path]:
    """Every .xlsx in the returns folder (Config: returns_folder), but not the master itself."""
    folder = _folder(store)
    if not folder.is_dir():
        raise DataError(f"the returns folder {folder} does not exist", file=store.label,
                        sheet="Config", action="set returns_folder on the Config sheet to the "
                        "folder holding the completed returns")
    own = getattr(store, "path", None)
    return sorted(p for p in folder.glob("*.xlsx")
                  if not p.name.startswith(("~$", ".~lock")) and p != own)


def build_pack(book: xw.Book | None = None) -> dict[str, str]:
    """The Build pack button: the Q&PC pack for the current period, saved as Word."""
    from .papers import build_pack as run

    return _run(book, "Build pack", lambda store: _paper(run(store)))


def build_board_report(book: xw.Book | None = None) -> dict[str, str]:
    """The Build Board report button: the half-yearly Board performance report."""
    from .papers import build_board_report as run

    return _run(book, "Build Board report", lambda store: _paper(run(store)))


def _paper(path: Path) -> tuple[str, str]:
    return f"Saved {Path(path).name}", str(path)
