"""The file back end: read a workbook file with python-calamine, write by part replacement.

python-calamine reads a 40-partner master in about 0.05 s (see the speed table in the notes);
writing replaces only the parts that change (:mod:`qa_xl.workbook.xlsxparts`), so charts,
pictures, comments and the VBA project an officer has in the file survive byte for byte.

The store reads the file's bytes once: the tables are read from them, the new file is built
from them, and it replaces the workbook only if the file on disk is still those bytes — so
a save by anyone else in between is never overwritten. :func:`opened` is how a job gets its
store: a job that writes holds the workbook's lock (:mod:`qa_xl.workbook.lock`) from before
it reads until after it has saved.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.core.errors import UnusableInput, os_problem
from qa_xl.workbook import xlsxread
from qa_xl.workbook.schema import RawTable, schema_for
from qa_xl.workbook.store import RowsWrite, Store, frame_rows, grown_header, row_plan
from qa_xl.workbook.xlsxparts import Fingerprint, check_not_locked

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def check_workbook_path(path: Path) -> None:
    """Refuse what cannot be a master workbook before any parser sees it."""
    if not path.exists():
        raise UnusableInput("the file does not exist", file=path,
                            action="check the path, or make a workbook with qa-xl new")
    if path.is_dir():
        raise UnusableInput("this is a folder, not a workbook", file=path,
                            action="give the master workbook's file (QA_Master.xlsm or .xlsx)")
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
            self.data = self.path.read_bytes()
            self.fingerprint = Fingerprint.of(self.path, self.data)
        except OSError as exc:
            raise os_problem(exc, "read the workbook", self.path) from exc
        try:
            self._book = xlsxread.open_book(self.data)  # python-calamine, or openpyxl
            self._tables = list(self._book.table_names)
        except Exception as exc:  # calamine raises several types for damaged packages
            raise UnusableInput(f"the workbook cannot be read ({exc})", file=self.path,
                                action="open it in Excel and save it again, or use a backup "
                                "from the backups folder") from exc
        self._sheets: dict[str, Any] = {}
        self._table_objects: dict[str, Any] = {}

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

    def formula_cells(self, sheet: str) -> dict[str, str]:
        """Cell -> formula text of every formula on a sheet (calamine gives only values)."""
        from lxml import etree

        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        with zipfile.ZipFile(io.BytesIO(self.data)) as z:
            names = {n.lower(): n for n in z.namelist()}
            book = etree.fromstring(z.read(names["xl/workbook.xml"]))
            rid = next((s.get(f"{{{rel}}}id") for s in book.iter(f"{{{main}}}sheet")
                        if s.get("name") == sheet), None)
            rels = etree.fromstring(z.read(names["xl/_rels/workbook.xml.rels"]))
            target = next((r.get("Target", "") for r in rels if r.get("Id") == rid), "")
            part = names.get(("xl/" + target if not target.startswith("/") else
                              target[1:]).lower())
            if part is None:
                return {}
            found = {}
            for _, cell in etree.iterparse(io.BytesIO(z.read(part)), tag=f"{{{main}}}c"):
                formula = cell.find(f"{{{main}}}f")
                if formula is not None:
                    found[cell.get("r", "")] = "=" + (formula.text or "")
                cell.clear()
        return found

    def rows_below(self, raw: RawTable) -> list[int]:
        sheet = self._sheet(raw.sheet)
        after = raw.first_row + len(raw.rows)  # 0-based index of the row under the table
        if sheet.end[0] < after:  # nothing is used below it: no need to read the cells
            return []
        values = sheet.to_python(skip_empty_area=False)
        left = raw.first_col - 1
        tops = {self._book.get_table_by_name(t).start[0] - 1 for t in self._tables
                if self._book.get_table_by_name(t).sheet == raw.sheet}
        found = []
        for i in range(after, len(values)):
            if i in tops or all(v in (None, "") for v in values[i][left:left + len(raw.header)]):
                break
            found.append(i + 1)
        return found

    def header(self, table: str) -> list[str]:
        if table not in self._tables:
            raise UnusableInput(
                f"the table {table} is missing — was its sheet deleted or the table converted "
                "to a range?", file=self.path, action="restore it from the latest file in the "
                "backups folder, or copy your rows into a workbook made with qa-xl new")
        return [str(h) for h in self._table(table).columns]

    def _table(self, name: str) -> Any:
        """calamine's table object, looked up once (a write of 200 tables asks often)."""
        if name not in self._table_objects:
            self._table_objects[name] = self._book.get_table_by_name(name)
        return self._table_objects[name]

    def write(self, tables: dict[str, pd.DataFrame],
              cells: dict[str, dict[str, Any]] | None = None,
              columns: dict[str, pd.DataFrame] | None = None,
              rows: dict[str, RowsWrite] | None = None) -> None:
        """Write every table, cell, derived column and row change in one save, keeping the
        previous file as a backup. ``columns`` frames are indexed by sheet row and hold only
        the columns to write into that table; ``rows`` replace some rows of a table and keep
        the others cell for cell (:class:`qa_xl.workbook.store.RowsWrite`)."""
        from qa_xl.workbook.xlsxparts import Keep, NewSheet, TableWrite, write_workbook

        writes = {}
        new_sheets = []
        for name, df in tables.items():
            schema = schema_for(name)
            if name not in self._tables and schema.added:  # made before qa_xl had it
                new_sheets.append(NewSheet(schema.sheet, schema.table, schema.names,
                                           schema.title, schema.intro,
                                           [c.width for c in schema.columns],
                                           [c.num_format for c in schema.columns]))
                header = schema.names
            else:
                header = self.header(name)
            writes[name] = TableWrite(header, frame_rows(df, schema, header))
        for name, df in (columns or {}).items():
            self.header(name)
            table = self._table(name)
            first = table.start[0] + 1  # the 1-based sheet row of the first data row
            rows_at = df.reindex(range(first, first + table.height))
            writes[name] = TableWrite(self.header(name), frame_rows(
                rows_at, schema_for(name), list(df.columns)), columns=list(df.columns),
                add_missing=True)
        for name, change in (rows or {}).items():
            header = self.header(name)
            grown = grown_header(header, schema_for(name), change)
            table = self._table(name)
            height = table.height
            if height == 1 and all(v in (None, "") for v in table.to_python()[0]):
                height = 0  # an empty table's one blank row: the new rows start there
            plan = row_plan(table.start[0] + 1, height, set(change.remove),
                            frame_rows(change.add, schema_for(name), grown))
            writes[name] = TableWrite(grown, [Keep(r) if isinstance(r, int) else r
                                              for r in plan], add_missing=grown != header,
                                      formats={c.name: c.num_format for c in
                                               schema_for(name).columns if c.num_format})
        cells = {s: c for s, c in (cells or {}).items() if s in self.sheet_names()}
        self.close()
        write_workbook(self.path, writes, cells, source=self.data, expect=self.fingerprint,
                       new_sheets=new_sheets)

    def close(self) -> None:
        with contextlib.suppress(*xlsxread.READ_ERRORS):
            self._book.close()


@contextlib.contextmanager
def opened(workbook: str | Path | Store, job: str, *, write: bool = False) -> Iterator[Store]:
    """The workbook as a :class:`Store` for one job (a path, or a store the caller has).

    A path is opened as a :class:`FileStore`, refused while Excel or LibreOffice has it open
    (their unsaved edits would be missed, or lost by their next save). With ``write`` the job
    holds the workbook's lock for the whole ``with`` block — from before it reads to after it
    saves — so no other qa_xl job reads or saves in between; ``job`` names it in the lock
    ("Import returns"). A store given by the caller (the live book in Excel) is used as it is.
    """
    if not isinstance(workbook, str | Path):
        yield workbook
        return
    from qa_xl.workbook.lock import master_lock

    path = Path(workbook)
    check_workbook_path(path)
    check_not_locked(path)
    with master_lock(path, job) if write else contextlib.nullcontext():
        store = FileStore(path)
        try:
            yield store
        finally:
            store.close()
