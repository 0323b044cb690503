"""Reading an .xlsx file's values and tables: python-calamine where it installs, openpyxl
where it does not (xlwings Lite's Pyodide may lack python-calamine).

Everything that reads a workbook file (the master as a file, the partners' returns) opens it
through :func:`open_book`; the object it returns answers the part of python-calamine's
``CalamineWorkbook`` that qa_xl uses (``sheet_names``, ``table_names``, ``get_sheet_by_name``,
``get_table_by_name``, ``close``), with the same values: empty cells as "", every number as
float, dates without a time as ``date``. python-calamine reads a 40-partner master about five
times faster than openpyxl (the speed table in the notes), so it stays the first choice; the
openpyxl reader is the same function's second engine, not a second way of reading.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import python_calamine as _calamine
except ImportError:  # Pyodide without the package: openpyxl below
    _calamine = None

ENGINE = "calamine" if _calamine is not None else "openpyxl"


class ReadError(ValueError):
    """The file is not a workbook either reader can open."""


# The exceptions a damaged or foreign file raises while it is read, whichever reader runs.
READ_ERRORS: tuple[type[BaseException], ...] = (
    ReadError, ValueError, OverflowError, KeyError, *(
        (_calamine.CalamineError, _calamine.WorkbookClosed) if _calamine is not None else ()))


def open_book(data: bytes, *, engine: str | None = None) -> Any:
    """The workbook in ``data`` with its tables loaded; ``engine`` forces a reader (tests)."""
    engine = engine or ENGINE
    try:
        if engine == "calamine":
            assert _calamine is not None
            return _calamine.CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
        return _OpenpyxlBook(data)
    except READ_ERRORS:
        raise
    except Exception as exc:  # both readers raise several types for damaged packages
        raise ReadError(str(exc)) from exc


def open_path(path: str | Path, *, engine: str | None = None) -> Any:
    return open_book(Path(path).read_bytes(), engine=engine)


# ----------------------------------------------------------------------- the openpyxl engine

def _value(value: Any) -> Any:
    """A cell's value as python-calamine gives it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):  # openpyxl gives int for "5"; calamine every number as float
        return float(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


@dataclass
class _Sheet:
    name: str
    cells: dict[tuple[int, int], Any]  # (row, col) 0-based -> value, non-empty cells only
    merged_cell_ranges: list[tuple[tuple[int, int], tuple[int, int]]]

    @property
    def start(self) -> tuple[int, int] | None:
        if not self.cells:
            return None
        return (min(r for r, _ in self.cells), min(c for _, c in self.cells))

    @property
    def end(self) -> tuple[int, int] | None:
        if not self.cells:
            return None
        return (max(r for r, _ in self.cells), max(c for _, c in self.cells))

    def to_python(self, skip_empty_area: bool = True) -> list[list[Any]]:
        if not self.cells:
            return []
        (r1, c1), (r2, c2) = self.start, self.end  # type: ignore[misc]
        if not skip_empty_area:
            r1 = c1 = 0
        return [[self.cells.get((r, c), "") for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]


@dataclass
class _Table:
    name: str
    sheet: str
    columns: list[str]
    start: tuple[int, int]  # the first data row's 0-based (row, col), as calamine
    end: tuple[int, int]
    rows: list[list[Any]]

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.columns)

    def to_python(self) -> list[list[Any]]:
        return [list(r) for r in self.rows]


class _OpenpyxlBook:
    """The calamine workbook's interface over openpyxl (values as cached, tables loaded).

    Not openpyxl's read-only mode: it does not load tables, and a return or a master read
    here is small enough to load whole (about 0.45 s at 40 partners, notes §4)."""

    def __init__(self, data: bytes) -> None:
        import openpyxl
        from openpyxl.utils import range_boundaries

        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        self.sheet_names = list(book.sheetnames)
        self._sheets: dict[str, _Sheet] = {}
        self._tables: dict[str, _Table] = {}
        for ws in book.worksheets:
            cells = {(c.row - 1, c.column - 1): _value(c.value)
                     for row in ws.iter_rows() for c in row if c.value not in (None, "")}
            merged = [((m.min_row - 1, m.min_col - 1), (m.max_row - 1, m.max_col - 1))
                      for m in ws.merged_cells.ranges]
            sheet = _Sheet(ws.title, cells, merged)
            self._sheets[ws.title] = sheet
            for table in ws.tables.values():
                c1, r1, c2, r2 = range_boundaries(table.ref)
                last = r2 - (table.totalsRowCount or 0)
                header = [str(cells.get((r1 - 1, c), "")) for c in range(c1 - 1, c2)]
                rows = [[cells.get((r, c), "") for c in range(c1 - 1, c2)]
                        for r in range(r1, last)]
                self._tables[table.name] = _Table(table.name, ws.title, header, (r1, c1 - 1),
                                                  (last - 1, c2 - 1), rows)
        self.table_names = list(self._tables)
        book.close()

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return self._sheets[name]

    def get_table_by_name(self, name: str) -> _Table:
        return self._tables[name]

    def close(self) -> None:
        """Nothing is held open (calamine's book holds the file's bytes until closed)."""
