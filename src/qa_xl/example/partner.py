"""Filling in an issued return as a partner would in Excel (here through openpyxl): what the
demo and the tests use to play the partner's part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from qa_xl.workbook import schema as S


def fill_return(path: str | Path, figures: dict[tuple[str, str], dict[str, Any]],
                submitted_by: str | None = None, submitted_on: dt.date | None = None,
                voice: dict[str, dict[str, Any]] | None = None) -> int:
    """Fill in an issued return as a partner would in Excel (here through openpyxl).

    ``figures`` maps (period, indicator_id) to the cells to type: value, numerator,
    denominator, commentary; ``voice`` maps a voice question to its cells: respondents, yes,
    partly, no, story. Text is stored as text, never as a formula. Returns how many rows of
    figures were filled.
    """
    tables = [(S.ISSUED_RETURN, ("period", "indicator_id"), figures)]
    if voice:
        tables.append((S.ISSUED_VOICE, ("question",), {(q,): c for q, c in voice.items()}))
    return _fill(path, tables, submitted_by, submitted_on)[0]


def fill_self_assessment(path: str | Path, answers: dict[str, dict[str, Any]],
                         submitted_by: str | None = None, submitted_on: dt.date | None = None
                         ) -> int:
    """Fill in an issued self-assessment form (Section 11 or 175/157) as an organisation
    would, through openpyxl: ``answers`` maps a question id to the cells to type (grade,
    evidence, action, owner, due; None clears a cell). Returns how many rows were changed."""
    return _fill(path, [(S.ISSUED_SELF_ASSESSMENT, ("question",),
                         {(q,): cells for q, cells in answers.items()})],
                 submitted_by, submitted_on)[0]


Cells = dict[tuple[Any, ...], dict[str, Any]]


def _fill(path: str | Path, tables: list[tuple[S.TableSchema, tuple[str, ...], Cells]],
          submitted_by: str | None, submitted_on: dt.date | None) -> list[int]:
    """Type into an issued form's tables row by row (each row found by its table's ``key``
    columns) and into the sign-off cells, then save: text stays text, never a formula.
    Returns how many rows of each table were filled."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    from qa_xl.collect.master import SIGN_OFF

    book = openpyxl.load_workbook(path)
    ws = book[tables[0][0].sheet]
    counts = []
    for schema, key, cells_by_key in tables:
        first_col, header_row, last_col, last_row = range_boundaries(
            ws.tables[schema.table].ref)
        column = {ws.cell(header_row, c).value: c for c in range(first_col, last_col + 1)}
        filled = 0
        for row in range(header_row + 1, last_row + 1):
            found = tuple(ws.cell(row, column[name]).value for name in key)
            for name, value in cells_by_key.get(found, {}).items():
                cell = ws.cell(row, column[name])
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # what a partner types as text stays text
            filled += found in cells_by_key
        counts.append(filled)
    if submitted_by is not None:
        ws.cell(SIGN_OFF["submitted_by"][0] + 1, 2).value = submitted_by
    if submitted_on is not None:
        ws.cell(SIGN_OFF["submitted_on"][0] + 1, 2).value = submitted_on
    book.save(path)
    return counts
