"""Importing partner returns: check each file, then land the valid ones in one save.

Importing checks the file before any spreadsheet reader sees it (:mod:`qa_xl.collect.package`),
the signature, then every row with the master's own rules (:mod:`qa_xl.collect.rules`). A
valid return replaces that partner's rows for its periods — a re-import never doubles a figure.
Every attempt is logged in tblImportLog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.master import (
    ACCEPTED,
    REFUSED,
    SIGN_OFF,
    Master,
    issued_rows,
    open_store,
    token,
)
from qa_xl.collect.package import Refused, check_package, metadata, read_book, read_bytes
from qa_xl.core.periods import Period, PeriodError
from qa_xl.workbook import schema as S
from qa_xl.workbook.store import Store, read_table, status_cells

# -------------------------------------------------------------------------------- importing

@dataclass
class FileResult:
    """What happened to one return file."""

    file: Path
    sha256: str = ""
    partner_id: str = ""
    period: str = ""
    accepted: bool = False
    problems: list[str] = field(default_factory=list)  # each names the file, sheet and cell
    warnings: list[str] = field(default_factory=list)
    data_error: bool = False  # refused for its values (exit 1) rather than unusable (exit 2)
    rows: pd.DataFrame | None = None  # the master rows it brings (tblReturn_<partner> columns)

    @property
    def result(self) -> str:
        if self.accepted:
            extra = f" with {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"{ACCEPTED}{extra}"
        return f"{REFUSED}: {self.problems[0] if self.problems else 'unknown reason'}"


@dataclass
class ImportReport:
    results: list[FileResult]
    written: bool = False
    pending_log: Path | None = None

    @property
    def exit_code(self) -> int:
        refused = [r for r in self.results if not r.accepted]
        if not refused:
            return 0
        return 1 if all(r.data_error for r in refused) else 2

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            head = f"{r.file.name}: {r.result.split(':')[0]}"
            out.append(f"{head} ({r.partner_id or '?'}, {r.period or '?'}, "
                       f"{0 if r.rows is None else len(r.rows)} rows)")
            out += [f"  {p}" for p in r.problems] + [f"  Warning: {w}" for w in r.warnings]
        if self.pending_log:
            out.append(f"Nothing was imported, so the workbook is unchanged; the refused "
                       f"attempts are logged in {self.pending_log.name} and move to the "
                       "ImportLog sheet at the next import.")
        return out


def import_returns(workbook: str | Path | Store, files: Iterable[str | Path], *,
                   today: dt.date | None = None) -> ImportReport:
    """Check and import each return; write every accepted one and the log in one save."""
    store = open_store(workbook)
    master = Master.read(store)
    log = read_table(store, S.IMPORT_LOG).df
    results = [check_return_file(f, master, today or dt.date.today()) for f in _expand(files)]
    report = ImportReport(results)
    attempts = [_log_row(r) for r in results]
    pending = _pending_path(store)
    if not any(r.accepted for r in results) and pending is not None:
        _append_pending(pending, attempts)
        report.pending_log = pending
        return report
    earlier = _read_pending(pending)
    tables = _replaced_returns(master, [r for r in results if r.accepted])
    tables[S.IMPORT_LOG.table] = pd.concat(
        [log, pd.DataFrame(earlier + attempts, columns=S.IMPORT_LOG.names)], ignore_index=True)
    accepted = sum(r.accepted for r in results)
    store.write(tables, status_cells("Import returns",
                                     f"{accepted} of {len(results)} returns imported"))
    if pending is not None and pending.exists():
        pending.unlink()
    report.written = True
    return report


def _expand(files: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the .xlsx returns inside it."""
    out: list[Path] = []
    for f in map(Path, files):
        if f.is_dir():
            out += sorted(p for p in f.glob("*.xlsx") if not p.name.startswith(("~$", ".~")))
        else:
            out.append(f)
    return out


def _replaced_returns(master: Master, accepted: list[FileResult]) -> dict[str, pd.DataFrame]:
    """Each partner's table with the imported periods replaced, never added to."""
    tables: dict[str, pd.DataFrame] = {}
    columns = [c.name for c in S.RETURN_COLUMNS]
    for result in accepted:
        name = f"tblReturn_{result.partner_id}"
        current = tables.get(name)
        if current is None:
            current = master.returns[master.returns["partner_id"] == result.partner_id]
            current = current[columns]
        assert result.rows is not None
        periods = set(result.rows["period"])
        kept = current[~current["period"].isin(periods)]
        tables[name] = pd.concat([kept, result.rows[columns]], ignore_index=True)
    return tables


