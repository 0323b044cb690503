"""Issuing forms: one macro-free, signed .xlsx per organisation — a partner's return per
period here, and the self-assessments per cycle (:mod:`qa_xl.collect.self_assessment`) through
the same :func:`write_signed_form` and :func:`started`.

A protected ``Return`` sheet whose yellow cells are the only ones a partner can type in, with
data validation and input messages, the previous period's figure for reference, under the
figures the voice questions (respondents, yes, partly, no and an optional story), and a very
hidden ``About`` sheet that names the partner, the period, the template version, the master,
the issue's own serial and time and a digest of every row as issued, all signed
(:func:`qa_xl.collect.master.token`). A return a partner has started filling in is never
replaced by issuing again (``force`` says to).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.master import (
    ABOUT_SHEET,
    HEADER_ROW,
    MAX_TEXT,
    RETURN,
    SIGN_OFF,
    VOICE_COLUMN,
    VOICE_HEADING,
    VOICE_PART,
    Form,
    Master,
    MasterBook,
    Part,
    issued_rows,
    issued_voice,
    rows_digest,
    token,
)
from qa_xl.collect.tracker import after_issue
from qa_xl.core.errors import DataError, UnusableInput, os_problem
from qa_xl.core.files import make_shareable
from qa_xl.core.ids import ID_PATTERN, ID_RULE
from qa_xl.core.periods import Period, PeriodError
from qa_xl.core.words import plural
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import refuse_errors
from qa_xl.workbook.filestore import opened
from qa_xl.workbook.store import Store, python_value, read_table, status_cells


class IssuedReturns(list[Path]):
    """The returns written (a list of their paths, as before), and those left alone."""

    def __init__(self, written: Iterable[Path] = ()) -> None:
        super().__init__(written)
        self.skipped: list[tuple[Path, str]] = []  # (file, why it was not replaced)


def return_file_name(partner_id: str, period: Period) -> str:
    """``<partner_id>_<period>.xlsx``; a partner id that could climb out of the folder or
    name no file is refused (the Partners sheet is checked before, this is the last guard)."""
    if not isinstance(partner_id, str) or not ID_PATTERN.fullmatch(partner_id):
        raise DataError(f"partner_id {partner_id!r} must be {ID_RULE}", sheet=S.PARTNERS.sheet,
                        action="correct it on the Partners sheet and issue again")
    return f"{partner_id}_{period.file_part}.xlsx"


def issue_returns(workbook: str | Path | Store, period: str, out_dir: str | Path | None = None,
                  partners: Iterable[str] | None = None, *, force: bool = False,
                  now: dt.datetime | None = None) -> IssuedReturns:
    """Write one return per partner (or those named) for ``period``; returns the files.

    A return already in the folder that a partner has started filling in (or that is not an
    issued return at all) is left as it is and listed in ``skipped``; ``force`` replaces it.
    """
    try:
        p = Period.typed(period)  # as officers type it: 2026/27 q3 too
    except PeriodError as exc:
        raise UnusableInput(str(exc), action="give the period as 2026-27 Q2") from exc
    with opened(workbook, "Issue returns", write=True) as store:
        master = Master.read(store)
        refuse_errors(store, master.tables, "issuing returns")
        folder = Path(out_dir) if out_dir else _default_folder(store, p)
        master.secret()  # refuse before making folders when returns cannot be signed
        wanted = list(partners) if partners else [
            pid for pid, expected in zip(master.partners["partner_id"],
                                         master.partners["returns_expected"])
            if not pd.isna(pid) and str(expected).casefold() != "no"]
        result = IssuedReturns()
        voice = issued_voice(master)  # the same questions in every partner's return
        for pid in wanted:
            partner = master.partner(pid)
            rows = issued_rows(master, pid, p)
            if rows.empty:
                continue
            path = folder / return_file_name(pid, p)
            if path.exists() and not force and (why := _started(path)):
                result.skipped.append((path, why))
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise os_problem(exc, "make the returns folder", folder) from exc
            write_return(path, master, partner, p, rows, voice)
            result.append(path)
        if result:
            now = (now or dt.datetime.now()).replace(microsecond=0)
            tracker = after_issue(read_table(store, S.RETURNS_TRACKER).df,
                                  [(f.name.removesuffix(f"_{p.file_part}.xlsx"), str(p),
                                    str(f.resolve())) for f in result], master.settings, now)
            store.write({S.RETURNS_TRACKER.table: tracker}, status_cells(
                "Issue returns", f"{plural(len(result), 'return')} issued for {p}", str(folder)))
    return result


def _started(path: Path, form: Form = RETURN) -> str:
    """Why an existing form must not be replaced ("" when it is an unfilled one)."""
    from qa_xl.workbook.xlsxread import READ_ERRORS, open_path

    schema = form.schema
    if path.with_name(f"~${path.name}").exists() or path.with_name(
            f".~lock.{path.name}#").exists():
        return "it is open in Excel or LibreOffice"
    try:
        book = open_path(path)
        if ABOUT_SHEET not in book.sheet_names or schema.table not in book.table_names:
            return f"it is not a {form.noun} issued by qa_xl"
        table = book.get_table_by_name(schema.table)
        header = [str(h) for h in table.columns]
        inputs = [header.index(c.name) for c in schema.columns if not c.locked
                  and c.name in header]
        rows = table.to_python() if table.height else []
        sheet = book.get_sheet_by_name(schema.sheet).to_python(skip_empty_area=False)
        if form is not RETURN:  # carried-forward answers are pre-filled: compare with issue
            return _changed_since_issue(book, rows, inputs)
        typed = _typed_in(rows, inputs)
        for part in form.parts:  # the voice table's counts and stories count too
            if part.schema.table in book.table_names:
                more = book.get_table_by_name(part.schema.table)
                head = [str(h) for h in more.columns]
                typed = typed or _typed_in(more.to_python() if more.height else [], [
                    head.index(c) for c in part.inputs if c in head])
    except (*READ_ERRORS, OSError) as exc:
        return f"it cannot be read ({exc})"
    signed = any(r < len(sheet) and len(sheet[r]) > 1 and sheet[r][1] not in (None, "")
                 for r, _label in SIGN_OFF.values())
    return "a partner has started filling it in" if typed or signed else ""


started = _started


def _typed_in(rows: list[list[Any]], inputs: list[int]) -> bool:
    return any(row[i] not in (None, "") for row in rows for i in inputs if i < len(row))


def _changed_since_issue(book: Any, rows: list[list[Any]], inputs: list[int]) -> str:
    """A form issued with answers pre-filled has been started when its input cells or
    sign-off no longer hash to what was issued (the About sheet keeps that digest)."""
    about = {str(r[0]): str(r[1]) for r in book.get_sheet_by_name(ABOUT_SHEET).to_python()
             if len(r) >= 2 and r[0]}
    now = rows_digest([[row[i] if i < len(row) else None for i in inputs] for row in rows])
    return "" if about.get("inputs") == now else "it has been started"


def issue_folder(store: Store, *parts: str) -> Path:
    """Where a job's forms go by default: a folder beside the workbook."""
    base = Path(getattr(store, "path", Path.cwd() / "x")).parent
    return base.joinpath(*parts)


