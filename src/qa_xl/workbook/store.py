"""One small interface for reading and writing the master workbook, whatever holds it.

Like xlwings' engines: the file back end (:mod:`qa_xl.workbook.filestore`, python-calamine to
read and part replacement to write) and the live-Excel back end (:mod:`qa_xl.excel.live`) both
implement :class:`Store`; everything else works on typed DataFrames and never knows which one it
has.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from qa_xl.core.errors import DataError, UnusableInput
from qa_xl.workbook.schema import (
    CONFIG,
    DATE,
    RETURNS,
    RawTable,
    Table,
    TableSchema,
    column_letter,
    return_schema,
    type_table,
    type_tables,
)

START_SHEET = "Start"
LISTS_SHEET = "Lists"
# Where the Start sheet shows what ran last; the workbook build lays these cells out.
STATUS_CELLS = {"action": "C14", "ran_at": "C15", "result": "C16", "output": "C17"}


class Store(Protocol):
    """What qa_xl needs from a workbook: tables in, tables out."""

    label: str  # how messages name the workbook (its file name)

    def table_names(self) -> list[str]: ...

    def read_raw(self, table: str) -> RawTable: ...

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Merged areas as 1-based (first_row, first_col, last_row, last_col)."""
        ...

    def sheet_values(self, sheet: str) -> list[list[Any]]: ...

    def rows_below(self, raw: RawTable) -> list[int]:
        """The sheet rows just under the table (from the next row, until a blank one) that
        hold values in its columns without being part of it."""
        ...

    def formula_cells(self, sheet: str) -> dict[str, str]:
        """Cell -> formula of the formulas on a sheet, where the back end can see them."""
        ...

    def sheet_names(self) -> list[str]: ...

    def write(self, tables: dict[str, pd.DataFrame],
              cells: dict[str, dict[str, Any]] | None = None,
              columns: dict[str, pd.DataFrame] | None = None,
              rows: dict[str, RowsWrite] | None = None) -> None:
        """Write whole tables, single cells, (``columns``) only some columns of a table, as
        frames indexed by sheet row, and (``rows``) only some rows of a table, all in one
        save."""
        ...


@dataclass
class RowsWrite:
    """Some rows of a table replaced and the others left exactly as they are in the workbook
    — every cell as the officer left it, even one qa_xl could not read (text in a number
    column, a date typed as text).

    ``remove`` are the sheet rows whose contents go (an imported period's old rows), ``add``
    the new rows (a frame with the table's columns). :func:`row_plan` says where each goes.
    """

    remove: list[int]
    add: pd.DataFrame


def grown_header(header: list[str], schema: TableSchema, change: RowsWrite) -> list[str]:
    """The header with the optional columns that new rows bring and a table made before
    qa_xl kept them lacks (the self-assessment's sign-off): each is added at the table's
    right edge, so what the rows bring is not dropped."""
    return [*header, *(c.name for c in schema.columns if c.optional and not c.derived
                       and c.name not in header and c.name in change.add.columns
                       and change.add[c.name].notna().any())]


def row_plan(first: int, height: int, remove: set[int], new: list[list[Any]]
             ) -> list[int | list[Any]]:
    """The table's rows after a :class:`RowsWrite`, top to bottom: a sheet row number for a
    row kept as it is, a list of values for a new row.

    New rows take the removed rows' places, in order; more go after the last row. Fewer leave
    gaps, each filled by the table's last row (so only rows from the end ever move, and none
    moves at all when a return replaces as many rows as it had, or adds new ones).
    """
    hole = object()
    pending = iter(new)
    plan: list[Any] = []
    for row in range(first, first + height):
        plan.append(next(pending, hole) if row in remove else row)
    plan.extend(pending)
    while hole in plan:
        if plan[-1] is hole:
            plan.pop()
        else:
            plan[plan.index(hole)] = plan.pop()
    return plan


def read_table(store: Store, schema: TableSchema) -> Table:
    """Read one table by its name, check its header and merged cells, and type it.

    A missing table or column makes the workbook unusable for the command (exit 2); merged
    cells inside the table are a data error (exit 1) because values would be lost silently.
    """
    raw = _checked_raw(store, schema)
    return type_table(raw, schema)


def refuse_a_return(store: Store) -> None:
    """A partner's return given where the master workbook was expected: say so plainly."""
    if "tblReturn" in store.table_names() and "tblConfig" not in store.table_names():
        raise UnusableInput("this file is a partner's return, not the master workbook",
                            file=store.label, action="give the master workbook (QA_Master), "
                            "and import the return with qa-xl returns import")


