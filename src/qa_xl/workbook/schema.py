"""One declarative schema per workbook table: columns are defined here and nowhere else.

Each :class:`TableSchema` drives four things, in the style of pandera:

* building the sheet (Excel Table, header style, widths, number formats, frozen header) — ``build``;
* its Excel data validation and input messages — ``build``;
* reading it back into a typed pandas DataFrame — :func:`type_table` here;
* checking it, with a tidy table of failures — ``validate``.

The table and column names are a contract with users and integrations (see the spec): change
them only on purpose, with a migration.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa_xl.core.ids import (
    FORM_ACTION_PATTERN,
    ID_PATTERN as ID_PATTERN,  # re-exported: checks use S.ID_PATTERN
    ID_RULE,
)
from qa_xl.workbook.xlsxparts import column_letter as column_letter  # the one A1 rule, re-exported

# Kinds of column. "list" takes its choices from a named list on the Lists sheet.
TEXT, ID, INT, NUMBER, DATE, DATETIME, LIST, PERIOD, ANY = (
    "text", "id", "int", "number", "date", "datetime", "list", "period", "any",
)
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


@dataclass(frozen=True)
class Column:
    """One column of a workbook table."""

    name: str
    kind: str = TEXT
    help: str = ""  # the input message an officer sees in Excel, and the paper's definition
    required: bool = False
    choices: str | None = None  # name of the list on the Lists sheet (kind LIST)
    min: float | None = None
    max: float | None = None
    width: float = 14
    num_format: str | None = None
    derived: bool = False  # computed by qa_xl; never typed in, never trusted when read
    locked: bool = False  # written by qa_xl into a partner's return; the partner cannot edit it
    free_text: bool = False  # scanned for anything that looks like personal data
    optional: bool = False  # may be missing from a workbook made before it existed
    also: str = ""  # for an ID column: a second pattern its values may match instead

    @property
    def is_input(self) -> bool:
        return not self.derived


@dataclass(frozen=True)
class TableSchema:
    """A workbook table: where it lives, its columns, and what makes a row unique."""

    table: str
    sheet: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    owned: bool = False  # written only by qa_xl (roll-up, logs, findings); officers read it
    intro: str = ""
    added: str = ""  # the qa_xl version that added it: a workbook made before may lack it, and
    # qa_xl adds its sheet the first time it writes the table

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _c(name: str, kind: str = TEXT, help: str = "", **kw: Any) -> Column:
    return Column(name, kind, help, **kw)


def _list(name: str, choices: str, help: str, **kw: Any) -> Column:
    return Column(name, LIST, help, choices=choices, **kw)


def _date(name: str, help: str, **kw: Any) -> Column:
    return Column(name, DATE, help, num_format=DATE_FORMAT, width=12, **kw)


def _count(name: str, help: str, **kw: Any) -> Column:
    return Column(name, INT, help, min=0, width=11, num_format="#,##0", **kw)


def _due_status(what: str) -> Column:
    """Where a row stands today, worked out by qa_xl (the roll-up and validate --write write
    it, and a fill repeats the word); added to a workbook made before it existed."""
    return Column("due_status", TEXT, f"Worked out by qa_xl from {what}: do not type here.",
                  width=15, derived=True, optional=True)


CONFIG = TableSchema(
    "tblConfig", "Config", "Settings",
    (
        _c("key", required=True, width=30, help="The setting's name. Do not rename keys."),
        _c("value", ANY, width=50, help="The setting's value. Dates as dates, numbers as numbers."),
        _c("description", width=70, help="What the setting does."),
    ),
    key=("key",),
    intro="Names and settings. Rename the partnership, Board, committee and review types here.",
)

PARTNERS = TableSchema(
    "tblPartners", "Partners", "Partner agencies",
    (
        _c("partner_id", ID, f"Short code: {ID_RULE}. It names the return sheet and file.",
           required=True, width=14),
        _c("name", required=True, width=40, help="The agency's full name."),
        _list("sector", "sector", "Pick the agency's sector from the list.", width=20),
        _c("lead", width=24, help="The partner lead who signs off the return."),
        _c("email", width=30, help="Where the return is sent (an office address, not a child's)."),
        _list("returns_expected", "yes_no", "Yes if this agency sends a quarterly return.",
              required=True, width=12),
    ),
    key=("partner_id",),
    intro="Every partner agency of the partnership. One row each.",
)

INDICATORS = TableSchema(
    "tblIndicators", "Indicators", "Indicator dataset",
    (
        _c("indicator_id", ID, f"Short code: {ID_RULE}.", required=True, width=12),
        _c("indicator_name", required=True, width=44, help="What is counted, in plain words."),
        _list("oba_measure", "oba_measure", "Which of the three OBA questions it answers.",
              required=True, width=24),
        _list("content_area", "content_area", "The content area (theme) it informs.", width=30),
        _list("source", "source", "Which of the four sources of information it comes from.",
              width=30),
        _list("unit", "unit", "Count, Percentage, Rate per 10,000, Days or Score.",
              required=True, width=12),
        _list("aggregation", "aggregation",
              "How partners' figures combine: sum; ratio (sum numerators / sum denominators); "
              "mean; latest.", required=True, width=12),
        _list("polarity", "polarity", "Is a higher value better, a lower value, or neither?",
              required=True, width=16),
        _c("target", NUMBER, "The target value. Percentages as decimals: 85% is 0.85.",
           width=10),
        _c("amber_tolerance", NUMBER, "How far on the wrong side of target is still Amber, in "
           "the indicator's unit (0.05 = 5 points for a percentage).", min=0, width=12),
        _list("frequency", "frequency", "How often partners report it.", required=True,
              width=12),
        _c("reporting_partners", help="partner_ids that report it, separated by commas, or All.",
           required=True, width=24),
        _c("definition", width=50, help="Exact definition: what is counted, numerator and "
           "denominator for a ratio."),
        _c("what_good_looks_like", width=50, help="The outcome statement this measure serves."),
    ),
    key=("indicator_id",),
    intro="The Board's performance dataset, organised by the three OBA questions.",
)

RETURN_COLUMNS = (
    _c("period", PERIOD, "The period, e.g. 2026-27 Q1.", required=True, choices="period",
       width=12),
    _c("indicator_id", ID, "The indicator's code from the Indicators sheet.", required=True,
       width=12),
    _c("value", NUMBER, "The figure. For a ratio, numerator / denominator as a decimal.",
       width=12),
    _c("numerator", NUMBER, "For a ratio: the number meeting the measure.", min=0, width=12),
    _c("denominator", NUMBER, "For a ratio: the number it is out of.", min=0, width=12),
    _c("commentary", help="Why the figure moved; needed for a Red or a missing value. No names.",
       width=50, free_text=True),
    _c("submitted_by", width=20, help="Who completed the return."),
    _date("submitted_on", "When the return was completed."),
)


ISSUED_RETURN = TableSchema(
    "tblReturn", "Return", "Partner return",
    (
        _c("period", PERIOD, "The period this figure is for.", locked=True, width=11),
        _c("indicator_id", ID, "The indicator's code.", locked=True, width=12),
        _c("indicator_name", width=40, locked=True, help="What is counted."),
        _c("oba_measure", width=20, locked=True, help="Which OBA question it answers."),
        _c("unit", width=11, locked=True, help="Count, Percentage, Days…"),
        _c("definition", width=50, locked=True, help="Exactly what to count."),
        _c("previous_value", NUMBER, "Your figure for the previous period, for reference.",
           locked=True, width=11, num_format="#,##0.####"),
        _c("value", NUMBER, "The figure. A percentage shows as one: type 90.8% (in Excel 90.8 "
           "gives 90.8% too), or leave it blank and give the numerator and denominator.",
           width=12, num_format="#,##0.####"),
        _c("numerator", NUMBER, "For a percentage: how many met the measure.", min=0, width=12,
           num_format="#,##0.##"),
        _c("denominator", NUMBER, "For a percentage: how many it is out of.", min=0, width=12,
           num_format="#,##0.##"),
        _c("commentary", help="Why the figure moved. Needed for a missing or Red figure. No "
           "names or other personal details.", width=50, free_text=True),
    ),
    key=("period", "indicator_id"),
    intro="The return a partner fills in: one row per indicator they report.",
)

ISSUED_VOICE = TableSchema(
    "tblReturnVoice", "Return", "Voice of children and families (in a partner return)",
    (
        _c("question", locked=True, width=50,
           help="One of the three questions practitioners ask children and families."),
        _count("respondents", "How many children or family members answered this question "
               "this period (a whole number). Leave the row blank if you did not ask it."),
        _count("yes", "How many answered yes (a whole number)."),
        _count("partly", "How many answered partly (a whole number)."),
        _count("no", "How many answered no. Yes, partly and no add up to at most the "
               "respondents."),
        _c("story", width=50, free_text=True,
           help="Optional: a short anonymised story about this question. No names, ages, "
           "places or other personal details."),
    ),
    key=("question",),
    intro="The second table of a partner's return: one row per voice question, landing in "
          "tblVoice for the return's period and partner.",
)

RETURNS = TableSchema(
    "tblReturn_*", "Return_*", "All partners' returns", RETURN_COLUMNS,
    key=("partner_id", "period", "indicator_id"), owned=True,
    intro="Every partner's return table read as one (see store.read_returns).",
)


def return_schema(partner_id: str) -> TableSchema:
    """The schema of one partner's return table on the master workbook."""
    return TableSchema(
        f"tblReturn_{partner_id}", f"Return_{partner_id}", f"Return: {partner_id}",
        RETURN_COLUMNS, key=("period", "indicator_id"), owned=True,
        intro="Imported returns of this partner. Written by Import returns; do not type here.",
    )


