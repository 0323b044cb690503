"""Importing forms — partner returns, and the self-assessments on the same engine: check each
file, then land the valid ones in one save.

Importing checks the file before any spreadsheet reader sees it (:mod:`qa_xl.collect.package`),
the signature (which binds every row as issued), then every row with the master's own rules
(:mod:`qa_xl.collect.rules`). A valid return replaces that partner's rows for its periods — a
re-import never doubles a figure — and every other row of the partner's table stays exactly as
it is in the workbook, cell for cell.

Nothing goes back in time silently: a file that an import has since superseded, or a fill
completed before the one already in the master, is refused with both named unless the officer
says ``replace_newer``; the same file again changes nothing and says so. Every attempt is logged
in tblImportLog, appended (the log's earlier rows are never rewritten).

The parts every form shares — reading and checking the package (:func:`read_form_file`), the
signature that binds every row (:func:`check_signature`), nothing-goes-back-in-time
(:func:`settle`) and landing the accepted files with the log in one save (:func:`land`) — are
written here once; :mod:`qa_xl.collect.self_assessment` uses them for its forms.

A return (template version 3) also carries the voice of children and families: a second table
on its sheet, read in the same pass, its questions bound by the same signature, its counts
checked with the figures, and its answered rows landed in tblVoice in the same save — each
replacing the row held for its period, partner and question (typed by an officer, or an earlier
return's), every other row left as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.master import (
    ACCEPTED,
    MAX_NAME,
    MAX_TEXT,
    REFUSED,
    RETURN,
    SIGN_OFF,
    SIGNED,
    VOICE_HEADING,
    VOICE_PART,
    Form,
    Master,
    MasterBook,
    Part,
    expected_keys,
    issued_rows,
    rows_digest,
    token,
)
from qa_xl.collect.package import Refused, check_package, metadata, read_book, read_bytes
from qa_xl.collect.tracker import after_import
from qa_xl.core.errors import UnusableInput, os_problem
from qa_xl.core.periods import Period, PeriodError, period_or_none
from qa_xl.core.words import plural
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import ERROR, refuse_errors
from qa_xl.workbook.filestore import opened
from qa_xl.workbook.store import RowsWrite, Store, read_table, status_cells

UNCHANGED = "Unchanged"


@dataclass
class FileResult:
    """What happened to one return file."""

    file: Path
    sha256: str = ""
    partner_id: str = ""
    period: str = ""
    accepted: bool = False
    unchanged: bool = False  # the very file already in the master: nothing to do
    problems: list[str] = field(default_factory=list)  # each names the file, sheet and cell
    warnings: list[str] = field(default_factory=list)
    data_error: bool = False  # refused for its values (exit 1) rather than unusable (exit 2)
    rows: pd.DataFrame | None = None  # the master rows it brings (tblReturn_<partner> columns)
    signed_off: dt.date | None = None  # the partner's "Date completed"
    serial: str = ""  # the issue it fills (its serial and time), for the messages
    issued_at: str = ""
    reopened: str = ""  # the officer's reason for importing into a closed period
    voice: pd.DataFrame | None = None  # the tblVoice rows it brings (its voice answers)
    notes: list[str] = field(default_factory=list)  # what it replaced, said in the report
    unanswered: list[str] = field(default_factory=list)  # voice questions it left blank

    @property
    def result(self) -> str:
        if self.unchanged:
            return f"{UNCHANGED}: {self.problems[0]}" if self.problems else UNCHANGED
        if self.accepted:
            extra = f" with {len(self.warnings)} warning(s)" if self.warnings else ""
            again = f"; reopened: {self.reopened}" if self.reopened else ""
            return f"{ACCEPTED}{extra}{again}"
        return f"{REFUSED}: {self.problems[0] if self.problems else 'unknown reason'}"

    def refuse(self, problem: str, *, data: bool = False) -> None:
        self.accepted, self.problems, self.data_error = False, [problem], data


@dataclass
class ImportReport:
    results: list[FileResult]
    written: bool = False
    pending_log: Path | None = None

    @property
    def exit_code(self) -> int:
        refused = [r for r in self.results if not (r.accepted or r.unchanged)]
        if not refused:
            return 0
        return 1 if all(r.data_error for r in refused) else 2

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            head = f"{r.file.name}: {r.result.split(':')[0]}"
            voice = (f", {plural(len(r.voice), 'voice answer')}" if r.voice is not None
                     and len(r.voice) and not r.unchanged else "")
            out.append(f"{head} ({r.partner_id or '?'}, {r.period or '?'}, "
                       f"{0 if r.rows is None or r.unchanged else len(r.rows)} rows{voice})")
            out += [f"  {p}" for p in r.problems] + [f"  Warning: {w}" for w in r.warnings]
            out += [f"  Note: {n}" for n in r.notes]
        if self.pending_log:
            out.append(f"Nothing was imported, so the workbook is unchanged; the attempts are "
                       f"logged in {self.pending_log.name} and move to the ImportLog sheet at "
                       "the next import.")
        elif not self.written:
            out.append("Nothing was imported: the workbook is unchanged.")
        return out


def import_returns(workbook: str | Path | Store, files: Iterable[str | Path], *,
                   today: dt.date | None = None, replace_newer: bool = False,
                   early: bool = False, now: dt.datetime | None = None,
                   reopen: str | None = None) -> ImportReport:
    """Check and import each return; write every accepted one and the log in one save.

    ``replace_newer`` imports a file even when the master holds a later fill (or a later
    file) for its partner and period; ``early`` accepts a return before its period has ended.
    ``now`` is when the returns are received (the log's time and the tracker's "first received
    on"; the clock by default). A return for a closed period is refused unless ``reopen``
    gives the reason, which is logged.
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)  # when the returns are received
    today = today or now.date()
    paths = _expand(files)
    with opened(workbook, "Import returns", write=True) as store:
        reading = _start_reading(paths)  # the files, on the other core, while the master is
        master = Master.read(store)
        refuse_errors(store, master.tables, "the import")
        log = read_table(store, S.IMPORT_LOG).df
        results = _check_files(reading(), master, today, early=early)
        _settle(results, master, log, replace_newer)
        _closed(results, read_table(store, S.CLOSED_PERIODS).df, reopen)
        report = ImportReport(results)
        accepted = [r for r in results if r.accepted]

        def tracker(attempts: list[list[Any]]) -> dict[str, pd.DataFrame]:
            returns_only = [a for a in attempts if period_or_none(a[2]) is not None]
            return {S.RETURNS_TRACKER.table: after_import(
                read_table(store, S.RETURNS_TRACKER).df, returns_only, master.settings, today)}

        land(store, report, now, lambda: _replaced_rows(master, accepted),
             status_cells("Import returns",
                          f"{len(accepted)} of {len(results)} returns imported"), tracker,
             log)
    return report