def read_returns(store: Store, partner_ids: list[str] | None = None) -> Table:
    """Every partner's return table (or those named) as one typed frame with a partner_id
    column; each row still knows its own sheet and cell."""
    names = return_tables(store)
    if partner_ids is not None:
        names = [n for n in names if n.removeprefix("tblReturn_") in set(partner_ids)]
    raws = [_checked_raw(store, return_schema(n.removeprefix("tblReturn_"))) for n in names]
    return type_tables(raws, RETURNS, "partner_id", [n.removeprefix("tblReturn_") for n in names])


def _checked_raw(store: Store, schema: TableSchema) -> RawTable:
    """The raw table, once its header has every column and no merged cells hide values."""
    if schema.table not in store.table_names():
        if schema.added:  # a workbook made before qa_xl had this table: it has no rows yet
            return RawTable(schema.table, schema.sheet, schema.names, [])
        refuse_a_return(store)
        raise UnusableInput(
            f"the table {schema.table} (sheet {schema.sheet}) is missing — was the sheet "
            "deleted or the table converted to a range?",
            file=store.label,
            action="restore it from the latest file in the backups folder, or copy your rows "
            "into a workbook made with qa-xl new",
        )
    raw = store.read_raw(schema.table)
    missing = [c.name for c in schema.columns if c.name not in raw.header and not c.optional]
    if missing:
        raise UnusableInput(
            f"the table {schema.table} has no column {missing[0]!r} in its header row "
            f"{raw.first_row} (it has: {', '.join(map(str, raw.header))})",
            file=store.label, sheet=raw.sheet,
            action=f"put the column {missing[0]!r} back with exactly that header text",
        )
    _refuse_merged(store, raw)
    raw.below = store.rows_below(raw)
    return raw


def _refuse_merged(store: Store, raw: RawTable) -> None:
    last_row = raw.first_row + len(raw.rows)
    last_col = raw.first_col + len(raw.header) - 1
    for r1, c1, r2, c2 in store.merged_ranges(raw.sheet):
        if r1 <= last_row and r2 > raw.first_row and c1 <= last_col and c2 >= raw.first_col:
            area = f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
            raise DataError(
                f"cells {area} are merged inside table {raw.name}, so values would be lost",
                file=store.label, sheet=raw.sheet, cell=area,
                action="unmerge them (Home > Merge & Center > Unmerge Cells) and type each "
                "value in its own cell",
            )


def return_tables(store: Store) -> list[str]:
    """The per-partner return tables present in the workbook, in workbook order."""
    return [name for name in store.table_names() if name.startswith("tblReturn_")]


def read_settings(store: Store) -> dict[str, Any]:
    """tblConfig as a plain dict of key -> value (blank keys ignored)."""
    df = read_table(store, CONFIG).df
    return {str(k): (None if _is_missing(v) else v) for k, v in zip(df["key"], df["value"])
            if not _is_missing(k)}


def read_lists(store: Store) -> dict[str, list[str]]:
    """The dropdown lists on the Lists sheet: row 1 names each list, values run down below."""
    if LISTS_SHEET not in store.sheet_names():
        refuse_a_return(store)
        raise UnusableInput("the Lists sheet is missing", file=store.label,
                            action="restore it from a backup or a workbook made by qa-xl new")
    values = store.sheet_values(LISTS_SHEET)
    if not values:
        return {}
    lists: dict[str, list[str]] = {}
    for col, name in enumerate(values[0]):
        if _is_missing(name) or not str(name).strip():
            continue
        items = [row[col] for row in values[1:] if col < len(row)]
        lists[str(name).strip()] = [_text(v) for v in items if not _is_missing(v) and _text(v)]
    return lists


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def python_value(value: Any, kind: str | None = None) -> Any:
    """A DataFrame cell as the plain Python value a back end writes (None when missing)."""
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and kind == DATE:
        return value.date()
    if hasattr(value, "item") and not isinstance(value, str | dt.date):
        return value.item()  # numpy scalar
    return value


def frame_rows(df: pd.DataFrame, schema: TableSchema, header: list[str]) -> list[list[Any]]:
    """Rows in the order of the table's actual header; columns qa_xl does not know are blank."""
    kinds = {c.name: c.kind for c in schema.columns}
    columns = [df[name].tolist() if name in df.columns else None for name in header]
    rows = []
    for i in range(len(df)):
        rows.append([
            None if col is None else python_value(col[i], kinds.get(name))
            for name, col in zip(header, columns)
        ])
    return rows


def status_cells(action: str, result: str, output: str = "",
                 when: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    """The Start sheet's status cells for a finished action."""
    when = when or dt.datetime.now().replace(microsecond=0)
    values = {"action": action, "ran_at": when, "result": result, "output": output}
    return {START_SHEET: {STATUS_CELLS[k]: v for k, v in values.items()}}