ROLLUP = TableSchema(
    "tblRollup", "Rollup", "Consolidated indicators",
    (
        _c("period", PERIOD, width=12),
        _c("indicator_id", ID, width=12),
        _c("indicator_name", width=44),
        _c("oba_measure", width=24),
        _c("value", NUMBER, width=12, num_format="#,##0.00##"),
        _c("numerator", NUMBER, width=12, num_format="#,##0.##"),
        _c("denominator", NUMBER, width=12, num_format="#,##0.##"),
        _c("target", NUMBER, width=10, num_format="#,##0.00##"),
        _c("rag", width=11),
        _c("direction", width=12),
        _count("partners_reported", ""),
        _count("partners_expected", ""),
    ),
    key=("period", "indicator_id"), owned=True,
    intro="Every indicator in every period, consolidated from the partner returns by Roll up.",
)

TIMETABLE = TableSchema(
    "tblTimetable", "Timetable", "QA timetable",
    (
        _c("activity_id", ID, f"Short code: {ID_RULE}.", required=True, width=12),
        _list("activity_type", "activity_type", "The kind of review or audit.", required=True,
              width=28),
        _c("title", required=True, width=40, help="What this activity covers."),
        _c("lead", width=24, help="Who leads it."),
        _list("frequency", "activity_frequency", "How often it runs.", required=True, width=16),
        _date("last_done", "When it last reported."),
        _date("next_due", "Worked out by qa_xl from last done and frequency.", derived=True),
        _list("reporting_route", "reporting_route", "Where it reports.", width=18),
        _list("status", "activity_status", "Where it stands.", width=14),
        _c("findings", width=50, help="Key findings, good practice, risks. No names.",
           free_text=True),
        _due_status("the next due date: Overdue, Due soon, On track, Completed or Not "
                    "scheduled"),
    ),
    key=("activity_id",),
    intro="The QA programme: every review and audit, when it last ran and where it reports.",
)

