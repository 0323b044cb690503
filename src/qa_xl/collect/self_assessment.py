"""The Section 11 self-assessment and the Section 175/157 audit: two forms on the returns'
engine.

The framework runs both bi-annually: every Board partner self-evaluates against Section 11 of
the Children Act 2004, and every school and college is audited under Section 175/157 of the
Education Act 2002, each with an action plan monitored by the committee. A cycle
(:class:`qa_xl.core.periods.Cycle`, ``2026-28``) issues one signed, macro-free workbook per
organisation (partners from tblPartners, schools from tblSchools) whose questions, grading scale
and evidence sought come from the configuration; the organisation's answers from the previous
cycle are pre-filled and marked, so it edits rather than retypes. The import checks the file as
a return is checked (the same package checks, signature over every row, replace-not-double and
log: :mod:`qa_xl.collect.importing`), then the answers: a grade on the scale, a Not met with a
planned action and its owner, no new action already overdue. Accepted answers replace the
organisation's answers for the cycle in tblSelfAssessment; each Partly met or Not met with a
planned action is one row of tblActions, keyed ``S11-2026-28-police-S11_3a``, updated by a
re-import (the officer's status and evidence of impact kept), never doubled.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.importing import (
    FileResult,
    ImportReport,
    _read_file,
    _sign_off_warnings,
    _too_long,
    check_signature,
    expand_files,
    land,
    settle,
    start_reading,
    take_findings,
)
from qa_xl.collect.issue import (
    IssuedReturns,
    protect_form_sheet,
    sign_off_cells,
    started,
    write_signed_form,
)
from qa_xl.collect.master import (
    HEADER_ROW,
    MAX_TEXT,
    Form,
    MasterBook,
    canonical,
)
from qa_xl.collect.package import Refused
from qa_xl.core.errors import DataError, UnusableInput, os_problem
from qa_xl.core.ids import ID_PATTERN, ID_RULE, form_action_id
from qa_xl.core.periods import Cycle, PeriodError
from qa_xl.core.words import plural
from qa_xl.framework.records import Config, SelfAssessmentForm
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import refuse_errors
from qa_xl.workbook.filestore import opened
from qa_xl.workbook.store import RowsWrite, Store, read_settings, read_table, status_cells

TEMPLATE = "sa1"
FROM_LAST_CYCLE = "From the last cycle ({cycle}): confirm or change"
NEEDS_ACTION = ("Partly met", "Not met")  # grades whose planned action becomes an action
NOT_MET = "Not met"
NEW_ACTION_STATUS = "Not started"
LEARNING_AREA = "Partner Agency Improvement Plans"
GRADES_SHEET = "Grades"
DUE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))  # the due cell's own validation


def form_of(sa: SelfAssessmentForm) -> Form:
    """The engine's description of a self-assessment form."""
    return Form(sa.form, sa.title, S.ISSUED_SELF_ASSESSMENT, TEMPLATE, "organisation", "cycle",
                S.SELF_ASSESSMENT.table, S.SELF_ASSESSMENT.key, noun="form",
                locked_words="standard, question, its text, evidence sought, last cycle")


def form_file_name(organisation: str, sa: SelfAssessmentForm, cycle: Cycle) -> str:
    """``<organisation>_<form>_<cycle>.xlsx``; an id that could name no file is refused."""
    if not isinstance(organisation, str) or not ID_PATTERN.fullmatch(organisation):
        sheet = S.SCHOOLS.sheet if sa.who == "schools" else S.PARTNERS.sheet
        raise DataError(f"{organisation!r} must be {ID_RULE}", sheet=sheet,
                        action=f"correct it on the {sheet} sheet and issue again")
    return f"{organisation}_{sa.form}_{cycle.file_label}.xlsx"


def _config(config: Config | None) -> Config:
    if config is not None:
        return config
    from qa_xl.framework.load import load_config

    return load_config()


def _cycle(text: str | Cycle) -> Cycle:
    if isinstance(text, Cycle):
        return text
    try:
        return Cycle.parse(text)
    except PeriodError as exc:
        raise UnusableInput(str(exc), action="give the cycle as 2026-28") from exc


def check_cycle(cycle: Cycle, held: Iterable[str], title: str, today: dt.date | None
                ) -> None:
    """Refuse a cycle (``--cycle`` to issue or import) that overlaps one the master already
    holds answers to the form for (2025-27 against 2024-26), or (with ``today``: issuing)
    that begins more than a year from today (a typing slip: 2030-32 for 2026-28); each
    message names the cycle and says what to do. A form of a later cycle given to an import
    is refused file by file."""
    if (clash := overlapping(cycle, held)) is not None:
        raise UnusableInput(
            f"the cycle {cycle} overlaps {clash}, which the master already holds {title} "
            f"answers for: cycles follow each other two years apart", action=f"give --cycle "
            f"as {clash} (that cycle) or {_after(clash)} (the next one)")
    if today is not None and cycle.start > _a_year_on(today):
        raise UnusableInput(
            f"the cycle {cycle} begins on {cycle.start:%d/%m/%Y}, more than a year from "
            f"today", action=f"check --cycle (the cycle running now is "
            f"{Cycle.containing(today)}); issue {cycle} in the year before it begins")


