"""Files written beside an officer's own, and the folders qa_xl ships.

Permissions: the ones an ordinary save would give them.

A new file is written to a private temporary file (``tempfile.mkstemp`` makes it 0600) and then
moved into place, so that a failure half-way never leaves a broken file; before the move it gets
the permissions the user's umask gives any new file, so colleagues can open the workbook or
paper as they could any other.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def make_shareable(path: str | Path) -> None:
    """Give a private temporary file the permissions of an ordinary new file. A file system
    without permissions (a folder mounted into xlwings Lite's Pyodide, some network shares)
    refusing the change leaves the file as it is: it is written all the same."""
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError, NotImplementedError):
        os.chmod(path, 0o666 & ~mask)


PACKAGE = Path(__file__).resolve().parents[1]  # src/qa_xl, or site-packages/qa_xl
REPOSITORY = PACKAGE.parents[1]  # the checkout, for an editable install


def shipped_folder(name: str, marker: str) -> Path:
    """A folder kept at the top of the repository (``report_templates``, ``xl_macros``), where
    officers and reviewers expect it, and installed as ``qa_xl/data/<name>``.

    The repository's copy comes first (an editable install uses officers' restyled copies
    where they are), then the installed one; the first that holds ``marker`` (a glob)."""
    candidates = (REPOSITORY / name, PACKAGE / "data" / name)
    return next((c for c in candidates if c.is_dir() and any(c.glob(marker))), candidates[0])
