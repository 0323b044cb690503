"""Schema-driven checks: one declarative schema per table (:mod:`qa_xl.workbook.schema`)
yields a tidy table of failures, as pandera does.

Required, type, list membership, ranges, identifiers, periods and unique keys come from each
table's schema; the rules that tie columns and tables together live with the layer that knows
them (the returns' in :mod:`qa_xl.collect.rules`, the programme's in each
:mod:`qa_xl.programme` module) and the whole workbook is checked by :mod:`qa_xl.validation`.
Each finding names the sheet and the cell, so an officer can go straight to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from qa_xl.core.periods import Period, PeriodError, period_or_none
from qa_xl.workbook import schema as S

ERROR, WARNING = "Error", "Warning"
Finding = dict[str, Any]


def finding(severity: str, table: S.Table, column: str, row: int, check: str, message: str,
            value: Any = None) -> Finding:
    return {"severity": severity, "sheet": table.sheet_of(row), "cell": table.cell(column, row),
        "row_key": row_key(table, row), "check": check, "message": message,
        "value": None if is_missing(value) else value}


def row_key(table: S.Table, row: int) -> str:
    if row not in table.df.index:
        return ""
    key = table.schema.key or (table.schema.names[0],)
    return " / ".join(str(table.df.at[row, k]) for k in key if not is_missing(table.df.at[row, k]))


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


# ---------------------------------------------------------------------------- schema checks

def check_schema(table: S.Table, lists: dict[str, list[str]]) -> list[Finding]:
    """Required, list, range, identifier, period and uniqueness checks from the schema."""
    out: list[Finding] = [
        {**f, "row_key": row_key(table, int(f["cell"].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))}
        for f in table.type_failures
    ]
    failed_cells = {f["cell"] for f in out}
    for col in table.schema.columns:
        if col.derived:
            continue
        allowed = {v.casefold() for v in lists.get(col.choices, [])} if col.choices else None
        if col.choices and col.choices not in lists and table.schema.added:
            allowed = None  # a workbook made before the table (and its list) existed
        series = table.df[col.name]
        for row in _suspects(col, series, allowed):
            value = series.at[row]
            problem = _cell_problem(col, value, allowed)
            if problem and table.cell(col.name, row) not in failed_cells:
                out.append(finding(ERROR, table, col.name, row, problem[0], problem[1], value))
    out += _duplicates(table)
    return out


def _suspects(col: S.Column, series: pd.Series, allowed: set[str] | None) -> pd.Index:
    """Rows that may break a rule, found column-wise; :func:`_cell_problem` says which."""
    if not (col.required or col.kind in (S.ID, S.PERIOD) or allowed is not None
            or col.min is not None or col.max is not None):
        return series.index[:0]  # a column without a rule (most free text): nothing to find
    missing = series.isna()
    bad = missing if col.required else pd.Series(False, index=series.index)
    present = series[~missing]
    if col.kind == S.ID:
        text = present.astype(str)
        good = text.str.match(S.ID_PATTERN.pattern)
        if col.also:
            good |= text.str.match(col.also)
        bad |= ~good.reindex(series.index, fill_value=True)
    elif col.kind == S.PERIOD:
        good = {v for v in present.unique() if period_or_none(v) is not None}
        bad |= ~series.isin(good) & ~missing
    elif allowed is not None:
        bad |= ~present.astype(str).str.casefold().isin(allowed).reindex(
            series.index, fill_value=True)
    if col.min is not None:
        bad |= (present < col.min).reindex(series.index, fill_value=False)
    if col.max is not None:
        bad |= (present > col.max).reindex(series.index, fill_value=False)
    return series.index[bad.to_numpy(dtype=bool)]


def _cell_problem(col: S.Column, value: Any, allowed: set[str] | None) -> tuple[str, str] | None:
    if is_missing(value):
        return ("required", f"{col.name} is required: fill it in.") if col.required else None
    if col.kind == S.ID and not S.ID_PATTERN.match(str(value)) and not (
            col.also and re.match(col.also, str(value))):
        return "identifier", f"{col.name} {value!r} must be {S.ID_RULE}."
    if col.kind == S.PERIOD:
        try:
            Period.parse(value)
        except PeriodError as exc:
            return "period", str(exc) + "."
    elif allowed is not None and str(value).casefold() not in allowed:
        return "list", (f"{col.name} {str(value)[:40]!r} is not in the list "
                        f"'{col.choices}': pick a value from the dropdown.")
    if col.min is not None and value < col.min:
        return "range", f"{col.name} is {value} but must be at least {col.min:g}."
    if col.max is not None and value > col.max:
        return "range", f"{col.name} is {value} but must be at most {col.max:g}."
    return None


def _duplicates(table: S.Table) -> list[Finding]:
    key = list(table.schema.key)
    if not key or table.df.empty:
        return []
    # the key's values as text, compared without case, in one pass over the rows: the answers
    # table has a row per question of every organisation
    columns = [table.df[k].astype("string").tolist() for k in key]
    first: dict[tuple[str, ...], int] = {}
    out = []
    for row, values in zip(table.df.index.tolist(), zip(*columns)):
        if any(v is pd.NA for v in values):
            continue  # a key with a blank part is not compared with the others
        seen = first.setdefault(tuple(v.casefold() for v in values), row)
        if seen != row:
            out.append(finding(ERROR, table, key[-1], row, "unique",
                               f"{' / '.join(key)} repeats row {seen}: each must be unique — "
                               "remove or correct the duplicate."))
    return out


def check_personal_data(table: S.Table) -> Iterator[Finding]:
    from qa_xl.core.personal_data import find_personal_data

    for col in table.schema.columns:
        if not col.free_text:
            continue
        for row, text in table.df[col.name].dropna().items():
            for hit in find_personal_data(str(text)):
                yield finding(WARNING, table, col.name, row, "personal_data",
                              f"{col.name} looks like it holds {_article(hit.kind)} "
                              f"{hit.kind} ({hit.text}): papers hold aggregate figures only — "
                              "remove it.")


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeio" or noun.startswith("NHS") else "a"


def check_config(config: S.Table) -> Iterator[Finding]:
    keys = dict(zip(config.df["key"], config.df.index))
    for key in ("workbook_id", "return_secret", "current_period"):
        if key not in keys:
            yield {"severity": ERROR, "sheet": config.schema.sheet, "cell": "",
                   "row_key": key, "check": "config_key",
                   "message": f"the setting {key!r} is missing from tblConfig: add it back."}
    if "return_secret" in keys:
        secret = str(config.df.at[keys["return_secret"], "value"])
        if len(set(secret)) <= 1 or len(secret) < 32:
            yield finding(WARNING, config, "value", keys["return_secret"], "placeholder_secret",
                          "return_secret is the template's placeholder (or too short), so "
                          "returns cannot be issued: make your master with qa-xl new.")
    if "current_period" in keys:
        row = keys["current_period"]
        value = config.df.at[row, "value"]
        if period_or_none(value) is None:
            yield finding(ERROR, config, "value", row, "period",
                          f"current_period {value!r} is not a period such as 2026-27 Q2.")


def drop_knock_on(found: list[Finding]) -> list[Finding]:
    """A value typed as text is one mistake: do not also ask why the value is missing."""
    typed = {(f["sheet"], _row_of(f["cell"])) for f in found if f["check"] == "type"}
    return [f for f in found if not (f["check"] == "commentary_required"
                                     and (f["sheet"], _row_of(f["cell"])) in typed)]


def _row_of(cell: str | None) -> str:
    return "".join(ch for ch in (cell or "") if ch.isdigit())


def findings_frame(found: list[Finding]) -> pd.DataFrame:
    columns = [*S.FINDING_COLUMNS, "value"]
    df = pd.DataFrame(found, columns=columns)
    if df.empty:
        return df
    df["_sev"] = (df["severity"] != ERROR).astype(int)
    df["_row"] = pd.to_numeric(df["cell"].str.extract(r"(\d+)$")[0], errors="coerce")
    df = df.sort_values(["_sev", "sheet", "_row", "cell"], kind="stable")
    return df.drop(columns=["_sev", "_row"]).reset_index(drop=True)


def summary(findings: pd.DataFrame) -> str:
    errors = int((findings["severity"] == ERROR).sum()) if len(findings) else 0
    warnings = len(findings) - errors
    if not len(findings):
        return "No problems found"
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"




def check_layout(table: S.Table) -> list[Finding]:
    """A table on a renamed sheet: qa_xl still finds it by name, but the buttons, the papers
    and the officers' instructions go by the sheet names of the contract."""
    if table.origin is None and table.sheet and table.sheet != table.schema.sheet:
        return [{"severity": ERROR, "sheet": table.sheet, "cell": "",
                 "row_key": table.schema.table, "check": "sheet_name",
                 "message": f"the sheet holding {table.schema.table} is called "
                 f"{table.sheet!r}, not {table.schema.sheet!r}: rename it back so buttons "
                 "and papers find it.", "value": None}]
    return []