RISKS = TableSchema(
    "tblRisks", "Risks", "Risk register",
    (
        _c("risk_id", ID, f"Short code: {ID_RULE}.", required=True, width=10),
        _c("title", required=True, width=40, help="The risk, in one sentence."),
        _c("owner", width=22, help="Who owns the risk. Needed while it is open."),
        _c("likelihood", INT, "1 (rare) to 5 (almost certain).", min=1, max=5, required=True,
           width=11),
        _c("impact", INT, "1 (negligible) to 5 (catastrophic).", min=1, max=5, required=True,
           width=9),
        _c("score", INT, "likelihood x impact, worked out by qa_xl.", derived=True, width=8),
        _c("previous_score", INT, "The score at the last review (1-25).", min=1, max=25,
           width=10),
        _c("target_score", INT, "The score the actions aim for (1-25).", min=1, max=25,
           width=10),
        _c("controls", width=40, help="What is in place now.", free_text=True),
        _c("actions", width=40, help="What more is being done.", free_text=True),
        _date("next_review", "When it is next reviewed. Not in the past for an open risk."),
        _list("status", "risk_status", "Open or Closed.", required=True, width=10),
        _due_status("the next review date: Review overdue, Review due soon, On track, Closed "
                    "or Not scheduled"),
    ),
    key=("risk_id",),
    intro="The Board's risks, scored likelihood x impact on a 5 x 5 matrix.",
)

