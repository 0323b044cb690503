"""Learning and improvement actions: status now, counts, ordering for the papers, quiet
learning areas and the checks.

Rules from the issue: Overdue when the due date has passed and the action is not Completed or
Closed; Due soon within four weeks (28 days).
"""

from __future__ import annotations

import datetime as dt

import pytest

from qa_xl.programme import actions as X
from qa_xl.workbook import schema as S

D = dt.date
TODAY = D(2026, 6, 1)
LEARNING_AREAS = [
    "Training", "Team meetings", "Workforce planning and development", "Communication strategy",
    "Policy & procedures", "Commissioning", "Supervision", "Partner agency improvement plans",
    "Business plan", "Workshops and forums",
]


def _table(*rows: dict) -> S.Table:
    """A typed tblActions exactly as the reader builds it; the header is on sheet row 3."""
    raw = S.RawTable(S.ACTIONS.table, S.ACTIONS.sheet, S.ACTIONS.names,
                     [[row.get(name) for name in S.ACTIONS.names] for row in rows], first_row=3)
    return S.type_table(raw, S.ACTIONS)


def _action(action_id: str, due: dt.date | None, status: str = "Open", **extra: object) -> dict:
    return {"action_id": action_id, "source": "Audit", "action": "Do it", "owner": "Lead",
            "learning_area": "Training", "due_date": due, "status": status, **extra}


def _example() -> S.Table:
    return _table(
        _action("A1", D(2026, 5, 31)),  # yesterday: Overdue
        _action("A2", TODAY, "In progress", source="SCR"),  # due today: Due soon
        _action("A3", D(2026, 6, 29), learning_area="Supervision"),  # 28 days: Due soon
        _action("A4", D(2026, 6, 30), learning_area="Supervision"),  # 29 days: On track
        _action("A5", D(2026, 1, 1), "Completed", evidence_of_impact="Audit re-run: Good"),
        _action("A6", D(2026, 1, 1), "Closed", source="SCR", evidence_of_impact="Fewer repeats"),
        _action("A7", None, learning_area=None, source="Review"),  # no due date
    )


def test_status_now() -> None:
    status = X.action_status(_example().df, TODAY)
    assert status["status_now"].tolist() == [
        "Overdue", "Due soon", "Due soon", "On track", "Completed", "Closed", "No due date"]
    assert list(status.index) == [4, 5, 6, 7, 8, 9, 10]  # sheet rows kept


def test_completed_in_the_past_is_never_overdue() -> None:
    df = _table(_action("A1", D(2020, 1, 1), "completed")).df  # any case
    assert X.action_status(df, TODAY)["status_now"].tolist() == ["Completed"]


def test_overdue_first_for_the_papers() -> None:
    papers = X.for_papers(_example().df, TODAY)
    assert papers["action_id"].tolist() == ["A1", "A2", "A3", "A4", "A7"]
    with_done = X.for_papers(_example().df, TODAY, include_done=True)
    assert with_done["action_id"].tolist() == ["A1", "A2", "A3", "A4", "A7", "A5", "A6"]


def test_counts_by_learning_area_and_source() -> None:
    by_area = X.by_learning_area(_example().df, TODAY)
    assert by_area.loc["Training"].to_dict() == {
        "total": 4, "open": 2, "overdue": 1, "due_soon": 1, "done": 2}  # A1 A2 A5 A6
    assert by_area.loc["Supervision"].to_dict() == {
        "total": 2, "open": 2, "overdue": 0, "due_soon": 1, "done": 0}
    assert by_area.loc["Not set", "total"] == 1  # A7
    by_source = X.by_source(_example().df, TODAY)
    assert by_source["total"].to_dict() == {"Audit": 4, "Review": 1, "SCR": 2}


@pytest.mark.parametrize(("due", "quiet"), [
    (D(2026, 3, 31), False),  # last day of 2025-26
    (D(2025, 4, 1), False),  # first day of 2025-26
    (D(2026, 4, 1), True),  # first day of 2026-27: not in 2025-26
    (D(2025, 3, 31), True),  # last day of 2024-25
    (None, True),  # cannot be placed in a year
])
def test_learning_area_with_no_activity_in_the_financial_year(due: dt.date | None,
                                                              quiet: bool) -> None:
    df = _table(_action("A1", due, learning_area="Commissioning"),
                _action("A2", D(2025, 9, 1), learning_area="training ")).df  # case, spaces
    quiet_areas = X.areas_without_activity(df, LEARNING_AREAS, D(2025, 4, 1))
    assert "Training" not in quiet_areas
    assert ("Commissioning" in quiet_areas) is quiet
    assert len(quiet_areas) == (9 if quiet else 8)


def test_empty_actions() -> None:
    empty = S.empty_frame(S.ACTIONS)
    assert X.action_status(empty, TODAY).empty
    assert X.for_papers(empty, TODAY).empty
    assert X.by_learning_area(empty, TODAY).empty
    assert X.areas_without_activity(empty, LEARNING_AREAS, D(2025, 4, 1)) == LEARNING_AREAS
    assert X.check(empty, {}, TODAY) == []


def test_check() -> None:
    table = _table(
        _action("NOOWNER", TODAY, owner=None),  # row 4
        _action("NODUE", None),  # row 5
        _action("DONE", D(2026, 1, 1), "Completed"),  # row 6: no evidence of impact
        _action("CLOSED", None, "Closed", owner=None, evidence_of_impact="Re-audit: Good"),
    )
    findings = X.check(table.df, table.letters, TODAY)
    got = [(f["severity"], f["cell"], f["row_key"], f["check"]) for f in findings]
    assert got == [
        ("Error", "F4", "NOOWNER", "owner_missing"),
        ("Warning", "G5", "NODUE", "due_date_missing"),
        ("Warning", "I6", "DONE", "impact_missing"),
    ]
    assert all(f["sheet"] == "Actions" and set(f) == set(S.FINDING_COLUMNS) for f in findings)
