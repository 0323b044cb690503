"""Partner returns: issue one macro-free .xlsx per partner and period, and import them safely.

A return carries hidden metadata (partner, period, template version, the master's id) and an
HMAC-SHA256 signature made with a secret that only the master workbook holds, so a return
cannot be imported as another partner's, another period's or another workbook's. Importing
checks the file before any spreadsheet reader sees it (type, size, zip bomb, macros, XML
document types via defusedxml, formulas), then every row with the master's own rules. A valid
return replaces that partner's rows for its periods — a re-import never doubles a figure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as S
from .errors import UnusableInput
from .periods import FREQUENCY_OF, Period, PeriodError
from .store import Store, read_returns, read_settings, read_table, status_cells

TEMPLATE_VERSION = "1"
ABOUT_SHEET = "About"
META_KEYS = ("partner_id", "period", "template_version", "workbook_id", "token")
MAX_FILE_BYTES = 5 * 1024 * 1024  # a return is tens of kilobytes
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 300
MAX_RATIO = 200  # compressed XML rarely beats 20:1; a zip bomb is thousands to one
HEADER_ROW = 6  # 0-based: the table header is on row 7, under the how-to and sign-off cells
SIGN_OFF = {"submitted_by": (3, "Completed by"), "submitted_on": (4, "Date completed")}
ACCEPTED, REFUSED = "Accepted", "Refused"


# ------------------------------------------------------------------------------- the master

@dataclass
class Master:
    """What issuing and importing need from the master workbook, read once."""

    store: Store
    settings: dict[str, Any]
    partners: pd.DataFrame
    indicators: pd.DataFrame
    returns: pd.DataFrame  # every partner's rows, with partner_id

    @classmethod
    def read(cls, store: Store) -> Master:
        return cls(store, read_settings(store), read_table(store, S.PARTNERS).df,
                   read_table(store, S.INDICATORS).df, read_returns(store).df)

    def secret(self) -> str:
        secret = str(self.settings.get("return_secret") or "")
        if len(secret) < 32:
            raise UnusableInput("the setting return_secret is missing or too short, so "
                                "returns cannot be signed", file=self.store.label,
                                sheet="Config", action="make the workbook with qa-xl new, or "
                                "copy return_secret from a backup")
        if len(set(secret)) == 1:  # the committed template's placeholder: anyone could sign
            raise UnusableInput("the setting return_secret is still the template's "
                                "placeholder, so anyone could forge a return",
                                file=self.store.label, sheet="Config",
                                action="make your master with qa-xl new (it sets a secret of "
                                "its own), or paste a long random value into return_secret")
        return secret

    @property
    def workbook_id(self) -> str:
        return str(self.settings.get("workbook_id") or "")

    def partner(self, partner_id: str) -> pd.Series:
        match = self.partners[self.partners["partner_id"] == partner_id]
        if match.empty:
            raise UnusableInput(f"there is no partner {partner_id!r} on the Partners sheet",
                                file=self.store.label, action="check the partner_id")
        return match.iloc[0]


def token(secret: str, workbook_id: str, partner_id: str, period: str,
          version: str = TEMPLATE_VERSION) -> str:
    """The signature of a return: HMAC-SHA256 over what identifies it."""
    message = "|".join((workbook_id, partner_id, period, version)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _open(workbook: str | Path | Store) -> Store:
    from .filestore import FileStore

    return FileStore(workbook) if isinstance(workbook, str | Path) else workbook


# ---------------------------------------------------------------------------------- issuing

def reports(reporting: Any, partner_id: str, sending: set[str]) -> bool:
    text = "" if pd.isna(reporting) else str(reporting).strip()
    if not text or text.casefold() == "all":
        return partner_id in sending
    return partner_id in {p.strip() for p in text.split(",")}


def periods_due(period: Period) -> dict[str, Period]:
    """The period of each frequency reported in a return for ``period``: a quarter's return
    also carries the half-yearly and annual figures of the half-year or year it closes."""
    due = {"Q": period} if period.kind == "Q" else {period.kind: period}
    for kind in ("H", "Y"):
        if period.kind == "Q" or (period.kind == "H" and kind == "Y"):
            whole = Period.containing(period.end, kind)
            if whole.end == period.end:
                due[kind] = whole
    return due


def issued_rows(master: Master, partner_id: str, period: Period) -> pd.DataFrame:
    """The rows of one partner's return: its indicators due in the period, previous figure
    alongside."""
    sending = set(master.partners.loc[
        master.partners["returns_expected"].fillna("Yes").str.casefold() != "no",
        "partner_id"].dropna())
    due = periods_due(period)
    own = master.returns[master.returns["partner_id"] == partner_id]
    previous = {(r.indicator_id, r.period): r.value for r in own.itertuples()}
    rows = []
    for ind in master.indicators.dropna(subset=["indicator_id"]).itertuples():
        kind = next((k for k, f in FREQUENCY_OF.items() if f == ind.frequency), None)
        if kind not in due or not reports(ind.reporting_partners, partner_id, sending):
            continue
        p = due[kind]
        rows.append([str(p), ind.indicator_id, ind.indicator_name, ind.oba_measure, ind.unit,
                     ind.definition, previous.get((ind.indicator_id, str(p.previous()))),
                     None, None, None, None])
    return pd.DataFrame(rows, columns=S.ISSUED_RETURN.names)


def return_file_name(partner_id: str, period: Period) -> str:
    return f"{partner_id}_{period.file_part}.xlsx"


def issue_returns(workbook: str | Path | Store, period: str, out_dir: str | Path | None = None,
                  partners: Iterable[str] | None = None) -> list[Path]:
    """Write one return per partner (or those named) for ``period``; returns the files."""
    store = _open(workbook)
    master = Master.read(store)
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise UnusableInput(str(exc), action="give the period as 2026-27 Q2") from exc
    folder = Path(out_dir) if out_dir else _default_folder(store, p)
    master.secret()  # refuse before making folders when returns cannot be signed
    wanted = list(partners) if partners else [
        pid for pid, expected in zip(master.partners["partner_id"],
                                     master.partners["returns_expected"])
        if not pd.isna(pid) and str(expected).casefold() != "no"]
    written = []
    for pid in wanted:
        partner = master.partner(pid)
        rows = issued_rows(master, pid, p)
        if rows.empty:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / return_file_name(pid, p)
        write_return(path, master, partner, p, rows)
        written.append(path)
    return written


def _default_folder(store: Store, period: Period) -> Path:
    base = Path(getattr(store, "path", Path.cwd() / "x")).parent
    return base / "returns" / period.file_part


def write_return(path: Path, master: Master, partner: pd.Series, period: Period,
                 rows: pd.DataFrame) -> None:
    """The partner's workbook: how-to, sign-off cells, the table, protection, metadata."""
    import xlsxwriter

    names = master.settings
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    book.set_properties({"title": f"Return: {partner['name']}, {period}",
                         "author": str(names.get("partnership", "")),
                         "created": dt.datetime(2000, 1, 1)})
    fmt = _return_formats(book)
    ws = book.add_worksheet("Return")
    ws.write_string(0, 0, f"{names.get('partnership', '')}: quarterly return", fmt["title"])
    ws.write_string(1, 0, f"{partner['name']} ({partner['partner_id']}), period {period}. "
                    f"Please return by {period.end + _deadline(names):%d %B %Y}.", fmt["intro"])
    ws.write_string(2, 0, "Fill in the yellow cells only. Percentages: give the numerator and "
                    "denominator (the value is worked out). Explain any missing or Red figure "
                    "in the commentary. Aggregate figures only: no names.", fmt["intro"])
    for row, label in SIGN_OFF.values():
        ws.write_string(row, 0, label, fmt["label"])
        ws.write_blank(row, 1, None, fmt["date"] if "Date" in label else fmt["input"])
    ws.data_validation(SIGN_OFF["submitted_on"][0], 1, SIGN_OFF["submitted_on"][0], 1, {
        "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
        "maximum": dt.date(2100, 12, 31), "input_title": "Date completed",
        "input_message": "The date you completed this return."})
    _return_table(ws, fmt, rows)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True,
                    "format_columns": True, "format_rows": True})
    ws.freeze_panes(HEADER_ROW + 1, 2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.activate()
    about = book.add_worksheet(ABOUT_SHEET)
    meta = {"partner_id": str(partner["partner_id"]), "period": str(period),
            "template_version": TEMPLATE_VERSION, "workbook_id": master.workbook_id}
    meta["token"] = token(master.secret(), meta["workbook_id"], meta["partner_id"],
                          meta["period"])
    for r, (key, value) in enumerate(meta.items()):
        about.write_string(r, 0, key)
        about.write_string(r, 1, value)
    about.very_hidden()
    book.close()


def _deadline(settings: dict[str, Any]) -> dt.timedelta:
    try:
        return dt.timedelta(days=int(settings.get("return_deadline_days") or 30))
    except (TypeError, ValueError):
        return dt.timedelta(days=30)


def _return_formats(book: Any) -> dict[str, Any]:
    base = {"valign": "top", "text_wrap": True}
    return {
        "title": book.add_format({"bold": True, "font_size": 14, "font_color": "#1F4E79"}),
        "intro": book.add_format({"italic": True}),
        "label": book.add_format({"bold": True}),
        "header": book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79",
                                   "text_wrap": True, "valign": "top", "border": 1}),
        "locked": book.add_format({**base, "bg_color": "#EDEDED"}),
        "input": book.add_format({**base, "locked": False, "bg_color": "#FFF2CC",
                                  "border": 1, "border_color": "#BFBFBF"}),
        "date": book.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 1,
                                 "border_color": "#BFBFBF", "num_format": S.DATE_FORMAT}),
        "number": book.add_format({**base, "locked": False, "bg_color": "#FFF2CC",
                                   "border": 1, "border_color": "#BFBFBF",
                                   "num_format": "#,##0.####"}),
        "previous": book.add_format({**base, "bg_color": "#EDEDED",
                                     "num_format": "#,##0.####"}),
    }


