"""Content areas through the five steps of the systemic approach (the framework's section 4).

Each content area goes through: 1 identify content areas and agree priorities; 2 what does
'good' look like; 3 identify sources of current information; 4 identify sources of additional
information; 5 agree a QA timetable. The Board wants to see how far each area has got, whether
its "what good looks like" statement is written, and which priority areas still have no
indicator in the performance dataset.

A step counts as done when its status reads Done, Complete, Completed, Agreed or Yes (any
case); anything else ("Not started", "In progress", blank) is not done.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.CONTENT_AREAS` and
``INDICATORS``.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import cell as _cell, finding, text as _text
from qa_xl.workbook.schema import CONTENT_AREAS, STEP_COLUMNS

_finding = partial(finding, CONTENT_AREAS.sheet)

STEPS = tuple(name for name, _ in STEP_COLUMNS)
STEP_NAMES = (
    "Step 1: identify content areas and agree priorities",
    "Step 2: what does 'good' look like",
    "Step 3: identify sources of current information",
    "Step 4: identify sources of additional information",
    "Step 5: agree a QA timetable",
)
DONE_STATUSES = frozenset({"done", "complete", "completed", "agreed", "yes"})
ALL_DONE = "All steps done"
HIGH = "high"


def _key(value: Any) -> str:
    """Content area names match ignoring case and spacing."""
    return " ".join(_text(value).lower().split())


def steps_done(row: Any) -> list[bool]:
    """For one row (a namedtuple or Series), whether each of the five steps is done."""
    return [_text(getattr(row, step)).lower() in DONE_STATUSES for step in STEPS]


def _next_step(done: list[bool]) -> str:
    """The first step not yet done, even if a later one is (step order matters)."""
    return next((name for name, ok in zip(STEP_NAMES, done) if not ok), ALL_DONE)


def progress(df: pd.DataFrame) -> pd.DataFrame:
    """The content areas with ``steps_done`` (0-5), ``next_step`` and ``good_written`` (the
    what-good-looks-like statement is filled in)."""
    done = [steps_done(row) for row in df.itertuples()]
    out = df.copy()
    out["steps_done"] = pd.Series([sum(d) for d in done], index=df.index, dtype="int64")
    out["next_step"] = pd.Series([_next_step(d) for d in done], index=df.index, dtype="string")
    out["good_written"] = df["what_good_looks_like"].map(_text).ne("").astype(bool)
    return out


def priority_without_indicators(df: pd.DataFrame, indicators: pd.DataFrame) -> list[str]:
    """High-priority content areas that no indicator in tblIndicators informs (matched on
    indicators.content_area, ignoring case and spacing), in table order."""
    covered = {_key(area) for area in indicators["content_area"]}
    high = df[df["priority"].map(_key) == HIGH]
    return [_text(area) for area in high["content_area"] if _key(area) not in covered]


# ---------------------------------------------------------------------------- validation

def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date,
          indicators: pd.DataFrame | None = None) -> list[dict]:
    """Cross-field rules for tblContentAreas: steps in order, a written statement once step 2
    is done, and (when ``indicators`` is given) an indicator for every high-priority area.
    ``today`` is unused; it keeps every table's check alike."""
    findings = []
    for row in df.itertuples():
        key, done = _text(row.content_area), steps_done(row)
        gap = next((i for i, ok in enumerate(done) if not ok), None)
        if gap is not None and any(done[gap + 1:]):
            findings.append(_finding(
                "Warning", _cell(letters, STEPS[gap], row.Index), key, "steps_out_of_order",
                f"{key}: a later step is done but {STEP_NAMES[gap].split(':')[0]} is not: finish "
                "it or correct the step statuses."))
        if done[1] and not _text(row.what_good_looks_like):
            findings.append(_finding(
                "Warning", _cell(letters, "what_good_looks_like", row.Index), key,
                "good_statement_missing",
                f"{key}: step 2 is done but what good looks like is not written: add the "
                "statement."))
    if indicators is not None:
        missing = set(priority_without_indicators(df, indicators))
        for row in df.itertuples():
            if _text(row.content_area) in missing:
                findings.append(_finding(
                    "Warning", _cell(letters, "content_area", row.Index), _text(row.content_area),
                    "priority_without_indicator",
                    f"{_text(row.content_area)} is a high priority but no indicator on the "
                    "Indicators sheet informs it: add one or link an existing one."))
    return findings
