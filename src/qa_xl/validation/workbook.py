"""``qa-xl validate``: every table's checks together, as one tidy table of findings.

The schema checks of each table (:mod:`qa_xl.workbook.checks`), the returns' rules
(:mod:`qa_xl.collect.rules`) and the rules of the QA programme modules (:mod:`qa_xl.programme`)
run over one read of the workbook. Checking is read-only, like a linter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from qa_xl.collect.rules import check_addresses, check_indicators, check_returns
from qa_xl.core.errors import DataError
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import (
    ERROR,
    WARNING,
    Finding,
    check_config,
    check_layout,
    check_personal_data,
    check_schema,
    drop_knock_on,
    findings_frame,
    summary,
)
from qa_xl.workbook.store import Store, read_lists, read_returns, read_table, status_cells

INPUT_TABLES = (S.CONFIG, S.PARTNERS, S.INDICATORS, S.TIMETABLE, S.RISKS, S.AUDITS, S.VOICE,
                S.ACTIONS, S.CONTENT_AREAS)


def check_workbook(store: Store, today: dt.date | None = None) -> pd.DataFrame:
    """Every finding for the workbook, Errors first, in sheet and row order."""
    today = today or dt.date.today()
    lists = read_lists(store)
    found: list[Finding] = []
    tables: dict[str, S.Table] = {}
    for table_schema in [*INPUT_TABLES, S.RETURNS]:
        try:
            table = (read_returns(store) if table_schema is S.RETURNS
                     else read_table(store, table_schema))
        except DataError as exc:  # merged cells: report, carry on with the other tables
            found.append({"severity": ERROR, "sheet": exc.sheet, "cell": exc.cell,
                          "row_key": "", "check": "merged_cells", "message": exc.problem})
            continue
        found += check_layout(table)
        tables[table_schema.table] = table
        found += check_schema(table, lists)
        found += check_personal_data(table)
    found += _cross_table(tables, store, today)
    found += _derived_formulas(tables, store)
    return findings_frame(drop_knock_on(found))


def _derived_formulas(tables: dict[str, S.Table], store: Store) -> list[Finding]:
    """A formula typed into a column qa_xl works out (a risk's score, a next due date): the
    next roll-up writes the value over it, so say so first."""
    found: list[Finding] = []
    for table in tables.values():
        derived = [c.name for c in table.schema.columns if c.derived and c.name in
                   table.letters]
        if not derived or table.origin is not None:
            continue
        formulas = store.formula_cells(table.sheet)
        for column in derived:
            for row in table.df.index:
                cell = table.cell(column, row)
                if cell in formulas:
                    found.append({
                        "severity": WARNING, "sheet": table.sheet, "cell": cell,
                        "row_key": "", "check": "formula_in_derived", "value": None,
                        "message": f"{column} holds a formula ({formulas[cell][:60]}), but "
                        "qa_xl works this column out: the next roll-up (or validate "
                        "--write) writes the value over it. Put the formula in a column of "
                        "your own if you need it."})
    return found


def _cross_table(tables: dict[str, S.Table], store: Store, today: dt.date) -> list[Finding]:
    found: list[Finding] = []
    partners = tables.get(S.PARTNERS.table)
    partner_ids = set(partners.df["partner_id"].dropna()) if partners else set()
    if partners is not None:
        found += check_addresses(partners)
    indicators = tables.get(S.INDICATORS.table)
    if indicators is not None:
        found += check_indicators(indicators, partner_ids)
        if S.RETURNS.table in tables:
            found += check_returns(tables[S.RETURNS.table], indicators)
    if S.CONFIG.table in tables:
        found += check_config(tables[S.CONFIG.table])
    found += _programme_checks(tables, today)
    return found


def _programme_checks(tables: dict[str, S.Table], today: dt.date) -> list[Finding]:
    """Rules of the QA programme modules (timetable, risks, audits, voice, actions, areas)."""
    from qa_xl.programme import actions, audits, content_areas, risks, timetable, voice

    def frame(schema: S.TableSchema) -> pd.DataFrame | None:
        table = tables.get(schema.table)
        return None if table is None else table.df

    extra = {
        S.AUDITS.table: {"actions": frame(S.ACTIONS)},
        S.CONTENT_AREAS.table: {"indicators": frame(S.INDICATORS)},
    }
    modules = {S.TIMETABLE.table: timetable, S.RISKS.table: risks, S.AUDITS.table: audits,
               S.VOICE.table: voice, S.ACTIONS.table: actions,
               S.CONTENT_AREAS.table: content_areas}
    found: list[Finding] = []
    for name, module in modules.items():
        table = tables.get(name)
        if table is None:
            continue
        for f in module.check(table.df, table.letters, today, **extra.get(name, {})):
            found.append({**f, "sheet": table.sheet, "value": None})
    return found


def validate(workbook: str | Path | Store, *, today: dt.date | None = None,
             write: bool = False) -> pd.DataFrame:
    """Check the workbook and return the findings (tblValidation's columns plus ``value``).

    Checking is read-only, like a linter, so a workbook with bad data is left exactly as it
    was; with ``write`` (the Excel button, ``qa-xl validate --write``, the demo) the findings
    also go to tblValidation and the Start sheet's status cells, in one save.
    """
    from qa_xl.collect.consolidate import derived_columns
    from qa_xl.workbook.filestore import opened

    with opened(workbook, "Validate", write=write) as store:
        findings = check_workbook(store, today)
        if write:
            store.write({S.VALIDATION.table: findings[S.FINDING_COLUMNS]},
                        status_cells("Validate", summary(findings)),
                        columns=derived_columns(store, today or dt.date.today()))
    return findings
