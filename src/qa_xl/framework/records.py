"""The configuration's records: what a Board's framework holds once it is loaded and checked.

Plain frozen dataclasses (no pandas), read by every layer: the workbook build lays them out as
sheets, the demo fills them with plausible figures, the papers name things by them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import Period

BUILT_IN = "built-in"
STEP_COUNT = 5  # the five steps of the systemic approach: schema.STEP_COLUMNS
OBA_KINDS = ("quantitative", "qualitative", "outcome")
OUTCOME_KINDS = ("Outcome statement", "Impact measure")
MODES = ("extend", "replace")
ALL_PARTNERS = "All"
SELF_ASSESSMENT_WHO = ("partners", "schools")
# Lists made from tables of the configuration, not written in [lists] (the period list is
# made by the workbook builder).
DERIVED_LISTS = {
    "content_area": "[[content_areas]]",
    "partner_id": "[[partners]]",
    "activity_type": "[[qa_programme]]",
    "oba_measure": "[[oba_measures]]",
    "source": "[[sources]]",
    "grade": "[[grades]]",
}
LIST_NAMES = (
    "sector", "yes_no", "unit", "aggregation", "polarity", "frequency", "activity_frequency",
    "reporting_route", "activity_status", "risk_status", "audit_stage", "audit_grade",
    "voice_question", "action_source", "learning_area", "action_status", "content_kind",
    "priority", "step_status",
)
# Lists added after the first version: a configuration written before them still loads (the
# built-in values are used).
LATER_LISTS = ("school_phase", "school_type")


class ConfigError(UnusableInput):
    """A configuration file that cannot be used: each problem names file, key path and fix."""

    action = "correct the configuration file and run again"

    def __init__(self, message: str, *, file: Any = None, key: str | None = None,
                 problems: Iterable[str] = (), action: str | None = None) -> None:
        super().__init__(message, file=file, action=action)
        self.key = key
        self.problems = list(problems) or [message if file is None else f"{file}: {message}"]


# ------------------------------------------------------------------------------ the records

@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    sector: str
    lead: str = ""
    email: str = ""
    returns_expected: bool = True


@dataclass(frozen=True)
class Indicator:
    """One indicator; the fields are the columns of schema.INDICATORS, in order."""

    indicator_id: str
    indicator_name: str
    oba_measure: str
    content_area: str
    source: str
    unit: str
    aggregation: str
    polarity: str
    target: float | None
    amber_tolerance: float | None
    frequency: str
    reporting_partners: str  # "All" or partner_ids separated by ", "
    definition: str = ""
    what_good_looks_like: str = ""


@dataclass(frozen=True)
class Activity:
    activity_id: str
    activity_type: str
    title: str
    purpose: str
    frequency: str
    reporting_route: str
    reporting: str
    lead: str = ""
    expected_cases: int | None = None
    triggers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContentArea:
    content_area: str
    kind: str
    category: str
    priority: str
    what_good_looks_like: str


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    questions: tuple[str, ...]
    board_roles: tuple[str, ...]


@dataclass(frozen=True)
class OutcomeStatement:
    agency: str
    kind: str
    statement: str


@dataclass(frozen=True)
class Grade:
    """One point of the self-assessment grading scale (best first in the configuration)."""

    name: str
    meaning: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    evidence: str  # the evidence sought, shown beside the question in the form


@dataclass(frozen=True)
class Standard:
    id: str
    name: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class SelfAssessmentForm:
    """A self-assessment (Section 11, Section 175/157): who fills it in and its standards."""

    form: str  # "s11" | "s175": the CLI's code and tblSelfAssessment.form
    title: str
    who: str  # "partners" (tblPartners) | "schools" (tblSchools)
    action_source: str  # tblActions.source of the actions it raises
    timetable_type: str  # the tblTimetable activity_type whose rows follow the cycle
    standards: tuple[Standard, ...]

    def questions(self) -> list[tuple[Standard, Question]]:
        """Every question with its standard, in the order of the form."""
        return [(s, q) for s in self.standards for q in s.questions]


@dataclass(frozen=True)
class Config:
    names: dict[str, str]
    settings: dict[str, Any]
    partners: tuple[Partner, ...]
    indicators: tuple[Indicator, ...]
    qa_programme: tuple[Activity, ...]
    content_areas: tuple[ContentArea, ...]
    steps: tuple[Step, ...]
    oba_measures: tuple[dict, ...]
    sources: tuple[dict, ...]
    outcome_statements: tuple[OutcomeStatement, ...]
    lists: dict[str, tuple[str, ...]]
    framework: dict[str, Any]
    source: str  # "built-in", or the user's file ("built-in + FILE" when merged over it)
    grades: tuple[Grade, ...] = ()
    self_assessments: tuple[SelfAssessmentForm, ...] = ()

    def self_assessment(self, form: str) -> SelfAssessmentForm:
        """The self-assessment form by its code ("s11", "s175")."""
        for item in self.self_assessments:
            if item.form == form:
                return item
        known = ", ".join(f.form for f in self.self_assessments) or "none"
        raise ConfigError(f"there is no self-assessment form {form!r} in the configuration "
                          f"(known: {known})", key="self_assessments")

    def grade_names(self) -> list[str]:
        return [g.name for g in self.grades]

    def partner_ids(self) -> list[str]:
        return [p.partner_id for p in self.partners]

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    @property
    def current_period(self) -> Period:
        return Period.parse(self.settings["current_period"])

    def partners_for(self, indicator: Indicator) -> list[str]:
        """The partner_ids that report an indicator: "All" is every partner sending returns."""
        if indicator.reporting_partners == ALL_PARTNERS:
            return [p.partner_id for p in self.partners if p.returns_expected]
        return [p.strip() for p in indicator.reporting_partners.split(",") if p.strip()]

    def risk_band(self, score: int) -> str:
        """The name of the risk band a score (1-25) falls in; "" outside every band."""
        for band in self.settings["risk_bands"]:
            if band["min"] <= score <= band["max"]:
                return band["name"]
        return ""


def freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value
