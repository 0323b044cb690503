"""Where the command line writes: results to standard output, problems and progress to
standard error, so that ``qa-xl validate --json > findings.json`` holds only the findings."""

from __future__ import annotations

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
