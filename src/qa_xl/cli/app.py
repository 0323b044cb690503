"""The ``qa-xl`` command line: each verb is a thin wrapper over the library function of the
same name (as in sqlite-utils), so the Excel buttons and scripts get exactly the same jobs.

Exit status: 0 done; 1 the data has errors (each printed with file and cell); 2 unusable input.
A user's mistake is a message, never a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qa_xl.cli import papers, period, returns, self_assessment
from qa_xl.cli.console import err, out
from qa_xl.core.errors import QaXlError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Quality assurance workbook, partner returns and committee papers.")

def _version(value: bool) -> None:
    if value:
        from qa_xl import __version__

        out.print(f"qa-xl {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")
        ] = False) -> None:
    """Quality assurance workbook, partner returns and committee papers."""


ConfigOption = Annotated[
    Path | None, typer.Option("--config", metavar="FILE.toml", help="A TOML file that "
                              "extends or replaces the built-in framework configuration.",
                              dir_okay=False)]


@app.command()
def new(workbook: Annotated[Path, typer.Argument(
            metavar="FILE",
            help="The file to create: .xlsm for the workbook with its buttons, .xlsx for one "
            "without macros.")],
        config: ConfigOption = None,
        force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
        lite: Annotated[bool, typer.Option(
            help="An .xlsx with the buttons as xlwings Lite scripts (Excel without Python).")
                        ] = False) -> None:
    """Build an empty master workbook from the framework configuration."""
    from qa_xl.framework import load_config
    from qa_xl.workbook.build import new as build_new

    path = build_new(workbook, load_config(config), force=force, lite=lite)
    out.print(f"Wrote {path}")


@app.command(short_help="A worked example: workbook, returns and papers.")
def demo(directory: Annotated[Path, typer.Argument(
             metavar="DIR", help="Where to write the example.")] = Path(
            "qa_xl_demo"),
         partners: Annotated[int | None, typer.Option(
             metavar="N", help="Synthetic partners instead of the configuration's.", min=1)
                             ] = None,
         quarters: Annotated[int, typer.Option(
             metavar="N", help="Quarters of history.", min=1)] = 8,
         seed: Annotated[int, typer.Option(
             metavar="N", help="Random seed: same seed, same data.")] = 1,
         config: ConfigOption = None,
         force: Annotated[bool, typer.Option(help="Replace a demo workbook already in DIR.")
                          ] = False) -> None:
    """A complete worked example: a master workbook full of plausible data, partner returns
    issued, filled and imported, validated, rolled up, and the Q&PC pack and Board report."""
    from qa_xl.example import demo as run_demo
    from qa_xl.framework import load_config

    result = run_demo(directory, load_config(config), partners=partners, quarters=quarters,
                      seed=seed, force=force,
                      progress=lambda text: err.print(f"[dim]{text}[/]"))
    for line in result.lines():
        out.print(line)


@app.command()
def validate(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                      help="The master workbook.")],
             json: Annotated[bool, typer.Option("--json", help="Print findings as JSON.")] = False,
             write: Annotated[bool, typer.Option(
                 "--write", help="Also record the findings in tblValidation (the Validation "
                 "sheet) and the Start sheet's status, as the Excel button does.")] = False,
             ) -> None:
    """Check every table; list each problem with its sheet and cell. Read-only unless --write."""
    from qa_xl.validation import validate as run_validate
    from qa_xl.workbook.checks import ERROR, summary

    findings = run_validate(workbook, write=write)
    if json:
        out.print(findings.to_json(orient="records", date_format="iso", indent=1),
                  markup=False)
    else:
        _print_findings(findings, workbook.name)
        out.print(summary(findings))
    raise typer.Exit(1 if (findings["severity"] == ERROR).any() else 0)


@app.command(short_help="Consolidate the partner returns into tblRollup.")
def rollup(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                    help="The master workbook.")]) -> None:
    """Consolidate every partner's return into tblRollup (the Rollup sheet), with RAG and
    direction of travel."""
    from qa_xl.collect.consolidate import rollup as run_rollup

    result = run_rollup(workbook)
    out.print(result.summary())


def _print_findings(findings: pd.DataFrame, file_name: str) -> None:
    """One line a finding, like a linter, so that logs can be searched and read."""
    from rich.markup import escape

    for r in findings.itertuples(index=False):
        where = f"{file_name} {r.sheet}!{r.cell}" if r.cell else f"{file_name} {r.sheet}"
        colour = "red" if r.severity == "Error" else "yellow"
        out.print(f"[{colour}]{r.severity}[/] {escape(where)} [dim]({r.check})[/] "
                  f"{escape(r.message)}", markup=True)


returns.register(app)
papers.register(app)
period.register(app)
self_assessment.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn a user's mistake into its message and exit status (never a traceback).

    Typer exits through SystemExit with the command's status; a QaXlError from the library
    carries its own status (1 data errors, 2 unusable input).
    """
    try:
        app(args=argv, prog_name="qa-xl")
    except QaXlError as exc:
        from rich.markup import escape

        err.print(f"[bold red]Error:[/] {escape(str(exc))}", markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("Stopped.")
        sys.exit(130)
    except OSError as exc:  # a full disk, a permission, a vanished drive: not a bug
        from rich.markup import escape

        from qa_xl.core.errors import os_problem

        err.print(f"[bold red]Error:[/] {escape(str(os_problem(exc, 'finish')))}", markup=True)
        sys.exit(2)
    except Exception as exc:  # a bug, not a user's mistake: say so without a wall of text
        if os.environ.get("QA_XL_DEBUG"):
            raise
        err.print(f"[bold red]Internal error:[/] {type(exc).__name__}: {exc}. This is a bug "
                  "in qa_xl; run again with QA_XL_DEBUG=1 for the details and report it.")
        sys.exit(3)


def run() -> None:
    """The ``qa-xl`` console script: :func:`main` as a short-lived process.

    Two things an officer waiting on a button should not pay for (measured on the 40-partner
    demo, about 0.1 s of every command): the cyclic garbage collector running every 700
    allocations while pandas, docxtpl and matplotlib import hundreds of thousands of objects
    that live as long as the process, and the interpreter's tear-down, which frees every
    module one by one after the work is done. The collector still runs, a hundred times less
    often (switching it off cost the 200-partner demo 70 MB). Every file is written and
    closed (atomically) and the chart workers are joined before a command returns, so the
    process ends as soon as its output is flushed. Library callers and tests use
    :func:`main`, which returns normally.
    """
    gc.set_threshold(100_000, 50, 100)
    code: int = 0
    try:
        main()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    finally:
        for stream in (sys.stdout, sys.stderr):
            # a closed pipe (qa-xl ... | head) is not an error
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """SystemExit's status as the interpreter would turn it into one: None is 0, a number
    is itself, anything else is printed and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