AUDITS = TableSchema(
    "tblAudits", "Audits", "Case-file audit gradings",
    (
        _c("audit_id", ID, f"The audit's code: {ID_RULE}.", required=True, width=10),
        _date("audit_date", "When the audit met.", required=True),
        _c("theme", width=24, help="The audit's theme."),
        _c("case_ref", "text", "An anonymised case reference (e.g. C1). Never a name or NHS "
           "number.", required=True, width=10),
        _list("partner_id", "partner_id", "The agency whose work is graded.", required=True,
              width=12),
        _list("stage", "audit_stage", "The stage of the case graded.", required=True, width=22),
        _list("grade", "audit_grade", "Outstanding, Good, Requires improvement or Inadequate.",
              required=True, width=20),
        _c("strengths", width=36, help="What worked well. No names.", free_text=True),
        _c("areas_for_development", width=36, help="What needs to improve. No names.",
           free_text=True),
        _c("recommendation", width=36, help="The recommendation; each needs an action.",
           free_text=True),
    ),
    key=("audit_id", "case_ref", "partner_id", "stage"),
    intro="Multi-agency case-file audits: one agency's grading of one stage of one case a row.",
)

VOICE = TableSchema(
    "tblVoice", "Voice", "Voice of children and families",
    (
        _c("period", PERIOD, "The period, e.g. 2026-27 Q1.", required=True, choices="period",
           width=12),
        _list("partner_id", "partner_id", "The agency that asked.", required=True, width=12),
        _list("question", "voice_question", "Which of the three questions.", required=True,
              width=44),
        _count("respondents", "How many children or family members answered.", required=True),
        _count("yes", "How many answered yes."),
        _count("partly", "How many answered partly."),
        _count("no", "How many answered no."),
        _c("story", width=50, help="A short anonymised story. No names, ages or places.",
           free_text=True),
    ),
    key=("period", "partner_id", "question"),
    intro="Answers to the three questions practitioners ask children and families. Import "
          "returns fills them from each partner's return, replacing the row for the same "
          "period, partner and question; rows typed here for anything else are kept.",
)

ACTIONS = TableSchema(
    "tblActions", "Actions", "Learning and improvement actions",
    (
        _c("action_id", ID, f"Short code: {ID_RULE}. Actions raised by a self-assessment "
           "carry its key (S11-2026-28-police-S11_3a): keep it, so re-imports update them.",
           required=True, width=10, also=FORM_ACTION_PATTERN.pattern),
        _list("source", "action_source", "Where the learning came from.", required=True,
              width=24),
        _c("finding", width=40, help="What was found.", free_text=True),
        _c("action", required=True, width=40, help="What will be done.", free_text=True),
        _list("learning_area", "learning_area", "Where the learning is taken.", width=26),
        _c("owner", width=22, help="Who is accountable. Needed while it is open."),
        _date("due_date", "When it is due."),
        _list("status", "action_status", "Where it stands.", required=True, width=14),
        _c("evidence_of_impact", width=40, help="What changed for children as a result.",
           free_text=True),
        _due_status("the due date: Overdue, Due soon, On track, Completed, Closed or No due "
                    "date"),
    ),
    key=("action_id",),
    intro="Learning and improvement actions from reviews, audits and other QA activity.",
)

STEP_COLUMNS = (
    ("step1_priorities", "Step 1: content area identified and priority agreed?"),
    ("step2_good_defined", "Step 2: what 'good' looks like defined?"),
    ("step3_current_information", "Step 3: sources of current information identified?"),
    ("step4_additional_information", "Step 4: additional information identified?"),
    ("step5_qa_timetable", "Step 5: QA timetable agreed?"),
)

CONTENT_AREAS = TableSchema(
    "tblContentAreas", "ContentAreas", "Content areas",
    (
        _c("content_area", required=True, width=40, help="The content area (theme)."),
        _list("kind", "content_kind", "Practice or Organisational.", required=True, width=15),
        _c("category", width=30, help="e.g. Priority service areas, Vulnerable groups."),
        _list("priority", "priority", "High, Medium or Low.", width=10),
        *(_list(name, "step_status", text, width=14) for name, text in STEP_COLUMNS),
        _c("what_good_looks_like", width=60, help="The statement of what good looks like."),
    ),
    key=("content_area",),
    intro="Content areas taken through the five steps of the systemic approach.",
)

