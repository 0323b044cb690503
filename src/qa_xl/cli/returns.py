"""``qa-xl returns issue|import``: thin wrappers over :mod:`qa_xl.collect`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qa_xl.core.words import plural


def register(app: typer.Typer) -> None:
    returns = typer.Typer(no_args_is_help=True, help="Issue, import and chase partner returns.")

    @returns.command("issue")
    def issue(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                       help="The master workbook.")],
              period: Annotated[str, typer.Option(
                  metavar="PERIOD", help="The period, e.g. 2026-27 Q2.")],
              out: Annotated[Path | None, typer.Option(
                  metavar="FOLDER", help="Folder for the returns (default: "
                  "returns/<period> beside the workbook).")] = None,
              partner: Annotated[list[str] | None, typer.Option(
                  metavar="PARTNER_ID", help="Only this partner_id (repeat for several).")
              ] = None,
              force: Annotated[bool, typer.Option(
                  "--force", help="Replace returns already in the folder even when a partner "
                  "has started filling them in.")] = False) -> None:
        """Write one macro-free return workbook per partner for the period."""
        from qa_xl.cli.console import err, out as console
        from qa_xl.collect.issue import issue_returns
        from qa_xl.core.periods import Period

        files = issue_returns(workbook, period, out, partner or None, force=force)
        for path in files:
            console.print(f"Wrote {path}")
        for path, why in files.skipped:
            err.print(f"Left {path} as it is: {why} (add --force to replace it).",
                      markup=False)
        period = str(Period.typed(period))  # issue_returns has checked it
        if not files and not files.skipped:
            console.print(f"No return issued: no partner has an indicator due for {period} "
                          "(check the indicators' frequency and reporting partners).")
        else:
            console.print(f"{plural(len(files), 'return')} issued for {period}")
        suffix = f"_{Period.parse(period).file_part}.xlsx"
        issued = [*files, *(path for path, _ in files.skipped)]
        skipped = sorted(set(partner or ()) - {f.name.removesuffix(suffix) for f in issued})
        if skipped:
            console.print(f"Nothing due for {', '.join(skipped)}: no return written for them.")

    @returns.command("import")
    def import_(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                         help="The master workbook.")],
                files: Annotated[list[Path], typer.Argument(
                    metavar="FILE...", help="Completed return files, or folders of them.")],
                replace_newer: Annotated[bool, typer.Option(
                    "--replace-newer", help="Import a return even though the master holds a "
                    "later fill (or a later file) for its partner and period.")] = False,
                early: Annotated[bool, typer.Option(
                    "--early", help="Import a return before its period has ended.")] = False,
                reopen: Annotated[str | None, typer.Option(
                    "--reopen", metavar="REASON", help="Import into a closed period, for "
                    "this reason (logged).")] = None,
                ) -> None:
        """Check each return and import the valid ones (all in one save)."""
        from rich.markup import escape

        from qa_xl.cli.console import out as console
        from qa_xl.collect.importing import import_returns

        report = import_returns(workbook, files, replace_newer=replace_newer, early=early,
                                reopen=reopen)
        for line in report.lines():
            console.print(escape(line))
        raise typer.Exit(report.exit_code)

    @returns.command("chase")
    def chase(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                       help="The master workbook.")],
              period: Annotated[str | None, typer.Option(
                  metavar="PERIOD", help="The period, e.g. 2026-27 Q2 (default: "
                  "current_period on the Config sheet).")] = None,
              out: Annotated[Path | None, typer.Option(
                  metavar="FOLDER", help="Folder for the drafts (default: "
                  "reminders/<period> beside the workbook).")] = None,
              send: Annotated[bool, typer.Option(
                  "--send", help="Send them through the mail server on the Config sheet "
                  "instead of only drafting them.")] = False) -> None:
        """Draft (or send) a reminder for each return missing or refused."""
        from rich.markup import escape

        from qa_xl.cli.console import out as console
        from qa_xl.collect.chase import chase_returns

        report = chase_returns(workbook, period, out, send=send)
        for line in report.lines():
            console.print(escape(line))
        raise typer.Exit(report.exit_code)

    app.add_typer(returns, name="returns")
