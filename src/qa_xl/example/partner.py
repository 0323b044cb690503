"""Filling in an issued return as a partner would in Excel (here through openpyxl): what the
demo and the tests use to play the partner's part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from qa_xl.workbook import schema as S


def fill_return(path: str | Path, figures: dict[tuple[str, str], dict[str, Any]],
                submitted_by: str | None = None, submitted_on: dt.date | None = None) -> int:
    """Fill in an issued return as a partner would in Excel (here through openpyxl).

    ``figures`` maps (period, indicator_id) to the cells to type: value, numerator,
    denominator, commentary. Text is stored as text, never as a formula. Returns how many
    rows were filled.
    """
    return _fill(path, S.ISSUED_RETURN, ("period", "indicator_id"), figures, submitted_by,
                 submitted_on)


def fill_self_assessment(path: str | Path, answers: dict[str, dict[str, Any]],
                         submitted_by: str | None = None, submitted_on: dt.date | None = None
                         ) -> int:
    """Fill in an issued self-assessment form (Section 11 or 175/157) as an organisation
    would, through openpyxl: ``answers`` maps a question id to the cells to type (grade,
    evidence, action, owner, due; None clears a cell). Returns how many rows were changed."""
    return _fill(path, S.ISSUED_SELF_ASSESSMENT, ("question",),
                 {(q,): cells for q, cells in answers.items()}, submitted_by, submitted_on)


def _fill(path: str | Path, schema: S.TableSchema, key: tuple[str, ...],
          cells_by_key: dict[tuple[Any, ...], dict[str, Any]], submitted_by: str | None,
          submitted_on: dt.date | None) -> int:
    """Type into an issued form's table row by row (the row found by its ``key`` columns)
    and into the sign-off cells, then save: text stays text, never a formula."""
    import openpyxl

    from qa_xl.collect.master import SIGN_OFF

    book = openpyxl.load_workbook(path)
    ws = book[schema.sheet]
    first, last = ws.tables[schema.table].ref.split(":")
    header_row = int("".join(filter(str.isdigit, first)))
    column = {c.value: i + 1 for i, c in enumerate(ws[header_row]) if c.value}
    filled = 0
    for row in range(header_row + 1, int("".join(filter(str.isdigit, last))) + 1):
        found = tuple(ws.cell(row, column[name]).value for name in key)
        for name, value in cells_by_key.get(found, {}).items():
            cell = ws.cell(row, column[name])
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # what a partner types as text stays text
        filled += found in cells_by_key
    if submitted_by is not None:
        ws.cell(SIGN_OFF["submitted_by"][0] + 1, 2).value = submitted_by
    if submitted_on is not None:
        ws.cell(SIGN_OFF["submitted_on"][0] + 1, 2).value = submitted_on
    book.save(path)
    return filled