def _return_table(ws: Any, fmt: dict[str, Any], rows: pd.DataFrame) -> None:
    from .build import write_cell
    from .store import python_value

    columns = S.ISSUED_RETURN.columns
    last = HEADER_ROW + max(len(rows), 1)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    ws.add_table(HEADER_ROW, 0, last, len(columns) - 1, {
        "name": S.ISSUED_RETURN.table, "style": "Table Style Light 9", "autofilter": False,
        "columns": [{"header": c.name, "header_format": fmt["header"]} for c in columns]})
    for r, row in enumerate(rows.itertuples(index=False), start=HEADER_ROW + 1):
        for c, (col, value) in enumerate(zip(columns, row)):
            style = _cell_style(fmt, col)
            value = python_value(value)
            if value is None:
                ws.write_blank(r, c, None, style)
            else:
                write_cell(ws, r, c, value, style)
    for c, col in enumerate(columns):
        if col.locked:
            continue
        options = ({"validate": "length", "criteria": "<=", "value": 2000}
                   if col.kind == S.TEXT else
                   {"validate": "decimal", "criteria": ">=", "value": col.min}
                   if col.min is not None else
                   {"validate": "decimal", "criteria": "between", "minimum": -1e12,
                    "maximum": 1e12})
        ws.data_validation(HEADER_ROW + 1, c, last, c, {
            **options, "input_title": col.name.capitalize()[:32],
            "input_message": col.help[:255], "error_title": f"Check {col.name}"[:32],
            "error_message": col.help[:255]})