def land(store: Store, report: ImportReport, now: dt.datetime,
         rows: Callable[[], dict[str, RowsWrite]], status: dict[str, dict[str, Any]],
         tables: Callable[[list[list[Any]]], dict[str, pd.DataFrame]] | None = None,
         log: pd.DataFrame | None = None) -> None:
    """Write every accepted file's rows and the log of every attempt in one save, for any
    form. When nothing was accepted the workbook stays byte for byte as it was: the attempts
    wait in a file beside it and join the log at the next import that writes. ``rows`` makes
    the row changes (only when something is written); ``tables`` the whole tables that follow
    from the log's rows (the returns tracker)."""
    attempts = [_log_row(r, now) for r in report.results]
    pending = _pending_path(store)
    if not any(r.accepted for r in report.results) and pending is not None:
        _append_pending(pending, attempts)
        report.pending_log = pending
        return
    if log is None:
        log = read_table(store, S.IMPORT_LOG).df
    saving = _set_aside(pending)  # a kill during the save cannot log these twice
    earlier = _not_logged(_read_pending(saving) + _read_pending(pending), log)
    changes = rows()
    changes[S.IMPORT_LOG.table] = RowsWrite([], pd.DataFrame(earlier + attempts,
                                                             columns=S.IMPORT_LOG.names))
    store.write(tables(earlier + attempts) if tables else {}, status, rows=changes)
    for done in (saving, pending):  # now in tblImportLog
        if done is not None:
            done.unlink(missing_ok=True)
    report.written = True


SPREADSHEETS = {".xlsx", ".xlsm", ".xltx", ".xls", ".xlsb", ".ods", ".csv", ".numbers"}


def expand_files(files: Iterable[str | Path], noun: str = "return") -> list[Path]:
    return _expand(files, noun)


def _expand(files: Iterable[str | Path], noun: str = "return") -> list[Path]:
    """Files as given; a folder stands for the spreadsheets inside it (none is a mistake).

    Every spreadsheet in the folder is taken, whatever its case or kind (``.XLSX``, ``.xls``,
    ``.ods``, ``.csv``…), so that one saved in the wrong format is refused by name rather than
    left behind without a word; Excel's and LibreOffice's lock files are not spreadsheets."""
    out: list[Path] = []
    for f in map(Path, files):
        if f.is_dir():
            found = sorted(p for p in f.iterdir() if p.suffix.casefold() in SPREADSHEETS
                           and p.is_file() and not p.name.startswith(("~$", ".~")))
            if not found:
                raise UnusableInput(f"the folder holds no {noun}s (.xlsx files)", file=f,
                                    action=f"give the folder the completed {noun}s were saved "
                                    "in, or the files themselves")
            out += found
        else:
            out.append(f)
    if not out:
        raise UnusableInput(f"no {noun} was given", action=f"give the completed {noun}s "
                            "(files or the folder they are in)")
    return out


# ----------------------------------------------------------------- what the master already has

def _settle(results: list[FileResult], master: Master, log: pd.DataFrame,
            replace_newer: bool) -> None:
    settle(results, log, replace_newer, partial(_held_sign_off, master), "figures")


def settle(results: list[FileResult], log: pd.DataFrame, replace_newer: bool,
           held: Callable[[FileResult], dt.date | None], what: str = "answers") -> None:
    """Refuse what would put older figures back, and mark what is already in the master.

    For each partner and period: the same file as the last one imported changes nothing; a
    file that was imported before and has been superseded since, or a fill completed before
    the one the master holds, is refused with both named (unless ``replace_newer``). Two files
    for the same partner and period in one import: the later fill wins, the other is refused.
    ``held`` says when what the master holds for a file's organisation and period was
    completed; ``what`` names it in the messages. Every form settles this way.
    """
    history = _accepted_history(log)
    by_key: dict[tuple[str, str], list[FileResult]] = {}
    for r in results:
        if r.accepted:
            by_key.setdefault((r.partner_id, r.period), []).append(r)
    for key, group in by_key.items():
        done = history.get(key, [])
        for r in group:
            if done and done[-1][1] == r.sha256:
                r.accepted, r.unchanged = False, True
                r.problems = [f"{r.file.name} was already imported on {done[-1][0]}: nothing "
                              "changed"]
                continue
            if replace_newer:
                continue
            earlier = next((d for d in done if d[1] == r.sha256), None)
            if earlier is not None:
                r.refuse(f"{r.file.name}: this very file was imported on {earlier[0]} and has "
                         f"since been replaced by {done[-1][2]} (imported {done[-1][0]}); "
                         "importing it again would put the older figures back. If that is "
                         "what you want, import it with --replace-newer")
                continue
            held_on = held(r)
            if held_on is not None and r.signed_off is not None and r.signed_off < held_on:
                source = f" ({done[-1][2]}, imported {done[-1][0]})" if done else ""
                r.refuse(f"{r.file.name} was completed on {r.signed_off:%d/%m/%Y}, but the "
                         f"{what} in the master for {r.partner_id} {r.period} were completed "
                         f"on {held_on:%d/%m/%Y}{source}: this looks like an older version. If "
                         "it is the one to keep, import it with --replace-newer")
        live = [r for r in group if r.accepted]
        if len(live) > 1:
            live.sort(key=lambda r: (r.signed_off or dt.date.min, r.issued_at,
                                     r.file.stat().st_mtime_ns))
            winner = live[-1]
            for r in live[:-1]:
                r.refuse(f"{r.file.name} and {winner.file.name} are both filled in for "
                         f"{r.partner_id} for {r.period}; {winner.file.name} is the later "
                         "fill, so this one was not imported")


