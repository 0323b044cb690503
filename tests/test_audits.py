"""Multi-agency case-file audits: grades by stage and agency, Good or better, themes,
recommendations without an action, and the checks.

The worked example below has two audits; every expected count is tallied by hand from it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qa_xl.programme import audits as A
from qa_xl.workbook import schema as S

D = dt.date
TODAY = D(2026, 9, 1)
MOR = "Management oversight & recording"


def _table(schema: S.TableSchema, *rows: dict) -> S.Table:
    """A typed table exactly as the reader builds it; the header is on sheet row 3."""
    raw = S.RawTable(schema.table, schema.sheet, schema.names,
                     [[row.get(name) for name in schema.names] for row in rows], first_row=3)
    return S.type_table(raw, schema)


def _grading(audit_id: str, case: str, partner: str, stage: str, grade: str,
             areas: str | None = None, rec: str | None = None) -> dict:
    day, theme = {"MA1": (D(2026, 5, 10), "Neglect"), "MA2": (D(2026, 8, 12), "Domestic abuse")}[
        audit_id]
    return {"audit_id": audit_id, "audit_date": day, "theme": theme, "case_ref": case,
            "partner_id": partner, "stage": stage, "grade": grade,
            "areas_for_development": areas, "recommendation": rec}


def _example() -> S.Table:
    return _table(
        S.AUDITS,
        _grading("MA1", "C1", "POL", "Referral", "Good",  # row 4
                 "Management oversight was not recorded",
                 "Managers record oversight on every referral."),
        _grading("MA1", "C1", "CSC", "Assessment", "Requires improvement",  # row 5
                 "Voice of the child not captured in assessments",
                 "Managers record oversight on every referral"),  # same recommendation again
        _grading("MA1", "C2", "HLT", "Referral", "Outstanding"),  # row 6
        _grading("MA1", "C2", "CSC", "Assessment", "Inadequate",  # row 7
                 "Assessments were not updated; management oversight missing",
                 "Update assessments when circumstances change"),
        _grading("MA1", "C3", "POL", "Early intervention", "Good"),  # row 8
        _grading("MA1", "C4", "EDU", "Planning", "Requires improvement",  # row 9
                 "Plans lack timescales"),
        _grading("MA2", "C5", "POL", "Referral", "Inadequate",  # row 10
                 "No management oversight of the referral",
                 "Police supervisors review DA referrals"),
        _grading("MA2", "C6", "CSC", "Assessment", "Good",  # row 11
                 "Voice of the child missing from the plan"),
        _grading("MA2", "C6", "HLT", MOR, "Requires improvement", "Plans lack timescales"),
    )


# ------------------------------------------------------------------------ grade distribution

def test_grades_by_stage_in_case_order() -> None:
    dist = A.grade_distribution(_example().df)
    assert list(dist.columns) == [*A.GRADES, "Total"]
    assert list(dist.index) == ["Early intervention", "Referral", "Assessment", "Planning", MOR]
    assert dist.loc["Referral"].tolist() == [1, 1, 0, 1, 3]  # C2 HLT O, C1 POL G, C5 POL I
    assert dist.loc["Assessment"].tolist() == [0, 1, 1, 1, 3]  # C6 G, C1 RI, C2 I
    assert dist["Total"].sum() == 9


def test_grades_by_agency_with_shares() -> None:
    dist = A.grade_distribution(_example().df, by="partner_id")
    assert list(dist.index) == ["CSC", "EDU", "HLT", "POL"]
    assert dist.loc["POL"].tolist() == [0, 2, 0, 1, 3]
    shares = A.grade_shares(dist)
    assert shares.loc["POL", "Good"] == pytest.approx(2 / 3)
    assert shares.loc["EDU", "Requires improvement"] == 1.0
    assert shares.sum(axis=1).tolist() == pytest.approx([1, 1, 1, 1])


def test_good_or_better_per_audit_and_overall() -> None:
    per_audit = A.good_or_better(_example().df)
    assert per_audit.loc["MA1"][["cases", "gradings", "good_or_better"]].tolist() == [4, 6, 3]
    assert per_audit.loc["MA1", "share"] == 0.5  # G, O, G of six
    assert per_audit.loc["MA2", "share"] == pytest.approx(1 / 3)  # one Good of three
    assert A.overall_good_or_better(_example().df) == pytest.approx(4 / 9)


def test_grade_and_stage_spelt_loosely_still_count() -> None:
    df = _table(S.AUDITS,
                _grading("MA1", "C1", "POL", "referral", "good"),
                _grading("MA1", "C2", "POL", "Referral", "Good"),
                _grading("MA1", "C3", "POL", "Management oversight and recording",
                         "REQUIRES IMPROVEMENT")).df
    dist = A.grade_distribution(df)
    assert dist.loc["Referral", "Good"] == 2
    assert dist.loc[MOR, "Requires improvement"] == 1
    assert A.overall_good_or_better(df) == pytest.approx(2 / 3)


def test_one_audit_alone() -> None:
    df = _example().df
    dist = A.grade_distribution(df[df["audit_id"] == "MA2"])
    assert list(dist.index) == ["Referral", "Assessment", MOR]
    assert dist["Total"].tolist() == [1, 1, 1]


# -------------------------------------------------------------------------- recurring themes

def test_themes_in_one_text() -> None:
    assert A.themes_in("Management oversight was not recorded") == {
        "management", "oversight", "management oversight", "recorded"}
    assert A.themes_in("Plans lack timescales") == {"plan", "timescale"}
    assert A.themes_in("Voice of the child") == {"voice"}  # 'child' alone is too general
    assert A.themes_in(None) == set()


def test_recurring_themes_across_audits() -> None:
    themes = A.recurring_themes(_example().df)
    # 'management' and 'oversight' only ever come as the pair, so only the pair is listed;
    # 'assessment' and 'referral' each occur in one audit only; 'timescale' only ever comes
    # in "Plans lack timescales", which 'plan' (listed before it, same audits) already shows
    assert themes["theme"].tolist() == ["management oversight", "plan", "voice"]
    assert themes.set_index("theme").loc["plan", "example"] == "Plans lack timescales"
    first = themes.iloc[0]
    assert (first["audits"], first["audit_ids"], first["gradings"]) == (2, "MA1, MA2", 3)
    texts = _example().df["areas_for_development"]
    for theme, example in zip(themes["theme"], themes["example"]):
        assert example in set(texts) and theme in A.themes_in(example)
    assert themes.set_index("theme")["example"].to_dict() == {
        "management oversight": "Management oversight was not recorded",  # first of 3, once each
        "plan": "Plans lack timescales",  # said twice, "…missing from the plan" once
        "voice": "Voice of the child not captured in assessments",  # the plan's text is shown
    }
    assert A.recurring_themes(_example().df, min_audits=3).empty


# --------------------------------------------------------------- recommendations and actions

def _actions(*rows: dict) -> pd.DataFrame:
    return _table(S.ACTIONS, *[{"source": "Audit", "status": "Open", "action": "Act",
                                **row} for row in rows]).df


def test_recommendations_counted_once_per_audit() -> None:
    recs = A.recommendations(_example().df)
    assert recs["recommendation"].tolist() == [
        "Managers record oversight on every referral.",
        "Update assessments when circumstances change",
        "Police supervisors review DA referrals"]
    assert recs["row"].tolist() == [4, 7, 10]


def test_recommendations_without_an_action() -> None:
    actions = _actions(
        {"action_id": "A1", "finding": "MANAGERS record oversight, on every referral!"},  # text
        {"action_id": "A2", "finding": "Audit MA2 found referrals not reviewed"},  # names MA2
        {"action_id": "A3", "finding": "Audit MA10: update assessments"},  # MA10 is not MA1
    )
    missing = A.unactioned_recommendations(_example().df, actions)
    assert missing[["audit_id", "recommendation", "row"]].values.tolist() == [
        ["MA1", "Update assessments when circumstances change", 7]]


def test_every_recommendation_is_unactioned_with_no_actions() -> None:
    missing = A.unactioned_recommendations(_example().df, S.empty_frame(S.ACTIONS))
    assert len(missing) == 3


# ---------------------------------------------------------------------------- empty table

def test_empty_audits() -> None:
    empty = S.empty_frame(S.AUDITS)
    dist = A.grade_distribution(empty)
    assert dist.empty and list(dist.columns) == [*A.GRADES, "Total"]
    assert A.good_or_better(empty).empty
    assert A.overall_good_or_better(empty) is None
    assert A.recurring_themes(empty).empty
    assert A.unactioned_recommendations(empty, S.empty_frame(S.ACTIONS)).empty
    assert A.check(empty, {}, TODAY, S.empty_frame(S.ACTIONS)) == []


# ---------------------------------------------------------------------------- validation

@pytest.mark.parametrize(("case_ref", "flagged"), [
    ("C1", False), ("MA1-C2", False), ("Case 7", False),
    ("John Smith", True), ("mary O'Neil", False), ("Mary O'Neil", True),
    ("943 476 5919", True), ("9434765919", True), ("94347659190", False),
])
def test_case_reference_that_does_not_look_anonymised(case_ref: str, flagged: bool) -> None:
    assert A.looks_identifying(case_ref) is flagged


def test_check() -> None:
    table = _table(
        S.AUDITS,
        *[_grading("MA1", f"C{i}", "POL", "Referral", "Good") for i in range(1, 4)],  # rows 4-6
        {**_grading("MA1", "John Smith", "CSC", "Referral", "Requires improvement"),  # row 7
         "areas_for_development": "Plans lack timescales"},
        _grading("MA2", "C5", "POL", "Referral", "Inadequate", None, "Review DA referrals"),
        {**_grading("MA2", "C6", "POL", "Referral", "Good"), "audit_date": D(2026, 9, 2)},
    )
    findings = A.check(table.df, table.letters, TODAY, S.empty_frame(S.ACTIONS))
    got = [(f["severity"], f["cell"], f["row_key"], f["check"]) for f in findings]
    assert got == [
        ("Warning", "D7", "MA1 / CSC / Referral", "case_ref_not_anonymised"),
        ("Warning", "I8", "MA2 / POL / Referral", "development_area_missing"),
        ("Error", "B9", "MA2 / POL / Referral", "date_in_future"),
        ("Warning", "A8", "MA2", "audit_case_count"),  # two cases, not about four
        ("Warning", "J8", "MA2", "recommendation_without_action"),
    ]
    assert not any("John" in f["message"] or "John" in f["row_key"] for f in findings)
    assert all(f["sheet"] == "Audits" and set(f) == set(S.FINDING_COLUMNS) for f in findings)
