"""Files written beside an officer's own: the permissions an ordinary save would give them.

A new file is written to a private temporary file (``tempfile.mkstemp`` makes it 0600) and then
moved into place, so that a failure half-way never leaves a broken file; before the move it gets
the permissions the user's umask gives any new file, so colleagues can open the workbook or
paper as they could any other.
"""

from __future__ import annotations

import os
from pathlib import Path


def make_shareable(path: str | Path) -> None:
    """Give a private temporary file the permissions of an ordinary new file."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)
