"""The self-assessment analysis on hand-made tables, every figure worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.framework.records import Question, SelfAssessmentForm, Standard
from qa_xl.programme import self_assessment as sa_

FULLY, PARTLY, NOT, NA = "Fully met", "Partly met", "Not met", "Not applicable"
GRADES = (FULLY, PARTLY, NOT, NA)
FORM = SelfAssessmentForm(
    "s11", "Section 11 self-assessment", "partners", "Section 11 audit",
    "Section 11 audits and annual reviews",
    (Standard("A", "Leadership", (Question("A1", "q", "e"), Question("A2", "q", "e"))),
     Standard("B", "Training", (Question("B1", "q", "e"),))))
ORGS = ["p1", "p2", "p3", "p4"]


def _answers() -> pd.DataFrame:
    rows = [  # (cycle, organisation, question, grade, submitted)
        # 2026-28: p1 A = worst(Fully, Partly) = Partly, B = Fully
        ("2026-28", "p1", "A1", FULLY, "2026-06-01"), ("2026-28", "p1", "A2", PARTLY, "2026-06-01"),
        ("2026-28", "p1", "B1", FULLY, "2026-06-01"),
        # p2: A = worst(Not met, N/A) = Not met, B = Partly
        ("2026-28", "p2", "A1", NA, "2026-07-01"), ("2026-28", "p2", "A2", NOT, "2026-07-01"),
        ("2026-28", "p2", "B1", PARTLY, "2026-07-01"),
        # p3: A all N/A -> Not applicable, B blank -> no grade
        ("2026-28", "p3", "A1", NA, "2026-08-01"), ("2026-28", "p3", "A2", NA, "2026-08-01"),
        ("2026-28", "p3", "B1", "", "2026-08-01"),
        # 2024-26, every one of p1..p4 returned (last on 2025-02-10)
        ("2024-26", "p1", "A1", NOT, "2024-09-01"), ("2024-26", "p1", "A2", NOT, "2024-09-01"),
        ("2024-26", "p1", "B1", FULLY, "2024-09-01"),
        ("2024-26", "p2", "A1", PARTLY, "2024-10-01"), ("2024-26", "p2", "A2", FULLY, "2024-10-01"),
        ("2024-26", "p2", "B1", NOT, "2024-10-01"),
        ("2024-26", "p3", "A1", FULLY, "2024-11-01"), ("2024-26", "p3", "A2", FULLY, "2024-11-01"),
        ("2024-26", "p3", "B1", PARTLY, "2024-11-01"),
        ("2024-26", "p4", "A1", FULLY, "2025-02-10"), ("2024-26", "p4", "A2", FULLY, "2025-02-10"),
        ("2024-26", "p4", "B1", FULLY, "2025-02-10"),
        # another form's answer never counts
        ("2026-28", "p4", "A1", NOT, "2026-06-01"),
    ]
    df = pd.DataFrame(rows, columns=["cycle", "organisation", "question", "grade",
                                     "submitted_on"])
    df["form"] = ["s175" if i == len(rows) - 1 else "s11" for i in range(len(rows))]
    df["standard"] = df["question"].str[0]
    df["submitted_on"] = pd.to_datetime(df["submitted_on"])
    return df


def test_a_standard_is_graded_by_its_worst_answered_question():
    table = sa_.standard_grades(_answers(), FORM, GRADES, "2026-28")
    assert table.to_dict("index") == {
        "p1": {"A": PARTLY, "B": FULLY}, "p2": {"A": NOT, "B": PARTLY},
        "p3": {"A": NA, "B": ""}}


def test_grades_by_standard_across_organisations():
    counts = sa_.grades_by_standard(_answers(), FORM, GRADES, "2026-28").set_index("standard")
    assert counts.loc["A", [FULLY, PARTLY, NOT, NA, "not_answered", "organisations"]].tolist() \
        == [0, 1, 1, 1, 0, 3]
    assert counts.loc["B", [FULLY, PARTLY, NOT, NA, "not_answered"]].tolist() == [1, 1, 0, 0, 1]


def test_each_organisation_against_its_previous_cycle():
    moves = sa_.movement(_answers(), FORM, GRADES, "2026-28")
    got = {(r.organisation, r.standard): (r.previous, r.movement) for r in moves.itertuples()}
    assert got == {
        ("p1", "A"): (NOT, "Improved"),       # Not met -> Partly met
        ("p1", "B"): (FULLY, "Unchanged"),
        ("p2", "A"): (PARTLY, "Declined"),    # worst(Partly, Fully) -> Not met
        ("p2", "B"): (NOT, "Improved"),
        ("p3", "A"): (FULLY, "No previous"),  # now Not applicable: nothing to compare
        ("p3", "B"): (PARTLY, "No previous"),  # now blank
    }
    assert sa_.movement_counts(moves) == {"Improved": 2, "Declined": 1, "Unchanged": 1,
                                          "No previous": 2}


def test_a_paper_splits_the_answers_by_form_once_and_gets_the_same_figures():
    answers = _answers()
    forms = sa_.by_form(answers)
    assert list(forms) == ["s11", "s175"]
    assert sorted(i for part in forms.values() for i in part.index) == list(answers.index)
    # a paper works its figures out of one form's rows and the two cycles' grade tables
    now = sa_.standard_grades(forms["s11"], FORM, GRADES, "2026-28")
    before = sa_.standard_grades(forms["s11"], FORM, GRADES, "2024-26")
    pd.testing.assert_frame_equal(now, sa_.standard_grades(answers, FORM, GRADES, "2026-28"))
    pd.testing.assert_frame_equal(sa_.movement_of(now, before, FORM, GRADES),
                                  sa_.movement(answers, FORM, GRADES, "2026-28"))
    counts = sa_.counts_of(now, FORM, GRADES)
    pd.testing.assert_frame_equal(counts,
                                  sa_.grades_by_standard(answers, FORM, GRADES, "2026-28"))
    pd.testing.assert_frame_equal(sa_.partly_met_of(counts, GRADES),
                                  sa_.mostly_partly_met(answers, FORM, GRADES, "2026-28"))


def test_not_returned_and_the_state_of_the_cycle():
    answers = _answers()
    assert sa_.not_returned(answers, ORGS, "s11", "2026-28") == ["p4"]  # its s175 row not counted
    assert sa_.not_returned(answers, ORGS, "s11", "2024-26") == []
    assert sa_.cycle_state(answers, ORGS, "s11", "2026-28", dt.date(2026, 12, 1)) == "Open"
    assert sa_.cycle_state(answers, ORGS, "s11", "2026-28", dt.date(2028, 4, 1)) == "Closed"
    assert sa_.cycle_state(answers, ORGS, "s11", "2024-26", dt.date(2025, 3, 1)) == "Closed"
    assert sa_.cycle_state(answers, ORGS, "s11", "2028-30", dt.date(2026, 12, 1)) == \
        "Not started"


def test_standards_most_organisations_only_partly_meet():
    answers = _answers()
    # 2026-28: A graded by p1 (Partly), p2 (Not): 1 of 2 is not most; B 1 of 2 neither
    assert sa_.mostly_partly_met(answers, FORM, GRADES, "2026-28").empty
    # add p4's s11 answers: A Partly, B Partly -> A 2 of 3 partly, B 2 of 3 partly
    extra = pd.DataFrame([
        {"cycle": "2026-28", "form": "s11", "organisation": "p4", "standard": s, "question": q,
         "grade": PARTLY, "submitted_on": pd.Timestamp("2026-09-01")}
        for s, q in (("A", "A1"), ("A", "A2"), ("B", "B1"))])
    more = pd.concat([answers, extra], ignore_index=True)
    found = sa_.mostly_partly_met(more, FORM, GRADES, "2026-28")
    assert found[["standard", "partly", "graded"]].values.tolist() == [["A", 2, 3], ["B", 2, 3]]


def test_actions_outstanding_and_overdue():
    actions = pd.DataFrame({
        "action_id": ["S11-2026-28-p1-A2", "S11-2026-28-p2-A2", "S11-2026-28-p2-B1",
                      "S11-2024-26-p1-A1", "A7", "S175-2026-28-s1-A1"],
        "source": ["Section 11 audit"] * 5 + ["Section 175/157 audit"],
        "status": ["Open", "In progress", "Completed", "Open", "Open", "Open"],
        "due_date": pd.to_datetime(["2026-11-30", "2027-03-31", "2026-10-01", "2025-12-31",
                                    "2026-01-01", "2026-01-01"]),
    })
    today = dt.date(2026, 12, 2)
    this = sa_.cycle_actions(actions, FORM, "2026-28", today)
    assert this["action_id"].tolist() == ["S11-2026-28-p1-A2", "S11-2026-28-p2-A2",
                                          "S11-2026-28-p2-B1"]
    assert this["organisation"].tolist() == ["p1", "p2", "p2"]
    assert sa_.action_counts(this) == {"raised": 3, "outstanding": 2, "overdue": 1}
    every = sa_.cycle_actions(actions, FORM, None, today)  # the typed A7 counts, s175 does not
    assert sa_.action_counts(every) == {"raised": 5, "outstanding": 4, "overdue": 3}
    assert every.set_index("action_id").at["A7", "organisation"] == ""


def test_the_timetable_row_follows_the_last_complete_cycle():
    timetable = pd.DataFrame({
        "activity_id": ["T1", "T2", "T3"],
        "activity_type": ["Section 11 audits and annual reviews",
                          "Section 11 audits and annual reviews", "Multi-agency audit"],
        "last_done": pd.to_datetime(["2023-05-01", "2026-01-05", "2020-01-01"]),
    })
    out = sa_.follow_timetable(timetable, _answers(), FORM, ORGS)
    # 2026-28 is incomplete (p4), 2024-26 was completed when p4 returned on 10 Feb 2025
    assert out["last_done"].tolist() == [pd.Timestamp("2025-02-10"),
                                         pd.Timestamp("2026-01-05"),  # typed later: kept
                                         pd.Timestamp("2020-01-01")]  # other type: unchanged
    assert sa_.completed_on(_answers(), ORGS, "s11", "2026-28") is None


@pytest.mark.parametrize("values, expected", [
    ([FULLY, NOT, PARTLY], NOT), ([NA, FULLY], FULLY), ([NA, NA], NA), (["", None], ""),
])
def test_worst(values, expected):
    assert sa_.worst(values, GRADES) == expected
