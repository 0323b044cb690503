"""What the Excel buttons run: the same library functions as the command line, on the open book.

Each button's VBA sub (``xl_macros/QAButtons.bas``) is one ``RunPython`` call into a function
here. The function takes the calling book (``book=None`` → ``xw.Book.caller()``), wraps it in
:class:`~qa_xl.excel.live.LiveStore` — the live-Excel twin of
:class:`~qa_xl.workbook.filestore.FileStore` — and hands it to
the library. Every call to Excel is a round trip (a COM or AppleScript call on the desktop, an
action for Office.js), so the store reads the whole book in one go and writes each result
table in one range write; it never loops over cells (``tests/test_xl_calls.py`` counts every
call). A user's mistake (:class:`QaXlError`) becomes the Start sheet's status and a message
box, never a traceback.

The worksheet functions (``=QA_RAG(...)`` …) are in :mod:`qa_xl.excel.udfs`. The buttons' VBA
calls this module by its old name, ``qa_xl.xl``, which re-exports it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import xlwings as xw

from qa_xl.core.errors import DataError, QaXlError
from qa_xl.core.periods import Period, PeriodError
from qa_xl.core.words import plural
from qa_xl.excel.live import CELL, FILLS, LiveStore
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import DERIVED_GREY
from qa_xl.workbook.lock import master_lock
from qa_xl.workbook.store import read_settings, status_cells

# --------------------------------------------------------------------- running an action

def _run(book: xw.Book | None, action: str, job: Callable[[LiveStore], tuple[str, str]]
         ) -> dict[str, str]:
    """Run one button's job on the calling book; show its result, or the user's mistake.

    ``job`` returns (result, output). The Start sheet's status cells are written unless the
    library already wrote them in its own single write.
    """
    book = book or xw.Book.caller()
    store = LiveStore(book)
    path = getattr(store, "path", None)
    try:
        # A workbook saved on disk shares the command line's lock: a button and a script (or
        # a second press while the first still runs) never write it at the same time.
        with master_lock(path, f"the {action} button", say=None) if path else nullcontext():
            result, output = job(store)
    except QaXlError as exc:
        message = str(exc)
        store.write({}, status_cells(action, f"Not done: {message}"[:1000]))
        book.app.alert(message, title=f"qa_xl: {action}", mode="critical")
        return {"action": action, "result": "error", "message": message}
    if not store.status_written:
        store.write({}, status_cells(action, result, output))
    return {"action": action, "result": result, "output": output}


def validate(book: xw.Book | None = None) -> dict[str, str]:
    """The Validate button: every check; findings to the Validation sheet, cells marked."""
    from qa_xl.validation import validate as check
    from qa_xl.workbook.checks import summary

    def job(store: LiveStore) -> tuple[str, str]:
        before = _flagged(store)
        findings = check(store, write=True)
        store.mark(_colours(store, before, findings))
        return summary(findings), ""

    return _run(book, "Validate", job)


def _flagged(store: LiveStore) -> dict[str, set[str]]:
    """The cells the last Validate marked, from tblValidation as it is now."""
    if S.VALIDATION.table not in store.table_names():
        return {}
    raw = store.read_raw(S.VALIDATION.table)
    sheet_at, cell_at = raw.header.index("sheet"), raw.header.index("cell")
    out: dict[str, set[str]] = {}
    for row in raw.rows:
        sheet, cell = row[sheet_at], row[cell_at]
        if isinstance(sheet, str) and isinstance(cell, str) and CELL.match(cell.upper()):
            out.setdefault(sheet, set()).add(cell.upper())
    return out


def _colours(store: LiveStore, before: dict[str, set[str]], findings: pd.DataFrame
             ) -> dict[str, dict[str, str | None]]:
    """New findings' cells in their severity's fill; last run's cells that are now fine lose
    the fill (back to grey in a derived column)."""
    colours: dict[str, dict[str, str | None]] = {}
    for sheet, cells in before.items():
        for cell in cells:
            colours.setdefault(sheet, {})[cell] = (
                DERIVED_GREY if store.derived_cell(sheet, cell) else None)
    # Warnings first, so an Error on the same cell wins.
    for severity in ("Warning", "Error"):
        rows = findings[findings["severity"] == severity] if len(findings) else findings
        for sheet, cell in zip(rows["sheet"], rows["cell"]):
            if isinstance(sheet, str) and isinstance(cell, str) and CELL.match(cell.upper()):
                colours.setdefault(sheet, {})[cell.upper()] = FILLS[severity]
    return colours


def rollup(book: xw.Book | None = None) -> dict[str, str]:
    """The Roll up button: tblRollup rebuilt from every partner's return."""
    from qa_xl.collect.consolidate import rollup as run

    return _run(book, "Roll up", lambda store: (run(store, write=True).summary(), ""))


