"""Build the master workbook from the configuration and the table schemas (``qa-xl new``).

Everything about a table's sheet — the Excel Table, header style, widths, number formats, frozen
header, data validation and input messages — comes from its schema in
:mod:`qa_xl.workbook.schema`; the rows that start it off come from the configuration. XlsxWriter
writes the whole file in one pass, which is fast and reproducible.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from qa_xl.core.errors import UnusableInput, os_problem
from qa_xl.core.files import make_shareable
from qa_xl.core.periods import Period
from qa_xl.workbook import schema as S
from qa_xl.workbook.store import LISTS_SHEET, STATUS_CELLS, python_value

if TYPE_CHECKING:
    import pandas as pd

    from qa_xl.framework import Config

TEMPLATE_VERSION = "1"
HEADER_ROW = 2  # 0-based: title on row 1, what-the-sheet-is on row 2, the table header on row 3
LAST_ROW = 1_048_575
FIXED_DATE = dt.datetime(2026, 1, 1)
HEADER_BLUE, DERIVED_GREY = "#1F4E79", "#EDEDED"
RAG_FILLS = {"Green": "#C6EFCE", "Amber": "#FFEB9C", "Red": "#FFC7CE"}
CONDITIONAL_FILLS = {
    "rag": RAG_FILLS, "severity": {"Error": "#FFC7CE", "Warning": "#FFEB9C"},
    "due_status": {"Overdue": RAG_FILLS["Red"], "Review overdue": RAG_FILLS["Red"],
                   "Due soon": RAG_FILLS["Amber"], "Review due soon": RAG_FILLS["Amber"],
                   "On track": RAG_FILLS["Green"]},
    "status": {"On time": RAG_FILLS["Green"], "Late": RAG_FILLS["Amber"],
               "Missing": RAG_FILLS["Red"], "Refused": RAG_FILLS["Red"]},
}


@dataclass
class Formats:
    """The few cell formats every sheet shares."""

    title: Any
    intro: Any
    header: Any
    by_num_format: dict[str, Any]
    derived: dict[str | None, Any]
    wrap: Any
    label: Any
    status: Any
    fills: dict[str, Any]
    percent: Any


def _formats(book: xlsxwriter.Workbook) -> Formats:
    def num(fmt: str | None, **extra: Any) -> Any:
        props = {"valign": "top", **extra}
        if fmt:
            props["num_format"] = fmt
        return book.add_format(props)

    number_formats = {c.num_format for s in S.FIXED_TABLES for c in s.columns} | {
        c.num_format for c in S.RETURN_COLUMNS}
    return Formats(
        title=book.add_format({"bold": True, "font_size": 16, "font_color": HEADER_BLUE}),
        intro=book.add_format({"italic": True, "font_color": "#404040"}),
        header=book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_BLUE,
                                "text_wrap": True, "valign": "top", "border": 1}),
        by_num_format={f: num(f) for f in number_formats},
        derived={f: num(f, bg_color=DERIVED_GREY) for f in number_formats},
        wrap=book.add_format({"text_wrap": True, "valign": "top"}),
        label=book.add_format({"bold": True}),
        status=book.add_format({"bg_color": "#FFF2CC", "border": 1,
                                "num_format": S.DATETIME_FORMAT}),
        fills={c: book.add_format({"bg_color": c}) for c in set(RAG_FILLS.values()) | {
            v for fills in CONDITIONAL_FILLS.values() for v in fills.values()}},
        percent=book.add_format({"num_format": PERCENT_FORMAT}),
    )


def new(path: str | Path, config: Config | None = None, *, force: bool = False,
        data: dict[str, pd.DataFrame] | None = None, secret: str | None = None,
        workbook_id: str | None = None, lite: bool = False) -> Path:
    """Write a new master workbook; refuse to overwrite an existing one unless ``force``.

    ``data`` gives starting rows per table name (the demo uses it); without it the workbook
    starts with the configuration's partners, indicators, QA programme and content areas.
    An ``.xlsm`` path also gets the VBA project and the buttons (:mod:`qa_xl.workbook.vba`);
    ``lite`` (an ``.xlsx`` only) puts the buttons' xlwings Lite scripts in the workbook
    instead (:mod:`qa_xl.workbook.lite`), for Excel without Python.
    """
    from qa_xl.framework import load_config

    path = Path(path)
    config = config or load_config()
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UnusableInput(
            "qa-xl new writes an .xlsm (with the buttons) or .xlsx workbook, not "
            f"{path.suffix or 'a file with no ending'}",
            file=path, action="name the file ….xlsm, or ….xlsx for a workbook without macros")
    if lite and path.suffix.lower() != ".xlsx":
        raise UnusableInput("a workbook for xlwings Lite has no macros: it is an .xlsx",
                            file=path, action="name the file ….xlsx with --lite")
    if path.exists() and not force:
        raise UnusableInput("the file already exists", file=path,
                            action="choose another name, or add --force to replace it")
    from qa_xl.workbook.lock import master_lock
    from qa_xl.workbook.xlsxparts import check_not_locked, real_file, refuse_read_only

    target = real_file(path)  # --force over a link replaces the file behind it
    if path.exists():
        check_not_locked(path)
        refuse_read_only(path, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_problem(exc, "make the folder", target.parent) from exc
    with master_lock(path, "qa-xl new"):
        try:
            fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=target.parent,
                                       prefix=f".{target.name}.qa_xl-")
            os.close(fd)
        except OSError as exc:
            raise os_problem(exc, "write the workbook", path) from exc
        try:
            _write_book(Path(tmp), config, data or {}, secret or secrets.token_hex(32),
                        workbook_id or str(uuid.uuid4()), macros=path.suffix.lower() == ".xlsm")
            if lite:
                from qa_xl.workbook.lite import add_lite

                Path(tmp).write_bytes(add_lite(Path(tmp).read_bytes()))
            make_shareable(tmp)  # mkstemp makes the file private (0600)
            os.replace(tmp, target)
        except OSError as exc:
            raise os_problem(exc, "write the workbook", path) from exc
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


def _write_book(path: Path, config: Config, data: dict[str, pd.DataFrame], secret: str,
                workbook_id: str, *, macros: bool) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    book.set_properties({"title": f"{config.names['partnership']} — QA workbook",
                         "author": "qa_xl", "created": FIXED_DATE})
    fmt = _formats(book)
    starting = _starting_rows(config, data, secret, workbook_id)
    start = book.add_worksheet("Start")
    schemas = [S.CONFIG, S.PARTNERS, S.INDICATORS]
    schemas += [S.return_schema(p.partner_id) for p in config.partners]
    schemas += [S.ROLLUP, S.TIMETABLE, S.RISKS, S.AUDITS, S.VOICE, S.ACTIONS,
                S.CONTENT_AREAS, S.IMPORT_LOG, S.RETURNS_TRACKER, S.CLOSED_PERIODS,
                S.SCHOOLS, S.SELF_ASSESSMENT, S.VALIDATION]
    for table_schema in schemas:
        rows = starting.get(table_schema.table, [])
        _table_sheet(book, fmt, table_schema, rows, config.names)
    _framework_sheet(book, fmt, config)
    _lists_sheet(book, fmt, config)
    _start_sheet(start, fmt, config, starting)
    if macros:
        _macros(book, start, fmt, config)
    book.close()


# ----------------------------------------------------------------------------- starting rows

def _starting_rows(config: Config, data: dict[str, pd.DataFrame], secret: str,
                   workbook_id: str) -> dict[str, list[list[Any]]]:
    rows = {
        S.CONFIG.table: _config_rows(config, secret, workbook_id),
        S.PARTNERS.table: [[p.partner_id, p.name, p.sector, p.lead, p.email,
                            "Yes" if p.returns_expected else "No"] for p in config.partners],
        S.INDICATORS.table: [[getattr(i, name) for name in S.INDICATORS.names]
                             for i in config.indicators],
        S.TIMETABLE.table: [[a.activity_id, a.activity_type, a.title, a.lead, a.frequency,
                             None, None, a.reporting_route, "Planned", "", "Not scheduled"]
                            for a in config.qa_programme],
        S.CONTENT_AREAS.table: [[c.content_area, c.kind, c.category, c.priority,
                                 *["Not started"] * len(S.STEP_COLUMNS), c.what_good_looks_like]
                                for c in config.content_areas],
    }
    for table, df in data.items():
        table_schema = S.schema_for(table)
        kinds = {c.name: c.kind for c in table_schema.columns}
        rows[table] = [[python_value(v, kinds.get(n)) for n, v in zip(table_schema.names, r)]
                       for r in df[table_schema.names].itertuples(index=False)]
    return rows


CONFIG_HELP = {
    "current_period": "The period the papers report on, e.g. 2026-27 Q2.",
    "workbook_id": "Identifies this workbook in partner returns. Do not change.",
    "return_secret": "Signs partner returns so they cannot be forged. Keep private; never "
                     "share or copy into a return.",
    "template_version": "Version of the partner return layout.",
    "mail_from": "Who reminders come from, e.g. Business unit <qa.team@example.gov.uk>.",
    "reply_to": "Where partners' replies to a reminder go (blank: to mail_from).",
    "smtp_host": "The mail server qa-xl returns chase --send uses (blank: drafts only).",
    "smtp_port": "The mail server's port (587 for STARTTLS).",
    "smtp_starttls": "TRUE to encrypt the connection with STARTTLS (recommended).",
    "smtp_user": "The account to sign in as. The password is never kept in the workbook: "
                 "set QA_XL_SMTP_PASSWORD, or keep it in the system keyring (service qa_xl).",
}


def _config_rows(config: Config, secret: str, workbook_id: str) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [key, value, f"Name used in the workbook and papers ({key.replace('_', ' ')})."]
        for key, value in config.names.items()
    ]
    for key, value in config.settings.items():
        if key == "risk_bands":
            value = "; ".join(f"{b['name']} {b['min']}-{b['max']}" for b in value)
        rows.append([key, value, CONFIG_HELP.get(key, f"Setting: {key.replace('_', ' ')}.")])
    rows += [[key, value, CONFIG_HELP[key]] for key, value in (
        ("workbook_id", workbook_id), ("return_secret", secret),
        ("template_version", TEMPLATE_VERSION))]
    return rows


# ------------------------------------------------------------------------------ table sheets

def named(text: str, names: dict[str, str]) -> str:
    """A schema's wording with the partnership's own names: the schemas say "Board" and
    "Q&PC", a renamed partnership's sheets say what its [names] say."""
    text = re.sub(r"\bBoard\b", lambda _: names["board"], text)
    text = re.sub(r"(?<!\w)Q&PC(?!\w)", lambda _: names["committee_short"], text)
    return text