def _log_row(result: FileResult) -> list[Any]:
    return [dt.datetime.now().replace(microsecond=0), result.partner_id or None,
            result.period or None, result.file.name, result.sha256,
            0 if result.rows is None else len(result.rows), result.result[:500]]


def _pending_path(store: Store) -> Path | None:
    path = getattr(store, "path", None)
    return None if path is None else path.with_name(f"{path.stem}.refused-imports.jsonl")


def _append_pending(path: Path, rows: list[list[Any]]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v
                                  for v in row]) + "\n")


def _read_pending(path: Path | None) -> list[list[Any]]:
    if path is None or not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            row[0] = dt.datetime.fromisoformat(row[0])
            rows.append(row)
        except (ValueError, TypeError, IndexError):
            continue
    return rows


# ------------------------------------------------------------------------- checking a file

def check_return_file(path: Path, master: Master, today: dt.date) -> FileResult:
    """Every check on one return file; a problem refuses it, naming the file and cell."""
    result = FileResult(path)
    try:
        data = read_bytes(path)
        result.sha256 = hashlib.sha256(data).hexdigest()
        formulas = check_package(path, data)
        book = read_book(path, data)
        meta = metadata(path, book)
        if formulas:
            raise Refused(f"{path.name}: sheet Return, cells {', '.join(formulas[:10])} hold "
                          "formulas; a return takes typed values only: type the figures",
                          data=True)
        result.partner_id, result.period = meta["partner_id"], meta["period"]
        _check_signature(path, meta, master)
        if f"tblReturn_{meta['partner_id']}" not in master.store.table_names():
            raise Refused(f"{path.name}: the master has no return sheet for "
                          f"{meta['partner_id']}; add its Return_{meta['partner_id']} sheet "
                          "(qa-xl new builds one per partner) before importing")
        raw = _return_table_raw(path, book)
        result.rows, result.warnings = _check_rows(path, raw, book, meta, master, today)
        result.accepted = True
    except Refused as exc:
        result.problems, result.data_error = exc.problems, exc.data
    return result


def _check_signature(path: Path, meta: dict[str, str], master: Master) -> None:
    name = path.name
    if meta["workbook_id"] != master.workbook_id:
        raise Refused(f"{name}: this return was issued by another master workbook "
                      f"({meta['workbook_id'][:8]}…); import it into that workbook, or issue "
                      "a new return from this one")
    expected = token(master.secret(), master.workbook_id, meta["partner_id"], meta["period"],
                     meta["template_version"])
    if not hmac.compare_digest(expected, meta["token"]):
        raise Refused(f"{name}: the signature does not match its partner ({meta['partner_id']})"
                      f" and period ({meta['period']}): the hidden details were changed or "
                      "the file was forged; ask the business unit for a new return")
    if meta["partner_id"] not in set(master.partners["partner_id"].dropna()):
        raise Refused(f"{name}: partner {meta['partner_id']!r} is no longer on the Partners "
                      "sheet; add it back before importing")
    try:
        Period.parse(meta["period"])
    except PeriodError as exc:
        raise Refused(f"{name}: {exc}") from exc


def _return_table_raw(path: Path, book: Any) -> S.RawTable:
    schema = S.ISSUED_RETURN
    if schema.table not in book.table_names:
        raise Refused(f"{path.name}: the table {schema.table} is missing — was the sheet "
                      f"{schema.sheet!r} renamed, deleted or its table removed? Fill in the "
                      "file you were sent")
    table = book.get_table_by_name(schema.table)
    if table.sheet != schema.sheet:
        raise Refused(f"{path.name}: the sheet holding the return is called {table.sheet!r}, "
                      f"not {schema.sheet!r}; rename it back and send it again", data=True)
    header = [str(h) for h in table.columns]
    missing = [c for c in schema.names if c not in header]
    if missing:
        raise Refused(f"{path.name}: sheet {schema.sheet}, the column {missing[0]!r} was "
                      "deleted or renamed; fill in the file you were sent", data=True)
    rows = table.to_python() if table.height else []
    return S.RawTable(schema.table, table.sheet, header, rows, first_row=table.start[0],
                      first_col=table.start[1] + 1)


