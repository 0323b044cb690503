"""Risk register: 5 x 5 scores, bands, movement, heat map, annual review and checks.

Expected answers are worked by hand: score = likelihood x impact; default bands 1-4 Low,
5-9 Medium, 10-15 High, 16-25 Very high.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from qa_xl.programme import risks as R
from qa_xl.workbook import schema as S

D = dt.date
TODAY = D(2026, 4, 1)  # first day of 2026-27


def _table(*rows: dict) -> S.Table:
    """A typed tblRisks exactly as the reader builds it; the header is on sheet row 3."""
    raw = S.RawTable(S.RISKS.table, S.RISKS.sheet, S.RISKS.names,
                     [[row.get(name) for name in S.RISKS.names] for row in rows], first_row=3)
    return S.type_table(raw, S.RISKS)


def _risk(risk_id: str, likelihood: int | None, impact: int | None, **extra: object) -> dict:
    return {"risk_id": risk_id, "title": f"Risk {risk_id}", "owner": "Board manager",
            "likelihood": likelihood, "impact": impact, "status": "Open",
            "next_review": D(2026, 6, 30), **extra}


# ------------------------------------------------------------------------------ score, band

def test_the_issue_example_four_by_five_is_twenty_very_high() -> None:
    assert R.score(4, 5) == 20
    assert R.band(20) == "Very high"


@pytest.mark.parametrize(("value", "expected"), [
    (1, "Low"), (4, "Low"), (5, "Medium"), (9, "Medium"), (10, "High"), (15, "High"),
    (16, "Very high"), (25, "Very high"),
])
def test_band_edges(value: int, expected: str) -> None:
    assert R.band(value) == expected


def test_score_accepts_what_excel_and_pandas_send() -> None:
    assert R.score(4.0, 5) == 20  # Excel sends numbers as floats
    assert R.score(np.int64(3), np.int64(3)) == 9


@pytest.mark.parametrize(("likelihood", "impact"), [
    (0, 3), (6, 1), (3, 2.5), (True, 2), (None, 2), ("4", 5), (float("nan"), 1),
])
def test_score_refuses_levels_outside_one_to_five(likelihood: object, impact: object) -> None:
    with pytest.raises(ValueError, match="whole number from 1 to 5"):
        R.score(likelihood, impact)


def test_band_outside_the_bands_and_custom_bands() -> None:
    with pytest.raises(ValueError):
        R.band(0)
    bands = [("Green", 1, 6), ("Amber", 7, 12), ("Red", 13, 25)]
    assert [R.band(s, bands) for s in (6, 7, 12, 13)] == ["Green", "Amber", "Amber", "Red"]
    as_in_config = [{"name": "Green", "min": 1, "max": 6}, {"name": "Red", "min": 7, "max": 25}]
    assert [R.band(s, as_in_config) for s in (6, 7)] == ["Green", "Red"]


def test_annual_review_with_bands_from_config() -> None:
    bands = [{"name": "Low", "min": 1, "max": 9}, {"name": "High", "min": 10, "max": 25}]
    review = R.annual_review(_register().df, TODAY, bands)
    assert review.by_band == {"Low": 3, "High": 1}  # R4 2, R2 6, R3 9 | R1 20
    assert review.attention["risk_id"].tolist() == ["R1", "R3"]


# --------------------------------------------------------------------------------- summary

def _register() -> S.Table:
    return _table(
        _risk("R1", 4, 5, previous_score=16, target_score=8, score=99),  # row 4; stale score
        _risk("R2", 2, 3, previous_score=9, target_score=6),  # row 5
        _risk("R3", 3, 3, previous_score=9, target_score=4, next_review=D(2026, 3, 31)),  # row 6
        _risk("R4", 1, 2, next_review=TODAY),  # row 7: no previous score, reviewed today
        _risk("R5", 5, 5, previous_score=20, status="Closed", next_review=D(2025, 1, 1)),
        _risk("R6", None, 4),  # row 9: likelihood missing (a schema finding)
    )


def test_risk_summary() -> None:
    summary = R.risk_summary(_register().df, TODAY)
    # 4x5, 2x3, 3x3, 1x2, 5x5, none; R1's stale 99 is recomputed
    assert summary["score"].fillna(0).tolist() == [20, 6, 9, 2, 25, 0]
    assert list(summary["band"].fillna("-")) == [
        "Very high", "Medium", "Medium", "Low", "Very high", "-"]
    assert list(summary["change"].fillna("-")) == [
        "Worsening", "Improving", "No change", "New", "Worsening", "-"]
    assert summary.loc[4, "distance_to_target"] == 12  # 20 - 8
    assert summary.loc[5, "distance_to_target"] == 0  # 6 - 6: at target
    assert list(summary["review_overdue"]) == [False, False, True, False, False, False]
    assert list(summary["is_open"]) == [True, True, True, True, False, True]


def test_heat_map_counts_open_risks_on_the_matrix() -> None:
    grid = R.heat_map(_register().df)
    assert grid.shape == (5, 5)
    assert list(grid.index) == [5, 4, 3, 2, 1] and list(grid.columns) == [1, 2, 3, 4, 5]
    assert grid.loc[4, 5] == 1 and grid.loc[2, 3] == 1 and grid.loc[3, 3] == 1
    assert grid.loc[1, 2] == 1
    assert grid.loc[5, 5] == 0  # R5 is closed
    assert int(grid.to_numpy().sum()) == 4  # R6 has no likelihood


def test_annual_review_of_the_register() -> None:
    review = R.annual_review(_register().df, TODAY)
    assert review.counts == {
        "risks": 6, "open": 5, "closed": 1, "worsening": 1, "improving": 1, "no_change": 1,
        "new": 1, "reviews_overdue": 1, "above_target": 2, "at_or_below_target": 1,
        "no_owner": 0,
    }
    assert review.by_band == {"Low": 1, "Medium": 2, "High": 0, "Very high": 1}
    # worsening or very high (R1), review overdue (R3); highest score first
    assert list(review.attention["risk_id"]) == ["R1", "R3"]


def test_empty_register() -> None:
    empty = S.empty_frame(S.RISKS)
    assert R.risk_summary(empty, TODAY).empty
    assert int(R.heat_map(empty).to_numpy().sum()) == 0
    review = R.annual_review(empty, TODAY)
    assert review.counts["risks"] == 0 and review.attention.empty
    assert R.check(empty, {}, TODAY) == []


# ---------------------------------------------------------------------------- validation

def test_check() -> None:
    table = _table(
        _risk("NOOWNER", 3, 3, owner=None),  # row 4
        _risk("LATE", 3, 3, next_review=D(2026, 3, 31)),  # row 5: the day before today
        _risk("NODATE", 3, 3, next_review=None),  # row 6
        _risk("OFFGRID", 3, 3, target_score=7, previous_score=12),  # row 7: 7 is not L x I
        _risk("CLOSED", 3, 3, owner=None, next_review=D(2020, 1, 1), status="Closed"),
        _risk("TODAY", 3, 3, next_review=TODAY),  # reviewed today: not overdue
    )
    findings = R.check(table.df, table.letters, TODAY)
    got = [(f["severity"], f["cell"], f["row_key"], f["check"]) for f in findings]
    assert got == [
        ("Error", "C4", "NOOWNER", "owner_missing"),
        ("Error", "K5", "LATE", "review_overdue"),
        ("Warning", "K6", "NODATE", "review_date_missing"),
        ("Warning", "H7", "OFFGRID", "score_not_on_matrix"),
    ]
    assert all(f["sheet"] == "Risks" and set(f) == set(S.FINDING_COLUMNS) for f in findings)