def _default_folder(store: Store, period: Period) -> Path:
    base = Path(getattr(store, "path", Path.cwd() / "x")).parent
    return base / "returns" / period.file_part


def write_signed_form(path: Path, master: MasterBook, form: Form, identity: dict[str, str],
                      rows: pd.DataFrame | list[list[Any]], title: str,
                      draw: Callable[[Any, dict[str, Any]], None],
                      parts: Iterable[tuple[Part, pd.DataFrame]] = ()) -> None:
    """Any form's workbook: ``draw`` lays out its sheet(s) on the xlsxwriter book; this writes
    the very hidden About sheet that names whose it is and for when (``identity``), the
    issue's serial and time and the digest of every row's locked cells, all signed — written
    to a temporary file that replaces ``path`` once complete. ``rows`` are the form's rows
    (a frame, or lists in the order of the form's columns); ``parts`` the rows of each more
    table it carries (the return's voice table), whose locked cells are signed too."""
    import xlsxwriter

    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.qa_xl-",
                                    suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise os_problem(exc, f"write the {form.noun}", path) from exc
    tmp = Path(name)
    try:
        # in memory: a form is tens of kilobytes, and xlsxwriter's temporary file per part
        # costs more than the form itself on a busy disk
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_urls": False, "in_memory": True})
        book.set_properties({"title": title,
                             "author": str(master.settings.get("partnership", "")),
                             "created": dt.datetime(2000, 1, 1)})
        fmt = _return_formats(book)
        draw(book, fmt)
        about = book.add_worksheet(ABOUT_SHEET)
        table = (rows if isinstance(rows, list) else
                 [list(r) for r in rows[form.schema.names].itertuples(index=False)])
        at = {name: i for i, name in enumerate(form.schema.names)}
        locked = [[python_value(row[at[c]]) for c in form.locked] for row in table]
        meta = {**identity, "template_version": form.template_version,
                "workbook_id": master.workbook_id,
                "serial": secrets.token_hex(16),
                "issued_at": dt.datetime.now().isoformat(timespec="seconds"),
                "rows": rows_digest(locked)}
        for part, frame in parts:
            meta[part.signed] = rows_digest(
                [[python_value(v) for v in r] for r in frame[list(part.locked)].itertuples(
                    index=False)])
        meta["token"] = token(master.secret(), meta)
        if form is not RETURN:  # unsigned: only tells a started form from an unfilled one
            meta["inputs"] = rows_digest([[python_value(row[at[c]]) for c in form.inputs]
                                          for row in table])
        for r, (key, value) in enumerate(meta.items()):
            about.write_string(r, 0, key)
            about.write_string(r, 1, value)
        about.very_hidden()
        book.close()
        make_shareable(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise os_problem(exc, f"write the {form.noun}", path) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_return(path: Path, master: Master, partner: pd.Series, period: Period,
                 rows: pd.DataFrame, voice: pd.DataFrame | None = None) -> None:
    """The partner's workbook: how-to, sign-off cells, the table of figures and under it the
    voice table (one row per voice question), protection, metadata."""
    names = master.settings
    voice = issued_voice(master) if voice is None else voice

    def draw(book: Any, fmt: dict[str, Any]) -> None:
        ws = book.add_worksheet("Return")
        ws.write_string(0, 0, f"{names.get('partnership', '')}: quarterly return",
                        fmt["title"])
        ws.write_string(1, 0, f"{partner['name']} ({partner['partner_id']}), period {period}. "
                        f"Please return by {period.end + _deadline(names):%d %B %Y}.",
                        fmt["intro"])
        ws.write_string(2, 0, "Fill in the yellow cells only. Percentages: give the numerator "
                        "and denominator (the value is worked out). Explain any missing or Red "
                        "figure in the commentary. Aggregate figures only: no names.",
                        fmt["intro"])
        sign_off_cells(ws, fmt, "return")
        _return_table(ws, fmt, rows)
        if len(voice):
            _voice_table(ws, fmt, voice, voice_header_row(len(rows)), period)
        protect_form_sheet(ws, frozen_columns=2)

    identity = {"partner_id": str(partner["partner_id"]), "period": str(period)}
    write_signed_form(path, master, RETURN, identity, rows,
                      f"Return: {partner['name']}, {period}", draw, [(VOICE_PART, voice)])


def voice_header_row(figures: int) -> int:
    """The 0-based row of the voice table's header: under the figures, a heading between."""
    return HEADER_ROW + max(figures, 1) + 5


def _voice_table(ws: Any, fmt: dict[str, Any], voice: pd.DataFrame, header: int,
                 period: Period) -> None:
    """The voice of children and families: one row per question (locked, signed), the
    counts as whole numbers of at least 0 and an optional anonymised story. It sits in the
    columns of the definition, figures and commentary above, so their widths fit it."""
    columns = S.ISSUED_VOICE.columns
    first = VOICE_COLUMN
    ws.write_string(header - 3, first, VOICE_HEADING, fmt["label"])
    ws.write_string(header - 2, first, f"In {period}: how many children and family members "
                    "your practitioners asked each question, and how many answered yes, partly "
                    "and no.", fmt["intro"])
    ws.write_string(header - 1, first, "Whole numbers; yes + partly + no at most the "
                    "respondents. Leave a row blank if you did not ask it. A story is optional "
                    "and anonymised: no names, ages or places.", fmt["intro"])
    last = header + len(voice)
    ws.add_table(header, first, last, first + len(columns) - 1, {
        "name": S.ISSUED_VOICE.table, "style": "Table Style Light 9", "autofilter": False,
        "columns": [{"header": c.name, "header_format": fmt["header"]} for c in columns]})
    for r, question in enumerate(voice["question"], start=header + 1):
        ws.write_string(r, first, str(question), fmt["locked"])
        for c, col in enumerate(columns[1:], start=first + 1):
            ws.write_blank(r, c, None, fmt["input"] if col.kind == S.TEXT else fmt["count"])
    for c, col in enumerate(columns):
        if col.locked:
            continue
        options = ({"validate": "length", "criteria": "<=", "value": MAX_TEXT}
                   if col.kind == S.TEXT else
                   {"validate": "integer", "criteria": "between", "minimum": 0,
                    "maximum": 10_000_000})
        ws.data_validation(header + 1, first + c, last, first + c, {
            **options, "input_title": col.name.capitalize()[:32],
            "input_message": col.help[:255], "error_title": f"Check {col.name}"[:32],
            "error_message": (col.help if col.kind == S.TEXT else
                              f"{col.name.capitalize()} is a whole number of people, 0 or "
                              "more.")[:255]})


def sign_off_cells(ws: Any, fmt: dict[str, Any], what: str) -> None:
    """The sign-off block every form has (who completed it, their role, the date), the date
    cell taking only a date."""
    for row, label in SIGN_OFF.values():
        ws.write_string(row, 0, label, fmt["label"])
        ws.write_blank(row, 1, None, fmt["date"] if "Date" in label else fmt["input"])
    on = SIGN_OFF["submitted_on"][0]
    ws.data_validation(on, 1, on, 1, {
        "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
        "maximum": dt.date(2100, 12, 31), "input_title": "Date completed",
        "input_message": f"The date you completed this {what}."})


def protect_form_sheet(ws: Any, *, frozen_columns: int) -> None:
    """A form's sheet as it goes out: protected (only the input cells open), the header row
    and the first columns frozen, printed landscape one page wide, shown first."""
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True,
                    "format_columns": True, "format_rows": True})
    ws.freeze_panes(HEADER_ROW + 1, frozen_columns)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.activate()