def _check_rows(path: Path, raw: S.RawTable, book: Any, meta: dict[str, str], master: Master,
                today: dt.date) -> tuple[pd.DataFrame, list[str]]:
    """Type and check every row with the master's own rules; the master rows it brings."""
    from qa_xl.collect.rules import check_returns
    from qa_xl.workbook.checks import ERROR, check_personal_data, check_schema, drop_knock_on

    table = S.type_table(raw, S.ISSUED_RETURN)
    df = table.df
    _fill_ratio_values(df, master.indicators)
    df["partner_id"] = meta["partner_id"]
    expected = issued_rows(master, meta["partner_id"], Period.parse(meta["period"]))
    ind_table = S.Table(S.INDICATORS, master.indicators)
    found = check_schema(table, {}) + check_returns(table, ind_table)
    found += list(check_personal_data(table))
    found += _unexpected_rows(table, expected)
    if df[["value", "numerator", "denominator", "commentary"]].isna().all(axis=None) and len(df):
        raise Refused(f"{path.name}: the return has not been filled in: type the figures in "
                      "the yellow cells of the Return sheet and send it again", data=True)
    found = drop_knock_on(found)
    errors = [f for f in found if f["severity"] == ERROR]
    if errors:
        raise Refused(*map(lambda f: _where(path, f), errors), data=True)
    warnings = [_where(path, f) for f in found]
    warnings += _sign_off_warnings(path, book, df, master, today)
    by, on = _sign_off(book)
    rows = pd.DataFrame({
        "period": df["period"], "indicator_id": df["indicator_id"], "value": df["value"],
        "numerator": df["numerator"], "denominator": df["denominator"],
        "commentary": df["commentary"], "submitted_by": by,
        "submitted_on": pd.Timestamp(on or today)})
    return rows.reset_index(drop=True), warnings


def _where(path: Path, f: dict[str, Any]) -> str:
    cell = f", cell {f['cell']}" if f.get("cell") else ""
    return f"{path.name}: sheet {f['sheet']}{cell}: {f['message']}"


def _sign_off_warnings(path: Path, book: Any, df: pd.DataFrame, master: Master,
                       today: dt.date) -> list[str]:
    """Things worth a look that do not stop the import."""
    by, on = _sign_off(book)
    out = []
    if by is None or on is None:
        out.append(f"{path.name}: sheet Return: 'Completed by' or 'Date completed' is blank; "
                   "the import records today's date")
    elif on > today:
        out.append(f"{path.name}: sheet Return: the completion date {on:%d/%m/%Y} is in the "
                   "future")
    ratio_ids = set(master.indicators.loc[master.indicators["aggregation"] == "ratio",
                                          "indicator_id"])
    parts = df[~df["indicator_id"].isin(ratio_ids)
               & (df["numerator"].notna() | df["denominator"].notna())]
    for ind in parts["indicator_id"]:
        out.append(f"{path.name}: sheet Return: {ind} is not a percentage, so its numerator "
                   "and denominator are kept but not used")
    return out


def _fill_ratio_values(df: pd.DataFrame, indicators: pd.DataFrame) -> None:
    """A percentage's value may be left blank: it is numerator / denominator."""
    ratio_ids = set(indicators.loc[indicators["aggregation"] == "ratio", "indicator_id"])
    blank = (df["value"].isna() & df["indicator_id"].isin(ratio_ids)
             & df["numerator"].notna() & (df["denominator"] > 0))
    df.loc[blank, "value"] = (df.loc[blank, "numerator"] / df.loc[blank, "denominator"]).round(6)


def _unexpected_rows(table: S.Table, expected: pd.DataFrame) -> list[dict[str, Any]]:
    from qa_xl.workbook.checks import ERROR, finding

    wanted = set(zip(expected["period"], expected["indicator_id"]))
    found = []
    seen = set()
    for row, r in table.df.iterrows():
        key = (r["period"], r["indicator_id"])
        seen.add(key)
        if key not in wanted:
            found.append(finding(ERROR, table, "indicator_id", row, "unexpected_row",
                                 f"{r['indicator_id']} for {r['period']} was not in the return "
                                 "as issued (was a row added or an indicator code changed?): "
                                 "fill in the file you were sent"))
    for period, ind in sorted(wanted - seen):
        found.append({"severity": ERROR, "sheet": table.sheet, "cell": "", "row_key": ind,
                      "check": "missing_row", "message": f"the row for {ind} ({period}) is "
                      "missing (deleted, or its code changed): fill in the file you were sent"})
    return found


def _sign_off(book: Any) -> tuple[str | None, dt.date | None]:
    values = book.get_sheet_by_name(S.ISSUED_RETURN.sheet).to_python(skip_empty_area=False)
    out: dict[str, Any] = {}
    for key, (row, _label) in SIGN_OFF.items():
        cell = values[row][1] if row < len(values) and len(values[row]) > 1 else None
        out[key] = None if cell in (None, "") else cell
    on = out["submitted_on"]
    if isinstance(on, dt.datetime):
        on = on.date()
    elif not isinstance(on, dt.date):
        on = None
    by = out["submitted_by"]
    return (None if by is None else str(by)[:100]), on

