"""One writer at a time: the master workbook's lock.

Every job that writes the master (an import, a roll-up, ``validate --write``, ``new --force``,
a button in Excel) holds this lock from before it reads the workbook until after it has
replaced it, so two officers — or a button and a script — never both read the same version
and each save over the other. The lock is a file beside the workbook,
``<workbook>.qa_xl-lock``, held with the operating system's file lock through the
`filelock <https://py-filelock.readthedocs.io>`_ package: if the holder dies (killed, power
cut), the operating system releases it and the next job takes it over, so a dead process never
blocks anyone. While it is held the file says who holds it (program, user, computer, process,
since when), so the job that has to wait can say what it is waiting for.

A second job waits a few seconds (``QA_XL_LOCK_WAIT``, default 10), saying once that it waits,
then gives up with exit status 2 naming the holder. The lock only orders qa_xl's own jobs:
Excel's and LibreOffice's owner files and the check that the file on disk is still the one
that was read (:mod:`qa_xl.workbook.xlsxparts`) cover everyone else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from qa_xl.core.errors import UnusableInput, os_problem

LOCK_SUFFIX = ".qa_xl-lock"
DEFAULT_WAIT = 10.0  # seconds: an import of every return takes a few at 200 partners
_HELD: dict[tuple[str, int], int] = {}  # (lock path, thread) -> depth: jobs calling jobs
_HELD_LOCK = threading.Lock()


class WorkbookBusy(UnusableInput):
    """Another qa_xl job is writing the workbook."""

    action = "try again when it has finished"


def lock_path(workbook: str | Path) -> Path:
    """The lock file of a workbook: beside the real file, behind any symbolic links, so two
    officers reaching one workbook by two paths (a shared drive's link and its target, two
    links, a linked folder) meet at the same lock — and one job asking twice by two paths
    is known to hold it already."""
    path = Path(os.path.realpath(workbook))
    return path.with_name(path.name + LOCK_SUFFIX)


def holder(workbook: str | Path) -> str:
    """Who holds the lock, in words, from the lock file ("" when nobody says)."""
    try:
        info = json.loads(lock_path(workbook).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict) or not info.get("program"):
        return ""
    since = str(info.get("since", ""))
    with contextlib.suppress(ValueError):
        since = dt.datetime.fromisoformat(since).strftime("%d/%m/%Y %H:%M:%S")
    return (f"{info.get('program')} run by {info.get('user', '?')} on {info.get('host', '?')} "
            f"(process {info.get('pid', '?')}), since {since}")


def _say_on_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def master_lock(workbook: str | Path, program: str, *, wait: float | None = None,
                say: Callable[[str], None] | None = _say_on_stderr) -> Iterator[Path]:
    """Hold the workbook's writer lock for the ``with`` block.

    ``program`` says what holds it ("qa-xl returns import"). Re-entrant within a thread, so
    a job that runs another (the demo imports, then rolls up) holds it once; another thread
    of the same process (two button presses served at once) waits like another process.
    """
    from filelock import FileLock, Timeout

    path = lock_path(workbook)
    key = (str(path), threading.get_ident())
    with _HELD_LOCK:
        if _HELD.get(key):
            _HELD[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _HELD_LOCK:
                _HELD[key] -= 1
        return
    if wait is None:
        try:
            wait = float(os.environ.get("QA_XL_LOCK_WAIT", DEFAULT_WAIT))
        except ValueError:
            wait = DEFAULT_WAIT
    info = json.dumps({
        "program": program, "user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
        "since": dt.datetime.now().isoformat(timespec="seconds")}).encode()

    def record(fd: int) -> None:  # who holds it, for the job that has to wait
        os.ftruncate(fd, 0)
        os.pwrite(fd, info, 0)

    lock = FileLock(path, on_acquired=record, thread_local=False)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if say is not None:
                who = holder(workbook) or "another qa_xl job"
                say(f"Waiting for the workbook: {who} is writing it…")
            try:
                lock.acquire(timeout=max(wait, 0))
            except Timeout:
                who = holder(workbook) or "another qa_xl job"
                raise WorkbookBusy(
                    f"the workbook is being written by {who}, and did not come free within "
                    f"{wait:g} seconds", file=workbook,
                    action=f"try again when it has finished (if nobody is running qa_xl "
                    f"there, delete {path.name})") from None
    except OSError as exc:
        raise os_problem(exc, "take the workbook's lock", path) from exc
    with _HELD_LOCK:
        _HELD[key] = 1
    try:
        yield path
    finally:
        with _HELD_LOCK:
            _HELD.pop(key, None)
        with contextlib.suppress(OSError):  # nobody holds it now: say nothing of a holder
            os.truncate(path, 0)
        with contextlib.suppress(OSError):
            lock.release()


def is_held(workbook: str | Path) -> bool:
    """Does this thread hold the workbook's lock?"""
    return bool(_HELD.get((str(lock_path(workbook)), threading.get_ident())))


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return "?"
