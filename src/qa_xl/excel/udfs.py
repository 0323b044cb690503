"""Worksheet functions: ``=QA_RAG(...)``, ``=QA_RISK_SCORE(...)``, ``=QA_NEXT_DUE(...)``.

Each returns exactly what the library computes (:func:`qa_xl.core.rag.rag`,
:func:`qa_xl.programme.risks.score`, :func:`qa_xl.programme.timetable.next_due`), so a figure in
a cell and the same figure in the papers never disagree. A bad argument gives a short text
starting with ``#QA!`` that says what is wrong, instead of Excel's bare ``#VALUE!``.

A separate module from :mod:`qa_xl.excel.buttons` so that Excel loading the functions imports
little. In Excel on Windows they are added with xlwings' ``ImportPythonUDFs`` (UDF Modules:
``qa_xl.xl_udfs``); on Linux and Mac the decorators pass through and these are plain Python.
"""

from __future__ import annotations

import datetime as dt
import numbers
from typing import Any

import xlwings as xw

EXCEL_EPOCH = dt.date(1899, 12, 30)
ERROR = "#QA!"


def _error(message: str) -> str:
    return f"{ERROR} {message}"


def _number(value: Any, name: str, required: bool = True) -> float | None:
    """A cell as a number: blank is None (allowed unless ``required``); text is refused."""
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is blank")
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)


def _date(value: Any) -> dt.date | None:
    """A date cell: a date, a datetime, or a serial number when the cell has no date format."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 1:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    raise ValueError(f"last_done must be a date, not {value!r}")


@xw.func
def QA_RAG(value: Any, target: Any = None, polarity: Any = None,
           tolerance: Any = None) -> str:
    """RAG rating of a value against its target: Green, Amber, Red, No target or No data.

    polarity is "Higher is better", "Lower is better" or "Neutral"; tolerance is how far on
    the wrong side of target is still Amber, in the value's unit (0.05 = 5 points).
    """
    from qa_xl.core.rag import rag

    try:
        return rag(_number(value, "value", required=False),
                   _number(target, "target", required=False),
                   "" if polarity is None else str(polarity),
                   _number(tolerance, "tolerance", required=False))
    except ValueError as exc:
        return _error(str(exc))


@xw.func
def QA_RISK_SCORE(likelihood: Any, impact: Any) -> int | str:
    """Risk score, likelihood x impact, each a whole number from 1 to 5 (so 1 to 25)."""
    from qa_xl.programme.risks import score

    try:
        return score(likelihood, impact)
    except ValueError as exc:
        return _error(str(exc).replace(", not None", ", not blank"))


@xw.func
def QA_NEXT_DUE(last_done: Any, frequency: Any) -> dt.date | str:
    """When a QA activity is next due: last done plus its frequency (Quarterly, Half-yearly,
    Annual, Every two years). Blank when never done or when it does not recur."""
    from qa_xl.programme.timetable import next_due

    try:
        due = next_due(_date(last_done), "" if frequency is None else str(frequency))
    except ValueError as exc:
        return _error(str(exc))
    return "" if due is None else due