IMPORT_LOG = TableSchema(
    "tblImportLog", "ImportLog", "Import log",
    (
        _c("imported_at", DATETIME, width=17, num_format=DATETIME_FORMAT),
        _c("partner_id", width=12),
        _c("period", width=12),
        _c("file_name", width=34),
        _c("sha256", width=20),
        _c("rows", INT, width=8),
        _c("result", width=60),
    ),
    owned=True,
    intro="Every attempt to import a partner return, accepted or refused.",
)

VALIDATION = TableSchema(
    "tblValidation", "Validation", "Validation findings",
    (
        _c("severity", width=10),
        _c("sheet", width=16),
        _c("cell", width=8),
        _c("row_key", width=24),
        _c("check", width=22),
        _c("message", width=90),
    ),
    owned=True,
    intro="What Validate found. Errors must be fixed; warnings need a look.",
)

RETURNS_TRACKER = TableSchema(
    "tblReturnsTracker", "Returns", "Returns tracker",
    (
        _c("partner_id", width=14),
        _c("period", width=12),
        _c("issued_on", DATETIME, width=17, num_format=DATETIME_FORMAT),
        _c("file", width=30, help="The return as issued (where it was written)."),
        _c("reminded_on", width=30, help="Each reminder drafted or sent, oldest first."),
        _c("first_received_on", DATETIME, width=17, num_format=DATETIME_FORMAT),
        _c("status", width=12, help="On time, Late, Missing, Not yet due or Refused."),
        _c("figures_accepted", INT, width=10),
        _c("note", width=60, help="Why a return was refused, or a period reopened."),
    ),
    key=("partner_id", "period"),
    owned=True,
    intro="Every partner's return for every period: issued, reminded and received. Written by "
          "Issue returns, Import returns and Chase; do not type here.",
    added="0.2",
)

CLOSED_PERIODS = TableSchema(
    "tblClosedPeriods", "Closed", "Closed periods",
    (
        _c("period", width=12),
        _c("indicator_id", width=14),
        _c("indicator_name", width=44),
        _c("value", NUMBER, width=12, num_format="#,##0.00##"),
        _c("rag", width=11),
        _c("partners_reported", INT, width=10),
        _c("closed_on", DATETIME, width=17, num_format=DATETIME_FORMAT),
        _c("closed_by", width=22),
    ),
    key=("period", "indicator_id"),
    owned=True,
    intro="Periods whose figures have been reported, as they stood when closed. Imports for "
          "them need --reopen with a reason. Written by qa-xl period close; do not type here.",
    added="0.2",
)

SCHOOLS = TableSchema(
    "tblSchools", "Schools", "Schools and colleges",
    (
        _c("school_id", ID, f"Short code: {ID_RULE}. It names the school's audit file.",
           required=True, width=14),
        _c("name", required=True, width=40, help="The school's or college's full name."),
        _list("phase", "school_phase", "Pick the phase from the list.", width=16),
        _list("type", "school_type", "Maintained, academy, independent (Section 157) or FE "
              "(Section 175 covers the others).", required=True, width=14),
        _c("dsl", width=24, help="The designated safeguarding lead: a role or name who signs "
           "off the audit."),
        _c("email", width=30, help="Where the audit is sent (an office address)."),
    ),
    key=("school_id",),
    intro="Every school and college that completes the Section 175/157 audit. One row each.",
    added="0.3",
)

SELF_ASSESSMENT = TableSchema(
    "tblSelfAssessment", "SelfAssessment", "Self-assessment answers",
    (
        _c("cycle", width=9, help="The two-year cycle, e.g. 2026-28."),
        _c("form", width=7, help="s11 (Section 11) or s175 (Section 175/157)."),
        _c("organisation", width=14, help="The partner_id or school_id that answered."),
        _c("standard", width=9, help="The standard's id from the configuration."),
        _c("question", width=9, help="The question's id from the configuration."),
        _list("grade", "grade", "A grade of the scale (Fully met, Partly met, Not met, Not "
              "applicable), or blank when not answered.", width=14),
        _c("evidence", width=50, help="The evidence the organisation gave.", free_text=True),
        _c("action", width=40, help="The planned action.", free_text=True),
        _c("owner", width=20, help="Who owns the planned action."),
        _date("due", "When the planned action is due."),
        _c("submitted_on", DATETIME, width=17, num_format=DATETIME_FORMAT,
           help="When the accepted form was imported."),
        # the form's sign-off; added to a table made before qa_xl kept it
        _c("submitted_by", width=20, optional=True,
           help="Who completed the form (its 'Completed by')."),
        _date("completed_on", "When the form was completed (its 'Date completed'; the day "
              "of the import where it was blank).", optional=True),
    ),
    key=("cycle", "form", "organisation", "question"),
    owned=True,
    intro="Every organisation's answers to the Section 11 and Section 175/157 "
          "self-assessments, one question a row. Written by s11 import and s175 import; do "
          "not type here.",
    added="0.3",
)