def _closed(results: list[FileResult], closed: pd.DataFrame, reopen: str | None) -> None:
    """A closed period's figures have gone to the committee: they move only for a reason."""
    from qa_xl.collect.closing import closures

    done = closures(closed)
    if not done:
        return
    reason = (reopen or "").strip()
    for r in results:
        if not r.accepted or r.rows is None:
            continue
        hit = sorted({str(p) for p in r.rows["period"]} & set(done))
        if not hit:
            continue
        if reason:
            r.reopened = reason
            continue
        r.refuse(f"{r.file.name}: {done[hit[0]].words()}, so its figures have been reported; "
                 "to import this return anyway, say why: --reopen \"the reason\" (it is "
                 "logged, and the next paper for the period shows what changed)")


def _accepted_history(log: pd.DataFrame) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(partner, period) -> the files imported for it, oldest first: (when, sha256, name)."""
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    if log.empty:
        return out
    ok = log[log["result"].fillna("").str.startswith(ACCEPTED)].sort_values(
        "imported_at", kind="stable")
    for r in ok.itertuples(index=False):
        when = "" if pd.isna(r.imported_at) else pd.Timestamp(r.imported_at).strftime(
            "%d/%m/%Y %H:%M")
        out.setdefault((str(r.partner_id), str(r.period)), []).append(
            (when, str(r.sha256), str(r.file_name)))
    return out


def _held_sign_off(master: Master, result: FileResult) -> dt.date | None:
    """When the figures the master holds for this return's periods were completed."""
    assert result.rows is not None
    dates = [d for p in set(result.rows["period"])
             if (d := master.held_sign_off.get((result.partner_id, p))) is not None]
    return None if not dates else pd.Timestamp(max(dates)).date()


def _replaced_rows(master: Master, accepted: list[FileResult]) -> dict[str, RowsWrite]:
    """Per partner table: the rows of the imported periods out, the new rows in; the other
    rows are not touched at all."""
    columns = [c.name for c in S.RETURN_COLUMNS]
    by_partner: dict[str, list[pd.DataFrame]] = {}
    for result in accepted:
        assert result.rows is not None
        by_partner.setdefault(result.partner_id, []).append(result.rows[columns])
    out = {}
    for pid, frames in by_partner.items():
        new = pd.concat(frames, ignore_index=True)
        out[f"tblReturn_{pid}"] = RowsWrite(master.rows_of(pid, set(new["period"])), new)
    voice = _voice_rows(master, accepted)
    if voice is not None:
        out[S.VOICE.table] = voice
    return out


def _voice_key(period: Any, partner: Any, question: Any) -> tuple[str, str, str]:
    """A tblVoice row's key as a return and an officer may both spell it: the period in its
    one spelling, the question without case or surrounding spaces."""
    from qa_xl.workbook.checks import is_missing

    return (_spelt("" if is_missing(period) else str(period)), str(partner).strip(),
            " ".join(str(question).split()).casefold())


@lru_cache(maxsize=256)
def _spelt(period: str) -> str:
    """A period's one spelling (parsed once per distinct text: a few per import)."""
    spelt = period_or_none(period)
    return str(spelt) if spelt else period.strip()


def _voice_rows(master: Master, accepted: list[FileResult]) -> RowsWrite | None:
    """The returns' voice answers into tblVoice: each replaces the row the Voice sheet holds
    for its period, partner and question (an officer's typed row, or an earlier return's),
    said in the file's notes; every other row stays exactly as it is. A question a return
    leaves blank takes nothing away (the note says what the sheet still holds for it)."""
    bringing = [r for r in accepted if r.voice is not None]
    if not any(len(r.voice) for r in bringing if r.voice is not None):
        return None
    table = master.voice
    held: dict[tuple[str, str, str], list[int]] = {}
    for row, period, pid, question in zip(table.df.index, table.df["period"],
                                          table.df["partner_id"], table.df["question"]):
        held.setdefault(_voice_key(period, pid, question), []).append(int(row))
    sheet = S.VOICE.sheet
    asked = {" ".join(q.split()).casefold() for q in master.voice_questions}
    remove: list[int] = []
    frames = []
    for r in bringing:
        assert r.voice is not None
        for question in dict.fromkeys(map(str, r.voice["question"])):
            if " ".join(question.split()).casefold() not in asked:
                r.notes.append(f"{r.file.name}: {question[:60]!r} is no longer on the Lists "
                               "sheet's voice_question list (reworded since the return was "
                               f"issued?), so validate flags its row on the {sheet} sheet: "
                               "put the question back on the list, or correct the row")
        answered = {_voice_key(p, r.partner_id, q): str(q) for p, q in zip(
            r.voice["period"], r.voice["question"])}
        for key, question in answered.items():
            if rows := held.pop(key, []):
                remove += rows
                r.notes.append(f"{r.file.name}: its answers to {question[:60]!r} replace "
                               f"{'the row' if len(rows) == 1 else 'the rows'} the {sheet} "
                               f"sheet held for {r.partner_id} {key[0]} (row "
                               f"{', '.join(map(str, rows))})")
        if len(r.voice):
            for question in r.unanswered:
                key = _voice_key(r.period, r.partner_id, question)
                if key in held:
                    r.notes.append(f"{r.file.name}: the return leaves {question[:60]!r} "
                                   f"blank; the {sheet} sheet keeps its row for "
                                   f"{r.partner_id} {key[0]} (row "
                                   f"{', '.join(map(str, held[key]))}): delete it there if it "
                                   "no longer stands")
        frames.append(r.voice)
    new = pd.concat([f for f in frames if len(f)], ignore_index=True)[S.VOICE.names]
    return RowsWrite(sorted(remove), new)


def _log_row(result: FileResult, when: dt.datetime) -> list[Any]:
    rows = 0 if result.rows is None or not result.accepted else len(result.rows)
    return [when, result.partner_id or None,
            result.period or None, result.file.name, result.sha256, rows,
            result.result[:500]]


