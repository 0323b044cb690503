"""``qa-xl pack`` and ``qa-xl paper board|yearly|programme-review``: thin wrappers over
:mod:`qa_xl.papers` (and ``qa-xl explain``, registered with them).

The chart workers are started before anything heavy is imported, so that they load
matplotlib while this process loads pandas and reads the workbook (see
:func:`qa_xl.papers.drawing.warm_up`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

WorkbookArg = Annotated[Path | None, typer.Argument(
    help="The master workbook (.xlsx or .xlsm).", dir_okay=False, metavar="WORKBOOK",
    show_default=False)]
PeriodOption = Annotated[str | None, typer.Option(
    "--period", metavar="QUARTER", help="The quarter to report on, e.g. 2026-27 Q2 or "
    "2026/27 Q2 (default: current_period on the Config sheet).")]
HalfOption = Annotated[str | None, typer.Option(
    "--period", metavar="HALF-YEAR", help="The half-year to report on, e.g. 2026-27 H1 (a "
    "quarter means its half-year; default: the latest complete by current_period).")]
YearOption = Annotated[str | None, typer.Option(
    "--year", metavar="YEAR", help="The financial year, e.g. 2025-26 or 2025/26 (default: the "
    "latest complete by current_period for the yearly report, the one current_period is in "
    "for the programme review).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", metavar="FILE.docx", help="Where to write the paper (default: beside the "
    "workbook).", dir_okay=False)]
TemplateOption = Annotated[Path | None, typer.Option(
    "--template", metavar="FILE.docx", help="A restyled Word template (default: the one in "
    "report_templates/).", dir_okay=False)]
CheckOption = Annotated[Path | None, typer.Option(
    "--check-template", metavar="FILE.docx", help="Only check this template: list every name "
    "it uses that the paper does not provide (give WORKBOOK too to check the names inside "
    "loops).", dir_okay=False)]
PdfOption = Annotated[bool, typer.Option(
    "--pdf", help="Also write a tagged PDF (PDF/UA) beside the .docx, through LibreOffice.")]
def _date(text: str) -> dt.date:
    """A date as officers type it: 25/11/2026 (day/month/year) or 2026-11-25."""
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"{text!r} is not a date: give it as 25/11/2026 (day/month/year) "
                             "or 2026-11-25")


TodayOption = Annotated[dt.date | None, typer.Option(
    "--today", metavar="DATE", parser=_date, help="The date at which overdue activities, risks "
    "and actions are judged, as 2026-11-25 or 25/11/2026 (default: today).")]


COMMANDS = {"pack": "qa-xl pack", "board": "qa-xl paper board",
            "yearly": "qa-xl paper yearly", "programme_review": "qa-xl paper programme-review",
            "s11": "qa-xl paper s11", "s175": "qa-xl paper s175"}
CycleOption = Annotated[str | None, typer.Option(
    "--cycle", metavar="CYCLE", help="The two-year cycle, e.g. 2026-28 (default: the latest "
    "with answers).")]


def _check(template: Path, workbook: Path | None, kind: str, period: str | None,
           today: dt.date | None) -> None:
    from qa_xl.cli.console import err, out
    from qa_xl.core.errors import UnusableInput
    from qa_xl.papers import NAMES, check_template, paper_context

    context = paper_context(workbook, kind, period=period, today=today,
                            draw=False) if workbook else None
    missing = check_template(template, context, kind=kind)
    words = {"s11": "Section 11 report", "s175": "Section 175/157 report"}.get(
        kind, kind.replace("_", " "))
    if missing:
        err.print(f"Names that {template.name} uses and the {words} does not provide:",
                  markup=False)
        for name in missing:
            err.print(f"  {name}", markup=False)
        tops = {name.split(".")[0].split("[")[0] for name in missing}
        other = next((k for k in NAMES if k != kind and tops <= NAMES[k] - NAMES[kind]),
                     None)
        action = (f"it looks like another paper's template: check it with {COMMANDS[other]} "
                  "--check-template" if other else
                  "correct them in Word (report_templates/README.md lists every name)")
        raise UnusableInput(f"the template uses {len(missing)} name(s) that the {words} does "
                            f"not provide: {', '.join(missing)}", file=template, action=action)
    if workbook:
        out.print(f"Template OK: every name it uses is in the {words}'s context.",
                  markup=False)
    else:
        out.print(f"Template OK: every top-level name it uses is in the {words}'s context. "
                  "Give the workbook as well to check the names inside loops.", markup=False)


def _workbook(workbook: Path | None, command: str) -> Path:
    if workbook is None:
        from qa_xl.core.errors import UnusableInput

        raise UnusableInput("no workbook was given", action=f"run qa-xl {command} WORKBOOK")
    return workbook


def _wrote(path: Path, pdf: bool) -> None:
    from qa_xl.cli.console import out as console

    console.print(f"Wrote {path}", markup=False)
    if pdf:
        console.print(f"Wrote {path.with_suffix('.pdf')}", markup=False)


def pack(workbook: WorkbookArg = None, period: PeriodOption = None, out: OutOption = None,
         template: TemplateOption = None, check_template: CheckOption = None,
         today: TodayOption = None, pdf: PdfOption = False) -> None:
    """Write the quarterly Q&PC pack (Word) from the workbook and the pack template."""
    if check_template:
        _check(check_template, workbook, "pack", period, today)
        return
    from qa_xl.papers import drawing

    drawing.warm_up()
    from qa_xl.papers import build_pack

    path = build_pack(_workbook(workbook, "pack"), period=period, out=out, template=template,
                      today=today, pdf=pdf)
    _wrote(path, pdf)
    from qa_xl.cli.console import err
    from qa_xl.core.periods import period_or_none

    quarter = period_or_none(Path(path).stem.removeprefix("QPC_pack_").replace("_", " "))
    if quarter is not None:  # the pack's own name says which quarter it reports
        err.print(f"Once the committee has these figures, close the period so that they stop "
                  f"moving: qa-xl period close {_workbook(workbook, 'pack')} \"{quarter}\"",
                  markup=False)


def board(workbook: WorkbookArg = None, period: HalfOption = None, out: OutOption = None,
          template: TemplateOption = None, check_template: CheckOption = None,
          today: TodayOption = None, pdf: PdfOption = False) -> None:
    """Write the half-yearly Board performance report (Word) from the workbook and the Board
    report template."""
    if check_template:
        _check(check_template, workbook, "board", period, today)
        return
    from qa_xl.papers import drawing

    drawing.warm_up()
    from qa_xl.papers import build_board_report

    path = build_board_report(_workbook(workbook, "paper board"), period=period, out=out,
                              template=template, today=today, pdf=pdf)
    _wrote(path, pdf)


def yearly(workbook: WorkbookArg = None, year: YearOption = None, out: OutOption = None,
           template: TemplateOption = None, check_template: CheckOption = None,
           today: TodayOption = None, pdf: PdfOption = False) -> None:
    """Write the yearly report (Word), for families and professionals: priorities and
    progress, impact year on year, learning, the voice of children and families, where
    progress was too little, the QA programme and next year's priorities."""
    if check_template:
        _check(check_template, workbook, "yearly", year, today)
        return
    from qa_xl.papers import drawing

    drawing.warm_up()
    from qa_xl.papers import build_yearly_report

    path = build_yearly_report(_workbook(workbook, "paper yearly"), year=year, out=out,
                               template=template, today=today, pdf=pdf)
    _wrote(path, pdf)


