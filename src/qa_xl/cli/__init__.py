"""The ``qa-xl`` command line: each verb is a thin wrapper over the library function of the
same name (as in sqlite-utils), so the Excel buttons and scripts get exactly the same jobs.

The top layer: it may import every layer below, and it is the only one that imports typer
and rich. ``qa_xl.cli:run`` is the console script.
"""

from qa_xl.cli.app import app, main, run

__all__ = ["app", "main", "run"]
