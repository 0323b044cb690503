"""The QA master's buttons for xlwings Lite: Python inside Excel, nothing installed on the PC.

Paste this file into xlwings Lite's main.py tab (and requirements.txt into its tab); the task
pane then shows one button per script below (App Mode: Ctrl+Shift+M, or Cmd+Shift+M on a Mac).

Each script hands the open workbook to the same function the desktop buttons' VBA calls
through RunPython (module qa_xl.xl): what a button does is written once, in qa_xl. Results go
to the same tables and the Start sheet's status cells; files (returns, papers) go to the
folder named by files_folder on the Config sheet (README, "In Excel without Python").

A new button is two lines: the function in qa_xl.xl, and here a function decorated with
@script that hands the book to it (as chase_returns below).
"""

import xlwings as xw
from xlwings import script

from qa_xl import xl


def _done(outcome: dict) -> None:
    """What the button did, in the task pane's output (the Start sheet says it too)."""
    print(" | ".join(str(v) for v in outcome.values() if v))


@script
def validate(book: xw.Book):
    """Check every table; findings go to the Validation sheet and their cells are marked."""
    _done(xl.validate(book))


@script
def rollup(book: xw.Book):
    """Rebuild the Rollup table from every partner's return."""
    _done(xl.rollup(book))


@script
def issue_returns(book: xw.Book):
    """Write one return per partner for the current period into the files folder."""
    _done(xl.issue_returns(book))


@script
def import_returns(book: xw.Book):
    """Import every completed return (.xlsx) found in the files folder."""
    _done(xl.import_returns(book))


@script
def build_pack(book: xw.Book):
    """Write the Q&PC pack for the current period (Word) into the files folder."""
    _done(xl.build_pack(book))


@script
def build_board_report(book: xw.Book):
    """Write the half-yearly Board report (Word) into the files folder."""
    _done(xl.build_board_report(book))


@script
def chase_returns(book: xw.Book):
    """Draft a reminder (.eml) for every return missing or refused, into the files folder;
    nothing is sent from a button."""
    _done(xl.chase_returns(book))


@script
def s11_issue(book: xw.Book):
    """Write one Section 11 self-assessment form per Board partner for the current cycle."""
    _done(xl.s11_issue(book))


@script
def s11_import(book: xw.Book):
    """Import the completed Section 11 forms found in the files folder's s11/<cycle>."""
    _done(xl.s11_import(book))


@script
def s175_issue(book: xw.Book):
    """Write one Section 175/157 audit form per school and college for the current cycle."""
    _done(xl.s175_issue(book))


@script
def s175_import(book: xw.Book):
    """Import the completed Section 175/157 forms found in the files folder's s175/<cycle>."""
    _done(xl.s175_import(book))