def _pending_path(store: Store) -> Path | None:
    """The side file of refused attempts: beside the real workbook (behind any link), as
    its lock is, so every path to one workbook keeps one record."""
    path = getattr(store, "path", None)
    if path is None:
        return None
    path = Path(os.path.realpath(path))
    pending = path.with_name(f"{path.stem}.refused-imports.jsonl")
    for own in (pending, pending.with_name(pending.name.replace(".jsonl", ".saving.jsonl"))):
        if own.is_symlink():  # it would write into, and log, whatever file it points at
            raise UnusableInput("the record of refused imports beside the workbook is a "
                                "link to another file, and qa_xl writes only a file of its "
                                "own there", file=own, action="remove the link (nothing of "
                                "qa_xl's is in the file it points at) and import again")
    return pending


def _append_pending(path: Path, rows: list[list[Any]]) -> None:
    """Add refused attempts to the side file in one write, on a line of their own (after a
    line a killed run cut short, which would otherwise swallow the first of them)."""
    text = "".join(json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v
                               for v in row]) + "\n" for row in rows)
    with path.open("a+b") as out:
        if out.tell() and (out.seek(-1, os.SEEK_END), out.read(1))[1] != b"\n":
            text = "\n" + text
        out.write(text.encode("utf-8"))


def _set_aside(pending: Path | None) -> Path | None:
    """Rename the side file before the save that moves it into tblImportLog, so refused
    attempts logged meanwhile (none while the lock is held) or by a run killed mid-save are
    told apart; a set-aside file a killed run left is kept and read again."""
    if pending is None:
        return None
    saving = pending.with_name(pending.name.replace(".jsonl", ".saving.jsonl"))
    if pending.exists() and not saving.exists():
        try:
            os.replace(pending, saving)
        except OSError as exc:
            raise os_problem(exc, "set aside the record of refused imports", pending) from exc
    return saving


def _not_logged(rows: list[list[Any]], log: pd.DataFrame) -> list[list[Any]]:
    """The side file's attempts not yet in tblImportLog: a run killed after its save but
    before it removed the side file has logged them already (and a file read twice, or a
    line written twice, is logged once)."""
    def text(v: Any) -> str:
        return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)

    def key(row: list[Any]) -> tuple[str, ...]:
        try:
            when = pd.Timestamp(row[0]).isoformat(timespec="seconds")
        except (ValueError, TypeError):  # not a time (typed over in the log): never a match
            when = text(row[0])
        return when, text(row[3]), text(row[4]), text(row[6])
    seen = {key(list(r)) for r in log[S.IMPORT_LOG.names].itertuples(index=False)} \
        if not log.empty else set()
    out = []
    for row in rows:
        if (k := key(row)) not in seen:
            seen.add(k)
            out.append(row)
    return out


_CUT_SHORT = "this record of a refused attempt was cut short when qa_xl was stopped"


def _read_pending(path: Path | None) -> list[list[Any]]:
    """The side file's rows, each as a log row. A line cut short by a killed run is kept as
    far as it can be read (its result says so), never dropped and never a crash."""
    if path is None or not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8", "replace")
        written = dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    except OSError as exc:
        raise os_problem(exc, "read the record of refused imports", path) from exc
    rows = []
    width = len(S.IMPORT_LOG.names)
    for line in text.splitlines():
        if not line.strip():
            continue
        row, whole = _parse_line(line)
        row = (row + [None] * width)[:width]
        try:
            row[0] = dt.datetime.fromisoformat(str(row[0]))
        except ValueError:
            row[0], whole = written, False
        if not isinstance(row[5], int) or isinstance(row[5], bool):
            row[5] = 0
        row[1:5] = [None if v is None else str(v) for v in row[1:5]]
        if not whole:
            said = "" if row[6] is None else str(row[6])
            row[6] = (f"{said} ({_CUT_SHORT})" if said.startswith(REFUSED) else
                      f"{REFUSED}: {_CUT_SHORT}: {line[:300]}")[:500]
        rows.append(row)
    return rows


def _parse_line(line: str) -> tuple[list[Any], bool]:
    """One side-file line as a list, and whether it was whole; a line cut short is closed
    off as it most likely ended (mid-text, mid-number, after a comma)."""
    for end in ("", '"]', "]", 'null]', '\\"]'):
        try:
            row = json.loads(line + end)
        except ValueError:
            continue
        if isinstance(row, list):
            return row, end == ""
    return [], False


# ------------------------------------------------------------------------- checking a file

@dataclass
class _Read:
    """What one return file holds, read without the master (so it can be read in a worker
    process): the package checked, its hidden details, its table and sign-off."""

    path: Path
    sha256: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    raw: S.RawTable | None = None
    parts: dict[str, S.RawTable] = field(default_factory=dict)  # its more tables, by name
    signed: tuple[str | None, dt.date | None] = (None, None)
    problems: list[str] = field(default_factory=list)
    data_error: bool = False


def _read_file(path: Path, form: Form = RETURN) -> _Read:
    """The package checks and the reading of one file of any form; a problem is kept, not
    raised."""
    from qa_xl.workbook.xlsxread import READ_ERRORS

    read = _Read(path)
    try:
        data = read_bytes(path, form.noun)
        read.sha256 = hashlib.sha256(data).hexdigest()
        formulas = check_package(path, data, form.noun)
        book = read_book(path, data)
        read.meta = metadata(path, book, form.meta_keys, noun=form.noun, title=form.title,
                             command="returns" if form is RETURN else form.code)
        if formulas:
            raise Refused(f"{path.name}: {formulas[0][0]}, cells "
                          f"{', '.join(c for _, c in formulas[:10])} hold formulas; a "
                          f"{form.noun} takes typed values only: type the values", data=True)
        read.raw = _return_table_raw(path, book, form.schema, form.noun)
        signs = SIGNED.get(read.meta.get("template_version", ""), ())
        for part in form.parts:  # the voice table, in the same pass over the same book
            if part.signed in signs and part.schema.table in book.table_names:
                read.parts[part.schema.table] = _return_table_raw(path, book, part.schema)
        sheet = book.get_sheet_by_name(form.schema.sheet)
        values = sheet.to_python(skip_empty_area=False)
        for raw in (read.raw, *read.parts.values()):
            _not_merged(path, sheet.merged_cell_ranges or [], raw)
            _nothing_under(path, values, raw)
        read.signed = _sign_off(path, values, form.schema.sheet)
    except Refused as exc:
        read.problems, read.data_error = exc.problems, exc.data
    except READ_ERRORS as exc:
        read.problems = [f"{path.name}: the workbook cannot be read ({exc}); fill in the file "
                         "you were sent, or ask the partner to save it again from Excel"]
    return read