def _table_sheet(book: xlsxwriter.Workbook, fmt: Formats, schema: S.TableSchema,
                 rows: list[list[Any]], names: dict[str, str]) -> None:
    ws = book.add_worksheet(schema.sheet)
    ws.write_string(0, 0, named(schema.title, names), fmt.title)
    ws.write_string(1, 0, named(schema.intro, names), fmt.intro)
    ncols = len(schema.columns)
    last = HEADER_ROW + max(len(rows), 1)
    columns = []
    for i, col in enumerate(schema.columns):
        cell_fmt = (fmt.derived if col.derived else fmt.by_num_format)[col.num_format]
        ws.set_column(i, i, col.width, cell_fmt)
        columns.append({"header": col.name, "header_format": fmt.header, "format": cell_fmt})
    ws.add_table(HEADER_ROW, 0, last, ncols - 1, {
        "name": schema.table, "style": "Table Style Light 9", "columns": columns,
    })
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for c, (col, value) in enumerate(zip(schema.columns, row)):
            num_format = col.num_format
            if col.kind == S.ANY and isinstance(value, dt.date):
                num_format = S.DATE_FORMAT  # a date setting shows as a date, not a serial
            cell_fmt = (fmt.derived if col.derived else fmt.by_num_format)[num_format]
            write_cell(ws, r, c, value, cell_fmt)
    if not schema.owned:
        for i, col in enumerate(schema.columns):
            _validation(ws, i, col)
    _conditional_formats(ws, fmt, schema)
    _percent_formats(ws, fmt, schema)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.set_row(HEADER_ROW, 30)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)