def overlapping(cycle: Cycle, held: Iterable[str]) -> Cycle | None:
    """Another cycle among ``held`` whose two years overlap this one's, or None."""
    for other in sorted({c for c in map(_cycle_or_none, held) if c is not None and c != cycle},
                        key=lambda c: c.start_year):
        if other.start <= cycle.end and cycle.start <= other.end:
            return other
    return None


def _after(cycle: Cycle) -> Cycle:
    return Cycle(cycle.start_year + 2)


def _a_year_on(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def _cycle_or_none(text: Any) -> Cycle | None:
    try:
        return Cycle.parse(text)
    except PeriodError:
        return None


# ------------------------------------------------------------------------------- the master

@dataclass
class AssessmentMaster(MasterBook):
    """What a self-assessment needs from the master, read once: who fills it in, the answers
    of every cycle and the actions they raised."""

    sa: SelfAssessmentForm | None = None
    organisations: pd.DataFrame = field(default_factory=pd.DataFrame)  # id, name, lead
    answers: S.Table | None = None
    actions: S.Table | None = None
    tables: list[S.Table] = field(default_factory=list)
    grades: dict[str, str] = field(default_factory=dict)  # the scale: name -> meaning

    @classmethod
    def read(cls, store: Store, sa: SelfAssessmentForm, cfg: Config) -> AssessmentMaster:
        config = read_table(store, S.CONFIG)
        if sa.who == "schools":
            who = read_table(store, S.SCHOOLS)
            orgs = who.df.rename(columns={"school_id": "id", "dsl": "lead"})
        else:
            who = read_table(store, S.PARTNERS)
            orgs = who.df.rename(columns={"partner_id": "id"})
        answers, actions = read_table(store, S.SELF_ASSESSMENT), read_table(store, S.ACTIONS)
        return cls(store, read_settings(store), sa, orgs[["id", "name", "lead", "email"]],
                   answers, actions, [config, who, answers, actions],
                   {g.name: g.meaning for g in cfg.grades})

    @property
    def sheet(self) -> str:
        return S.SCHOOLS.sheet if self.sa and self.sa.who == "schools" else S.PARTNERS.sheet

    @cached_property
    def ids(self) -> set[str]:
        return set(self.organisations["id"].dropna().astype(str))

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {str(r["id"]): r for r in self.organisations.to_dict("records")
                if not pd.isna(r["id"])}

    def organisation(self, org: str) -> dict[str, Any]:
        if org not in self._by_id:
            raise UnusableInput(f"there is no {org!r} on the {self.sheet} sheet",
                                file=self.store.label, action="check the id")
        return self._by_id[org]

    @cached_property
    def cycles(self) -> set[str]:
        """Every cycle the master holds answers to this form for."""
        return {cycle for cycle, _ in self._answer_rows}

    @cached_property
    def _answer_rows(self) -> dict[tuple[str, str], list[int]]:
        """(cycle, organisation) -> the sheet rows of its answers to this form."""
        assert self.answers is not None and self.sa is not None
        df = self.answers.df
        mine = df[df["form"] == self.sa.form]
        out: dict[tuple[str, str], list[int]] = {}
        for row, cycle, org in zip(mine.index, mine["cycle"], mine["organisation"]):
            out.setdefault((str(cycle), str(org)), []).append(int(row))
        return out

    def answers_of(self, cycle: Cycle, org: str) -> pd.DataFrame:
        """An organisation's answers to this form in a cycle (by sheet row)."""
        assert self.answers is not None
        return self.answers.df.loc[self._answer_rows.get((str(cycle), org), [])]

    def held_completed_on(self, result: FileResult) -> dt.date | None:
        """When the answers the master holds for this form's organisation and cycle were
        completed (their 'Date completed'), so an older fill does not replace a newer one
        silently; None where the master holds none, or rows imported before it was kept."""
        assert result.rows is not None
        held = self.answers_of(Cycle.parse(result.rows["cycle"].iloc[0]), result.partner_id)
        on = pd.to_datetime(held.get("completed_on", pd.Series(dtype=object)),
                            errors="coerce").max()
        return None if pd.isna(on) else on.date()

    def carried_action(self, cycle: Cycle, org: str, question: str, action: Any, owner: Any,
                       due: Any) -> str | None:
        """The last cycle's action this answer confirms unchanged (its action, owner and due
        date as they were carried forward), or None. Confirming a pre-filled row is not a
        new piece of work: it stays, overdue if it is, in the last cycle's own row."""
        assert self.sa is not None
        key = form_action_id(self.sa.form, cycle.previous, org, question)
        if key not in self.action_rows:
            return None
        before = self._carried.get((str(cycle.previous), org, question))
        same = before is not None and all(
            _same(a, b) for a, b in zip(before, (action, owner, due)))
        return key if same else None

    @cached_property
    def _carried(self) -> dict[tuple[str, str, str], tuple[Any, Any, Any]]:
        assert self.answers is not None and self.sa is not None
        df = self.answers.df
        mine = df[df["form"] == self.sa.form]
        return {(str(r.cycle), str(r.organisation), str(r.question)): (r.action, r.owner, r.due)
                for r in mine.itertuples()}

    def unchanged(self, cycle: Cycle, org: str, question: str, grade: Any, action: Any,
                  owner: Any, due: Any) -> bool:
        """The answer is last cycle's, as pre-filled (grade and action alike)."""
        before = self._carried.get((str(cycle.previous), org, question))
        held = self._grades.get((str(cycle.previous), org, question))
        return before is not None and _same(held, grade) and all(
            _same(a, b) for a, b in zip(before, (action, owner, due)))

    @cached_property
    def _grades(self) -> dict[tuple[str, str, str], Any]:
        assert self.answers is not None and self.sa is not None
        df = self.answers.df
        mine = df[df["form"] == self.sa.form]
        return {(str(c), str(o), str(q)): g for c, o, q, g in
                zip(mine["cycle"], mine["organisation"], mine["question"], mine["grade"])}

    @cached_property
    def action_rows(self) -> dict[str, int]:
        """action_id -> its sheet row on the Actions sheet."""
        assert self.actions is not None
        df = self.actions.df
        return {str(k): int(row) for row, k in df["action_id"].dropna().items()}


# -------------------------------------------------------------------------------- issuing

def issued_rows(master: AssessmentMaster, org: str, cycle: Cycle) -> list[list[Any]]:
    """The rows of one organisation's form (in the order of ISSUED_SELF_ASSESSMENT's
    columns): every question of the configuration, with its answer from the previous cycle
    pre-filled and marked (carry forward)."""
    assert master.sa is not None
    before: dict[str, list[Any]] = {}
    if master._answer_rows.get((str(cycle.previous), org)):
        previous = master.answers_of(cycle.previous, org)
        for r in previous.to_dict("records"):
            before[r["question"]] = [_blank(r[c]) for c in ANSWER_COLUMNS]
    mark = FROM_LAST_CYCLE.format(cycle=cycle.previous)
    rows = []
    for standard, q in master.sa.questions():
        answer = before.get(q.id, [None] * len(ANSWER_COLUMNS))
        rows.append([standard.id, standard.name, q.id, q.text, q.evidence,
                     mark if any(v is not None for v in answer) else "", *answer])
    return rows


ANSWER_COLUMNS = ("grade", "evidence", "action", "owner", "due")


def _same(a: Any, b: Any) -> bool:
    """Two cells hold the same answer (blanks alike, text trimmed, a date as a day)."""
    a, b = _blank(a), _blank(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        try:
            return pd.Timestamp(a).normalize() == pd.Timestamp(b).normalize()
        except (TypeError, ValueError):
            return False
    return str(a).strip() == str(b).strip()


def _blank(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def issue_self_assessment(workbook: str | Path | Store, form: str, cycle: str | Cycle,
                          out: str | Path | None = None,
                          organisations: Iterable[str] | None = None, *, force: bool = False,
                          config: Config | None = None, today: dt.date | None = None
                          ) -> IssuedReturns:
    """Write one form per organisation (or those named) for the cycle; returns the files.

    A form in the folder that its organisation has started filling in is left as it is and
    listed in ``skipped``; ``force`` replaces it. A cycle that overlaps one the master holds
    answers for, or begins more than a year after ``today``, is refused (:func:`check_cycle`).
    """
    cyc = _cycle(cycle)
    today = today or dt.date.today()
    cfg = _config(config)
    sa = cfg.self_assessment(form)
    engine = form_of(sa)
    with opened(workbook, f"Issue {sa.title}", write=True) as store:
        if sa.who == "schools" and S.SCHOOLS.table not in store.table_names():
            # a master made before tblSchools: add the sheet for the officer to fill in
            store.write({S.SCHOOLS.table: S.empty_frame(S.SCHOOLS)}, status_cells(
                f"Issue {sa.title}", "The Schools sheet was added: list the schools"))
            raise DataError("the master had no Schools sheet, so there is no school to send "
                            "the audit to; the sheet has been added", file=store.label,
                            sheet=S.SCHOOLS.sheet, action="list the schools and colleges on "
                            "the Schools sheet (one row each) and issue again")
        master = AssessmentMaster.read(store, sa, cfg)
        # what the forms are made from (the Actions sheet matters only to the import)
        refuse_errors(store, master.tables[:3], f"issuing the {sa.title}")
        check_cycle(cyc, master.cycles, sa.title, today)
        folder = Path(out) if out else Path(getattr(store, "path", Path.cwd() / "x")).parent \
            / sa.form / cyc.file_label
        master.secret()
        wanted = list(organisations) if organisations else list(
            master.organisations["id"].dropna())
        result = IssuedReturns()
        jobs = []
        for org in wanted:
            row = master.organisation(org)
            path = folder / form_file_name(org, sa, cyc)
            if path.exists() and not force and (why := started(path, engine)):
                result.skipped.append((path, why))
                continue
            jobs.append((path, row, issued_rows(master, org, cyc)))
        if jobs:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise os_problem(exc, "make the forms folder", folder) from exc
            _write_forms(master, engine, cyc, jobs)
            result.extend(path for path, _, _ in jobs)
        if result:
            store.write({}, status_cells(f"Issue {sa.title}",
                                         f"{plural(len(result), 'form')} issued for {cyc}",
                                         str(folder)))
    return result


PARALLEL_FROM = 24  # forms: below this a second process costs more than it saves
_JOBS: tuple[Any, ...] = ()  # what a forked writer writes (inherited, never pickled)


def _write_forms(master: AssessmentMaster, form: Form, cycle: Cycle,
                 jobs: list[tuple[Path, dict[str, Any], list[list[Any]]]]) -> None:
    """Write the forms, half of them in a worker process on the other core where there are
    enough (fork: it has the master already); a failure in either is raised here."""
    import os

    global _JOBS
    pool = None
    if len(jobs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        _JOBS = (master, form, cycle, jobs)
        try:  # Pyodide (xlwings Lite) has no fork: written here, one by one
            import multiprocessing

            if "fork" in multiprocessing.get_all_start_methods():
                pool = multiprocessing.get_context("fork").Pool(1)
        except (OSError, ImportError, NotImplementedError, RuntimeError, ValueError):
            pool = None
    if pool is None:
        _JOBS = ()
        for path, org, rows in jobs:
            _write_form(path, master, form, org, cycle, rows)
        return
    try:
        half = len(jobs) // 2
        pending = pool.map_async(_write_job, range(half, len(jobs)))
        for i in range(half):
            _write_job(i)
        pending.get()
    finally:
        _JOBS = ()
        pool.close()
        pool.join()


def _write_job(i: int) -> None:
    master, form, cycle, jobs = _JOBS
    path, org, rows = jobs[i]
    _write_form(path, master, form, org, cycle, rows)


def _write_form(path: Path, master: AssessmentMaster, form: Form, org: dict[str, Any],
                cycle: Cycle, rows: list[list[Any]]) -> None:
    sa = master.sa
    assert sa is not None
    grades = master.grades
    partnership = str(master.settings.get("partnership", ""))

    def draw(book: Any, fmt: dict[str, Any]) -> None:
        ws = book.add_worksheet(S.ISSUED_SELF_ASSESSMENT.sheet)
        ws.write_string(0, 0, f"{partnership}: {sa.title}, cycle {cycle}", fmt["title"])
        ws.write_string(1, 0, f"{org['name']} ({org['id']}). The cycle runs from "
                        f"{cycle.start:%d %B %Y} to {cycle.end:%d %B %Y}.", fmt["intro"])
        ws.write_string(2, 0, "Fill in the yellow cells only: a grade for every question, the "
                        "evidence you hold and, for Partly met or Not met, the planned action, "
                        "its owner and due date. Rows marked 'from the last cycle' hold your "
                        "answers last time: confirm or change them. No names of children.",
                        fmt["intro"])
        sign_off_cells(ws, fmt, "form")
        _form_table(ws, fmt, rows, grades)
        protect_form_sheet(ws, frozen_columns=3)
        key = book.add_worksheet(GRADES_SHEET)
        key.set_column(0, 0, 16)
        key.set_column(1, 1, 90)
        key.write_string(0, 0, "Grade", fmt["header"])
        key.write_string(0, 1, "What it means", fmt["header"])
        for r, (name, meaning) in enumerate(grades.items(), start=1):
            key.write_string(r, 0, name, fmt["label"])
            key.write_string(r, 1, meaning, fmt["locked"])
        key.protect("")

    write_signed_form(path, master, form, {"form": sa.form, "organisation": str(org["id"]),
                                           "cycle": str(cycle)}, rows,
                      f"{sa.title}: {org['name']}, {cycle}", draw)


def _form_table(ws: Any, fmt: dict[str, Any], rows: list[list[Any]],
                grades: dict[str, str]) -> None:
    from qa_xl.workbook.build import write_cell
    from qa_xl.workbook.store import python_value

    columns = S.ISSUED_SELF_ASSESSMENT.columns
    last = HEADER_ROW + max(len(rows), 1)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    ws.add_table(HEADER_ROW, 0, last, len(columns) - 1, {
        "name": S.ISSUED_SELF_ASSESSMENT.table, "style": "Table Style Light 9",
        "autofilter": False,
        "columns": [{"header": c.name, "header_format": fmt["header"]} for c in columns]})
    at = {c.name: i for i, c in enumerate(columns)}
    styles = [fmt["locked"] if col.locked else fmt["date"] if col.kind == S.DATE else
              fmt["input"] for col in columns]
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for c, (style, value) in enumerate(zip(styles, row)):
            value = python_value(value)
            if value is None or value == "":
                ws.write_blank(r, c, None, style)
            else:
                write_cell(ws, r, c, value, style)
        # the evidence sought, where it is typed
        ws.data_validation(r, at["evidence"], r, at["evidence"], {
            "validate": "length", "criteria": "<=", "value": MAX_TEXT,
            "input_title": "Evidence",
            "input_message": f"Sought: {row[at['evidence_sought']]}"[:255],
            "error_title": "Too long", "error_message": f"At most {MAX_TEXT} characters."})
    names = list(grades)
    meaning = "; ".join(f"{n}: {m.split(':')[0].split('.')[0]}" for n, m in grades.items())
    ws.data_validation(HEADER_ROW + 1, at["grade"], last, at["grade"], {
        "validate": "list", "source": names, "input_title": "Grade",
        "input_message": (meaning or "Pick a grade; the Grades sheet says what each means.")
        [:255], "error_title": "Not a grade",
        "error_message": ("Pick one of: " + ", ".join(names))[:255]})
    for name in ("action", "owner"):
        col = S.ISSUED_SELF_ASSESSMENT.column(name)
        ws.data_validation(HEADER_ROW + 1, at[name], last, at[name], {
            "validate": "length", "criteria": "<=", "value": MAX_TEXT,
            "input_title": name.capitalize(), "input_message": col.help[:255]})
    ws.data_validation(HEADER_ROW + 1, at["due"], last, at["due"], {
        "validate": "date", "criteria": "between", "minimum": DUE_RANGE[0],
        "maximum": DUE_RANGE[1], "input_title": "Due",
        "input_message": S.ISSUED_SELF_ASSESSMENT.column("due").help[:255]})


# ------------------------------------------------------------------------------ importing

def import_self_assessment(workbook: str | Path | Store, form: str,
                           files: Iterable[str | Path], *, cycle: str | Cycle | None = None,
                           today: dt.date | None = None, now: dt.datetime | None = None,
                           replace_newer: bool = False, config: Config | None = None
                           ) -> ImportReport:
    """Check and import each completed form; write every accepted one, the actions they
    raise and the log in one save. ``cycle`` refuses forms of any other cycle."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    today = today or now.date()
    cfg = _config(config)
    sa = cfg.self_assessment(form)
    engine = form_of(sa)
    only = _cycle(cycle) if cycle is not None else None
    paths = expand_files(files, "form")
    with opened(workbook, f"Import {sa.title}", write=True) as store:
        reading = start_reading(paths, engine)
        master = AssessmentMaster.read(store, sa, cfg)
        refuse_errors(store, master.tables, "the import")
        if only is not None:
            check_cycle(only, master.cycles, sa.title, None)
        log = read_table(store, S.IMPORT_LOG).df
        results = _check_files(reading(), master, engine, cfg, today, only, now)
        settle(results, log, replace_newer, master.held_completed_on, "answers")
        report = ImportReport(results)
        accepted = [r for r in results if r.accepted]
        closing = superseded_actions(master, accepted, now.date())
        changes: dict[str, RowsWrite] = {}

        def rows() -> dict[str, RowsWrite]:
            changes.update(_changes(master, accepted, cfg, closing))
            return changes

        def tables(_attempts: list[list[Any]]) -> dict[str, pd.DataFrame]:
            """A master made before tblSelfAssessment existed gets its sheet now, whole."""
            name = S.SELF_ASSESSMENT.table
            if name in changes and name not in store.table_names():
                return {name: changes.pop(name).add}
            return {}

        land(store, report, now, rows, status_cells(
            f"Import {sa.title}", f"{len(accepted)} of {len(results)} forms imported"), tables,
             log)
    return report


def check_form_file(path: Path, master: AssessmentMaster, cfg: Config, today: dt.date, *,
                    cycle: Cycle | None = None, now: dt.datetime | None = None) -> FileResult:
    """Every check on one completed form (for tests and the live workbook)."""
    assert master.sa is not None
    engine = form_of(master.sa)
    return _check_files([_read_file(path, engine)], master, engine, cfg, today, cycle,
                        now or dt.datetime.now().replace(microsecond=0))[0]


def _check_files(reads: list[Any], master: AssessmentMaster, form: Form, cfg: Config,
                 today: dt.date, only: Cycle | None, now: dt.datetime) -> list[FileResult]:
    """Whose each form is and whether it was changed (file by file), then every answer of
    every file checked at once, as the returns' rows are."""
    results, kept = [], []
    for read in reads:
        result, cycle = _check_file(read, master, form, cfg, only, today)
        results.append(result)
        if cycle is not None:
            kept.append((read, result, cycle))
    if kept:
        _check_answers(kept, master, cfg, today, now)
    return results


def _check_file(read: Any, master: AssessmentMaster, form: Form, cfg: Config,
                only: Cycle | None, today: dt.date) -> tuple[FileResult, Cycle | None]:
    sa = master.sa
    assert sa is not None
    result = FileResult(read.path, sha256=read.sha256)
    if read.problems:
        result.problems, result.data_error = read.problems, read.data_error
        return result, None
    meta, raw, name = read.meta, read.raw, read.path.name
    org = meta.get("organisation", "")
    result.partner_id, result.period = org, f"{meta.get('form')} {meta.get('cycle')}"
    result.serial, result.issued_at = meta.get("serial", ""), meta.get("issued_at", "")
    try:
        check_signature(read.path, meta, master, raw, form,
                        lambda: _changed_cells(raw, meta, master, form))
        if meta["form"] != sa.form:
            other = next((f.title for f in cfg.self_assessments if f.form == meta["form"]),
                         meta["form"])
            raise Refused(f"{name}: this is a {other} form, not a {sa.title}; import it with "
                          f"qa-xl {meta['form']} import", data=True)
        try:
            cyc = Cycle.parse(meta["cycle"])
        except PeriodError as exc:
            raise Refused(f"{name}: {exc}") from exc
        if (clash := overlapping(cyc, master.cycles)) is not None:
            raise Refused(f"{name}: sheet About: this form is for the cycle {cyc}, which "
                          f"overlaps {clash}, already in the master: cycles follow each other "
                          f"two years apart; send the form issued for {clash} or "
                          f"{_after(clash)}", data=True)
        if cyc.start > _a_year_on(today):
            raise Refused(f"{name}: sheet About: this form is for the cycle {cyc}, which "
                          f"begins on {cyc.start:%d/%m/%Y}, more than a year from today; send "
                          f"the form issued for {Cycle.containing(today)}", data=True)
        if cyc.end < today:
            result.warnings.append(f"{name}: the cycle {cyc} ended on {cyc.end:%d/%m/%Y}: its "
                                   f"answers are imported into {cyc} (its papers change), "
                                   "not into the cycle running now")
        if only is not None and cyc != only:
            raise Refused(f"{name}: sheet About: this form is for the cycle {cyc}, not "
                          f"{only}; import it without --cycle {only}, or send the form issued "
                          f"for {only}", data=True)
        if not ID_PATTERN.fullmatch(org):
            raise Refused(f"{name}: sheet About: the organisation {org!r} must be {ID_RULE}",
                          data=True)
        if org not in master.ids:
            raise Refused(f"{name}: sheet About: {org!r} is not on the {master.sheet} sheet of "
                          "the master; add it back (or import into the master that issued "
                          "the form)", data=True)
        named = re.fullmatch(rf"(.+)_{re.escape(sa.form)}_{cyc.file_label}\.xlsx", name)
        if named and named[1] != org and named[1] in master.ids:
            raise Refused(f"{name}: the file is named for {named[1]}, but the form inside "
                          f"is {org}'s (sheet About): was it saved over another "
                          "organisation's form? Send each organisation's own form", data=True)
    except Refused as exc:
        result.problems, result.data_error = exc.problems, exc.data
        return result, None
    return result, cyc


def _changed_cells(raw: S.RawTable, meta: dict[str, str], master: AssessmentMaster,
                   form: Form) -> str:
    """Which locked cells differ from the form as issued (worked out again from the master),
    named as the returns name their rows; "" where the master can no longer tell."""
    try:
        cycle = Cycle.parse(meta["cycle"])
        expected = issued_rows(master, meta["organisation"], cycle)
    except (PeriodError, KeyError, UnusableInput):
        return ""
    names = S.ISSUED_SELF_ASSESSMENT.names
    at = {h: i for i, h in enumerate(raw.header)}
    rows = [(i, row) for i, row in enumerate(raw.rows) if any(v not in (None, "") for v in row)]
    cells = []
    for (i, row), issued in zip(rows, expected):
        for col in form.locked:
            got = row[at[col]] if at[col] < len(row) else None
            if canonical(got) != canonical(issued[names.index(col)]):
                cells.append(f"{S.column_letter(raw.first_col + at[col])}{raw.first_row + 1 + i}")
    parts = []
    if cells:
        more = f" and {len(cells) - 5} more" if len(cells) > 5 else ""
        parts.append(f"{'cell' if len(cells) == 1 else 'cells'} {', '.join(cells[:5])}{more} "
                     f"{'is' if len(cells) == 1 else 'are'} not as issued")
    if len(rows) != len(expected):
        parts.append(f"the form has {len(rows)} rows, issued with {len(expected)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _check_answers(kept: list[tuple[Any, FileResult, Cycle]], master: AssessmentMaster,
                   cfg: Config, today: dt.date, now: dt.datetime) -> None:
    """Type and check every answer of every file at once; each file accepted with the rows it
    brings, or refused with each wrong cell named (on its own sheet)."""
    from qa_xl.workbook.checks import ERROR, WARNING, check_personal_data, check_schema, finding

    sa = master.sa
    assert sa is not None and master.actions is not None
    tags = [str(i) for i in range(len(kept))]
    raws = [replace(read.raw, sheet=f"{read.raw.sheet}#{i}")
            for i, (read, _, _) in enumerate(kept)]
    schema = replace(S.ISSUED_SELF_ASSESSMENT, key=("file", "question"))
    table = S.type_tables(raws, schema, "file", tags)
    df = table.df
    grades = [g.name for g in cfg.grades]
    found = check_schema(table, {"grade": grades})
    found += list(check_personal_data(table)) + _too_long(table, "form")
    folded = {g.casefold(): g for g in grades}
    grade = df["grade"].map(lambda v: folded.get(v.strip().casefold(), v)
                            if isinstance(v, str) else v)
    graded = grade.notna() & grade.astype("string").str.strip().ne("")
    text = {c: df[c].map(lambda v: v.strip() if isinstance(v, str) else v).replace("", None)
            for c in ("action", "owner")}
    for row in df.index[grade == NOT_MET]:
        for col, what in (("action", "a planned action"), ("owner", "the action's owner")):
            if pd.isna(text[col][row]):
                found.append(finding(ERROR, table, col, row, "not_met_needs_action",
                                     f"{df.at[row, 'question']} is Not met: give {what}."))
    due = pd.to_datetime(df["due"], errors="coerce")
    whose = {tag: (result.partner_id, cycle) for tag, (_, result, cycle) in zip(tags, kept)}
    for row in df.index[grade.isin(NEEDS_ACTION) & text["action"].notna()]:
        org, cycle = whose[df.at[row, "file"]]
        key = form_action_id(sa.form, cycle, org, str(df.at[row, "question"]))
        when = due[row]
        carried = master.carried_action(cycle, org, str(df.at[row, "question"]),
                                        text["action"][row], text["owner"][row], when)
        if carried is not None:
            status = str(master.actions.df.at[master.action_rows[carried], "status"] or "")
            if (not pd.isna(when) and when.date() < today
                    and status.strip().casefold() not in DONE_STATUSES):
                found.append(finding(WARNING, table, "due", row, "carried_overdue",
                                     f"{df.at[row, 'question']} confirms last cycle's action "
                                     f"{carried}, due on {when:%d/%m/%Y}: it stays that "
                                     f"action on the {S.ACTIONS.sheet} sheet, overdue; to "
                                     "plan it again, give a new due date."))
        elif key not in master.action_rows and not pd.isna(when) and when.date() < today:
            found.append(finding(ERROR, table, "due", row, "due_in_past",
                                 f"the new action for {df.at[row, 'question']} is due on "
                                 f"{when:%d/%m/%Y}, which has passed: give a date from today "
                                 "on."))
        elif pd.isna(when):
            found.append(finding(WARNING, table, "due", row, "no_due_date",
                                 f"the action for {df.at[row, 'question']} has no due date."))
    lo, hi = DUE_RANGE
    for row in df.index[due.notna() & ((due < pd.Timestamp(lo)) | (due > pd.Timestamp(hi)))]:
        found.append(finding(ERROR, table, "due", row, "due_out_of_range",
                             f"the due date {due[row]:%d/%m/%Y} for {df.at[row, 'question']} "
                             f"is not between {lo:%d/%m/%Y} and {hi:%d/%m/%Y}, as the form's "
                             "own check allows: give the day the action will be done."))
    for row in df.index[graded & ~grade.isin(NEEDS_ACTION) & text["action"].notna()]:
        org, cycle = whose[df.at[row, "file"]]
        if master.unchanged(cycle, org, str(df.at[row, "question"]), grade[row],
                            text["action"][row], text["owner"][row], due[row]):
            continue  # confirmed as it was last cycle: said then, not again
        found.append(finding(WARNING, table, "action", row, "action_not_raised",
                             f"{df.at[row, 'question']} is {grade[row]}, so its planned action "
                             "is kept with the answer but not raised on the "
                             f"{S.ACTIONS.sheet} sheet; grade it Partly met or Not met to "
                             "raise it."))
    for row in df.index[(grade == "Partly met") & text["action"].isna()]:
        found.append(finding(WARNING, table, "action", row, "no_action",
                             f"{df.at[row, 'question']} is Partly met without a planned "
                             "action."))
    by_file: dict[int, list[dict[str, Any]]] = {}
    for f in found:
        sheet, _, index = str(f["sheet"]).rpartition("#")
        by_file.setdefault(int(index), []).append({**f, "sheet": sheet})
    any_grade = graded.groupby(df["file"]).any().to_dict()
    blanks = (~graded).groupby(df["file"]).sum().to_dict()
    frames = dict(tuple(df.assign(grade=grade, action=text["action"], owner=text["owner"],
                                  due=due).groupby("file", sort=False)))
    sheet = S.ISSUED_SELF_ASSESSMENT.sheet
    for i, (read, result, cycle) in enumerate(kept):
        tag, path = tags[i], read.path
        if not any_grade.get(tag, False):
            result.refuse(f"{path.name}: the form has not been filled in: pick a grade for "
                          f"each question on the {sheet} sheet and send it again", data=True)
            continue
        problems = by_file.get(i, [])
        if not take_findings(path, result, problems):
            continue
        by, on = read.signed
        result.warnings += _sign_off_warnings(path, by, on, [], today, sheet)
        if blanks.get(tag):
            result.warnings.append(f"{path.name}: {int(blanks[tag])} question(s) have no "
                                   "grade; they are imported blank")
        mine = frames[tag]
        rows = pd.DataFrame({
            "cycle": str(cycle), "form": sa.form, "organisation": result.partner_id,
            "standard": mine["standard"].to_numpy(), "question": mine["question"].to_numpy(),
            "grade": mine["grade"].to_numpy(), "evidence": mine["evidence"].to_numpy(),
            "action": mine["action"].to_numpy(), "owner": mine["owner"].to_numpy(),
            "due": mine["due"].to_numpy(), "submitted_on": pd.Timestamp(now),
            "submitted_by": by, "completed_on": pd.Timestamp(on or today)})
        result.rows, result.signed_off, result.accepted = rows, on, True


DONE_STATUSES = ("completed", "closed")
SUPERSEDED_STATUS = "Closed"
CLOSED_BY = "closed by the re-import of"


def superseded_actions(master: AssessmentMaster, accepted: list[FileResult], today: dt.date
                       ) -> dict[str, str]:
    """action_id -> why it closes: an open action a form raised earlier in the cycle that
    the form accepted now no longer plans (the question now Fully met, or no action given),
    or last cycle's open action that this cycle's form plans again with a new due date (the
    work moves to this cycle's action: one action, not two). Its row stays, every cell the
    officer typed kept; it is closed, with the reason, rather than left "Not started" for
    ever. Each file is warned of what it closes."""
    assert master.sa is not None and master.actions is not None
    out: dict[str, str] = {}
    status = master.actions.df["status"]
    def is_open(at: int) -> bool:
        return str(status.get(at, "") or "").strip().casefold() not in DONE_STATUSES

    for r in accepted:
        assert r.rows is not None
        for a in r.rows.itertuples():
            key = form_action_id(master.sa.form, a.cycle, a.organisation, a.question)
            at = master.action_rows.get(key)
            planned = a.grade in NEEDS_ACTION and not pd.isna(a.action)
            if at is None and planned:  # last cycle's action planned again, with a new date
                cycle = Cycle.parse(a.cycle)
                last = form_action_id(master.sa.form, cycle.previous, a.organisation,
                                      a.question)
                before = master._carried.get((str(cycle.previous), a.organisation,
                                              a.question))
                was = master.action_rows.get(last)
                if (was is not None and is_open(was) and before is not None
                        and _same(before[0], a.action) and not master.carried_action(
                            cycle, a.organisation, a.question, a.action, a.owner, a.due)):
                    out[last] = (f"carried into {key} by the import of {r.file.name} on "
                                 f"{today:%d/%m/%Y}")
                    r.warnings.append(f"{r.file.name}: {a.question} plans last cycle's "
                                      f"action {last} again as {key}: {last} is closed on "
                                      f"the {S.ACTIONS.sheet} sheet, its row kept")
                continue
            if at is None or planned:
                continue
            if not is_open(at):
                continue
            now = a.grade if isinstance(a.grade, str) and a.grade else "not graded"
            plan = "" if a.grade not in NEEDS_ACTION else " with no planned action"
            out[key] = (f"{CLOSED_BY} {r.file.name} on {today:%d/%m/%Y}: now "
                        f"{now}{plan}")
            r.warnings.append(f"{r.file.name}: {a.question} no longer plans its action "
                              f"{key} (now {now}{plan}): it is closed on the "
                              f"{S.ACTIONS.sheet} sheet, its row kept")
    return out


def _changes(master: AssessmentMaster, accepted: list[FileResult], cfg: Config,
             closing: dict[str, str] | None = None) -> dict[str, RowsWrite]:
    """The organisation's answers for the cycle replaced; one action per Partly met or Not
    met with a planned action, an existing one updated in its own row (its status, evidence
    of impact and learning area as the officer left them)."""
    assert master.sa is not None and master.actions is not None
    sa = master.sa
    remove: list[int] = []
    frames = []
    for r in accepted:
        assert r.rows is not None
        cycle = Cycle.parse(r.rows["cycle"].iloc[0])
        remove += list(master.answers_of(cycle, r.partner_id).index)
        frames.append(r.rows)
    if not frames:
        return {}
    new = pd.concat(frames, ignore_index=True)[S.SELF_ASSESSMENT.names]
    out = {S.SELF_ASSESSMENT.table: RowsWrite(sorted(remove), new)}
    texts = {q.id: q.text for _, q in sa.questions()}
    names = dict(zip(master.organisations["id"], master.organisations["name"]))
    existing = master.actions.df
    updated: list[tuple[int, dict[str, Any]]] = []
    added: list[dict[str, Any]] = []
    for a in new[new["grade"].isin(NEEDS_ACTION) & new["action"].notna()].itertuples():
        key = form_action_id(sa.form, a.cycle, a.organisation, a.question)
        if key not in master.action_rows and master.carried_action(
                Cycle.parse(a.cycle), a.organisation, a.question, a.action, a.owner, a.due):
            continue  # the last cycle's action, confirmed: not a second row for it
        row = {"action_id": key, "source": sa.action_source,
               "finding": f"{names.get(a.organisation, a.organisation)}, {a.question} "
                          f"({a.grade}, {sa.title} {a.cycle}): {texts.get(a.question, '')}",
               "action": a.action, "learning_area": LEARNING_AREA, "owner": a.owner,
               "due_date": a.due, "status": NEW_ACTION_STATUS, "evidence_of_impact": None}
        at = master.action_rows.get(key)
        if at is None:
            added.append(row)
            continue
        kept = existing.loc[at]
        for col in ("status", "evidence_of_impact", "learning_area"):
            if col in kept and not pd.isna(kept[col]):
                row[col] = kept[col]
        if row["status"] == SUPERSEDED_STATUS and CLOSED_BY in str(kept.get("finding", "")):
            row["status"] = NEW_ACTION_STATUS  # planned again after a re-import closed it
        updated.append((at, row))
    for key, why in (closing or {}).items():  # no longer planned: closed, nothing lost
        at = master.action_rows[key]
        row = {c: _blank(existing.at[at, c]) for c in S.ACTIONS.names if c in existing}
        finding = row.get("finding")
        row["finding"] = f"{finding} ({why})" if finding else why[0].upper() + why[1:]
        row["status"] = SUPERSEDED_STATUS
        updated.append((at, row))
    if updated or added:
        updated.sort(key=lambda item: item[0])  # each takes its own row back (row_plan)
        rows = [r for _, r in updated] + added
        out[S.ACTIONS.table] = RowsWrite([at for at, _ in updated],
                                         pd.DataFrame(rows, columns=S.ACTIONS.names))
    return out


# ---------------------------------------------------------------- the library's entry points

def s11_issue(workbook: str | Path | Store, cycle: str | Cycle, out: str | Path | None = None,
              partners: Iterable[str] | None = None, **kw: Any) -> IssuedReturns:
    """Issue the Section 11 self-assessment to every Board partner (or those named)."""
    return issue_self_assessment(workbook, "s11", cycle, out, partners, **kw)


def s175_issue(workbook: str | Path | Store, cycle: str | Cycle, out: str | Path | None = None,
               schools: Iterable[str] | None = None, **kw: Any) -> IssuedReturns:
    """Issue the Section 175/157 audit to every school and college (or those named)."""
    return issue_self_assessment(workbook, "s175", cycle, out, schools, **kw)


def s11_import(workbook: str | Path | Store, files: Iterable[str | Path], **kw: Any
               ) -> ImportReport:
    """Import completed Section 11 self-assessments."""
    return import_self_assessment(workbook, "s11", files, **kw)


def s175_import(workbook: str | Path | Store, files: Iterable[str | Path], **kw: Any
                ) -> ImportReport:
    """Import completed Section 175/157 audits."""
    return import_self_assessment(workbook, "s175", files, **kw)
