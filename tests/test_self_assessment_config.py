"""The self-assessments as data (issue 12 contract): grading scale, forms, standards and
questions in defaults.toml; Cycle; tblSchools and tblSelfAssessment in the schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qa_xl.core.ids import FORM_ACTION_PATTERN, ID_PATTERN, form_action_id
from qa_xl.core.periods import Cycle, PeriodError
from qa_xl.framework import ConfigError, load_config
from qa_xl.workbook import schema as S

TODAY = dt.date(2026, 5, 10)


def test_the_built_in_forms_and_scale():
    cfg = load_config(today=TODAY)
    assert [g.name for g in cfg.grades] == ["Fully met", "Partly met", "Not met",
                                            "Not applicable"]
    assert all(g.meaning for g in cfg.grades)
    s11, s175 = cfg.self_assessment("s11"), cfg.self_assessment("s175")
    assert (s11.who, s175.who) == ("partners", "schools")
    assert [s.name for s in s11.standards][:3] == [
        "Senior management commitment and accountability",
        "A clear statement of the organisation's responsibilities towards children",
        "A clear line of accountability for safeguarding"]
    assert len(s11.standards) == 8 and len(s175.standards) == 8
    assert {s.name for s in s175.standards} >= {"Designated safeguarding lead",
                                                 "Online safety and filtering", "Governance"}
    ids = [q.id for f in cfg.self_assessments for _, q in f.questions()]
    assert len(ids) == len(set(ids)) and all(ID_PATTERN.match(i) for i in ids)
    assert all(q.text and q.evidence for f in cfg.self_assessments for _, q in f.questions())
    assert "{" not in s11.standards[0].questions[1].text  # placeholders filled in
    assert s11.action_source in cfg.lists["action_source"]
    assert s11.timetable_type in {a.activity_type for a in cfg.qa_programme}
    assert cfg.lists["grade"] == tuple(g.name for g in cfg.grades)
    with pytest.raises(ConfigError, match="no self-assessment form 'x'"):
        cfg.self_assessment("x")


def test_a_bad_standard_id_is_refused(tmp_path: Path):
    path = tmp_path / "my.toml"
    path.write_text('''
[[self_assessments]]
form = "s11"
title = "S11"
who = "agencies"
action_source = "Section 11 audit"
timetable_type = "Section 11 audits and annual reviews"
  [[self_assessments.standards]]
  id = "1 bad"
  name = "x"
    [[self_assessments.standards.questions]]
    id = "Q1"
    text = "t"
    evidence = "e"
''', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    text = str(caught.value)
    assert "self_assessments[1].standards[1].id: expected a short code" in text
    assert "self_assessments[1].who: expected one of the kinds of organisation" in text


def test_cycles():
    cycle = Cycle.parse("2026-28")
    assert (cycle.start, cycle.end) == (dt.date(2026, 4, 1), dt.date(2028, 3, 31))
    assert str(cycle.previous) == "2024-26" and cycle.file_label == "2026-28"
    assert cycle.contains(dt.date(2027, 6, 1)) and not cycle.contains(dt.date(2028, 4, 1))
    for bad in ("2026-27", "2026/28", "2026-2028", "", None, "2026-28 Q1"):
        with pytest.raises(PeriodError):
            Cycle.parse(bad)


def test_tables_and_action_keys():
    assert S.SCHOOLS.names == ["school_id", "name", "phase", "type", "dsl", "email"]
    assert S.SELF_ASSESSMENT.names == ["cycle", "form", "organisation", "standard", "question",
                                       "grade", "evidence", "action", "owner", "due",
                                       "submitted_on", "submitted_by", "completed_on"]
    key = form_action_id("s11", Cycle.parse("2026-28"), "police", "S11_3a")
    assert key == "S11-2026-28-police-S11_3a" and FORM_ACTION_PATTERN.match(key)
    assert S.ACTIONS.column("action_id").also