def write_cell(ws: Any, row: int, col: int, value: Any, cell_format: Any) -> None:
    """Write by type; text always as text, so '=…' typed by someone is never a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        if value == value:  # not NaN
            ws.write_number(row, col, value, cell_format)
    elif isinstance(value, dt.datetime | dt.date):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        ws.write_datetime(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


def _validation(ws: Any, index: int, col: S.Column) -> None:
    """Excel data validation and input message for one input column, from its schema."""
    if col.derived:
        return
    options: dict[str, Any] = {"validate": "any"}
    if col.choices:
        options = {"validate": "list", "source": f"=lst_{col.choices}"}
    elif col.kind == S.INT and col.max is not None:
        options = {"validate": "integer", "criteria": "between", "minimum": int(col.min or 0),
                   "maximum": int(col.max)}
    elif col.kind in (S.INT, S.NUMBER) and col.min is not None:
        options = {"validate": "integer" if col.kind == S.INT else "decimal",
                   "criteria": ">=", "value": col.min}
    elif col.kind in (S.INT, S.NUMBER):
        options = {"validate": "decimal", "criteria": "between", "minimum": -1e12,
                   "maximum": 1e12}
    elif col.kind == S.DATE:
        options = {"validate": "date", "criteria": "between",
                   "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31)}
    if options["validate"] != "any":
        options["error_title"] = f"Check {col.name}"[:32]
        options["error_message"] = (col.help or f"Not a valid {col.name}.")[:255]
    if col.help:
        options["input_title"] = col.name.replace("_", " ").capitalize()[:32]
        options["input_message"] = col.help[:255]
    if options["validate"] == "any" and "input_message" not in options:
        return
    ws.data_validation(HEADER_ROW + 1, index, LAST_ROW, index, options)


PERCENT_FORMAT = "0.0%"
# Columns that hold a fraction when the indicator is a percentage: shown as 90.8%, stored as
# 0.908. The Rollup sheet has no unit column, so it looks the unit up on the Indicators sheet.
PERCENT_COLUMNS = {"tblIndicators": ("target", "amber_tolerance"),
                   "tblRollup": ("value", "target")}


def _percent_formats(ws: Any, fmt: Formats, schema: S.TableSchema) -> None:
    columns = PERCENT_COLUMNS.get(schema.table)
    if not columns:
        return
    first = HEADER_ROW + 2  # the 1-based sheet row of the first data row
    ids = S.INDICATORS.names
    unit = S.column_letter(ids.index("unit") + 1)
    if schema is S.INDICATORS:
        formula = f'=${unit}{first}="Percentage"'
    else:
        key = S.column_letter(schema.names.index("indicator_id") + 1)
        table_id = S.column_letter(ids.index("indicator_id") + 1)
        formula = (f'=INDEX({S.INDICATORS.sheet}!${unit}:${unit},MATCH(${key}{first},'
                   f'{S.INDICATORS.sheet}!${table_id}:${table_id},0))="Percentage"')
    for name in columns:
        i = schema.names.index(name)
        ws.conditional_format(HEADER_ROW + 1, i, LAST_ROW, i, {
            "type": "formula", "criteria": formula, "format": fmt.percent})


def _conditional_formats(ws: Any, fmt: Formats, schema: S.TableSchema) -> None:
    """RAG and severity are words first; colour only repeats them."""
    for i, col in enumerate(schema.columns):
        for value, colour in CONDITIONAL_FILLS.get(col.name, {}).items():
            ws.conditional_format(HEADER_ROW + 1, i, LAST_ROW, i, {
                "type": "cell", "criteria": "==", "value": f'"{value}"',
                "format": fmt.fills[colour]})


# ------------------------------------------------------------------------ lists and framework

def period_list(current: Period | None = None, years_back: int = 6, years_ahead: int = 3
                ) -> list[str]:
    """Every quarter, half-year and year around the current one, for the period dropdowns."""
    current = current or Period.containing(dt.date.today())
    out: list[str] = []
    for year in range(current.year - years_back, current.year + years_ahead + 1):
        out += [str(Period(year, "Q", q)) for q in range(1, 5)]
        out += [str(Period(year, "H", h)) for h in range(1, 3)]
        out.append(str(Period(year, "Y", 1)))
    return out


def workbook_lists(config: Config) -> dict[str, list[str]]:
    """The lists behind the dropdowns: the configuration's, plus the periods."""
    lists = {name: list(values) for name, values in config.lists.items()}
    current = config.settings.get("current_period")
    lists["period"] = period_list(Period.parse(current) if current else None)
    return lists


