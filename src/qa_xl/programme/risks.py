"""The Board's risk register: 5 x 5 scores, bands, movement, the heat map and the annual review.

A risk's score is likelihood x impact, each 1-5, and is always worked out here: the workbook's
score column is derived and never trusted when read. Bands come from Config (the default below
is the one the issue gives), so a Board that uses other bands changes one setting.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.RISKS`; no file I/O.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import as_date as _as_date, cell as _cell, finding, text as _text
from qa_xl.workbook.schema import RISKS

_finding = partial(finding, RISKS.sheet)

Band = tuple[str, int, int]
Bands = Sequence[Band | Mapping[str, Any]]  # tuples, or Config's {"name", "min", "max"}
DEFAULT_BANDS: tuple[Band, ...] = (
    ("Low", 1, 4), ("Medium", 5, 9), ("High", 10, 15), ("Very high", 16, 25),
)
WORSENING, IMPROVING, NO_CHANGE, NEW = "Worsening", "Improving", "No change", "New"
LEVELS = range(1, 6)
ON_MATRIX = frozenset(likelihood * impact for likelihood in LEVELS for impact in LEVELS)


# ------------------------------------------------------------------------------ score, band

def _level(value: Any, name: str) -> int:
    """A likelihood or impact as an int 1-5; Excel sends 4 as 4.0, which is accepted."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not float(value).is_integer() or not 1 <= value <= 5):
        raise ValueError(f"{name} must be a whole number from 1 to 5, not {value!r}")
    return int(value)


def score(likelihood: Any, impact: Any) -> int:
    """Likelihood x impact on the 5 x 5 matrix (1-25); ValueError unless both are 1-5."""
    return _level(likelihood, "likelihood") * _level(impact, "impact")


def _as_bands(bands: Bands) -> list[Band]:
    """Bands as (name, low, high), whether given as tuples or as Config's settings.risk_bands."""
    return [(b["name"], b["min"], b["max"]) if isinstance(b, Mapping) else tuple(b)
            for b in bands]


def band(score: Any, bands: Bands = DEFAULT_BANDS) -> str:
    """The name of the band holding ``score``, e.g. 20 -> 'Very high' with the default bands."""
    for name, low, high in _as_bands(bands):
        if low <= score <= high:
            return name
    raise ValueError(f"score {score!r} is in none of the risk bands {list(bands)}")


def _score_or_na(likelihood: Any, impact: Any) -> Any:
    """The score of a table row, or NA when a level is missing or wrong (a schema finding)."""
    try:
        return score(likelihood, impact)
    except ValueError:
        return pd.NA


def _band_or_na(value: Any, bands: Bands) -> Any:
    try:
        return pd.NA if pd.isna(value) else band(value, bands)
    except ValueError:
        return pd.NA


def change(current: Any, previous: Any) -> Any:
    """Movement since the last review: a higher score is Worsening; no previous score is New."""
    if pd.isna(current):
        return pd.NA
    if pd.isna(previous):
        return NEW
    if current > previous:
        return WORSENING
    return IMPROVING if current < previous else NO_CHANGE


def is_open(df: pd.DataFrame) -> pd.Series:
    """Open unless the status says Closed; a blank status is treated as open, to be safe."""
    return df["status"].fillna("").str.strip().str.lower() != "closed"


# ------------------------------------------------------------------------------- summaries