PARALLEL_FROM = 24  # files: below this a second process costs more than it saves


read_form_file = _read_file


def _start_reading(paths: list[Path], form: Form = RETURN) -> Callable[[], list[_Read]]:
    """Start reading every file, in a worker process on the other core where there are
    enough of them (fork: the worker has the modules already), and return the function that
    waits for the results; elsewhere, or when a pool cannot start, read in this process
    (Pyodide in xlwings Lite has no os.fork, and its multiprocessing cannot start one)."""
    pool = None
    if len(paths) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        try:
            import multiprocessing

            if "fork" in multiprocessing.get_all_start_methods():
                pool = multiprocessing.get_context("fork").Pool(1)
        except (OSError, ImportError, NotImplementedError, RuntimeError, ValueError):
            pool = None
        if pool is not None:
            # The worker reads three quarters while this process reads the master, then the
            # first quarter (measured at 200 partners: the two finish together).
            half = len(paths) // 4
            pending = pool.map_async(partial(_read_file, form=form), paths[half:],
                                     chunksize=max(1, half // 2))

            def wait() -> list[_Read]:
                try:
                    mine = [_read_file(p, form) for p in paths[:half]]
                    return mine + pending.get()
                finally:
                    pool.close()
                    pool.join()

            return wait
    return lambda: [_read_file(p, form) for p in paths]


start_reading = _start_reading


def check_return_file(path: Path, master: Master, today: dt.date, *,
                      early: bool = False) -> FileResult:
    """Every check on one return file; a problem refuses it, naming the file and cell.

    A file the reader cannot read (a damaged part, a bad shared-string index) is refused by
    name like any other, so the rest of a batch still imports."""
    return _check_files([_read_file(path)], master, today, early=early)[0]


def _check_files(reads: list[_Read], master: Master, today: dt.date, *,
                 early: bool = False) -> list[FileResult]:
    """Whose each return is and whether it was changed (file by file), then every row of
    every file checked at once with the master's rules, as ``validate`` checks the master."""
    results, kept = [], []
    for read in reads:
        result = FileResult(read.path, sha256=read.sha256)
        results.append(result)
        if read.problems:
            result.problems, result.data_error = read.problems, read.data_error
            continue
        meta, raw = read.meta, read.raw
        assert raw is not None
        result.partner_id, result.period = meta["partner_id"], meta["period"]
        result.serial, result.issued_at = meta.get("serial", ""), meta.get("issued_at", "")
        try:
            result.warnings += _check_signature(read.path, meta, master, raw, read.parts)
            _check_timing(read.path, meta, today, early)
            if f"tblReturn_{meta['partner_id']}" not in master.store.table_names():
                raise Refused(f"{read.path.name}: the master has no return sheet for "
                              f"{meta['partner_id']}; add its Return_{meta['partner_id']} "
                              "sheet (qa-xl new builds one per partner) before importing")
        except Refused as exc:
            result.problems, result.data_error = exc.problems, exc.data
            continue
        kept.append((read, result))
    if kept:
        _check_rows([r for r, _ in kept], [x for _, x in kept], master, today)
    return results


def check_signature(path: Path, meta: dict[str, str], master: MasterBook, raw: S.RawTable,
                    form: Form, which: Callable[[], str] = str,
                    parts: dict[str, S.RawTable] | None = None) -> None:
    """That a form of any kind was issued by this master, that its signed details (whose,
    for when) were not changed, and that its locked cells are every row as issued — of its
    main table and of each more table (``parts``, by name) its version signs.
    ``which`` says which rows differ, where the form can tell."""
    name = path.name
    version = meta.get("template_version", "")
    own = set(form.versions)
    if version in SIGNED and version not in own:
        raise Refused(f"{name}: this is not a {form.title} (its details say template "
                      f"{meta.get('template_version')!r}); import it with the command for its "
                      "kind of form")
    if meta["workbook_id"] != master.workbook_id:
        raise Refused(f"{name}: this {form.noun} was issued by another master workbook "
                      f"({meta['workbook_id'][:8]}…); import it into that workbook, or issue "
                      f"a new {form.noun} from this one")
    if not hmac.compare_digest(token(master.secret(), meta), meta["token"]):
        raise Refused(f"{name}: the signature does not match its {form.who.removesuffix('_id')} "
                      f"({meta.get(form.who)}) and {form.when} ({meta.get(form.when)}): the "
                      "hidden details were changed or the file was forged; ask the business "
                      f"unit for a new {form.noun}")
    if meta["template_version"] == "1":
        return
    if not hmac.compare_digest(_locked_digest(raw, form.locked), meta["rows"]):
        raise Refused(f"{name}: sheet {form.schema.sheet}: the locked cells ("
                      f"{form.locked_words or ', '.join(form.locked)}) are not as issued — a "
                      "row was relabelled, "
                      f"swapped, added or removed{which()}; fill in the file you were sent",
                      data=True)
    for part in form.parts:
        if part.signed in SIGNED.get(version, ()):
            _check_part(name, meta, part, (parts or {}).get(part.schema.table))


def _locked_digest(raw: S.RawTable, locked: tuple[str, ...]) -> str:
    """The digest of a table's locked cells, row by row (blank rows left out), as issued."""
    position = {h: i for i, h in enumerate(raw.header)}
    return rows_digest([[row[position[c]] if position[c] < len(row) else None for c in locked]
                        for row in raw.rows if any(v not in (None, "") for v in row)])


def _check_part(name: str, meta: dict[str, str], part: Part, raw: S.RawTable | None) -> None:
    """A more table (the voice questions) as issued: there, and its locked cells unchanged."""
    schema = part.schema
    if raw is None:
        if hmac.compare_digest(rows_digest([]), meta[part.signed]):
            return  # issued without it (the master had no voice questions)
        raise Refused(f"{name}: sheet {schema.sheet}: the table {schema.table} ({schema.title})"
                      " is missing — was it deleted or converted to a range? Fill in the file "
                      "you were sent", data=True)
    if not hmac.compare_digest(_locked_digest(raw, part.locked), meta[part.signed]):
        raise Refused(f"{name}: sheet {schema.sheet}: the locked cells of {schema.table} ("
                      f"{part.locked_words or ', '.join(part.locked)}) are not as issued — a "
                      "question was changed, swapped, added or removed; fill in the file you "
                      "were sent", data=True)


def _check_signature(path: Path, meta: dict[str, str], master: Master, raw: S.RawTable,
                     parts: dict[str, S.RawTable] | None = None) -> list[str]:
    """Whose return it is, and that neither its details nor its rows changed since issue."""
    name = path.name
    check_signature(path, meta, master, raw, RETURN, lambda: _which(raw, meta, master), parts)
    warnings = []
    if meta["template_version"] == "1":
        warnings.append(f"{name}: issued by an older qa_xl, whose signature does not cover "
                        "its rows: check that the indicators are the ones issued")
    if meta["partner_id"] not in set(master.partners["partner_id"].dropna()):
        raise Refused(f"{name}: partner {meta['partner_id']!r} is no longer on the Partners "
                      "sheet; add it back before importing")
    try:
        Period.parse(meta["period"])
    except PeriodError as exc:
        raise Refused(f"{name}: {exc}") from exc
    return warnings


def _which(raw: S.RawTable, meta: dict[str, str], master: Master) -> str:
    """Which rows differ from the return as issued, where the master can still tell."""
    expected = issued_rows(master, meta["partner_id"], Period.parse(meta["period"]))
    wanted = set(zip(expected["period"], expected["indicator_id"]))
    at = {h: i for i, h in enumerate(raw.header)}
    found = [(str(row[at["period"]]), str(row[at["indicator_id"]])) for row in raw.rows
             if any(v not in (None, "") for v in row)]
    extra = [f"{ind} for {period}" for period, ind in found if (period, ind) not in wanted]
    missing = [f"{ind} for {period}" for period, ind in sorted(wanted - set(found))]
    parts = []
    if extra:
        parts.append(f"{', '.join(extra[:5])} {'was' if len(extra) == 1 else 'were'} not in it")
    if missing:
        parts.append(f"{', '.join(missing[:5])} {'is' if len(missing) == 1 else 'are'} missing")
    return f" ({'; '.join(parts)})" if parts else ""


def _check_timing(path: Path, meta: dict[str, str], today: dt.date, early: bool) -> None:
    period = Period.parse(meta["period"])
    if not early and period.end >= today:
        raise Refused(f"{path.name}: the return is for {period}, which ends on "
                      f"{period.end:%d/%m/%Y}; a return is imported once its period has ended "
                      "(import it with --early to take it now)")


def _return_table_raw(path: Path, book: Any, schema: S.TableSchema = S.ISSUED_RETURN,
                      noun: str = "return") -> S.RawTable:
    if schema.table not in book.table_names:
        raise Refused(f"{path.name}: the table {schema.table} is missing — was the sheet "
                      f"{schema.sheet!r} renamed, deleted or its table removed? Fill in the "
                      "file you were sent")
    table = book.get_table_by_name(schema.table)
    if table.sheet != schema.sheet:
        raise Refused(f"{path.name}: the sheet holding the {noun} is called {table.sheet!r}, "
                      f"not {schema.sheet!r}; rename it back and send it again", data=True)
    header = [str(h) for h in table.columns]
    missing = [c for c in schema.names if c not in header]
    if missing:
        raise Refused(f"{path.name}: sheet {schema.sheet}, the column {missing[0]!r} was "
                      "deleted or renamed; fill in the file you were sent", data=True)
    rows = table.to_python() if table.height else []
    return S.RawTable(schema.table, table.sheet, header, rows, first_row=table.start[0],
                      first_col=table.start[1] + 1)


def _check_rows(reads: list[_Read], results: list[FileResult], master: Master,
                today: dt.date) -> None:
    """Type and check every row of every file at once with the master's own rules; each
    file accepted with the master rows it brings, or refused with its own cells named."""
    from qa_xl.collect.rules import check_returns
    from qa_xl.workbook.checks import check_personal_data, check_schema, drop_knock_on

    tags = [str(i) for i in range(len(reads))]
    raws = [replace(r.raw, sheet=f"{r.raw.sheet}#{i}") for i, r in enumerate(reads)]
    schema = replace(S.ISSUED_RETURN, key=("file", "period", "indicator_id"))
    table = S.type_tables(raws, schema, "file", tags)
    df = table.df
    _fill_ratio_values(df, master.indicators)
    df["partner_id"] = df["file"].map({t: r.meta["partner_id"] for t, r in zip(tags, reads)})
    ind_table = S.Table(S.INDICATORS, master.indicators)
    found = check_schema(table, {}) + check_returns(table, ind_table)
    found += list(check_personal_data(table))
    found += _too_long(table)
    voice_found, voice, unanswered = _check_voice(reads)
    by_file: dict[int, list[dict[str, Any]]] = {}
    for f in drop_knock_on(found) + voice_found:
        sheet, _, index = str(f["sheet"]).rpartition("#")
        by_file.setdefault(int(index), []).append({**f, "sheet": sheet})
    inputs = ["value", "numerator", "denominator", "commentary"]
    filled = df[inputs].notna().any(axis=1).groupby(df["file"]).any().to_dict()
    loose = (~df["indicator_id"].isin(master.ratio_ids)
             & (df["numerator"].notna() | df["denominator"].notna()))
    parts_unused = df.loc[loose].groupby("file")["indicator_id"].apply(list).to_dict()
    keys = df.groupby("file", sort=False).apply(
        lambda g: list(zip(g.index, g["period"], g["indicator_id"])),
        include_groups=False).to_dict()
    columns = ["period", "indicator_id", *inputs]
    frames = {tag: frame for tag, frame in df[[*columns, "file"]].groupby("file", sort=False)}
    for i, (read, result) in enumerate(zip(reads, results)):
        tag, path = tags[i], read.path
        problems = by_file.get(i, [])
        problems += _unexpected_rows(keys.get(tag, []), table, expected_keys(
            master, read.meta["partner_id"], Period.parse(read.meta["period"])), read.raw)
        if keys.get(tag) and not filled.get(tag, False):
            result.refuse(f"{path.name}: the return has not been filled in: type the figures "
                          "in the yellow cells of the Return sheet and send it again", data=True)
            continue
        if not take_findings(path, result, problems):
            continue
        by, on = read.signed
        result.warnings += _sign_off_warnings(path, by, on, parts_unused.get(tag, []), today)
        rows = frames[tag][columns].reset_index(drop=True) if tag in frames else pd.DataFrame(
            columns=columns)
        rows["submitted_by"] = by
        rows["submitted_on"] = pd.Timestamp(on or today)
        result.rows, result.signed_off, result.accepted = rows, on, True
        if tag in voice:  # tblVoice's columns (and the file's tag)
            result.voice, result.unanswered = voice[tag], unanswered[tag]


def _check_voice(reads: list[_Read]) -> tuple[list[dict[str, Any]], dict[str, pd.DataFrame],
                                              dict[str, list[str]]]:
    """Every file's voice table typed and checked at once: whole numbers of at least 0, yes +
    partly + no within the respondents, no answers or story without the respondents, no
    personal details in a story (refused: a story goes into the papers as it is). Returns the
    findings (on sheet ``Return#<file>``) and, by file, the rows answered in tblVoice's columns
    (a row left blank is no answer: it brings nothing) and the questions left blank."""
    from qa_xl.workbook.checks import check_personal_data, check_schema, finding

    schema = VOICE_PART.schema
    held = [(i, r.parts[schema.table]) for i, r in enumerate(reads) if schema.table in r.parts]
    if not held:
        return [], {}, {}
    raws = [replace(raw, sheet=f"{raw.sheet}#{i}") for i, raw in held]
    table = S.type_tables(raws, replace(schema, key=("file", "question")), "file",
                          [str(i) for i, _ in held])
    df = table.df
    answers, counts = ["yes", "partly", "no"], ["respondents", "yes", "partly", "no"]
    given = df[[*counts, "story"]].notna()
    typed_wrong = {f["cell"] for f in table.type_failures}
    found = check_schema(table, {})
    for f in check_personal_data(table):
        found.append({**f, "severity": ERROR, "message": f"{f['message'][:-1]}: a story goes "
                      "into the papers as it is, so it must be anonymised."})
    found += _too_long(table)
    told = df[answers].sum(axis=1, min_count=1)
    for row in df.index[(told > df["respondents"]).fillna(False)]:
        found.append(finding(ERROR, table, "respondents", row, "answers_exceed_respondents",
                             f"yes, partly and no add up to {int(told[row])}, more than the "
                             f"{int(df.at[row, 'respondents'])} respondents: correct the "
                             "counts."))
    for row in df.index[df["respondents"].isna() & given[[*answers, "story"]].any(axis=1)]:
        if table.cell("respondents", row) in typed_wrong:
            continue  # said already: it is not a whole number
        what = [c for c in (*answers, "story") if given.at[row, c]]
        found.append(finding(ERROR, table, "respondents", row, "respondents_blank",
                             f"respondents is blank, but {' and '.join(what)} "
                             f"{'is' if len(what) == 1 else 'are'} given: give how many "
                             "answered this question, or clear the row."))
    answered = given.any(axis=1).to_numpy()  # a cell typed wrong is refused above
    tags = [str(i) for i, _ in held]
    whose = {str(i): reads[i].meta for i, _ in held}
    landing = df.loc[answered].copy()
    landing["period"] = landing["file"].map(
        {t: str(Period.parse(m["period"])) for t, m in whose.items()})
    landing["partner_id"] = landing["file"].map({t: m["partner_id"] for t, m in whose.items()})
    landing = landing[[*S.VOICE.names, "file"]].reset_index(drop=True)
    at = landing.groupby("file", sort=False).indices  # one frame per file, sliced once
    rows = {tag: landing.iloc[at[tag]] if tag in at else landing.iloc[:0] for tag in tags}
    blank: dict[str, list[str]] = {tag: [] for tag in tags}
    for tag, question, yes in zip(df["file"], df["question"], answered):
        if not yes:
            blank[tag].append(str(question))
    return found, rows, blank


def _too_long(table: S.Table, noun: str = "return") -> list[dict[str, Any]]:
    """Free text beyond what the return's own validation allows (typed in another program)."""
    from qa_xl.workbook.checks import finding

    out = []
    for col in table.schema.columns:
        if col.locked or col.kind != S.TEXT:
            continue
        for row, text in table.df[col.name].dropna().items():
            if len(str(text)) > MAX_TEXT:
                out.append(finding(ERROR, table, col.name, row, "too_long",
                                   f"{col.name} has {len(str(text))} characters; a {noun} "
                                   f"takes at most {MAX_TEXT}: shorten it"))
    return out


def _where(path: Path, f: dict[str, Any]) -> str:
    cell = f", cell {f['cell']}" if f.get("cell") else ""
    return f"{path.name}: sheet {f['sheet']}{cell}: {f['message']}"


def take_findings(path: Path, result: FileResult, problems: list[dict[str, Any]]) -> bool:
    """A file's findings from the checks of every file at once: its Errors refuse it (each
    cell named), its Warnings go with it. Whether it is still to be taken."""
    errors = [f for f in problems if f["severity"] == ERROR]
    if errors:
        result.problems, result.data_error = [_where(path, f) for f in errors], True
        return False
    result.warnings += [_where(path, f) for f in problems]
    return True


def _sign_off_warnings(path: Path, by: str | None, on: dt.date | None, loose: list[str],
                       today: dt.date, sheet: str = S.ISSUED_RETURN.sheet) -> list[str]:
    """Things worth a look that do not stop the import (``loose``: indicators that are not
    percentages but were given a numerator or denominator)."""
    out = []
    if by is None or on is None:
        blank = " and ".join(w for w, v in (("'Completed by'", by), ("'Date completed'", on))
                             if v is None)
        out.append(f"{path.name}: sheet {sheet}: {blank} {'are' if ' and ' in blank else 'is'} "
                   "blank" + ("; the import records today's date" if on is None else ""))
    elif on > today:
        out.append(f"{path.name}: sheet {sheet}: the completion date {on:%d/%m/%Y} is in the "
                   "future")
    for ind in loose:
        out.append(f"{path.name}: sheet {sheet}: {ind} is not a percentage, so its numerator "
                   "and denominator are kept but not used")
    return out


def _fill_ratio_values(df: pd.DataFrame, indicators: pd.DataFrame) -> None:
    """A percentage's value may be left blank: it is numerator / denominator."""
    ratio_ids = set(indicators.loc[indicators["aggregation"] == "ratio", "indicator_id"])
    blank = (df["value"].isna() & df["indicator_id"].isin(ratio_ids)
             & df["numerator"].notna() & (df["denominator"] > 0))
    df.loc[blank, "value"] = (df.loc[blank, "numerator"] / df.loc[blank, "denominator"]).round(6)


def _unexpected_rows(keys: list[tuple[int, str, str]], table: S.Table,
                     wanted: set[tuple[str, str]], raw: S.RawTable | None
                     ) -> list[dict[str, Any]]:
    """Rows added, doubled or missing against the return as issued (the signature already
    refuses them; this says which). ``keys`` are (row, period, indicator) of the file."""
    from qa_xl.workbook.checks import finding

    found = []
    seen = set()
    for row, period, ind in keys:
        key = (period, ind)
        if key in seen:
            found.append(finding(ERROR, table, "indicator_id", row, "duplicate_row",
                                 f"{ind} for {period} is in the return twice: fill in the "
                                 "file you were sent"))
        seen.add(key)
        if key not in wanted:
            found.append(finding(ERROR, table, "indicator_id", row, "unexpected_row",
                                 f"{ind} for {period} was not in the return as issued (was a "
                                 "row added or an indicator code changed?): fill in the file "
                                 "you were sent"))
    sheet = raw.sheet if raw is not None else S.ISSUED_RETURN.sheet
    for period, ind in sorted(wanted - seen):
        found.append({"severity": ERROR, "sheet": sheet, "cell": "", "row_key": ind,
                      "check": "missing_row", "message": f"the row for {ind} ({period}) is "
                      "missing (deleted, or its code changed): fill in the file you were sent"})
    for f in found:  # the stitched table names its sheet "Return#<n>": the file's own name
        f["sheet"] = str(f["sheet"]).rpartition("#")[0] or f["sheet"]
    return found


def _not_merged(path: Path, merged: list[Any], raw: S.RawTable) -> None:
    """Merged cells in a form's table: a reader sees only the first cell's value, so what a
    partner typed across them (an answer and its evidence) cannot be told apart."""
    top, left = raw.first_row - 1, raw.first_col - 1  # 0-based header row and first column
    bottom, right = top + len(raw.rows), left + len(raw.header) - 1
    for (r1, c1), (r2, c2) in merged:
        if r1 <= bottom and r2 >= top and c1 <= right and c2 >= left:
            cells = (f"{S.column_letter(c1 + 1)}{r1 + 1}:{S.column_letter(c2 + 1)}{r2 + 1}")
            raise Refused(f"{path.name}: sheet {raw.sheet}, cells {cells} are merged, so only "
                          f"the first holds a value; unmerge them (Home > Merge & Center) and "
                          "type each answer in its own cell, then send it again", data=True)


def _nothing_under(path: Path, values: list[list[Any]], raw: S.RawTable) -> None:
    """A row typed under a table, or a cell beside one of its rows, is not part of it, so what
    it holds would be lost without a word: refused, naming the first cell (the issued form
    leaves them blank)."""
    under = raw.first_row + len(raw.rows)  # 0-based index of the row under the table
    beside = raw.first_col - 1 + len(raw.header)  # 0-based column right of the table
    for i in range(raw.first_row - 1, min(under, len(values))):
        if beside < len(values[i]) and values[i][beside] not in (None, ""):
            value = values[i][beside]
            shown = f"{value:g}" if isinstance(value, float) else str(value)[:40]
            raise Refused(f"{path.name}: sheet {raw.sheet}, cell "
                          f"{S.column_letter(beside + 1)}{i + 1}: {shown!r} is typed beside the "
                          "table, where it is not read and would be lost; put it in the row's "
                          "commentary (or evidence) cell, or delete it, and send it again",
                          data=True)
    if under >= len(values):
        return
    left = raw.first_col - 1
    row = values[under][left:left + len(raw.header)]
    if VOICE_HEADING in row:  # the table grew by rows typed into it, up to the next part
        return
    for j, value in enumerate(row):
        if value not in (None, ""):
            cell = f"{S.column_letter(left + j + 1)}{under + 1}"
            shown = f"{value:g}" if isinstance(value, float) else str(value)[:40]
            raise Refused(f"{path.name}: sheet {raw.sheet}, cell {cell}: {shown!r} "
                          "is typed under the table, where it is not read and would be lost; "
                          "type it in the table's own rows (a row the form lacks is added by "
                          "the business unit) or delete it, and send it again", data=True)


def _sign_off(path: Path, values: list[list[Any]], sheet: str = S.ISSUED_RETURN.sheet
              ) -> tuple[str | None, dt.date | None]:
    """Who completed the form and when (cells B4 and B5 of its sheet's ``values``)."""
    out: dict[str, Any] = {}
    for key, (row, _label) in SIGN_OFF.items():
        cell = values[row][1] if row < len(values) and len(values[row]) > 1 else None
        out[key] = None if cell in (None, "") else cell
    typed = out["submitted_on"]
    on = None if typed is None else S.cell_date(typed)
    if typed is not None and on is None:  # text, TRUE, #N/A: when it was completed matters
        cell = f"B{SIGN_OFF['submitted_on'][0] + 1}"
        raise Refused(f"{path.name}: sheet {sheet}, cell {cell}: 'Date completed' holds "
                      f"{str(typed)[:40]!r}, which is not a date; type the date it was "
                      "completed, as 20/11/2026", data=True)
    by = None if out["submitted_by"] is None else str(out["submitted_by"]).strip()
    if by is not None and len(by) > MAX_NAME:
        raise Refused(f"{path.name}: sheet {sheet}, cell "
                      f"B{SIGN_OFF['submitted_by'][0] + 1}: 'Completed by' has {len(by)} "
                      f"characters; give a name or role of at most {MAX_NAME}", data=True)
    return by, on
