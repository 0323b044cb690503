"""``qa-xl period close``: a thin wrapper over :func:`qa_xl.collect.closing.close_period`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    period = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                         help="Close a reported period, so its figures stop moving.")

    @period.command("close")
    def close(workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK",
                                                       help="The master workbook.")],
              which: Annotated[str, typer.Argument(
                  metavar="PERIOD", help="The quarter reported, e.g. 2026-27 Q2.")]) -> None:
        """Close a period whose figures have been reported: imports for it then need
        --reopen "reason", and a paper built again for it says what changed."""
        from qa_xl.cli.console import out
        from qa_xl.collect.closing import close_period

        periods = close_period(workbook, which)
        out.print(f"Closed {', '.join(periods)}: an import for "
                  f"{'them' if len(periods) > 1 else 'it'} now needs --reopen with a reason.",
                  markup=False)

    app.add_typer(period, name="period")
