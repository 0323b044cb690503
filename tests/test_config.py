"""The configuration: the shipped defaults.toml reproduces the framework, and bad files are refused.

Every test loads the real shipped file and, where a user's file is involved, a real TOML file
written to a temporary folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa_xl.core.errors import UnusableInput
from qa_xl.core.ids import ID_PATTERN
from qa_xl.framework import Config, ConfigError, Indicator, default_config_path, load_config
from qa_xl.framework.records import STEP_COUNT
from qa_xl.workbook import schema as S

TODAY = dt.date(2026, 5, 10)  # a Sunday, in 2026-27 Q1


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config(today=TODAY)


def write(tmp_path: Path, text: str, name: str = "my.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def array_of_tables(name: str, rows: list[dict]) -> str:
    """A [[name]] array of tables of plain values (the project has no TOML writer)."""
    return "\n".join(
        f"[[{name}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items()
                                  if v is not None)
        for row in rows)


def partners_toml(cfg: Config, **changes: dict) -> str:
    rows = [dataclasses.asdict(p) for p in cfg.partners]
    for index, change in changes.items():
        rows[int(index.removeprefix("p"))].update(change)
    return array_of_tables("partners", rows)


def strings(value: object, path: str = "") -> dict[str, str]:
    """Every string of a configuration, by its path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            out.update(strings(inner, f"{path}.{key}"))
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            out.update(strings(inner, f"{path}[{i}]"))
    elif isinstance(value, str):
        out[path] = value
    return out


# ------------------------------------------------------------------- the shipped defaults

def test_the_default_loads(cfg):
    assert cfg.source == "built-in"
    assert default_config_path().is_file()
    assert default_config_path().name == "defaults.toml"
    assert cfg.names["partnership"] == "Wolverhampton Safeguarding Children Board"
    assert cfg.names["partnership_short"] == "WSCB"
    assert cfg.names["committee"] == "Quality & Performance Committee"
    assert cfg.names["committee_short"] == "Q&PC"
    assert cfg.names["serious_review_committee"] == "Serious Case Review (SCR) Committee"
    assert cfg.setting("protective_marking") == "OFFICIAL-SENSITIVE"
    assert cfg.setting("language") == "en-GB"
    assert cfg.setting("voice_min_respondents") == 5
    assert cfg.setting("due_soon_days") == 28
    assert cfg.setting("return_deadline_days") == 30
    assert cfg.setting("no_such_setting", "x") == "x"
    # no {placeholder} is left anywhere once the names are filled in
    left = {p: s for p, s in strings(cfg).items() if re.search(r"\{[^{}]*\}", s)}
    assert left == {}