ISSUED_SELF_ASSESSMENT = TableSchema(
    "tblAssessment", "Assessment", "Self-assessment form",
    (
        _c("standard", ID, "The standard's code.", locked=True, width=9),
        _c("standard_name", locked=True, width=26, help="The standard."),
        _c("question", ID, "The question's code.", locked=True, width=9),
        _c("question_text", locked=True, width=50, help="What to assess."),
        _c("evidence_sought", locked=True, width=34, help="The evidence that shows it."),
        _c("last_cycle", locked=True, width=20,
           help="Marked when the answer is the one you gave last cycle: confirm or change it."),
        _list("grade", "grade", "Pick a grade from the list (the Grades sheet says what each "
              "means).", width=13),
        _c("evidence", width=40, free_text=True,
           help="The evidence you hold (documents, dates, figures). No names of children."),
        _c("action", width=36, free_text=True,
           help="For Partly met or Not met: what you will do. Needed for Not met."),
        _c("owner", width=18, help="Who owns the action (a role). Needed for Not met."),
        _date("due", "When the action will be done: a date from today on."),
    ),
    key=("question",),
    intro="The form an organisation fills in: one row per question of the self-assessment.",
)

FIXED_TABLES: tuple[TableSchema, ...] = (
    CONFIG, PARTNERS, INDICATORS, ROLLUP, TIMETABLE, RISKS, AUDITS, VOICE, ACTIONS,
    CONTENT_AREAS, IMPORT_LOG, RETURNS_TRACKER, CLOSED_PERIODS, VALIDATION, SCHOOLS,
    SELF_ASSESSMENT,
)
BY_TABLE = {s.table: s for s in FIXED_TABLES}

FINDING_COLUMNS = VALIDATION.names


def schema_for(table: str) -> TableSchema:
    """The schema of a table by name, including the per-partner return tables."""
    if table in BY_TABLE:
        return BY_TABLE[table]
    if table.startswith("tblReturn_"):
        return return_schema(table.removeprefix("tblReturn_"))
    raise KeyError(table)


# ---------------------------------------------------------------- reading into typed frames

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_TYPE_WORDS = {INT: "a whole number", NUMBER: "a number", DATE: "a date", DATETIME: "a date"}


@dataclass
class RawTable:
    """A table as a back end reads it: cell values as Python objects, blanks as None or ''.

    ``first_row`` is the 1-based sheet row of the header, ``first_col`` the 1-based column of
    the table's first column, so every value can be traced back to its cell.
    """

    name: str
    sheet: str
    header: list[str]
    rows: list[list[Any]]
    first_row: int = 1
    first_col: int = 1
    below: list[int] = field(default_factory=list)  # sheet rows just under it holding values