def _lists_sheet(book: xlsxwriter.Workbook, fmt: Formats, config: Config) -> None:
    ws = book.add_worksheet(LISTS_SHEET)
    for c, (name, values) in enumerate(workbook_lists(config).items()):
        ws.write_string(0, c, name, fmt.header)
        for r, value in enumerate(values, start=1):
            ws.write_string(r, c, str(value))
        ws.set_column(c, c, max(12, min(60, max((len(str(v)) for v in values), default=10))))
        last = max(len(values), 1) + 1
        col = xlsxwriter.utility.xl_col_to_name(c)
        book.define_name(f"lst_{name}", f"=Lists!${col}$2:${col}${last}")
    ws.freeze_panes(1, 0)


def _framework_sheet(book: xlsxwriter.Workbook, fmt: Formats, config: Config) -> None:
    """The framework itself, readable: so the workbook explains what it is built from."""
    ws = book.add_worksheet("Framework")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 110, fmt.wrap)
    ws.write_string(0, 0, f"{config.names['partnership']}: Quality Assurance Framework",
                    fmt.title)
    row = 2
    for heading, lines in framework_sections(config):
        ws.write_string(row, 0, heading, fmt.label)
        row += 1
        for label, text in lines:
            ws.write_string(row, 0, label)
            ws.write_string(row, 1, text, fmt.wrap)
            row += 1
        row += 1


