"""Errors that reach the officer: each names the file, sheet and cell and says what to do.

The command line turns a `QaXlError` into its message and `exit_code` (1 = the data has
problems the officer must correct, 2 = the input cannot be used at all) instead of a traceback.
"""

from __future__ import annotations

from os import PathLike


class QaXlError(Exception):
    """Base of every error meant for the user rather than the developer."""

    exit_code: int = 1
    action: str = "correct it and run again"

    def __init__(
        self,
        problem: str,
        *,
        file: str | PathLike[str] | None = None,
        sheet: str | None = None,
        cell: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.file = None if file is None else str(file)
        self.sheet = sheet
        self.cell = cell
        if action is not None:
            self.action = action

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                self.sheet and f"sheet '{self.sheet}'",
                self.cell and f"cell {self.cell}",
            )
            if part
        )
        sentence = f"{where}: {self.problem}" if where else self.problem
        return f"{sentence.rstrip('.')}; {self.action}."

    def __reduce__(self):  # keep file/sheet/cell when sent back from a worker process
        return (type(self), (self.problem,), self.__dict__)


class UnusableInput(QaXlError):
    """The input cannot be read or used at all (wrong file type, missing table, damaged part)."""

    exit_code = 2
    action = "check the file and run again"


class WorkbookLocked(UnusableInput):
    """The workbook is open in Excel or LibreOffice, so it must not be rewritten now."""

    action = "close the workbook in Excel and try again"


class DataError(QaXlError):
    """The input is readable but some values are wrong; the officer must correct them."""

    exit_code = 1


class WorkbookChanged(UnusableInput):
    """The file on disk is no longer the one qa_xl read: someone saved it meanwhile."""

    action = ("nothing was written; run the command again (it will read the workbook as it is "
              "now)")


_OS_WORDS = {
    "ENOSPC": ("the disk is full", "free some space on that drive (or ask IT to), then run "
               "again"),
    "EFBIG": ("the file would be larger than this system allows (the disk or a quota is full)",
              "free some space or raise the quota, then run again"),
    "EDQUOT": ("the disk quota is full", "free some space or ask IT to raise the quota, then "
               "run again"),
    "EACCES": ("permission was denied", "ask for write access to that folder and file (or "
               "copy the workbook somewhere you can write), then run again"),
    "EPERM": ("the operation is not permitted", "ask for write access to that folder and file, "
              "then run again"),
    "EROFS": ("the drive is read-only", "copy the workbook to a drive you can write to, then "
              "run again"),
    "ENOENT": ("the file or folder does not exist", "check the path, then run again"),
    "EISDIR": ("that is a folder, not a file", "give the path of a file"),
    "ENOTDIR": ("part of the path is not a folder", "check the path, then run again"),
    "EBUSY": ("the file is in use by another program", "close it there, then run again"),
    "ETXTBSY": ("the file is in use by another program", "close it there, then run again"),
    "ENAMETOOLONG": ("the path is too long", "use a shorter folder or file name"),
    "EIO": ("the disk reported an input/output error", "check the drive (or ask IT), then run "
            "again"),
}


def os_problem(exc: OSError, doing: str, path: str | PathLike[str] | None = None
               ) -> UnusableInput:
    """An operating-system fault (full disk, permission denied, read-only drive…) as a plain
    answer: what failed, where, and what to do (exit status 2, never a traceback)."""
    import errno as errno_names

    name = errno_names.errorcode.get(exc.errno or 0, "")
    words, action = _OS_WORDS.get(name, (exc.strerror or str(exc), "check the drive and the "
                                         "file's permissions, then run again"))
    where = exc.filename if exc.filename else path
    return UnusableInput(f"could not {doing}: {words}", file=where, action=action)