def _current_period(store: LiveStore) -> str:
    """tblConfig's current_period, refused with a message when it is not a period."""
    value = read_settings(store).get("current_period")
    try:
        return str(Period.parse(value))
    except PeriodError as exc:
        raise DataError(f"the setting current_period is {value!r}, not a period", file=store.label,
                        sheet="Config", action="set current_period on the Config sheet to a "
                        "quarter such as 2026-27 Q2") from exc


LITE_DATA = Path("/data")  # xlwings Lite's Import/Export folder, where there is no local one


def files_folder(store: LiveStore) -> Path:
    """Where the buttons read and write files: tblConfig's files_folder.

    Blank means beside the workbook when it is a file on this computer (the desktop path);
    a workbook with no folder of its own (xlwings Lite, a workbook on OneDrive) uses Lite's
    ``/data`` folder when there is one, else the current folder. In xlwings Lite on Windows
    desktop the setting names a folder mounted through Lite's Local Folders; elsewhere files go
    in and out through ``/data`` (Import/Export). A relative setting is taken from the
    workbook's folder."""
    setting = str(read_settings(store).get("files_folder") or "").strip()
    own = store.path.parent if hasattr(store, "path") else None
    if setting:
        path = Path(setting).expanduser()
        return path if path.is_absolute() else (own or Path.cwd()) / path
    if own is not None:
        return own
    return LITE_DATA if LITE_DATA.is_dir() else Path.cwd()


def _folder(store: LiveStore) -> Path:
    """tblConfig's returns_folder, taken from the files folder when relative; blank means the
    files folder itself."""
    setting = str(read_settings(store).get("returns_folder") or "").strip()
    base = files_folder(store)
    return base / setting if setting else base


def issue_returns(book: xw.Book | None = None) -> dict[str, str]:
    """The Issue returns button: one return per partner for the current period."""
    from qa_xl.collect.issue import issue_returns as run

    def job(store: LiveStore) -> tuple[str, str]:
        period = _current_period(store)
        setting = str(read_settings(store).get("returns_folder") or "").strip()
        out_dir = (_folder(store) if setting else
                   files_folder(store) / "returns" / Period.parse(period).file_part)
        files = run(store, period, out_dir=out_dir)
        first = [*files, *(path for path, _ in files.skipped)]
        where = str(first[0].parent) if first else ""
        left = (f"; {len(files.skipped)} left as they were (a partner has started them, or "
                "they are open)" if files.skipped else "")
        return f"{len(files)} returns issued for {period}{left}", where

    return _run(book, "Issue returns", job)


def import_returns(book: xw.Book | None = None) -> dict[str, str]:
    """The Import returns button: the completed returns an officer picks (a file dialog on the
    desktop) or, where there is no dialog, every .xlsx in the returns folder."""
    from qa_xl.collect.importing import import_returns as run

    def job(store: LiveStore) -> tuple[str, str]:
        files = ask_for_returns(store)
        if files is None:
            files = returns_in_folder(store)
        if not files:
            return "No files chosen: nothing imported", ""
        report = run(store, files)
        refused = [r for r in report.results if not r.accepted]
        if refused:
            store.book.app.alert("\n".join(report.lines())[:1500],
                                 title="qa_xl: Import returns", mode="info")
        accepted = len(report.results) - len(refused)
        return f"{accepted} of {len(report.results)} returns imported", str(files[0].parent)

    return _run(book, "Import returns", job)