def _flatten(value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            for label, text in _flatten(inner):
                yield (label or str(key).replace("_", " ").capitalize(), text)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif value not in (None, ""):
        yield ("", str(value))


def framework_sections(config: Config) -> list[tuple[str, list[tuple[str, str]]]]:
    """The framework's framework as (heading, [(label, text)]) blocks, from the configuration."""
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (str(key).replace("_", " ").capitalize(), list(_flatten(value)))
        for key, value in config.framework.items()
    ]
    sections.append(("The three OBA questions", [
        (m["label"], str(m.get("description", ""))) for m in config.oba_measures]))
    sections.append(("Sources of information", [
        (s["label"], str(s.get("description", ""))) for s in config.sources]))
    sections.append(("The five steps of the systemic approach", [
        (f"Step {s.number}: {s.title}", " ".join([*s.questions, f"{config.names['board']}:",
                                                  *s.board_roles]))
        for s in config.steps]))
    sections.append(("QA programme", [
        (a.title, f"{a.purpose} Reporting: {a.reporting}") for a in config.qa_programme]))
    sections.append(("What good looks like: outcome statements and impact measures", [
        (f"{o.agency} ({o.kind})", o.statement) for o in config.outcome_statements]))
    return [(heading, lines) for heading, lines in sections if lines]


# ------------------------------------------------------------------------- macro-enabled

BUTTON_COLUMN, BUTTON_ROW = 4, 11  # E12 down: right of the status cells, below the steps


