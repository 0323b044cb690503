"""Voice of children and families: shares by partner, period and question, suppression of
small numbers, the all-partners line, stories and the checks.

Expected shares are worked by hand (yes / respondents); a cell with fewer than 5 respondents
is blanked and shown as "fewer than 5".
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.programme import voice as V
from qa_xl.workbook import schema as S

D = dt.date
LISTENED = "Did I listen to you and take account of your views?"
RESPECT = "Did I treat you with respect?"


def _table(*rows: tuple) -> S.Table:
    """A typed tblVoice exactly as the reader builds it; the header is on sheet row 3.
    Each row: period, partner_id, question, respondents, yes, partly, no, story."""
    raw = S.RawTable(S.VOICE.table, S.VOICE.sheet, S.VOICE.names,
                     [list(row) + [None] * (8 - len(row)) for row in rows], first_row=3)
    return S.type_table(raw, S.VOICE)


def _example() -> pd.DataFrame:
    return _table(
        ("2026-27 Q1", "POL", LISTENED, 20, 15, 3, 2, "Officer explained what would happen."),
        ("2026-27 Q1", "HLT", LISTENED, 3, 2, 1, 0, "   "),
        ("2026-27 Q1", "POL", RESPECT, 5, 5, 0, 0),
        ("2025-26 Q4", "POL", LISTENED, 8, 4, 2, 2, "They listened to my son."),
    ).df


def _row(frame: pd.DataFrame, period: str, partner: str, question: str) -> pd.Series:
    match = frame[(frame["period"] == period) & (frame["partner_id"] == partner)
                  & (frame["question"] == question)]
    assert len(match) == 1
    return match.iloc[0]


def test_shares_by_partner_period_and_question() -> None:
    summary = V.voice_summary(_example())
    # periods in time order; within one, partners then questions in the order entered
    assert summary[["period", "partner_id", "question"]].values.tolist() == [
        ["2025-26 Q4", "POL", LISTENED], ["2026-27 Q1", "POL", LISTENED],
        ["2026-27 Q1", "POL", RESPECT], ["2026-27 Q1", "HLT", LISTENED]]
    pol = _row(summary, "2026-27 Q1", "POL", LISTENED)
    assert (pol["respondents"], pol["yes"], pol["partly"], pol["no"]) == (20, 15, 3, 2)
    assert [pol["share_yes"], pol["share_partly"], pol["share_no"]] == pytest.approx(
        [0.75, 0.15, 0.10])
    assert not pol["suppressed"] and pol["note"] == ""


def test_a_cell_with_three_respondents_is_suppressed() -> None:
    hlt = _row(V.voice_summary(_example()), "2026-27 Q1", "HLT", LISTENED)
    assert hlt["suppressed"] and hlt["note"] == "fewer than 5"
    for column in (*V.COUNTS, *V.SHARES):
        assert pd.isna(hlt[column]), column


def test_exactly_the_minimum_is_shown() -> None:
    respect = _row(V.voice_summary(_example()), "2026-27 Q1", "POL", RESPECT)
    assert not respect["suppressed"] and respect["share_yes"] == 1.0


def test_minimum_is_configurable_and_named_in_the_note() -> None:
    summary = V.voice_summary(_example(), min_respondents=10)
    respect = _row(summary, "2026-27 Q1", "POL", RESPECT)
    assert respect["suppressed"] and respect["note"] == "fewer than 10"
    assert V.suppression_note(10) == "fewer than 10"


def test_all_partners_from_summed_counts() -> None:
    total = V.all_partners(_example())
    listened = _row(total, "2026-27 Q1", V.ALL_PARTNERS, LISTENED)
    # POL 15 of 20 and HLT 2 of 3: 17 of 23, not the mean of 75% and 67%
    assert (listened["respondents"], listened["yes"]) == (23, 17)
    assert listened["share_yes"] == pytest.approx(17 / 23)
    assert _row(total, "2025-26 Q4", V.ALL_PARTNERS, LISTENED)["share_yes"] == 0.5
    assert list(total.columns) == list(V.voice_summary(_example()).columns)


def test_all_partners_total_below_the_minimum_is_suppressed_too() -> None:
    df = _table(("2026-27 Q2", "POL", LISTENED, 2, 2, 0, 0),
                ("2026-27 Q2", "HLT", LISTENED, 2, 1, 1, 0)).df
    total = _row(V.all_partners(df), "2026-27 Q2", V.ALL_PARTNERS, LISTENED)
    assert total["suppressed"] and pd.isna(total["respondents"])  # 4 < 5


def test_a_blank_count_leaves_the_total_blank_rather_than_too_small() -> None:
    df = _table(("2026-27 Q2", "POL", LISTENED, 10, None, 2, 1),
                ("2026-27 Q2", "HLT", LISTENED, 10, 8, 1, 1)).df
    total = _row(V.all_partners(df), "2026-27 Q2", V.ALL_PARTNERS, LISTENED)
    assert pd.isna(total["yes"]) and pd.isna(total["share_yes"])
    assert total["partly"] == 3 and total["share_partly"] == pytest.approx(3 / 20)


def test_zero_respondents_never_divides_by_zero() -> None:
    df = _table(("2026-27 Q2", "POL", LISTENED, 0, 0, 0, 0)).df
    row = V.voice_summary(df, min_respondents=0).iloc[0]
    assert not row["suppressed"] and pd.isna(row["share_yes"]) and row["respondents"] == 0


def test_stories_for_the_papers() -> None:
    told = V.stories(_example())
    assert told[["period", "partner_id", "story"]].values.tolist() == [
        ["2025-26 Q4", "POL", "They listened to my son."],  # in period order
        ["2026-27 Q1", "POL", "Officer explained what would happen."],
    ]  # HLT's blank story is left out


def test_empty_voice_table() -> None:
    empty = S.empty_frame(S.VOICE)
    assert V.voice_summary(empty).empty
    assert V.all_partners(empty).empty
    assert V.stories(empty).empty
    assert V.check(empty, {}, D(2026, 4, 1)) == []


# ---------------------------------------------------------------------------- validation

def test_check_answers_within_respondents() -> None:
    table = _table(("2026-27 Q1", "POL", LISTENED, 5, 3, 2, 1),  # row 4: 6 answers > 5
                   ("2026-27 Q1", "HLT", LISTENED, 5, 3, 2),  # row 5: 5, "no" blank: fine
                   ("2026-27 Q1", "EDU", LISTENED, 6, 3, 2, 1))  # row 6: fine
    findings = V.check(table.df, table.letters, D(2026, 7, 1))
    assert [(f["severity"], f["cell"], f["check"]) for f in findings] == [
        ("Error", "D4", "answers_exceed_respondents")]
    assert findings[0]["row_key"] == f"2026-27 Q1 / POL / {LISTENED}"
    assert set(findings[0]) == set(S.FINDING_COLUMNS)


@pytest.mark.parametrize(("today", "flagged"), [
    (D(2026, 3, 31), True),  # last day of 2025-26: 2026-27 Q1 has not started
    (D(2026, 4, 1), False),  # first day of 2026-27
])
def test_check_period_not_in_the_future(today: dt.date, flagged: bool) -> None:
    table = _table(("2026-27 Q1", "POL", LISTENED, 6, 3, 2, 1))
    findings = V.check(table.df, table.letters, today)
    assert [(f["cell"], f["check"]) for f in findings] == (
        [("A4", "period_in_future")] if flagged else [])
