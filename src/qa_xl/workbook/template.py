"""The committed template ``workbook/QA_Master.xlsm``: how it is made, and its rebuild.

The committed workbook is a public template: its secret is a placeholder, never a real one.
Officers make their own master with ``qa-xl new`` (a fresh random secret and id). It is built
from the default configuration "on" a fixed day, so that a rebuild is byte for byte the same;
a test checks the committed file is current. ``python -m qa_xl.vba --rebuild-workbook`` (the
name the README has always given) runs :func:`main`.

Kept apart from :mod:`qa_xl.workbook.vba` (which compiles the VBA project) and
:mod:`qa_xl.workbook.build` (which writes any workbook) so that neither imports the other.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from qa_xl.core.files import REPOSITORY
from qa_xl.framework import load_config
from qa_xl.workbook.build import new
from qa_xl.workbook.vba import build_vba_project

WORKBOOK = REPOSITORY / "workbook" / "QA_Master.xlsm"
TEMPLATE_SECRET = "0" * 64
TEMPLATE_WORKBOOK_ID = "00000000-0000-0000-0000-000000000000"
# The day the template is "made": an empty current_period, the meeting dates and the period
# dropdown follow it, not the day of a rebuild, so a rebuild stays byte-identical.
TEMPLATE_DATE = dt.date(2026, 4, 1)


def rebuild_workbook(path: str | Path = WORKBOOK) -> Path:
    """Rebuild the committed template from the default configuration, with the placeholder
    secret (see :data:`TEMPLATE_SECRET`)."""
    return new(path, load_config(today=TEMPLATE_DATE), force=True, secret=TEMPLATE_SECRET,
               workbook_id=TEMPLATE_WORKBOOK_ID)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa_xl.vba",
        description="Compile the workbook's VBA project and rebuild the template workbook.")
    parser.add_argument("--rebuild-workbook", nargs="?", const=str(WORKBOOK), metavar="PATH",
                        help=f"rebuild the template workbook (default {WORKBOOK})")
    parser.add_argument("--vba-project", metavar="PATH",
                        help="write only vbaProject.bin for a workbook of Sheet1 (to inspect)")
    args = parser.parse_args(argv)
    if args.rebuild_workbook:
        print(f"Wrote {rebuild_workbook(args.rebuild_workbook)}")
    if args.vba_project:
        Path(args.vba_project).write_bytes(build_vba_project(["Sheet1"]))
        print(f"Wrote {args.vba_project}")
    if not (args.rebuild_workbook or args.vba_project):
        parser.print_help()
    return 0