# Errors that validate reports but that change no figure a job produces: a Red or missing
# figure without its explanation is still the same figure (the import insists on it).
RESULT_NEUTRAL = frozenset({"commentary_required"})


def refuse_errors(store: Any, tables: Iterable[S.Table], what: str,
                  extra: Iterable[Finding] = ()) -> None:
    """Work only on tables that pass their checks: a figure typed as text, a duplicate
    indicator id, a negative count or a row outside its table would otherwise change the
    result silently ("No data", a wrong total). ``what`` names the job ("the roll-up");
    ``extra`` are the job's own rules' findings (the returns' rules, say)."""
    from qa_xl.core.errors import DataError
    from qa_xl.workbook.store import read_lists

    lists = read_lists(store)
    found = [f for t in tables for f in (*check_schema(t, lists), *check_layout(t))]
    errors = [f for f in drop_knock_on([*found, *extra]) if f["severity"] == ERROR
              and f["check"] not in RESULT_NEUTRAL]
    if errors:
        where = "; ".join(f"{f['sheet']}!{f['cell']} {f['message']}" if f.get("cell") else
                          f"{f['sheet']}: {f['message']}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise DataError(f"{what} needs correct data first: {where}{more}",
                        file=store.label, action="correct these (qa-xl validate lists every "
                        "problem) and run again")