def risk_summary(df: pd.DataFrame, today: dt.date,
                 bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """The register with its derived figures, for the workbook and the papers.

    Adds (or recomputes) ``score``; adds ``band``, ``change`` (Worsening / Improving /
    No change / New against previous_score), ``distance_to_target`` (score minus target: above
    0 still has that far to go), ``is_open`` and ``review_overdue`` (an open risk whose next
    review date has passed; a missing date is a validation finding instead).
    """
    out = df.copy()
    scores = [_score_or_na(lik, imp) for lik, imp in zip(df["likelihood"], df["impact"])]
    out["score"] = pd.Series(scores, index=df.index, dtype="Int64")
    out["band"] = pd.Series([_band_or_na(s, bands) for s in out["score"]], index=df.index,
                            dtype="string")
    out["change"] = pd.Series([change(s, p) for s, p in zip(out["score"], df["previous_score"])],
                              index=df.index, dtype="string")
    out["distance_to_target"] = out["score"] - df["target_score"]
    out["is_open"] = is_open(df)
    out["review_overdue"] = out["is_open"] & (df["next_review"] < pd.Timestamp(today)).fillna(
        False)
    return out


REVIEW_OVERDUE, REVIEW_DUE_SOON, ON_TRACK, CLOSED, NOT_SCHEDULED = (
    "Review overdue", "Review due soon", "On track", "Closed", "Not scheduled")


def review_status(df: pd.DataFrame, today: dt.date, due_soon_days: int = 28) -> pd.Series:
    """Where each risk's review stands today, for the Risks sheet's ``due_status``: Closed;
    Review overdue once an open risk's next review date has passed; Review due soon within
    ``due_soon_days``; On track; Not scheduled with no review date."""
    today = _as_date(today)
    soon = today + dt.timedelta(days=due_soon_days)
    words = []
    for open_, review in zip(is_open(df), df["next_review"]):
        when = _as_date(review)
        words.append(CLOSED if not open_ else NOT_SCHEDULED if when is None else
                     REVIEW_OVERDUE if when < today else
                     REVIEW_DUE_SOON if when <= soon else ON_TRACK)
    return pd.Series(words, index=df.index, dtype="string")


def heat_map(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of open risks on the 5 x 5 matrix: rows likelihood 5 (top) to 1, columns impact
    1 to 5, the way a risk matrix is drawn. Risks with a missing level are left out."""
    open_risks = df[is_open(df) & df["likelihood"].isin(list(LEVELS))
                    & df["impact"].isin(list(LEVELS))]
    counts = (
        open_risks.groupby(["likelihood", "impact"]).size()
        .unstack(fill_value=0)
        .reindex(index=range(5, 0, -1), columns=LEVELS, fill_value=0)
        .astype("int64")
    )
    counts.index.name, counts.columns.name = "likelihood", "impact"
    return counts


@dataclass(frozen=True)
class RegisterReview:
    """The annual risk register review: headline counts, open risks per band, and the open
    risks that need the Board's attention."""

    counts: dict[str, int]
    by_band: dict[str, int]
    attention: pd.DataFrame


def annual_review(df: pd.DataFrame, today: dt.date,
                  bands: Bands = DEFAULT_BANDS) -> RegisterReview:
    """The yearly review of the register that the Executive reports to the Board.

    Needs attention: an open risk that is worsening, in the top band, or overdue for review;
    highest score first.
    """
    summary = risk_summary(df, today, bands)
    live = summary[summary["is_open"]]
    counts = {
        "risks": len(summary),
        "open": len(live),
        "closed": len(summary) - len(live),
        **{key: int((live["change"] == value).sum()) for key, value in (
            ("worsening", WORSENING), ("improving", IMPROVING), ("no_change", NO_CHANGE),
            ("new", NEW))},
        "reviews_overdue": int(live["review_overdue"].sum()),
        "above_target": int((live["distance_to_target"] > 0).sum()),
        "at_or_below_target": int((live["distance_to_target"] <= 0).sum()),
        "no_owner": int(live["owner"].fillna("").str.strip().eq("").sum()),
    }
    names = [name for name, _, _ in sorted(_as_bands(bands), key=lambda b: b[1])]
    by_band = {name: int((live["band"] == name).sum()) for name in names}
    top = names[-1] if names else None
    needs = (live["change"] == WORSENING) | (live["band"] == top) | live["review_overdue"]
    attention = live[needs.fillna(False)].sort_values("score", ascending=False, kind="stable")
    return RegisterReview(counts, by_band, attention)


# ---------------------------------------------------------------------------- validation

def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date) -> list[dict]:
    """Cross-field rules for tblRisks (ranges 1-5 and 1-25 are the schema's checks)."""
    today = _as_date(today)
    findings = []
    open_rows = is_open(df)
    for row in df.itertuples():
        key = _text(row.risk_id)
        if open_rows[row.Index]:
            findings += _open_risk_findings(row, key, letters, today)
        for column in ("previous_score", "target_score"):
            value = getattr(row, column)
            if not pd.isna(value) and int(value) not in ON_MATRIX:
                findings.append(_finding(
                    "Warning", _cell(letters, column, row.Index), key, "score_not_on_matrix",
                    f"{column.replace('_', ' ').capitalize()} {value} is not likelihood x "
                    "impact on a 5 x 5 matrix: enter a score such as 8, 10 or 12."))
    return findings


def _open_risk_findings(row: Any, key: str, letters: dict[str, str],
                        today: dt.date) -> list[dict]:
    found = []
    if not _text(row.owner):
        found.append(_finding("Error", _cell(letters, "owner", row.Index), key, "owner_missing",
                              f"Open risk {key} has no owner: name who owns it."))
    review = _as_date(row.next_review)
    review_cell = _cell(letters, "next_review", row.Index)
    if review is None:
        found.append(_finding("Warning", review_cell, key, "review_date_missing",
                              f"Open risk {key} has no next review date: set one."))
    elif review < today:
        found.append(_finding(  # an Error: the framework reviews every open risk on time
            "Error", review_cell, key, "review_overdue",
            f"Open risk {key} was due for review on {review:%d/%m/%Y}: review it and set the "
            "next review date."))
    return found
