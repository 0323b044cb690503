"""What a check reports about one cell, in one shape for every table's rules.

The QA-programme modules (timetable, risks, audits, voice, actions, content areas) each check
their own table; they share these few helpers so that every finding reads the same way in
tblValidation and on the command line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd


def text(value: Any) -> str:
    """A cell as stripped text; blank for a missing value (pandas NA prints as '<NA>')."""
    if isinstance(value, str):  # most cells, and pd.isna costs more than the strip
        return value.strip()
    return "" if value is None or pd.isna(value) else str(value).strip()


def as_date(value: Any) -> dt.date | None:
    """A cell as a date, or None when it is missing."""
    if type(value) is pd.Timestamp:  # how a date column gives its values (NaT is not one)
        return value.date()
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def cell(letters: dict[str, str], column: str, row: int) -> str:
    """The A1 reference of a column in a sheet row, from the table's column letters."""
    return f"{letters.get(column, '?')}{row}"


def finding(sheet: str, severity: str, cell: str, row_key: str, check: str,
            message: str) -> dict[str, str]:
    return {"severity": severity, "sheet": sheet, "cell": cell, "row_key": row_key,
            "check": check, "message": message}
