"""RAG and direction of travel: the scalar and column-wise forms agree on worked examples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qa_xl.core.rag import direction, direction_series, rag, rag_series

CASES = [  # value, target, polarity, tolerance, expected
    (0.90, 0.85, "Higher is better", 0.05, "Green"),
    (0.85, 0.85, "Higher is better", 0.05, "Green"),
    (0.81, 0.85, "Higher is better", 0.05, "Amber"),
    (0.80, 0.85, "Higher is better", 0.05, "Amber"),
    (0.79, 0.85, "Higher is better", 0.05, "Red"),
    (0.79, 0.85, "Higher is better", None, "Red"),
    (12, 10, "Lower is better", 3, "Amber"),
    (14, 10, "Lower is better", 3, "Red"),
    (9, 10, "Lower is better", 3, "Green"),
    (9, None, "Lower is better", 3, "No target"),
    (9, 10, "Neutral", 3, "No target"),
    (None, 10, "Lower is better", 3, "No data"),
    (math.nan, 10, "Higher is better", 3, "No data"),
]


@pytest.mark.parametrize(("value", "target", "polarity", "tol", "expected"), CASES)
def test_rag(value, target, polarity, tol, expected):
    assert rag(value, target, polarity, tol) == expected


def test_rag_series_agrees_with_rag():
    df = pd.DataFrame(CASES, columns=["value", "target", "polarity", "tol", "expected"])
    got = rag_series(df["value"].astype(float), df["target"].astype(float), df["polarity"],
                     df["tol"].astype(float))
    assert got.tolist() == df["expected"].tolist()


DIRECTIONS = [
    (944, 812, "Higher is better", "Improving"),
    (700, 812, "Higher is better", "Worsening"),
    (700, 812, "Lower is better", "Improving"),
    (812, 812, "Lower is better", "No change"),
    (812, None, "Lower is better", "n/a"),
    (812, 700, "Neutral", "n/a"),
]


@pytest.mark.parametrize(("value", "previous", "polarity", "expected"), DIRECTIONS)
def test_direction(value, previous, polarity, expected):
    assert direction(value, previous, polarity) == expected


def test_direction_series_agrees():
    df = pd.DataFrame(DIRECTIONS, columns=["value", "previous", "polarity", "expected"])
    got = direction_series(df["value"].astype(float), df["previous"].astype(float),
                           df["polarity"])
    assert got.tolist() == df["expected"].tolist()


def test_unknown_polarity_is_a_clear_error():
    with pytest.raises(ValueError, match="polarity must be"):
        rag(1, 2, "Upwards")