@dataclass
class Table:
    """A typed table: a DataFrame with the way back from each row to its sheet and cell.

    A table read from one sheet is indexed by sheet row. A table stitched from several sheets
    (all partners' returns) has a plain 0..n index and ``origin`` maps it to (sheet, row).
    """

    schema: TableSchema
    df: pd.DataFrame
    sheet: str = ""
    letters: dict[str, str] = field(default_factory=dict)
    type_failures: list[dict[str, Any]] = field(default_factory=list)
    origin: list[tuple[str, int]] | None = None
    sheet_letters: dict[str, dict[str, str]] = field(default_factory=dict)

    def cell(self, column: str, row: int) -> str:
        if self.origin is None:
            return f"{self.letters.get(column, '?')}{row}"
        sheet, sheet_row = self.origin[row]
        return f"{self.sheet_letters[sheet].get(column, '?')}{sheet_row}"

    def sheet_of(self, row: int) -> str:
        return self.sheet if self.origin is None else self.origin[row][0]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and value != value
    )


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _as_any(value: Any) -> Any:
    """A setting as its plain value: a date without a time is a date, however it was read
    (calamine gives a date, a live Excel book a midnight datetime)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


LARGEST = 1e15  # no count, rate or total in a safeguarding return comes near; sums stay exact


def _as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    number = float(value)
    if not math.isfinite(number) or abs(number) > LARGEST:  # 1e308 would sum to infinity
        raise ValueError
    return number


def _as_int(value: Any) -> int:
    number = _as_number(value)
    if not number.is_integer():
        raise TypeError
    return int(number)


_DATE_TEXT = (re.compile(r"^\d{4}-\d{2}-\d{2}"), re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"))


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=float(value))  # a serial with no date format
    if isinstance(value, str):
        text = value.strip()
        if _DATE_TEXT[0].match(text):  # ISO, as xlwings' remote engine sends dates
            return dt.datetime.fromisoformat(text.replace("Z", "").replace(".000", ""))
        if _DATE_TEXT[1].match(text):  # UK day/month/year typed as text
            return dt.datetime.strptime(text, "%d/%m/%Y")
    raise TypeError


def cell_date(value: Any) -> dt.date | None:
    """A cell as a date, as the tables read one (a date, a serial, ISO or UK day/month/year
    text); None when it is not one."""
    try:
        return _as_datetime(value).date()
    except (TypeError, ValueError, OverflowError):
        return None


_CONVERT = {INT: _as_int, NUMBER: _as_number, DATE: _as_datetime, DATETIME: _as_datetime}
_DTYPE = {INT: "Int64", NUMBER: "float64", DATE: "datetime64[s]", DATETIME: "datetime64[s]"}


def _convert_column(col: Column, values: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Convert one column's cells; return the values and the positions that failed."""
    convert = _CONVERT.get(col.kind)
    if convert is None and col.kind != ANY:
        # text, the commonest kind of cell by far (a row per question of every organisation
        # in tblSelfAssessment): a str cell is blank or its stripped self; nothing fails
        return [(v.strip() or None) if type(v) is str else None if _blank(v) else _as_text(v)
                for v in values], []
    out: list[Any] = []
    bad: list[int] = []
    for i, value in enumerate(values):
        if _blank(value):
            out.append(None)
        elif convert is None:
            out.append(_as_any(value) if col.kind == ANY else _as_text(value))
        else:
            try:
                out.append(convert(value))
            except (TypeError, ValueError):
                out.append(None)
                bad.append(i)
    if col.kind == DATE:
        out = [v.replace(hour=0, minute=0, second=0, microsecond=0) if v else v for v in out]
    return out, bad


def type_table(raw: RawTable, schema: TableSchema) -> Table:
    """Turn a raw table into a typed DataFrame whose index is the sheet row of each record.

    Entirely blank rows are dropped (Excel tables often end with one); every other row is kept,
    whatever is wrong with it, so that nothing is lost between reading and writing. A cell whose
    value cannot take the column's type becomes missing and is reported as a "type" failure.
    The caller has already checked that every schema column is in the header.
    """
    cells, where, letters = _stitch([raw], schema)
    index = pd.Index([row for _, row in where], name="row", dtype="int64")
    df, failures = _typed(schema, cells, where, letters, index)
    return Table(schema, df, raw.sheet, letters[raw.sheet], failures + _below_failures([raw]))


def type_tables(raws: Sequence[RawTable], schema: TableSchema, tag: str,
                tags: Sequence[str]) -> Table:
    """Stitch tables of one schema from several sheets into one typed frame.

    Every partner's return has the same columns; checking and rolling them up as one frame
    (with a ``tag`` column saying whose row it is) is far faster than table by table.
    """
    cells, where, letters = _stitch(raws, schema)
    df, failures = _typed(schema, cells, where, letters, pd.RangeIndex(len(where)))
    tag_of = {raw.sheet: t for raw, t in zip(raws, tags)}
    df[tag] = pd.array([tag_of[sheet] for sheet, _ in where], dtype="string")
    sheet = raws[0].sheet if len(raws) == 1 else ""
    return Table(schema, df, sheet, {}, failures + _below_failures(raws), origin=where,
                 sheet_letters=letters)