def ask_for_returns(store: LiveStore) -> list[Path] | None:
    """Completed returns picked in a file dialog on desktop Excel ([] when cancelled); None
    where no dialog can be shown (Office.js, the tests, a dialog that failed to open), and the
    returns folder is used instead."""
    if store.engine != "excel":
        return None
    title = "Choose the completed partner returns"
    if sys.platform == "win32":
        try:  # Application.GetOpenFilename(FileFilter, FilterIndex, Title, ButtonText, Multi)
            chosen = store.book.app.api.GetOpenFilename(
                "Excel workbooks (*.xlsx),*.xlsx", 1, title, "", True)
        except Exception:  # COM refused the dialog: fall back to the folder
            return None
        return [Path(p) for p in chosen] if isinstance(chosen, tuple | list) else []
    if sys.platform == "darwin":
        script = ('tell application "System Events"\nactivate\n'
                  f'set picked to choose file with prompt "{title}" of type {{"xlsx", '
                  '"org.openxmlformats.spreadsheetml.sheet"} with multiple selections allowed\n'
                  'end tell\nset out to ""\nrepeat with f in picked\n'
                  'set out to out & POSIX path of f & linefeed\nend repeat\nreturn out')
        done = subprocess.run(["osascript", "-e", script], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            return [] if "-128" in done.stderr else None  # -128: the officer cancelled
        return [Path(line) for line in done.stdout.splitlines() if line.strip()]
    return None


def returns_in_folder(store: LiveStore) -> list[Path]:
    """Every .xlsx in the returns folder (Config: returns_folder), but not the master itself."""
    folder = _folder(store)
    if not folder.is_dir():
        raise DataError(f"the returns folder {folder} does not exist", file=store.label,
                        sheet="Config", action="set returns_folder on the Config sheet to the "
                        "folder holding the completed returns")
    own = getattr(store, "path", None)
    return sorted(p for p in folder.glob("*.xlsx")
                  if not p.name.startswith(("~$", ".~lock")) and p != own)


def chase_returns(book: xw.Book | None = None) -> dict[str, str]:
    """The Chase returns button: a reminder drafted for every return of the current period
    that is missing or was refused — an ``.eml`` in the files folder (``reminders/<period>``)
    for the officer to open, check and send — and each recorded in the returns tracker. It
    never sends: sending is ``qa-xl returns chase --send``, run on purpose."""
    from qa_xl.collect.chase import chase_returns as run

    def job(store: LiveStore) -> tuple[str, str]:
        report = run(store, send=False, base=files_folder(store))
        drafted = [r for r in report.reminders if r.draft]
        unable = [r for r in report.reminders if r.problem]
        if unable:  # a partner without an address is said, not skipped silently
            store.book.app.alert("\n".join(report.lines())[:1500],
                                 title="qa_xl: Chase returns", mode="info")
        if not report.reminders:
            return report.lines()[0], ""
        left = f"; {plural(len(unable), 'partner')} without an e-mail address" if unable else ""
        return (f"{plural(len(drafted), 'reminder')} drafted for {report.period}{left}",
                str(report.folder or ""))

    return _run(book, "Chase returns", job)


def build_pack(book: xw.Book | None = None) -> dict[str, str]:
    """The Build committee pack button: the committee's pack for the current period, saved as
    Word."""
    from qa_xl.papers import build_pack as run

    return _run(book, "Build pack", lambda store: _paper(run(store, folder=files_folder(store))))


def build_board_report(book: xw.Book | None = None) -> dict[str, str]:
    """The Build Board report button: the half-yearly Board performance report."""
    from qa_xl.papers import build_board_report as run

    return _run(book, "Build Board report",
                lambda store: _paper(run(store, folder=files_folder(store))))


def _paper(path: Path) -> tuple[str, str]:
    return f"Saved {Path(path).name}", str(path)


# ------------------------------------------------------- the self-assessments (issue 12)

def _self_assessment_folder(store: LiveStore, form: str) -> Path:
    """Where the forms go and come from: ``<returns folder>/<form>/<cycle>`` (the returns
    folder is the files folder when returns_folder is blank)."""
    import datetime as dt

    from qa_xl.core.periods import Cycle

    return _folder(store) / form / str(Cycle.containing(dt.date.today()))


def _issue_forms(book: xw.Book | None, form: str, action: str) -> dict[str, str]:
    import datetime as dt

    from qa_xl.collect.self_assessment import issue_self_assessment
    from qa_xl.core.periods import Cycle

    def job(store: LiveStore) -> tuple[str, str]:
        cycle = Cycle.containing(dt.date.today())
        files = issue_self_assessment(store, form, cycle, _self_assessment_folder(store, form))
        left = f"; {len(files.skipped)} left as they were (started)" if files.skipped else ""
        first = [*files, *(path for path, _ in files.skipped)]
        return (f"{len(files)} forms issued for {cycle}{left}",
                str(first[0].parent) if first else "")

    return _run(book, action, job)


def _import_forms(book: xw.Book | None, form: str, action: str) -> dict[str, str]:
    from qa_xl.collect.self_assessment import import_self_assessment

    def job(store: LiveStore) -> tuple[str, str]:
        files = ask_for_returns(store)
        if files is None:
            folder = _self_assessment_folder(store, form)
            files = sorted(p for p in folder.glob("*.xlsx")
                           if not p.name.startswith(("~$", ".~lock")))
        if not files:
            return "No files chosen: nothing imported", ""
        report = import_self_assessment(store, form, files)
        refused = [r for r in report.results if not r.accepted]
        if refused:
            store.book.app.alert("\n".join(report.lines())[:1500], title=f"qa_xl: {action}",
                                 mode="info")
        accepted = len(report.results) - len(refused)
        return f"{accepted} of {len(report.results)} forms imported", str(files[0].parent)

    return _run(book, action, job)


def s11_issue(book: xw.Book | None = None) -> dict[str, str]:
    """The Issue Section 11 button: one form per Board partner for the current cycle."""
    return _issue_forms(book, "s11", "Issue Section 11 self-assessment")


def s11_import(book: xw.Book | None = None) -> dict[str, str]:
    """The Import Section 11 button."""
    return _import_forms(book, "s11", "Import Section 11 self-assessment")


def s175_issue(book: xw.Book | None = None) -> dict[str, str]:
    """The Issue Section 175/157 button: one form per school and college."""
    return _issue_forms(book, "s175", "Issue Section 175/157 safeguarding audit")


def s175_import(book: xw.Book | None = None) -> dict[str, str]:
    """The Import Section 175/157 button."""
    return _import_forms(book, "s175", "Import Section 175/157 safeguarding audit")
