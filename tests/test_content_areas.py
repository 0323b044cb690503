"""Content areas through the five steps of the systemic approach (the framework's section 4), the
what-good-looks-like statement, and priority areas with no indicator."""

from __future__ import annotations

import datetime as dt

from qa_xl.programme import content_areas as C
from qa_xl.workbook import schema as S

TODAY = dt.date(2026, 4, 1)


def _table(schema: S.TableSchema, *rows: dict) -> S.Table:
    """A typed table exactly as the reader builds it; the header is on sheet row 3."""
    raw = S.RawTable(schema.table, schema.sheet, schema.names,
                     [[row.get(name) for name in schema.names] for row in rows], first_row=3)
    return S.type_table(raw, schema)


def _area(name: str, priority: str, steps: list[str], good: str | None = None) -> dict:
    return {"content_area": name, "kind": "Practice", "priority": priority,
            **dict(zip(C.STEPS, steps)), "what_good_looks_like": good}


NOT = "Not started"


def _example() -> S.Table:
    return _table(
        S.CONTENT_AREAS,
        _area("Front door", "High", ["Done", "Done", "In progress", NOT, NOT],  # row 4
              "Contacts are screened within 24 hours"),
        _area("CSE", "High", [NOT] * 5),  # row 5
        _area("Domestic abuse", "Medium", ["done", "Complete", "Completed", "Agreed", "Yes"],
              "Children are safer when abuse stops"),  # row 6
        _area("Workforce", "High", ["Done", NOT, "Done", NOT, NOT]),  # row 7: out of order
        _area("Supervision", "Low", [NOT, "Done", NOT, NOT, NOT]),  # row 8: nothing written
    )


def test_progress_through_the_five_steps() -> None:
    progress = C.progress(_example().df)
    assert progress["steps_done"].tolist() == [2, 0, 5, 2, 1]
    assert progress["next_step"].tolist() == [
        "Step 3: identify sources of current information",
        "Step 1: identify content areas and agree priorities",
        "All steps done",
        "Step 2: what does 'good' look like",  # the first step not done, though step 3 is
        "Step 1: identify content areas and agree priorities",
    ]
    assert progress["good_written"].tolist() == [True, False, True, False, False]


def test_priority_areas_without_indicators() -> None:
    indicators = _table(S.INDICATORS,
                        {"indicator_id": "MASH1", "content_area": "front  DOOR"},  # loose match
                        {"indicator_id": "DA1", "content_area": "Domestic abuse"},
                        {"indicator_id": "X1", "content_area": None}).df
    assert C.priority_without_indicators(_example().df, indicators) == ["CSE", "Workforce"]
    assert C.priority_without_indicators(_example().df, S.empty_frame(S.INDICATORS)) == [
        "Front door", "CSE", "Workforce"]


def test_empty_content_areas() -> None:
    empty = S.empty_frame(S.CONTENT_AREAS)
    assert C.progress(empty).empty
    assert C.priority_without_indicators(empty, S.empty_frame(S.INDICATORS)) == []
    assert C.check(empty, {}, TODAY, S.empty_frame(S.INDICATORS)) == []


def test_check() -> None:
    table = _example()
    indicators = _table(S.INDICATORS, {"indicator_id": "MASH1", "content_area": "Front door"},
                        {"indicator_id": "W1", "content_area": "Workforce"}).df
    findings = C.check(table.df, table.letters, TODAY, indicators)
    got = [(f["severity"], f["cell"], f["row_key"], f["check"]) for f in findings]
    assert got == [
        ("Warning", "F7", "Workforce", "steps_out_of_order"),  # step 2 (column F) not done
        ("Warning", "E8", "Supervision", "steps_out_of_order"),  # step 1 (column E) not done
        ("Warning", "J8", "Supervision", "good_statement_missing"),
        ("Warning", "A5", "CSE", "priority_without_indicator"),
    ]
    assert all(f["sheet"] == "ContentAreas" and set(f) == set(S.FINDING_COLUMNS)
               for f in findings)
    assert [f["check"] for f in C.check(table.df, table.letters, TODAY)] == [
        "steps_out_of_order", "steps_out_of_order", "good_statement_missing"]