def _stitch(raws: Sequence[RawTable], schema: TableSchema
            ) -> tuple[dict[str, list[Any]], list[tuple[str, int]], dict[str, dict[str, str]]]:
    """Cells per schema column, each row's (sheet, row), and each sheet's column letters."""
    cells: dict[str, list[Any]] = {name: [] for name in schema.names}
    where: list[tuple[str, int]] = []
    letters: dict[str, dict[str, str]] = {}
    for raw in raws:
        position = {name: i for i, name in enumerate(raw.header)}
        width = len(raw.header)
        letters[raw.sheet] = {name: column_letter(raw.first_col + position[name])
                              for name in schema.names if name in position}
        kept = [(raw.first_row + 1 + i, row) for i, row in enumerate(raw.rows)
                if not all(_blank(v) for v in row[:width])]
        where += [(raw.sheet, r) for r, _ in kept]
        # the kept rows turned into columns at once (a row too short for a column gives None)
        columns = list(itertools.zip_longest(*(row for _, row in kept)))
        for name in schema.names:
            pos = position.get(name, width)  # an optional column the table does not have yet
            cells[name] += columns[pos] if pos < len(columns) else [None] * len(kept)
    return cells, where, letters


def _typed(schema: TableSchema, cells: dict[str, list[Any]], where: list[tuple[str, int]],
           letters: dict[str, dict[str, str]], index: pd.Index
           ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    data: dict[str, Any] = {}
    failures: list[dict[str, Any]] = []
    for col in schema.columns:
        values, bad = _convert_column(col, cells[col.name])
        for i in bad:
            sheet, row = where[i]
            failures.append(_type_failure(sheet, col, letters[sheet][col.name], row,
                                          cells[col.name][i]))
        data[col.name] = _series(col, values, index)
    return pd.DataFrame(data, index=index), failures


def _series(col: Column, values: list[Any], index: pd.Index) -> pd.Series:
    dtype = _DTYPE.get(col.kind)
    if dtype is None:
        return pd.Series(values, index=index, dtype=object if col.kind == ANY else "string")
    if dtype.startswith("datetime"):
        return pd.Series(pd.to_datetime(values), index=index).astype(dtype)
    return pd.Series(values, index=index, dtype=dtype)


def _type_failure(sheet: str, col: Column, letter: str, row: int, value: Any) -> dict:
    what = "text" if isinstance(value, str) else type(value).__name__
    message = (f"{col.name} must be {_TYPE_WORDS[col.kind]}, but the cell holds {what} "
               f"{str(value)[:40]!r}: retype it as {_TYPE_WORDS[col.kind]}.")
    if isinstance(value, int | float) and not isinstance(value, bool) and col.kind in (
            INT, NUMBER) and (not math.isfinite(value) or abs(value) > LARGEST):
        message = (f"{col.name} holds {value!r}, which is not a usable figure (infinite, or "
                   f"beyond ±{LARGEST:.0e}): retype the figure.")
    elif isinstance(value, int | float) and not isinstance(value, bool) and col.kind in (
            DATE, DATETIME):
        message = (f"{col.name} holds the number {value!r}, which is not a date Excel can "
                   "show: retype it as a date (dd/mm/yyyy).")
    return {
        "severity": "Error", "sheet": sheet, "cell": f"{letter}{row}", "row_key": "",
        "check": "type", "column": col.name, "value": value, "message": message,
    }


def _below_failures(raws: Sequence[RawTable]) -> list[dict[str, Any]]:
    """Values typed in the rows just under a table, outside it: LibreOffice and Google Sheets
    do not extend a table as Excel does, so qa_xl would never read them."""
    out = []
    for raw in raws:
        if not raw.below:
            continue
        first, last = raw.below[0], raw.below[-1]
        rows = f"row {first}" if first == last else f"rows {first} to {last}"
        end = column_letter(raw.first_col + len(raw.header) - 1)
        out.append({
            "severity": "Error", "sheet": raw.sheet, "cell": f"{column_letter(raw.first_col)}"
            f"{first}", "row_key": "", "check": "rows_below_table", "column": "",
            "value": None, "message": f"{rows} under the table {raw.name} hold values but are "
            "not part of the table, so qa_xl does not read them: extend the table over them "
            f"(drag the handle at its bottom-right corner, or Table Design > Resize Table to "
            f"{column_letter(raw.first_col)}{raw.first_row}:{end}{last}), or move them away."})
    return out


def empty_frame(schema: TableSchema) -> pd.DataFrame:
    """A typed, empty frame with the schema's columns (what an empty table reads as)."""
    return type_table(RawTable(schema.table, schema.sheet, schema.names, []), schema).df