def programme_review(workbook: WorkbookArg = None, year: YearOption = None,
                     out: OutOption = None, template: TemplateOption = None,
                     check_template: CheckOption = None, today: TodayOption = None,
                     pdf: PdfOption = False) -> None:
    """Write the annual review of the QA programme (Word): each type of activity's year,
    content areas with no indicator or no activity, and the next year's programme proposed
    for the committee to agree."""
    if check_template:
        _check(check_template, workbook, "programme_review", year, today)
        return
    from qa_xl.papers import build_programme_review

    path = build_programme_review(_workbook(workbook, "paper programme-review"), year=year,
                                  out=out, template=template, today=today, pdf=pdf)
    _wrote(path, pdf)


def _cycle_report(form: str, workbook: Path | None, cycle: str | None, out: Path | None,
                  template: Path | None, check_template: Path | None, today: dt.date | None,
                  pdf: bool) -> None:
    if check_template:
        _check(check_template, workbook, form, cycle, today)
        return
    from qa_xl.papers import build_self_assessment_report

    path = build_self_assessment_report(_workbook(workbook, f"paper {form}"), form,
                                        cycle=cycle, out=out, template=template, today=today,
                                        pdf=pdf)
    _wrote(path, pdf)


def s11(workbook: WorkbookArg = None, cycle: CycleOption = None, out: OutOption = None,
        template: TemplateOption = None, check_template: CheckOption = None,
        today: TodayOption = None, pdf: PdfOption = False) -> None:
    """Write the Section 11 cycle's report to the Board (Word): every partner's grade for
    every standard, the movement since the last cycle, who has not returned, the standards
    most only partly meet and every outstanding action."""
    _cycle_report("s11", workbook, cycle, out, template, check_template, today, pdf)


def s175(workbook: WorkbookArg = None, cycle: CycleOption = None, out: OutOption = None,
         template: TemplateOption = None, check_template: CheckOption = None,
         today: TodayOption = None, pdf: PdfOption = False) -> None:
    """Write the Section 175/157 cycle's report to the Board (Word): as paper s11, for the
    schools and colleges."""
    _cycle_report("s175", workbook, cycle, out, template, check_template, today, pdf)


def register(app: typer.Typer) -> None:
    """Add ``pack`` and the ``paper`` group (``paper board``) to the command line."""
    app.command("pack", short_help="Write the quarterly Q&PC pack (Word).")(pack)
    paper = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                        help="Papers other than the Q&PC pack: the Board's half-yearly "
                        "performance report, the yearly report and the annual review of the "
                        "QA programme.",
                        short_help="Other papers: Board report, yearly report, programme "
                        "review.")
    paper.command("board", short_help="Write the half-yearly Board report (Word).")(board)
    paper.command("yearly", short_help="Write the yearly report (Word).")(yearly)
    paper.command("programme-review", short_help="Write the annual review of the QA "
                  "programme (Word).")(programme_review)
    paper.command("s11", short_help="Write a Section 11 cycle's report to the Board "
                  "(Word).")(s11)
    paper.command("s175", short_help="Write a Section 175/157 cycle's report to the Board "
                  "(Word).")(s175)
    app.add_typer(paper, name="paper")
    from qa_xl.cli import explain

    explain.register(app)  # reads what the papers read: registered with them
