"""``qa-xl s11 issue|import`` and ``qa-xl s175 issue|import``: thin wrappers over
:mod:`qa_xl.collect.self_assessment` (``s11_issue``, ``s11_import``, ``s175_issue``,
``s175_import``).

No ``from __future__ import annotations`` here: the options' help names the form, so their
annotations are evaluated where each sub-app is made."""

from pathlib import Path
from typing import Annotated

import typer

from qa_xl.core.words import plural

WHO = {"s11": ("partner", "PARTNER_ID", "Board partner"),
       "s175": ("school", "SCHOOL_ID", "school and college")}
TITLE = {"s11": "the Section 11 self-assessment", "s175": "the Section 175/157 audit"}


def _sub_app(form: str) -> typer.Typer:
    noun, metavar, whom = WHO[form]
    app = typer.Typer(no_args_is_help=True,
                      help=f"Issue and import {TITLE[form]} (one signed form per {whom}).")

    @app.command("issue")
    def issue(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                       help="The master workbook.")],
              cycle: Annotated[str, typer.Option(
                  metavar="CYCLE", help="The two-year cycle, e.g. 2026-28.")],
              out: Annotated[Path | None, typer.Option(
                  metavar="FOLDER", help=f"Folder for the forms (default: {form}/<cycle> "
                  "beside the workbook).")] = None,
              who: Annotated[list[str] | None, typer.Option(
                  f"--{noun}", metavar=metavar, help=f"Only this {noun} (repeat for several).")
              ] = None,
              force: Annotated[bool, typer.Option(
                  "--force", help="Replace forms already in the folder even when they have "
                  "been started.")] = False) -> None:
        """Write one macro-free form per organisation for the cycle, last cycle's answers
        pre-filled."""
        from qa_xl.cli.console import err, out as console
        from qa_xl.collect import self_assessment as sa

        files = getattr(sa, f"{form}_issue")(workbook, cycle, out, who or None, force=force)
        for path in files:
            console.print(f"Wrote {path}")
        for path, why in files.skipped:
            err.print(f"Left {path} as it is: {why} (add --force to replace it).",
                      markup=False)
        console.print(f"{plural(len(files), 'form')} issued for {cycle}")

    @app.command("import")
    def import_(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                         help="The master workbook.")],
                files: Annotated[list[Path], typer.Argument(
                    metavar="FILE_OR_FOLDER...", help="Completed forms, or folders of them.")],
                cycle: Annotated[str | None, typer.Option(
                    metavar="CYCLE", help="Refuse forms of any other cycle.")] = None,
                replace_newer: Annotated[bool, typer.Option(
                    "--replace-newer", help="Import a form even though a later one for its "
                    "organisation was imported.")] = False) -> None:
        """Check each form and import the valid ones, with their actions (one save)."""
        from rich.markup import escape

        from qa_xl.cli.console import out as console
        from qa_xl.collect import self_assessment as sa

        report = getattr(sa, f"{form}_import")(workbook, files, cycle=cycle,
                                               replace_newer=replace_newer)
        for line in report.lines():
            console.print(escape(line))
        raise typer.Exit(report.exit_code)

    return app


def register(app: typer.Typer) -> None:
    for form in WHO:
        app.add_typer(_sub_app(form), name=form)