def _macros(book: xlsxwriter.Workbook, start: Any, fmt: Formats, config: Config) -> None:
    """The VBA project (xl_macros + xlwings' standalone module, see :mod:`qa_xl.workbook.vba`) and a
    form button on the Start sheet for each of its subs."""
    import io

    from qa_xl.workbook.vba import BUTTONS, build_vba_project

    book.set_vba_name("ThisWorkbook")
    code_names = []
    for i, ws in enumerate(book.worksheets(), start=1):
        ws.set_vba_name(f"Sheet{i}")
        code_names.append(f"Sheet{i}")
    book.add_vba_project(io.BytesIO(build_vba_project(code_names)), is_stream=True)
    start.set_column(BUTTON_COLUMN - 1, BUTTON_COLUMN - 1, 3)
    start.set_column(BUTTON_COLUMN, BUTTON_COLUMN, 30)
    start.write_string(BUTTON_ROW, BUTTON_COLUMN, "Buttons", fmt.label)
    for i, button in enumerate(BUTTONS):
        start.insert_button(BUTTON_ROW + 1 + 2 * i, BUTTON_COLUMN, {
            "macro": button.sub, "caption": button.label(config.names),
            "width": 200, "height": 30})


# ------------------------------------------------------------------------------ start sheet

STEPS_TEXT = (
    "1. Keep the Partners, Indicators, Timetable, Risks, Audits, Voice, Actions and "
    "ContentAreas sheets up to date (each column shows what it wants when you click it).",
    "2. Issue returns to partners, then import the completed returns.",
    "3. Validate: every problem is listed on the Validation sheet with its sheet and cell.",
    "4. Roll up: the Rollup sheet consolidates every indicator and rates it Green/Amber/Red.",
    "5. Build the {committee_short} pack and the {board} report (Word papers, saved beside "
    "this workbook, or in files_folder on the Config sheet).",
)
# Which buttons belong to which way of running them (README "In Excel", "In Excel without Python").
PATHS_TEXT = (
    "Buttons: with Python on this computer, the buttons to the right (QA_Master.xlsm). "
    "Without Python, the same buttons are in the xlwings Lite pane (Home > xlwings Lite; a "
    "workbook made by qa-xl new --lite); set files_folder on the Config sheet first.")


def _start_sheet(ws: Any, fmt: Formats, config: Config,
                 starting: dict[str, list[list[Any]]]) -> None:
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2, 60)
    ws.write_string(0, 1, config.names["partnership"], fmt.title)
    ws.write_string(1, 1, f"Quality assurance workbook for the {config.names['committee']} "
                          f"({config.names['committee_short']}) and the {config.names['board']}",
                    fmt.intro)
    ws.write_string(3, 1, "What to do", fmt.label)
    for i, line in enumerate(STEPS_TEXT):
        ws.write_string(4 + i, 1, line.format(**config.names))
    ws.write_string(4 + len(STEPS_TEXT) + 1, 1, PATHS_TEXT)  # row 11, above "Last run"
    ws.write_string(11, 1, "Last run", fmt.label)
    labels = {"action": "Action", "ran_at": "When", "result": "Result", "output": "Saved to"}
    for key, cell in STATUS_CELLS.items():
        row = int(cell[1:]) - 1
        ws.write_string(row, 1, labels[key])
        ws.write_blank(row, 2, None, fmt.status)
    summary = [
        ("Partners", "=COUNTA(tblPartners[partner_id])", len(starting[S.PARTNERS.table])),
        ("Indicators", "=COUNTA(tblIndicators[indicator_id])",
         len(starting[S.INDICATORS.table])),
        ("Open risks", '=COUNTIF(tblRisks[status],"Open")',
         sum(1 for r in starting.get(S.RISKS.table, [])
             if r[S.RISKS.names.index("status")] == "Open")),
        ("Validation errors", '=COUNTIF(tblValidation[severity],"Error")', 0),
        ("Validation warnings", '=COUNTIF(tblValidation[severity],"Warning")', 0),
    ]
    current = ('INDEX(tblConfig[value],MATCH("current_period",tblConfig[key],0))')
    summary += [(f"Returns {word.lower()} ({{current_period}})", f'=COUNTIFS('
                 f'tblReturnsTracker[period],{current},tblReturnsTracker[status],"{word}")', 0)
                for word in ("On time", "Late", "Missing", "Not yet due", "Refused")]
    ws.write_string(19, 1, "At a glance (recalculated by Excel)", fmt.label)
    for i, (label, formula, value) in enumerate(summary):
        ws.write_string(20 + i, 1, label.replace("{current_period}", "current period"))
        ws.write_formula(20 + i, 2, formula, None, value)
    ws.activate()
