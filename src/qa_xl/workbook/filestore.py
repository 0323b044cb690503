"""The file back end: read a workbook file with python-calamine, write by part replacement.

python-calamine reads a 40-partner master in about 0.05 s (see the speed table in the notes);
writing replaces only the parts that change (:mod:`qa_xl.workbook.xlsxparts`), so charts, pictures,
comments and the VBA project an officer has in the file survive byte for byte.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import python_calamine as calamine

from qa_xl.core.errors import UnusableInput
from qa_xl.workbook.schema import RawTable, schema_for
from qa_xl.workbook.store import frame_rows

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def check_workbook_path(path: Path) -> None:
    """Refuse what cannot be a master workbook before any parser sees it."""
    if not path.exists():
        raise UnusableInput("the file does not exist", file=path,
                            action="check the path, or make a workbook with qa-xl new")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise UnusableInput(
            f"a {path.suffix or 'file without an extension'} is not an Excel workbook qa_xl "
            "can use", file=path, action="save it as an .xlsx or .xlsm workbook and try again")
    if not zipfile.is_zipfile(path):
        raise UnusableInput("the file is not a valid Excel workbook (damaged or not .xlsx)",
                            file=path, action="open it in Excel and save it again, or use a "
                            "backup from the backups folder")


class FileStore:
    """A workbook file on disk. Reads once, lazily per table; writes in one save."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.label = self.path.name
        check_workbook_path(self.path)
        try:
            self._book = calamine.CalamineWorkbook.from_path(str(self.path), load_tables=True)
            self._tables = list(self._book.table_names)
        except Exception as exc:  # calamine raises several types for damaged packages
            raise UnusableInput(f"the workbook cannot be read ({exc})", file=self.path,
                                action="open it in Excel and save it again, or use a backup "
                                "from the backups folder") from exc
        self._sheets: dict[str, Any] = {}

    def table_names(self) -> list[str]:
        return self._tables

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def _sheet(self, name: str) -> Any:
        if name not in self._sheets:
            self._sheets[name] = self._book.get_sheet_by_name(name)
        return self._sheets[name]

    def read_raw(self, table: str) -> RawTable:
        t = self._book.get_table_by_name(table)
        header = [str(h) for h in t.columns]
        rows = t.to_python() if t.height else []
        return RawTable(table, t.sheet, header, rows, first_row=t.start[0],
                        first_col=t.start[1] + 1)

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        ranges = self._sheet(sheet).merged_cell_ranges or []
        return [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in ranges]

    def sheet_values(self, sheet: str) -> list[list[Any]]:
        return self._sheet(sheet).to_python()

    def header(self, table: str) -> list[str]:
        if table not in self._tables:
            raise UnusableInput(
                f"the table {table} is missing — was its sheet deleted or the table converted "
                "to a range?", file=self.path, action="restore it from the latest file in the "
                "backups folder, or copy your rows into a workbook made with qa-xl new")
        return [str(h) for h in self._book.get_table_by_name(table).columns]

    def write(self, tables: dict[str, pd.DataFrame],
              cells: dict[str, dict[str, Any]] | None = None,
              columns: dict[str, pd.DataFrame] | None = None) -> None:
        """Write every table, cell and derived column in one save, keeping the previous file
        as a backup. ``columns`` frames are indexed by sheet row and hold only the columns to
        write into that table; every other cell of the table stays as it was."""
        from qa_xl.workbook.xlsxparts import TableWrite, write_workbook

        writes = {}
        for name, df in tables.items():
            header = self.header(name)
            writes[name] = TableWrite(header, frame_rows(df, schema_for(name), header))
        for name, df in (columns or {}).items():
            self.header(name)
            table = self._book.get_table_by_name(name)
            first = table.start[0] + 1  # the 1-based sheet row of the first data row
            rows = df.reindex(range(first, first + table.height))
            writes[name] = TableWrite(self.header(name), frame_rows(
                rows, schema_for(name), list(df.columns)), columns=list(df.columns))
        cells = {s: c for s, c in (cells or {}).items() if s in self.sheet_names()}
        self.close()
        write_workbook(self.path, writes, cells)

    def close(self) -> None:
        self._book.close()