def _deadline(settings: dict[str, Any]) -> dt.timedelta:
    try:
        return dt.timedelta(days=int(settings.get("return_deadline_days") or 30))
    except (TypeError, ValueError):
        return dt.timedelta(days=30)


PERCENT_FORMAT = "0.0%"
PERCENT_COLUMNS = ("value", "previous_value")  # a rate's parts stay counts


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
        "count": book.add_format({**base, "locked": False, "bg_color": "#FFF2CC",
                                  "border": 1, "border_color": "#BFBFBF", "num_format": "#,##0"}),
        "previous": book.add_format({**base, "bg_color": "#EDEDED",
                                     "num_format": "#,##0.####"}),
        # a percentage as people read and type it: 0.908 shows as 90.8%
        "number_pct": book.add_format({**base, "locked": False, "bg_color": "#FFF2CC",
                                       "border": 1, "border_color": "#BFBFBF",
                                       "num_format": PERCENT_FORMAT}),
        "previous_pct": book.add_format({**base, "bg_color": "#EDEDED",
                                         "num_format": PERCENT_FORMAT}),
    }


def _return_table(ws: Any, fmt: dict[str, Any], rows: pd.DataFrame) -> None:
    from qa_xl.workbook.build import write_cell
    from qa_xl.workbook.store import python_value

    columns = S.ISSUED_RETURN.columns
    last = HEADER_ROW + max(len(rows), 1)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    ws.add_table(HEADER_ROW, 0, last, len(columns) - 1, {
        "name": S.ISSUED_RETURN.table, "style": "Table Style Light 9", "autofilter": False,
        "columns": [{"header": c.name, "header_format": fmt["header"]} for c in columns]})
    for r, row in enumerate(rows.itertuples(index=False), start=HEADER_ROW + 1):
        percent = row.unit == "Percentage"
        for c, (col, value) in enumerate(zip(columns, row)):
            style = _cell_style(fmt, col, percent=percent and col.name in PERCENT_COLUMNS)
            value = python_value(value)
            if value is None:
                ws.write_blank(r, c, None, style)
            else:
                write_cell(ws, r, c, value, style)
    for c, col in enumerate(columns):
        if col.locked:
            continue
        options = ({"validate": "length", "criteria": "<=", "value": MAX_TEXT}
                   if col.kind == S.TEXT else
                   {"validate": "decimal", "criteria": ">=", "value": col.min}
                   if col.min is not None else
                   {"validate": "decimal", "criteria": "between", "minimum": -1e12,
                    "maximum": 1e12})
        ws.data_validation(HEADER_ROW + 1, c, last, c, {
            **options, "input_title": col.name.capitalize()[:32],
            "input_message": col.help[:255], "error_title": f"Check {col.name}"[:32],
            "error_message": col.help[:255]})


def _cell_style(fmt: dict[str, Any], col: S.Column, *, percent: bool = False) -> Any:
    pct = "_pct" if percent else ""
    if col.locked:
        return fmt[f"previous{pct}"] if col.kind == S.NUMBER else fmt["locked"]
    return fmt[f"number{pct}"] if col.kind == S.NUMBER else fmt["input"]


