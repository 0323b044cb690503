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
