"""``qa-xl pack`` and ``qa-xl paper board``: thin wrappers over :mod:`qa_xl.papers`.

The chart workers are started before anything heavy is imported, so that they load
matplotlib while this process loads pandas and reads the workbook (see
:func:`qa_xl.charts.warm_up`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

WorkbookArg = Annotated[Path | None, typer.Argument(
    help="The master workbook (.xlsx or .xlsm).", dir_okay=False)]
PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="The period to report on, e.g. 2026-27 Q2 (default: Config's "
    "current_period).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Where to write the paper (default: beside the workbook).", dir_okay=False)]
TemplateOption = Annotated[Path | None, typer.Option(
    "--template", help="A restyled .docx template (default: report_templates/).",
    dir_okay=False)]
CheckOption = Annotated[Path | None, typer.Option(
    "--check-template", help="Only check this template: list every name it uses that the "
    "paper does not provide (with WORKBOOK, names inside loops too).", dir_okay=False)]
TodayOption = Annotated[dt.datetime | None, typer.Option(
    "--today", formats=["%Y-%m-%d"], help="The date at which overdue activities, risks and "
    "actions are judged (default: today).")]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _check(template: Path, workbook: Path | None, kind: str, period: str | None,
           today: dt.date | None) -> None:
    from .cli import out
    from .errors import UnusableInput
    from .papers import check_template, paper_context

    context = paper_context(workbook, kind, period=period, today=today,
                            draw=False) if workbook else None
    missing = check_template(template, context, kind=kind)
    if missing:
        for name in missing:
            out.print(f"  {name}", markup=False)
        raise UnusableInput(f"the template uses {len(missing)} name(s) that the {kind} does not "
                            f"provide: {', '.join(missing)}", file=template,
                            action="correct them in Word (report_templates/README.md lists "
                            "every name)")
    scope = "every name it uses" if workbook else "every top-level name it uses"
    out.print(f"Template OK: {scope} is in the {kind}'s context.", markup=False)


def _workbook(workbook: Path | None, command: str) -> Path:
    if workbook is None:
        from .errors import UnusableInput

        raise UnusableInput("no workbook was given", action=f"run qa-xl {command} WORKBOOK")
    return workbook


def pack(workbook: WorkbookArg = None, period: PeriodOption = None, out: OutOption = None,
         template: TemplateOption = None, check_template: CheckOption = None,
         today: TodayOption = None) -> None:
    """Write the quarterly Q&PC pack (Word) from the workbook and the pack template."""
    if check_template:
        _check(check_template, workbook, "pack", period, _day(today))
        return
    from . import charts

    charts.warm_up()
    from .cli import out as console
    from .papers import build_pack

    path = build_pack(_workbook(workbook, "pack"), period=period, out=out, template=template,
                      today=_day(today))
    console.print(f"Wrote {path}", markup=False)


def board(workbook: WorkbookArg = None, period: PeriodOption = None, out: OutOption = None,
          template: TemplateOption = None, check_template: CheckOption = None,
          today: TodayOption = None) -> None:
    """Write the half-yearly Board performance report (Word); --period takes a half-year,
    e.g. 2026-27 H1."""
    if check_template:
        _check(check_template, workbook, "board", period, _day(today))
        return
    from . import charts

    charts.warm_up()
    from .cli import out as console
    from .papers import build_board_report

    path = build_board_report(_workbook(workbook, "paper board"), period=period, out=out,
                              template=template, today=_day(today))
    console.print(f"Wrote {path}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``pack`` and the ``paper`` group (``paper board``) to the command line."""
    app.command("pack")(pack)
    paper = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                        help="Other committee papers.")
    paper.command("board")(board)
    app.add_typer(paper, name="paper")