def _cell_style(fmt: dict[str, Any], col: S.Column) -> Any:
    if col.locked:
        return fmt["previous"] if col.kind == S.NUMBER else fmt["locked"]
    return fmt["number"] if col.kind == S.NUMBER else fmt["input"]


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


class Refused(Exception):
    """A return that cannot be imported; ``data`` when it is its values that are wrong."""

    def __init__(self, *problems: str, data: bool = False) -> None:
        super().__init__(problems[0])
        self.problems = list(problems)
        self.data = data


def import_returns(workbook: str | Path | Store, files: Iterable[str | Path], *,
                   today: dt.date | None = None) -> ImportReport:
    """Check and import each return; write every accepted one and the log in one save."""
    store = _open(workbook)
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
        data = _read_bytes(path)
        result.sha256 = hashlib.sha256(data).hexdigest()
        formulas = _check_package(path, data)
        book = _calamine(path, data)
        meta = _metadata(path, book)
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


def _read_bytes(path: Path) -> bytes:
    name = path.name
    if not path.is_file():
        raise Refused(f"{name}: the file does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xlsm":
        raise Refused(f"{name}: a macro-enabled workbook (.xlsm) is not accepted as a return; "
                      "send the .xlsx that was issued")
    if suffix != ".xlsx":
        raise Refused(f"{name}: a return must be the issued .xlsx file, not {suffix or 'this'}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Refused(f"{name}: {size / 1e6:.1f} MB is far larger than a return can be "
                      f"(limit {MAX_FILE_BYTES // 1_000_000} MB); send the issued file")
    return path.read_bytes()


def _check_package(path: Path, data: bytes) -> list[str]:
    """Size, zip bomb, macros and XML document types, before any reader runs; returns the
    cells that hold formulas (refused once the file is known to be a return)."""
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    name = path.name
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"{name}: the file is damaged or not an Excel workbook ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise Refused(f"{name}: the workbook has {len(members)} parts; a return has a few dozen")
    if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise Refused(f"{name}: the workbook carries macros; send the issued .xlsx without them")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNZIPPED_BYTES or any(
            m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
            for m in members):
        raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
    total = 0
    formulas: list[str] = []
    for m in members:
        try:
            with zf.open(m) as part:
                body = part.read(MAX_UNZIPPED_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise Refused(f"{name}: part {m.filename} is damaged ({exc})") from exc
        total += len(body)
        if total > MAX_UNZIPPED_BYTES:
            raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
        if m.filename.endswith((".xml", ".rels", ".vml")):
            try:
                root = safe_xml.fromstring(body, forbid_dtd=True)
            except DefusedXmlException as exc:
                raise Refused(f"{name}: part {m.filename} declares XML entities or a document "
                              "type, which a return never has; send the issued file") from exc
            except safe_xml.ParseError as exc:
                raise Refused(f"{name}: part {m.filename} is damaged ({exc})") from exc
            if m.filename.startswith("xl/worksheets/"):
                formulas += _formula_cells(root)
    return formulas


def _formula_cells(root: Any) -> list[str]:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return [c.get("r", "?") for c in root.iter(f"{ns}c") if c.find(f"{ns}f") is not None]


def _calamine(path: Path, data: bytes) -> Any:
    import python_calamine as calamine

    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except Exception as exc:  # calamine raises several types for damaged packages
        raise Refused(f"{path.name}: the workbook cannot be read ({exc})") from exc


def _metadata(path: Path, book: Any) -> dict[str, str]:
    if ABOUT_SHEET not in book.sheet_names and "tblConfig" in book.table_names:
        raise Refused(f"{path.name}: this is a master workbook, not a partner's return; give "
                      "the returns partners sent back")
    if ABOUT_SHEET not in book.sheet_names:
        raise Refused(f"{path.name}: the return's hidden details are missing, so it was not "
                      "issued by qa-xl returns issue (or was copied into a new workbook); "
                      "fill in the file you were sent")
    values = book.get_sheet_by_name(ABOUT_SHEET).to_python()
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in values if len(r) >= 2 and r[0]}
    missing = [k for k in META_KEYS if not meta.get(k)]
    if missing:
        raise Refused(f"{path.name}: the return's hidden details lack {', '.join(missing)} (no "
                      "signature), so it cannot be trusted; fill in the file you were sent")
    return meta


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
    from .checks import ERROR, check_personal_data, check_returns, check_schema, drop_knock_on

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
    from .checks import ERROR, finding

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