def test_loading_is_light_and_does_not_import_pandas():
    """Every command loads the configuration, so it must not pull in pandas (the import-linter
    contract says the same of the code; this checks what actually gets imported)."""
    code = ("import sys; from qa_xl.framework import load_config; load_config(); "
            "print(sorted({'pandas', 'numpy', 'openpyxl', 'matplotlib'} & set(sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == "[]"


def test_agrees_with_the_workbook_schema(cfg):
    assert ID_PATTERN.pattern == S.ID_PATTERN.pattern
    assert len(S.STEP_COLUMNS) == STEP_COUNT
    assert [f.name for f in dataclasses.fields(Indicator)] == S.INDICATORS.names
    choices = {c.choices for t in (*S.FIXED_TABLES, S.return_schema("x")) for c in t.columns
               if c.choices}
    assert set(cfg.lists) == choices - {"period"}
    assert all(cfg.lists.values())


def test_derived_lists_follow_their_tables(cfg):
    assert cfg.lists["partner_id"] == tuple(cfg.partner_ids())
    assert cfg.lists["content_area"] == tuple(c.content_area for c in cfg.content_areas)
    assert cfg.lists["oba_measure"] == (
        "How much did we do?", "How well did we do it?", "Is anyone better off?")
    assert cfg.lists["source"] == (
        "Consultation with children, parents and carers",
        "Consultation with front-line staff / managers",
        "Parents'/children's case records",
        "Other organisational activity and management information",
    )
    types = [a.activity_type for a in cfg.qa_programme]
    assert cfg.lists["activity_type"] == tuple(dict.fromkeys(types))


def test_partners(cfg):
    ids = cfg.partner_ids()
    assert len(ids) == len(set(ids))
    assert all(ID_PATTERN.match(i) for i in ids)
    sectors = {p.sector for p in cfg.partners}
    for sector in ("Police", "Health", "Children's social care", "Education", "Probation",
                   "Youth justice", "Voluntary & community"):
        assert sector in sectors
    assert {"police", "health_ccg", "childrens", "education", "probation", "yos",
            "voluntary"} <= set(ids)
    assert any(not p.returns_expected for p in cfg.partners)
    assert next(p for p in cfg.partners if p.partner_id == "childrens").name == (
        "City of Wolverhampton Council: Children's Services")


def test_the_three_voice_questions_verbatim(cfg):
    assert cfg.lists["voice_question"] == (
        "Did I listen to you and take account of your views?",
        "Did I treat you with respect?",
        "Did I make a difference to your life in terms of keeping you safe and well?",
    )


def test_the_ten_learning_areas_of_section_5(cfg):
    assert cfg.lists["learning_area"] == (
        "Training", "Team Meetings", "Workforce planning and development",
        "WSCB Communication Strategy/Plan", "Policy & Procedures", "Commissioning",
        "Supervision", "Partner Agency Improvement Plans", "WSCB Business Plan",
        "Workshops and/or discussion Forums",
    )


def test_audit_stages_grades_and_other_lists(cfg):
    assert cfg.lists["audit_stage"] == (
        "Early intervention", "Referral", "Assessment", "Planning", "Review",
        "Management oversight & recording")
    assert cfg.lists["audit_grade"] == ("Outstanding", "Good", "Requires improvement",
                                        "Inadequate")
    assert cfg.lists["unit"] == ("Count", "Percentage", "Rate per 10,000", "Days", "Score")
    assert cfg.lists["aggregation"] == ("sum", "ratio", "mean", "latest")
    assert cfg.lists["polarity"] == ("Higher is better", "Lower is better", "Neutral")
    assert cfg.lists["frequency"] == ("Quarterly", "Half-yearly", "Annual")
    assert cfg.lists["activity_frequency"] == (
        "Quarterly", "Half-yearly", "Annual", "Every two years", "As arises", "One-off")
    assert cfg.lists["reporting_route"] == ("Q&PC", "Board", "Executive Committee", "CDOP")
    assert cfg.lists["activity_status"] == ("Planned", "In progress", "Completed", "Slipped",
                                            "Cancelled")
    assert cfg.lists["risk_status"] == ("Open", "Closed")
    assert cfg.lists["action_status"] == ("Not started", "In progress", "Completed", "Closed")
    assert cfg.lists["content_kind"] == ("Practice", "Organisational")
    assert cfg.lists["priority"] == ("High", "Medium", "Low")
    assert cfg.lists["step_status"] == ("Not started", "In progress", "Done")
    assert cfg.lists["yes_no"] == ("Yes", "No")
    for source in ("Serious Case Review (SCR)", "Child death review (CDOP)",
                   "Partnership review", "Multi-agency case file audit", "Thematic audit",
                   "Section 11 audit", "Section 175/157 audit", "Single agency audit",
                   "Peer review", "Practitioner focus group", "Regulatory inspection"):
        assert source in cfg.lists["action_source"]


def test_the_three_oba_measures(cfg):
    by_kind = {m["kind"]: m for m in cfg.oba_measures}
    assert by_kind["quantitative"]["label"] == "How much did we do?"
    assert by_kind["qualitative"]["label"] == "How well did we do it?"
    assert by_kind["outcome"]["label"] == "Is anyone better off?"
    assert "How many days training did we provide" in by_kind["quantitative"]["examples"]
    assert by_kind["outcome"]["targets_or_indicators"] == (
        "Customer Surveys", "Face to face feedback", "Audits")


def test_the_four_sources(cfg):
    children, staff, _records, _mi = cfg.sources
    assert "what difference the interventions and services have made" in children[
        "description"]
    assert "Service user surveys or interviews" in children["methods"]
    assert any("health visitor" in form for form in children["reporting_forms"])
    assert "'reality-based'" in staff["description"]


def test_the_five_steps(cfg):
    assert [(s.number, s.title) for s in cfg.steps] == [
        (1, "Identify content areas and agree priorities"),
        (2, "What does 'good' look like"),
        (3, "Identify source of current performance information"),
        (4, "Identify sources of any additional information"),
        (5, "Agree a quality assurance timetable"),
    ]
    assert "Challenge and agree priorities." in cfg.steps[0].board_roles
    assert "Will it be captured as part of Section 11 review?" in cfg.steps[4].questions
    assert all(s.questions and s.board_roles for s in cfg.steps)


def test_every_content_area_of_3_2_and_3_3(cfg):
    areas = {c.content_area: c for c in cfg.content_areas}
    for name, kind, category in (
        ("The front door", "Practice", "Priority service areas"),
        ("Children in need / child protection assessment and care planning", "Practice",
         "Priority service areas"),
        ("Children at risk of sexual exploitation", "Practice", "Vulnerable groups"),
        ("Children out of education", "Practice", "Vulnerable groups"),
        ("Children regularly missing health appointments", "Practice", "Vulnerable groups"),
        ("Domestic abuse", "Practice", "Specific risk issues"),
        ("Parental mental health", "Practice", "Specific risk issues"),
        ("Parental substance misuse", "Practice", "Specific risk issues"),
        ("Practical working arrangements", "Practice", "Partnership working"),
        ("Information sharing and communication", "Practice", "Partnership working"),
        ("Workforce & capacity", "Organisational", "Organisational"),
        ("Learning & development", "Organisational", "Organisational"),
        ("Supervision and support", "Organisational", "Organisational"),
        ("Organisational culture", "Organisational", "Organisational"),
        ("Use of resources and evidence-based practice", "Organisational", "Organisational"),
    ):
        assert (areas[name].kind, areas[name].category) == (kind, category)
    assert all(c.priority in cfg.lists["priority"] for c in cfg.content_areas)


def test_the_qa_programme(cfg):
    programme = {a.activity_id: a for a in cfg.qa_programme}
    for activity_type in (
        "Serious Case Reviews", "Child Death Review Data", "Partnership reviews",
        "Section 11 audits and annual reviews", "Section 175/157 Audits",
        "Single Agency audits and data", "Multi Agency Audits", "Thematic Audits",
        "Annual Risk Register", "Peer reviews", "Practitioner focus groups",
    ):
        assert activity_type in cfg.lists["activity_type"]
    audit = programme["ma_audit"]
    assert (audit.frequency, audit.expected_cases) == ("Quarterly", 4)
    assert audit.reporting == "Quarterly report via Q&PC to Board."
    assert "approximately 4 cases" in audit.purpose
    assert programme["cdr_quarterly"].frequency == "Quarterly"
    assert programme["cdr_annual"].frequency == "Annual"
    assert programme["s11_audit"].frequency == "Every two years"
    assert programme["s175_audit"].frequency == "Every two years"
    assert "over 2 year cycle" in programme["s11_action_plans"].reporting
    assert programme["focus_groups"].frequency == "Half-yearly"
    assert programme["risk_register"].frequency == "Annual"
    assert programme["peer_regional"].frequency == "Quarterly"
    triggers = " | ".join(programme["thematic_audit"].triggers)
    for trigger in ("focus groups - 2 times a year", "Peer Review", "S175/157",
                    "Regulatory Inspections"):
        assert trigger in triggers
    assert "Black Country LSCBs" in programme["s11_audit"].purpose
    for a in cfg.qa_programme:
        assert a.frequency in cfg.lists["activity_frequency"]
        assert a.reporting_route in cfg.lists["reporting_route"]
        assert a.purpose and a.reporting


def test_every_example_indicator_of_3_6_and_countable_impact_of_4_1(cfg):
    names = [i.indicator_name for i in cfg.indicators]
    for pattern in (
        # 3.6
        r"^Contacts received by the MASH$", r"^Early Help Assessments completed$",
        r"^Looked-after children$", r"^Serious Case Reviews initiated$",
        r"^Attendees at multi-agency safeguarding training", r"booked delegates who attended",
        r"^% of complaints", r"^Referrals to children's social care$",
        r"looked-after children who say they feel safe in their placement",
        r"families reporting improved well-being", r"improved confidence in a specific",
        r"parents interviewed who say their skills have improved",
        r"investigation did not identify a risk to children",
        # 4.1
        r"^DV/DA incidents reported to the police$",
        r"^Referrals to social care arising from DV incidents$",
        r"^Children reported missing$", r"^Safeguarding cases at A&E$",
        r"^Mental health referrals from schools$", r"^Complaints from parents$",
        r"training evaluations marked 'excellent'", r"Incidents of assault", r"1-1 support",
    ):
        assert any(re.search(pattern, n) for n in names), pattern


def test_indicators_are_consistent(cfg):
    ids = [i.indicator_id for i in cfg.indicators]
    assert len(ids) == len(set(ids))
    measures = {i.oba_measure for i in cfg.indicators}
    assert measures == set(cfg.lists["oba_measure"])
    assert {i.source for i in cfg.indicators} - {""} == set(cfg.lists["source"])
    for i in cfg.indicators:
        assert ID_PATTERN.match(i.indicator_id)
        if i.unit == "Percentage":
            assert i.aggregation == "ratio", i.indicator_id
            assert i.target is None or 0 <= i.target <= 1
            assert "Numerator" in i.definition and "Denominator" in i.definition
        assert set(cfg.partners_for(i)) <= set(cfg.partner_ids())
        assert cfg.partners_for(i), i.indicator_id
    mash = next(i for i in cfg.indicators if i.indicator_id == "mash_contacts")
    assert {"police", "health_rwt", "education"} <= set(cfg.partners_for(mash))
    feel_safe = next(i for i in cfg.indicators if i.indicator_id == "lac_feel_safe")
    assert (feel_safe.target, feel_safe.polarity) == (0.9, "Higher is better")


SEED_4_1 = [
    ("Children's Services", "Outcome statement", "Child protection plans result in objective, "
     "tangible improvements in the wellbeing and safety of children and their families"),
    ("Children's Services", "Outcome statement", "Parents feel empowered and more confident "
     "as a result of the involvement of the service"),
    ("Children's Services", "Outcome statement", "Young people are reporting that they feel "
     "safe to walk the streets."),
    ("Children's Services", "Outcome statement", "Young people who are not attending school "
     "have a route to improve their educational outcomes which in turn is improving their "
     "confidence and self esteem"),
    ("Children's Services", "Outcome statement", "Young people are reporting that a result of "
     "the intervention their mental health has improved and consequently their risk taking "
     "behaviours have decreased."),
    ("Children's Services", "Impact measure", "YOS are reporting that crime levels in a "
     "particular location are decreasing and targeted individuals are receiving increased "
     "levels of 1-1 support."),
    ("Children's Services", "Impact measure", "Mental Health referrals from Schools are "
     "decreasing"),
    ("Children's Services", "Impact measure", "Incidents of assault on the location have "
     "decreased"),
    ("Children's Services", "Impact measure", "The number of children reported as 'missing' "
     "has decreased over the past 6 months"),
    ("Police", "Outcome statement", "Families are reporting that Police attending domestic "
     "violence incidents treat them with respect, involve the children and provide clear "
     "information"),
    ("Police", "Outcome statement", "Staff feel more confident in dealing with domestic "
     "incidents"),
    ("Police", "Impact measure", "The number of DV/DA incidents reported to the police has "
     "decreased"),
    ("Police", "Impact measure", "Referrals to Social care arising from DV incidents have "
     "decreased"),
    ("Health", "Outcome statement", "Antenatal, midwifery, urgent care and paediatric services "
     "are effective in identifying risk indicators and/or potentially vulnerable children and "
     "young people thereby reducing any concerns"),
    ("Health", "Outcome statement", "Staff across the range of Health Services; respond "
     "proactively to miss appointments."),
    ("Health", "Impact measure", "The process for identifying safeguarding cases at A+E are "
     "robust"),
    ("Health", "Impact measure", "The number of safeguarding cases at NCH A+E has decreased"),
    ("Health", "Impact measure", "The number of complaints from Parents have decreased in the "
     "past 3 months"),
    ("Multi-Agency Safeguarding Training (All agencies)", "Outcome statement", "Staff who have "
     "received safeguarding training report that they feel more confident in dealing with "
     "particular family interventions."),
    ("Multi-Agency Safeguarding Training (All agencies)", "Outcome statement", "Professionals "
     "in the service are operating at a required level of safeguarding children practice "
     "competence"),
    ("Multi-Agency Safeguarding Training (All agencies)", "Impact measure", "Training "
     "evaluations show that an increased no of delegates marked 'excellent'"),
    ("Multi-Agency Safeguarding Training (All agencies)", "Impact measure", "The numbers of "
     "people attending courses has increased"),
]


def test_every_outcome_statement_and_impact_measure_of_4_1(cfg):
    assert [(o.agency, o.kind, o.statement) for o in cfg.outcome_statements] == SEED_4_1


def test_the_rest_of_the_framework_as_text(cfg):
    fw = cfg.framework
    assert fw["document"] == {"title": "Wolverhampton Safeguarding Children Board: Quality "
                              "Assurance Framework", "author": "Gillian Ming",
                              "version": "v0.1", "date": "12.2015", "reviewed_by": "Q&PC"}
    assert "monitor and evaluate the effectiveness" in fw["statutory_duty"]["duty"]
    assert fw["statutory_duty"]["duty_source"] == "Regulation 5c of the LSCB Regulations 2006"
    assert len(fw["statutory_duty"]["minimum"]) == 3
    assert "including early help" in fw["statutory_duty"]["minimum"][0]
    assert len(fw["commitment"]["committee_responsibilities"]) == 3
    assert "Peer reviews." in fw["commitment"]["reviews_and_audits"]
    assert "systems methodology" in fw["commitment"]["serious_review_committee_and_cdop"]
    assert "Law, Policy and Procedure Committee" in fw["commitment"]["law_policy_committee"]
    assert "Outcomes Based Accountability" in fw["oba_approach"]["introduction"]
    assert "including early help" in fw["measuring_impact"]["early_help"]
    model = fw["quality_assurance_model"]
    assert model["agenda_item"].startswith("Progress on quality assurance will be an agenda "
                                           "item at each Q&PC meeting")
    assert "review the quality assurance programme for the following year" in model[
        "annual_review"]
    assert "within Wolverhampton" in model["annual_report"]
    assert "WSCB Learning and Improvement Framework" in model["other_committees"]


def test_risk_bands(cfg):
    bands = cfg.setting("risk_bands")
    assert [(b["name"], b["min"], b["max"]) for b in bands] == [
        ("Low", 1, 4), ("Medium", 5, 9), ("High", 10, 15), ("Very high", 16, 25)]
    assert [cfg.risk_band(s) for s in (1, 4, 5, 12, 16, 25)] == [
        "Low", "Low", "Medium", "High", "Very high", "Very high"]


# ---------------------------------------------------------------- periods and meeting dates

def test_current_period_and_meetings_are_derived_from_today(cfg):
    assert cfg.setting("current_period") == "2025-26 Q4"  # the latest complete quarter
    assert str(cfg.current_period) == "2025-26 Q4"
    next_qpc = cfg.setting("next_qpc_meeting")
    assert next_qpc == dt.date(2026, 5, 26)  # a Tuesday at least 14 days after 10 May
    assert next_qpc.weekday() == 1
    assert cfg.setting("following_qpc_meeting") == next_qpc + dt.timedelta(weeks=13)
    assert cfg.setting("next_board_meeting") == next_qpc + dt.timedelta(weeks=4)
    later = load_config(today=dt.date(2026, 4, 2))  # returns for Q4 not due until 30 April
    assert later.setting("current_period") == "2025-26 Q4"
    assert later.setting("next_qpc_meeting") == dt.date(2026, 5, 19)


def test_explicit_period_and_dates(tmp_path):
    path = write(tmp_path, '[settings]\ncurrent_period = "2025-26_H2"\n'
                 'next_qpc_meeting = 2026-06-02\nfollowing_qpc_meeting = "2026-09-01"\n')
    cfg = load_config(path, today=TODAY)
    assert cfg.source == f"built-in + {path}"
    assert cfg.setting("current_period") == "2025-26 H2"
    assert cfg.setting("next_qpc_meeting") == dt.date(2026, 6, 2)
    assert cfg.setting("following_qpc_meeting") == dt.date(2026, 9, 1)
    assert cfg.setting("next_board_meeting") == dt.date(2026, 6, 30)
    assert cfg.setting("due_soon_days") == 28  # tables merge key by key


# ---------------------------------------------------------------------------- renaming

RENAME = """
[names]
board = "Safeguarding Children Partnership"
serious_review = "Child Safeguarding Practice Review"
serious_review_short = "CSPR"
"""


def test_renaming_in_names_alone(tmp_path, cfg):
    renamed = load_config(write(tmp_path, RENAME), today=TODAY)
    programme = {a.activity_id: a for a in renamed.qa_programme}
    assert programme["scr_updates"].title == ("Child Safeguarding Practice Reviews: "
                                              "implementation of lessons learned")
    assert programme["scr_updates"].activity_type == "Child Safeguarding Practice Reviews"
    assert programme["scr_updates"].reporting == (
        "Update to Q&PC as CSPRs arise. To WSCB as part of half yearly Performance report.")
    assert programme["scr_performance"].reporting_route == "Safeguarding Children Partnership"
    assert programme["partnership_reviews"].purpose.startswith("Criteria for CSPR considered")
    assert renamed.lists["reporting_route"] == (
        "Q&PC", "Safeguarding Children Partnership", "Executive Committee", "CDOP")
    assert renamed.lists["action_source"][0] == "Child Safeguarding Practice Review (CSPR)"
    assert "Child Safeguarding Practice Reviews" in renamed.lists["activity_type"]
    assert renamed.names["serious_review_committee"] == (
        "Child Safeguarding Practice Review (CSPR) Committee")
    assert "Serious Case Review" not in json.dumps(strings(renamed))
    # nothing else moved: the same structure, and only strings that held the old names changed
    before, after = strings(cfg), strings(renamed)
    before.pop(".source"), after.pop(".source")
    assert before.keys() == after.keys()
    changed = {p for p in before if before[p] != after[p]}
    assert changed
    for p in changed:
        assert re.search(r"\bBoard\b|Serious Case Review|\bSCR", before[p]), p
    assert {k for k in cfg.names if cfg.names[k] != renamed.names[k]} == {
        "board", "serious_review", "serious_review_short", "serious_review_committee"}
    assert renamed.partners == cfg.partners
    assert renamed.lists["voice_question"] == cfg.lists["voice_question"]
    assert renamed.settings == cfg.settings


def test_a_current_partnership_keeps_the_old_names_only_in_quoted_law(tmp_path):
    text = RENAME + ('partnership = "Wolverhampton Safeguarding Children Partnership"\n'
                     'partnership_short = "WSCP"\npartnership_type = "safeguarding partnership"\n'
                     'partnership_type_full = "safeguarding partnership"\n'
                     'statutory_guidance = "Working Together 2023"\n')
    renamed = load_config(write(tmp_path, text), today=TODAY)
    old = {p: s for p, s in strings(renamed).items()
           if re.search(r"Serious Case|\bSCR|WSCB|\bBoard\b|LSCB", s)}
    assert set(old) == {".framework.statutory_duty.duty", ".framework.statutory_duty.duty_source"}


# ------------------------------------------------------------------------- replace mode

def test_mode_replace_stands_alone(tmp_path):
    text = default_config_path().read_text(encoding="utf-8")
    text = 'mode = "replace"\n' + text.replace(
        'partnership = "Wolverhampton Safeguarding Children Board"',
        'partnership = "Northshire Safeguarding Children Partnership"')
    path = write(tmp_path, text)
    cfg = load_config(path, today=TODAY)
    assert cfg.source == str(path)
    assert cfg.names["partnership"] == "Northshire Safeguarding Children Partnership"
    assert len(cfg.indicators) == len(load_config(today=TODAY).indicators)


def test_mode_replace_must_be_complete(tmp_path):
    path = write(tmp_path, 'mode = "replace"\n[names]\npartnership = "X"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "names.partnership_short: missing: expected text" in message
    assert "settings: missing: expected a table" in message
    assert "partners: missing" in message
    assert "defaults.toml" not in message


def test_arrays_replace_rather_than_merge(tmp_path, cfg):
    rows = [dataclasses.asdict(p) for p in cfg.partners if p.partner_id != "cafcass"]
    rows.append({"partner_id": "north_health", "name": "North Health", "sector": "Health"})
    merged = load_config(write(tmp_path, array_of_tables("partners", rows)), today=TODAY)
    assert merged.partner_ids() == [p["partner_id"] for p in rows]
    assert merged.partners[-1].returns_expected is True
    assert merged.partners[-1].lead == ""
    assert merged.indicators == cfg.indicators
    assert merged.lists["partner_id"] == tuple(merged.partner_ids())


# ---------------------------------------------------------------------------- bad files

def bad_files(cfg: Config) -> list[tuple[str, str, list[str]]]:
    """(test id, the file's text, what the message must say)."""
    return [
        ("bad_id", partners_toml(cfg, p9={"partner_id": "North Health"}),
         ['partners[10].partner_id: expected a short code (a letter, then letters, digits or _, '
          'at most 24), got "North Health"']),
        ("duplicate_partner", partners_toml(cfg, p9={"partner_id": "police"}),
         ['partners[10].partner_id: "police" is used twice (also at partners[1].partner_id)']),
        ("duplicate_in_other_case", partners_toml(cfg, p9={"partner_id": "Police"}),
         ['partners[10].partner_id: "Police" is used twice (also at partners[1].partner_id; '
          "Excel does not tell capitals apart)"]),
        ("unknown_partner", array_of_tables("indicators", [{
            "indicator_id": "dv_north", "indicator_name": "DV incidents", "oba_measure":
            "How much did we do?", "unit": "Count", "aggregation": "sum", "polarity":
            "Lower is better", "frequency": "Quarterly",
            "reporting_partners": "police, nhs_north"}]),
         ['indicators[1].reporting_partners: "nhs_north" is not a partner_id of [[partners]]']),
        ("removed_partner_still_reporting", partners_toml(cfg).replace(
            'partner_id = "board_unit"', 'partner_id = "business_unit"'),
         ['indicators[6].reporting_partners: "board_unit" is not a partner_id',
          '(the built-in indicators[6] "scr_initiated" refers to it: give your own '
          "[[indicators]] in this file, or keep what it refers to)"]),
        ("unknown_key", "[settings]\ndue_son_days = 14\n",
         ['settings.due_son_days: unknown key; did you mean "due_soon_days"?']),
        ("unknown_top_key", '[name]\nboard = "Partnership"\n',
         ['name: unknown key; did you mean "names"?']),
        ("unknown_name", '[names]\ncomittee_short = "QPC"\n',
         ['names.comittee_short: unknown key; did you mean "committee_short"?']),
        ("unknown_key_in_array", partners_toml(cfg, p0={"secter": "Police"}),
         ['partners[1].secter: unknown key; did you mean "sector"?']),
        ("missing_key_in_array", partners_toml(cfg).replace('sector = "Probation"\n', ""),
         ["partners[7].sector: missing: expected text"]),
        ("wrong_type", '[settings]\ndue_soon_days = "28"\n',
         ['settings.due_soon_days: expected a whole number, got "28"']),
        ("wrong_type_bool", partners_toml(cfg, p0={"returns_expected": "yes"}),
         ['partners[1].returns_expected: expected true or false, got "yes"']),
        ("number_as_text", "[settings]\npack_version = 1.0\n",
         ["settings.pack_version: expected text (in quotes), got 1.0"]),
        ("bad_period", '[settings]\ncurrent_period = "2025 Q3"\n',
         ['settings.current_period: expected a period such as 2025-26 Q3', 'got "2025 Q3"']),
        ("bad_date", '[settings]\nnext_qpc_meeting = "31/12/2026"\n',
         ['settings.next_qpc_meeting: expected a date such as 2026-05-12',
          'got "31/12/2026"']),
        ("dates_out_of_order",
         "[settings]\nnext_qpc_meeting = 2026-06-02\nfollowing_qpc_meeting = 2026-05-01\n",
         ["settings.following_qpc_meeting: expected a date after next_qpc_meeting"]),
        ("bad_toml", "[settings]\ndue_soon_days = \n",
         ["line 2, column", "not valid TOML"]),
        ("unknown_placeholder",
         '[lists]\nreporting_route = ["{comittee_short}", "{board}", "{cdop_short}"]\n',
         ['lists.reporting_route[1]: unknown placeholder {comittee_short}; '
          'did you mean "committee_short"?']),
        ("names_in_a_loop", '[names]\nboard = "{committee} Board"\ncommittee = "{board} C"\n',
         ["names.board: the names refer to each other in a loop"]),
        ("risk_band_gap", array_of_tables("settings.risk_bands", [
            {"name": "Low", "min": 1, "max": 4}, {"name": "High", "min": 6, "max": 25}]),
         ["settings.risk_bands[2].min: expected 5 so that the bands cover 1-25"]),
        ("risk_bands_short", array_of_tables("settings.risk_bands", [
            {"name": "Low", "min": 1, "max": 20}]),
         ["settings.risk_bands: the bands end at 20"]),
        ("derived_list", '[lists]\ncontent_area = ["Neglect"]\n',
         ["lists.content_area: this list is made from [[content_areas]]: edit those instead"]),
        ("bad_list_member", array_of_tables("indicators", [{
            "indicator_id": "x1", "indicator_name": "X", "oba_measure": "How much?",
            "unit": "Percent", "aggregation": "sum", "polarity": "Neutral",
            "frequency": "Monthly", "reporting_partners": "All"}]),
         ['indicators[1].oba_measure: expected one of the OBA measures', 'got "How much?"',
          'indicators[1].unit: expected one of the units', 'did you mean "Percentage"?',
          'indicators[1].frequency: expected one of the reporting frequencies']),
        ("percentage_as_whole_number", array_of_tables("indicators", [{
            "indicator_id": "x1", "indicator_name": "X", "oba_measure": "Is anyone better off?",
            "unit": "Percentage", "aggregation": "mean", "polarity": "Higher is better",
            "target": 85, "frequency": "Quarterly", "reporting_partners": "All"}]),
         ['indicators[1].aggregation: a Percentage is a "ratio"',
          "indicators[1].target: expected a decimal between 0 and 1 for a Percentage (85% is "
          "0.85), got 85"]),
        ("bad_route", '[lists]\nreporting_route = ["{committee_short}", "{board}"]\n',
         ['qa_programme[3].reporting_route: expected one of the reporting routes', 'got "CDOP"',
          'the built-in qa_programme[3] "cdr_quarterly" refers to it']),
        ("bad_mode", 'mode = "replase"\n', ['mode: expected "extend" or "replace", got '
                                           '"replase"; did you mean "replace"?']),
        ("wrong_steps", array_of_tables("steps", [
            {"number": 1, "title": "One", "questions": "Q", "board_roles": "R"}]),
         ['steps[1].questions: expected an array of texts such as ["a", "b"], got "Q"']),
    ]


BAD_FILES = bad_files(load_config(today=TODAY))


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_refused_with_file_and_key_path(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    error = caught.value
    assert isinstance(error, UnusableInput)
    assert error.exit_code == 2
    message = str(error)
    assert message.startswith(f"{path}: "), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Traceback" not in message
    assert error.problems and all(p.startswith(f"{path}: ") for p in error.problems)


def test_the_message_reads_file_key_expected_found(tmp_path, cfg):
    path = write(tmp_path, partners_toml(cfg, p9={"partner_id": "North Health"}))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "partners[10].partner_id"
    assert caught.value.file == str(path)
    assert str(caught.value) == (
        f'{path}: partners[10].partner_id: expected a short code (a letter, then letters, '
        'digits or _, at most 24), got "North Health"; correct the configuration file and '
        'run again.')


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, '[settings]\ndue_soon_days = "x"\nlanguge = "en"\n'
                 '[lists]\npriority = []\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 2  # shape first: the empty list is checked after
    assert "settings.due_soon_days" in str(caught.value)
    assert 'settings.languge: unknown key; did you mean "language"?' in str(caught.value)


def test_a_file_that_cannot_be_read(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    path = tmp_path / "latin1.toml"
    path.write_bytes('[names]\nboard = "Comit\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8"):
        load_config(path)


def test_literal_braces_and_empty_list(tmp_path):
    cfg = load_config(write(tmp_path, '[settings]\nprotective_marking = "{{OFFICIAL}}"\n'))
    assert cfg.setting("protective_marking") == "{OFFICIAL}"
    with pytest.raises(ConfigError, match=r"lists\.priority: the list is empty"):
        load_config(write(tmp_path, "[lists]\npriority = []\n", "empty.toml"))


def test_the_source_document_is_called_the_framework():
    """The product names the QA Framework as "the framework", never "the seed" (a random seed
    of the demo is still a seed)."""
    root = Path(__file__).resolve().parents[1]
    texts = [*root.joinpath("src").rglob("*.py"), *root.joinpath("src").rglob("*.toml"),
             *root.joinpath("report_templates").glob("*.md"),
             *root.joinpath("report_templates").glob("*.py"), root / "README.md"]
    calling = re.compile(r"\bthe seed\b|\bseed's\b|\bseed section\b", re.IGNORECASE)
    found = [f"{p.relative_to(root)}: {m[0]}" for p in texts if "egg-info" not in str(p)
             for m in calling.finditer(p.read_text(encoding="utf-8"))]
    assert found == []
    cfg = load_config(today=TODAY)
    assert not any(calling.search(i.definition) for i in cfg.indicators)
