"""Named points where a test can kill qa_xl mid-job, as SQLite's fault-injection tests do.

``QA_XL_FAULT=<point>`` in the environment makes the process kill itself (``SIGKILL``: no
clean-up, no ``finally``) when it reaches that point of a save, so the tests can show that a
killed run always leaves the old workbook or the new one, never half of each, and that the next
run cleans up after it. Unset (as for every officer), each point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

# The points of a save, in order (qa_xl.workbook.xlsxparts.write_workbook).
SAVE_POINTS = ("temp-written", "backup-temp-written", "backup-renamed", "replaced", "pruned")


def point(name: str) -> None:
    """Die here if the tests asked for it."""
    if os.environ.get("QA_XL_FAULT") == name:
        kill = getattr(signal, "SIGKILL", None)
        if kill is None:  # Windows
            os._exit(137)
        os.kill(os.getpid(), kill)
