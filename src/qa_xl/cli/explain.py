"""``qa-xl explain``: where a figure comes from, a thin wrapper over
:func:`qa_xl.papers.provenance.explain`. It reads the workbook and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def explain(
    workbook: Annotated[Path, typer.Argument(metavar="WORKBOOK", dir_okay=False,
                                             help="The master workbook.")],
    indicator: Annotated[str, typer.Argument(
        metavar="INDICATOR", help="The indicator's id (or its name), e.g. mash_contacts.")],
    period: Annotated[str | None, typer.Option(
        "--period", metavar="PERIOD", help="A quarter, half-year or year, e.g. 2026-27 Q2, "
        "2026-27 H1 or 2026-27 (default: the indicator's latest up to current_period).")
    ] = None,
) -> None:
    """Where a figure comes from: each partner's figure, the cell of the master that holds
    it, the return file it was imported from (sha256), who signed it off, and the rule that
    combined them. Reads the workbook only."""
    from qa_xl.cli.console import out
    from qa_xl.papers.provenance import explain as run_explain

    for line in run_explain(workbook, indicator, period=period).lines():
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("explain", short_help="Where a figure comes from (partners, files, cells).")(
        explain)
