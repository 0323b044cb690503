"""``qa-xl validate``: every schema check and cross-field rule, as a tidy table of findings.

Schema checks (required, type, list membership, ranges, identifiers, periods, unique keys)
are driven by :mod:`qa_xl.schema`; the rules that tie columns and tables together are below.
Each finding names the sheet and the cell, so an officer can go straight to it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as S
from .errors import DataError
from .periods import Period, PeriodError, frequency_kinds, period_kinds, period_or_none
from .rag import RED, rag_series
from .store import Store, read_lists, read_returns, read_table, status_cells

ERROR, WARNING = "Error", "Warning"
INPUT_TABLES = (S.CONFIG, S.PARTNERS, S.INDICATORS, S.TIMETABLE, S.RISKS, S.AUDITS, S.VOICE,
                S.ACTIONS, S.CONTENT_AREAS)
RATIO_TOLERANCE = 0.0005  # a value typed to 3 decimal places still agrees with num / den
Finding = dict[str, Any]


def finding(severity: str, table: S.Table, column: str, row: int, check: str, message: str,
            value: Any = None) -> Finding:
    return {"severity": severity, "sheet": table.sheet_of(row), "cell": table.cell(column, row),
        "row_key": row_key(table, row), "check": check, "message": message,
        "value": None if _missing(value) else value}


def row_key(table: S.Table, row: int) -> str:
    if row not in table.df.index:
        return ""
    key = table.schema.key or (table.schema.names[0],)
    return " / ".join(str(table.df.at[row, k]) for k in key if not _missing(table.df.at[row, k]))


def _missing(value: Any) -> bool:
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
    missing = series.isna()
    bad = missing if col.required else pd.Series(False, index=series.index)
    present = series[~missing]
    if col.kind == S.ID:
        bad |= ~present.astype(str).str.match(S.ID_PATTERN.pattern).reindex(
            series.index, fill_value=True)
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
    if _missing(value):
        return ("required", f"{col.name} is required: fill it in.") if col.required else None
    if col.kind == S.ID and not S.ID_PATTERN.match(str(value)):
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
    frame = table.df[key].astype("string").apply(lambda s: s.str.casefold())
    complete = frame.notna().all(axis=1)
    dupes = frame[complete].duplicated(keep="first")
    out = []
    first_rows = frame[complete].drop_duplicates(keep="first")
    for row in dupes[dupes].index:
        match = (first_rows == frame.loc[row]).all(axis=1)
        first = int(match[match].index[0])
        out.append(finding(ERROR, table, key[-1], row, "unique",
                           f"{' / '.join(key)} repeats row {first}: each must be unique — "
                           "remove or correct the duplicate."))
    return out


# ------------------------------------------------------------------------- cross-field rules

def check_returns(ret: S.Table, indicators: S.Table) -> list[Finding]:
    """Numerators, denominators, ratios, units, frequencies and commentary in the returns.

    Each rule is a column-wise mask over the return joined to its indicators (thousands of
    rows a quarter), and a finding is made only for the rows a mask picks out.
    """
    own = ["partner_id", *(c.name for c in S.RETURN_COLUMNS)]
    df = ret.df[[c for c in own if c in ret.df]].join(_indicator_info(indicators),
                                                     on="indicator_id")
    known = df["indicator_id"].isin(indicators.df["indicator_id"].dropna())
    value, num, den = df["value"], df["numerator"], df["denominator"]
    ratio = known & (df["aggregation"] == "ratio")
    rules: list[tuple[str, str, str, pd.Series, Callable[[pd.Series], str]]] = [
        (ERROR, "indicator_id", "unknown_indicator", df["indicator_id"].notna() & ~known,
         lambda r: f"indicator {r['indicator_id']!r} is not on the Indicators sheet."),
        (WARNING, "indicator_id", "not_reported_by_partner", known & ~_reporting_partner(df),
         lambda r: f"{r['partner_id']} is not among the reporting partners of "
                   f"{r['indicator_id']}."),
        (ERROR, "period", "period_frequency", known & _wrong_frequency(df),
         lambda r: f"{r['indicator_id']} is reported {r['frequency']}, but the period "
                   f"{r['period']} is not."),
        (ERROR, "numerator", "numerator_le_denominator", num > den,
         lambda r: f"the numerator {r['numerator']:g} is larger than the denominator "
                   f"{r['denominator']:g}."),
        (ERROR, "denominator", "ratio_parts", ratio & num.notna() & den.isna(),
         lambda r: "a ratio needs both numerator and denominator: fill in the denominator."),
        (ERROR, "numerator", "ratio_parts", ratio & num.isna() & den.notna(),
         lambda r: "a ratio needs both numerator and denominator: fill in the numerator."),
        (ERROR, "value", "ratio_value",
         ratio & (den > 0) & ((value - num / den).abs() > RATIO_TOLERANCE),
         lambda r: f"value {r['value']:g} is not numerator / denominator ({r['numerator']:g}"
                   f" / {r['denominator']:g} = {r['numerator'] / r['denominator']:.4f})."),
        (ERROR, "value", "percentage_as_decimal", ratio & (value > 1) & den.isna(),
         lambda r: f"value {r['value']:g} is over 100%: give the numerator and denominator "
                   "(the value is worked out), or write the percentage as a decimal (85% is "
                   "0.85)."),
        (ERROR, "value", "negative", known & (value < 0) & df["unit"].isin(NON_NEGATIVE_UNITS),
         lambda r: f"{str(r['unit']).lower()} {r['value']:g} cannot be negative."),
        (ERROR, "commentary", "commentary_required",
         df["commentary"].isna() & known & value.isna(),
         lambda r: "the value is missing: say why in the commentary."),
        (ERROR, "commentary", "commentary_required",
         df["commentary"].isna() & known & value.notna() & _red(df),
         lambda r: "the value is Red against target: explain it in the commentary."),
    ]
    out = []
    for severity, column, check, mask, message in rules:
        for row, r in df[mask.fillna(False).astype(bool)].iterrows():
            out.append(finding(severity, ret, column, row, check, message(r), r[column]))
    return out


NON_NEGATIVE_UNITS = ("Count", "Percentage", "Days")


def _indicator_info(indicators: S.Table) -> pd.DataFrame:
    info = indicators.df.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    return info.set_index("indicator_id")[["aggregation", "unit", "polarity", "target",
                                            "amber_tolerance", "frequency",
                                            "reporting_partners"]]


def _reporting_partner(df: pd.DataFrame) -> pd.Series:
    """Is each row's partner among its indicator's reporting partners?"""
    pairs = df[["reporting_partners", "partner_id"]].drop_duplicates()
    ok = {(t, p): (_reporting(t) is None or p in _reporting(t)) for t, p in
          pairs.itertuples(index=False)}
    return pd.Series([ok[(t, p)] for t, p in zip(df["reporting_partners"], df["partner_id"])],
                     index=df.index, dtype=bool)


def _wrong_frequency(df: pd.DataFrame) -> pd.Series:
    have, want = period_kinds(df["period"]), frequency_kinds(df["frequency"])
    return have.notna() & want.notna() & (have != want)


def _red(df: pd.DataFrame) -> pd.Series:
    """Red against target for the rows where a partner's own figure is comparable to the
    target (not for sums, whose target is for the partnership as a whole)."""
    rated = df["aggregation"].ne("sum").fillna(False).astype(bool)
    red = rag_series(df["value"], df["target"], df["polarity"], df["amber_tolerance"]) == RED
    return rated & red.fillna(False).astype(bool)


def _reporting(text: Any) -> set[str] | None:
    if _missing(text) or str(text).strip().lower() == "all":
        return None
    return {p.strip() for p in str(text).split(",") if p.strip()}


def check_indicators(indicators: S.Table, partner_ids: set[str]) -> Iterator[Finding]:
    for row, r in indicators.df.iterrows():
        for pid in sorted(_reporting(r["reporting_partners"]) or ()):
            if pid not in partner_ids:
                yield finding(ERROR, indicators, "reporting_partners", row, "unknown_partner",
                              f"reporting partner {pid!r} is not on the Partners sheet.")
        if r["aggregation"] == "ratio" and not _missing(r["target"]) and r["target"] > 1:
            yield finding(WARNING, indicators, "target", row, "percentage_as_decimal",
                          f"a ratio's target {r['target']:g} is over 100%: write 85% as 0.85.")


def check_personal_data(table: S.Table) -> Iterator[Finding]:
    from .personal_data import find_personal_data

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


# ------------------------------------------------------------------------------ the command

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
        if table.origin is None and table.sheet != table_schema.sheet:
            found.append({"severity": ERROR, "sheet": table.sheet, "cell": "",
                          "row_key": table_schema.table, "check": "sheet_name",
                          "message": f"the sheet holding {table_schema.table} is called "
                          f"{table.sheet!r}, not {table_schema.sheet!r}: rename it back so "
                          "buttons and papers find it."})
        tables[table_schema.table] = table
        found += check_schema(table, lists)
        found += check_personal_data(table)
    found += _cross_table(tables, store, today)
    return findings_frame(drop_knock_on(found))


def _cross_table(tables: dict[str, S.Table], store: Store, today: dt.date) -> list[Finding]:
    found: list[Finding] = []
    partners = tables.get(S.PARTNERS.table)
    partner_ids = set(partners.df["partner_id"].dropna()) if partners else set()
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
    from . import actions, audits, content_areas, risks, timetable, voice

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


def validate(workbook: str | Path | Store, *, today: dt.date | None = None,
             write: bool = False) -> pd.DataFrame:
    """Check the workbook and return the findings (tblValidation's columns plus ``value``).

    Checking is read-only, like a linter, so a workbook with bad data is left exactly as it
    was; with ``write`` (the Excel button, ``qa-xl validate --write``, the demo) the findings
    also go to tblValidation and the Start sheet's status cells, in one save.
    """
    from .filestore import FileStore
    from .xlsxparts import check_not_locked

    if isinstance(workbook, str | Path):
        check_not_locked(Path(workbook))  # Excel has newer data than the file: say so
    store = FileStore(workbook) if isinstance(workbook, str | Path) else workbook
    findings = check_workbook(store, today)
    if write:
        store.write({S.VALIDATION.table: findings[S.FINDING_COLUMNS]},
                    status_cells("Validate", summary(findings)))
    return findings
