"""The rules a configuration's values must keep, checked once the file has the right shape
and its names are filled in; :func:`build_records` makes the records while checking them.

Identifiers follow the one rule of :mod:`qa_xl.core.ids`, list values must be in their lists,
indicators refer to known partners and content areas, dates and periods parse, the risk bands
cover 1–25 without gaps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from qa_xl.core.ids import ID_PATTERN, ID_RULE
from qa_xl.core.periods import Period, PeriodError
from qa_xl.framework.records import (
    ALL_PARTNERS,
    OBA_KINDS,
    OUTCOME_KINDS,
    SELF_ASSESSMENT_WHO,
    STEP_COUNT,
    Activity,
    ContentArea,
    Grade,
    Indicator,
    OutcomeStatement,
    Partner,
    Question,
    SelfAssessmentForm,
    Standard,
    Step,
    freeze,
)
from qa_xl.framework.shape import (
    DATE_SETTINGS,
    KeyPath,
    Problems,
    close_match,
    path_text,
    show,
)

# Lists a configuration written before them may lack (see records.LATER_LISTS).
LATER_LIST_DEFAULTS = {
    "school_phase": ["Nursery", "Primary", "Secondary", "All-through", "Special",
                     "Pupil referral unit", "Further education"],
    "school_type": ["Maintained", "Academy", "Independent", "FE"],
}

# How derived meeting dates are worked out (see defaults.toml).
MEETING_WEEKDAY = 1  # Tuesday
MEETING_NOTICE_DAYS = 14  # at least this long from today, and after the returns are analysed
ANALYSIS_DAYS = 14
MEETING_CYCLE_DAYS = 91  # quarterly, same weekday
BOARD_AFTER_COMMITTEE_DAYS = 28


def _member(problems: Problems, path: KeyPath, value: str, allowed: Iterable[str], what: str,
            blank_ok: bool = False) -> None:
    if blank_ok and not value.strip():
        return
    allowed = list(allowed)
    if value not in allowed:
        listed = ", ".join(f'"{a}"' for a in allowed[:12]) + (", …" if len(allowed) > 12 else "")
        problems.add(path, f"expected one of the {what} ({listed}), got {show(value)}"
                     + close_match(value, allowed))


def _check_id(problems: Problems, path: KeyPath, value: str, seen: dict[str, KeyPath]) -> None:
    """An id names a sheet, a table and a file: Excel ignores case, so the check does too."""
    key = value.lower()
    if not ID_PATTERN.match(value):
        problems.add(path, f"expected {ID_RULE}, got {show(value)}")
    elif key in seen:
        problems.add(path, f'"{value}" is used twice (also at {path_text(seen[key])}'
                     + ("" if key == value else "; Excel does not tell capitals apart") + ")")
    else:
        seen[key] = path


def _check_unique(problems: Problems, items: list[dict], key: str, section: str) -> None:
    seen: dict[str, KeyPath] = {}
    for i, item in enumerate(items, start=1):
        value, path = item[key], (section, i, key)
        if not value.strip():
            problems.add(path, "must not be empty")
        elif value in seen:
            problems.add(path, f'"{value}" is used twice (also at {path_text(seen[value])})')
        else:
            seen[value] = path


def _check_lists(problems: Problems, lists: dict[str, list[str]]) -> None:
    for name, values in lists.items():
        if not values:
            problems.add(("lists", name), "the list is empty: give at least one value")
        seen: set[str] = set()
        for i, value in enumerate(values, start=1):
            if not value.strip():
                problems.add(("lists", name, i), "must not be empty")
            elif value in seen:
                problems.add(("lists", name, i), f'"{value}" is in the list twice')
            seen.add(value)


def _check_settings(problems: Problems, settings: dict[str, Any], today: dt.date
                    ) -> dict[str, Any]:
    out = dict(settings)
    base = ("settings",)
    period: Period | None = None
    text = settings["current_period"].strip()
    if text:
        try:
            period = Period.parse(text)
        except PeriodError:
            problems.add((*base, "current_period"), "expected a period such as 2025-26 Q3 (a "
                         f"quarter), 2025-26 H1 or 2025-26, or \"\", got {show(text)}")
    else:
        period = Period.containing(today).previous()
    out["current_period"] = str(period) if period else text
    for key, least in (("voice_min_respondents", 1), ("due_soon_days", 0),
                       ("return_deadline_days", 0)):
        if settings[key] < least:
            problems.add((*base, key), f"expected a whole number of at least {least}, got "
                         f"{settings[key]}")
    if not settings["language"].strip():
        problems.add((*base, "language"), 'expected a language tag such as "en-GB", got ""')
    dates = {k: _as_date(settings[k]) for k in DATE_SETTINGS}
    given_next, given_following = dates["next_qpc_meeting"], dates["following_qpc_meeting"]
    if given_next and given_following and given_following <= given_next:
        problems.add((*base, "following_qpc_meeting"), "expected a date after next_qpc_meeting "
                     f"({given_next.isoformat()}), got {given_following.isoformat()}")
    if period is not None:
        deadline = max(settings["return_deadline_days"], 0)
        earliest = max(today + dt.timedelta(days=MEETING_NOTICE_DAYS),
                       period.end + dt.timedelta(days=deadline + ANALYSIS_DAYS))
        next_qpc = given_next or earliest + dt.timedelta(
            days=(MEETING_WEEKDAY - earliest.weekday()) % 7)
        out["next_qpc_meeting"] = next_qpc
        out["following_qpc_meeting"] = given_following or next_qpc + dt.timedelta(
            days=MEETING_CYCLE_DAYS)
        out["next_board_meeting"] = dates["next_board_meeting"] or next_qpc + dt.timedelta(
            days=BOARD_AFTER_COMMITTEE_DAYS)
    out["risk_bands"] = _check_risk_bands(problems, settings["risk_bands"])
    return out


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value.strip()) if value.strip() else None


def _check_risk_bands(problems: Problems, bands: list[dict[str, Any]]) -> tuple[dict, ...]:
    path = ("settings", "risk_bands")
    if not bands:
        problems.add(path, "expected at least one band covering risk scores 1-25")
        return ()
    ordered = sorted(enumerate(bands, start=1), key=lambda item: item[1]["min"])
    expected_min = 1
    for i, band in ordered:
        if band["max"] < band["min"]:
            problems.add((*path, i), f"max ({band['max']}) is below min ({band['min']})")
            return tuple(bands)
        if band["min"] != expected_min:
            problems.add((*path, i, "min"), f"expected {expected_min} so that the bands cover "
                         f"1-25 without gaps or overlaps, got {band['min']}")
            return tuple(bands)
        expected_min = band["max"] + 1
    if expected_min != 26:
        problems.add(path, f"the bands end at {expected_min - 1}: they must cover 1-25 without "
                     "gaps or overlaps")
    names = [b["name"] for b in bands]
    for i, name in enumerate(names, start=1):
        if names.index(name) != i - 1:
            problems.add((*path, i, "name"), f'"{name}" is used twice')
    return tuple(dict(b) for _, b in ordered)


def _reporting_partners(problems: Problems, path: KeyPath, text: str,
                        partner_ids: list[str]) -> str:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) == 1 and parts[0].lower() == ALL_PARTNERS.lower():
        return ALL_PARTNERS
    if not parts:
        problems.add(path, 'expected "All" or partner_ids separated by commas, got ""')
    for part in parts:
        if part not in partner_ids:
            problems.add(path, f'"{part}" is not a partner_id of [[partners]]'
                         + close_match(part, partner_ids)
                         + ' (write "All" or partner_ids separated by commas)')
    return ", ".join(parts)


def _check_indicator(problems: Problems, i: int, ind: dict[str, Any], lists: dict[str, list],
                     partner_ids: list[str]) -> str:
    path = ("indicators", i)
    for key, list_name, what, blank_ok in (
        ("oba_measure", "oba_measure", "OBA measures of [[oba_measures]]", False),
        ("content_area", "content_area", "content areas of [[content_areas]]", True),
        ("source", "source", "sources of [[sources]]", True),
        ("unit", "unit", "units", False),
        ("aggregation", "aggregation", "aggregations", False),
        ("polarity", "polarity", "polarities", False),
        ("frequency", "frequency", "reporting frequencies", False),
    ):
        _member(problems, (*path, key), ind.get(key, ""), lists[list_name], what, blank_ok)
    if ind["unit"] == "Percentage" and ind["aggregation"] != "ratio":
        problems.add((*path, "aggregation"), 'a Percentage is a "ratio" (partners return a '
                     "numerator and a denominator; the sums are divided), got "
                     f"{show(ind['aggregation'])}")
    for key in ("target", "amber_tolerance"):
        value = ind.get(key)
        if value is None:
            continue
        if key == "amber_tolerance" and value < 0:
            problems.add((*path, key), f"expected a number of 0 or more, got {value}")
        if ind["unit"] == "Percentage" and not 0 <= value <= 1:
            problems.add((*path, key), "expected a decimal between 0 and 1 for a Percentage "
                         f"(85% is 0.85), got {value}")
    return _reporting_partners(problems, (*path, "reporting_partners"),
                               ind["reporting_partners"], partner_ids)


def _check_steps(problems: Problems, steps: list[dict[str, Any]]) -> None:
    numbers = [s["number"] for s in steps]
    if numbers != list(range(1, STEP_COUNT + 1)):
        problems.add(("steps",), f"expected the {STEP_COUNT} steps numbered 1 to {STEP_COUNT} in "
                     f"order, got numbers {numbers}")


def _check_oba(problems: Problems, measures: list[dict[str, Any]]) -> None:
    _check_unique(problems, measures, "label", "oba_measures")
    for i, m in enumerate(measures, start=1):
        _member(problems, ("oba_measures", i, "kind"), m["kind"], OBA_KINDS, "OBA kinds")
    kinds = sorted(m["kind"] for m in measures)
    if kinds != sorted(OBA_KINDS) and all(m["kind"] in OBA_KINDS for m in measures):
        problems.add(("oba_measures",), "expected one measure of each kind ("
                     + ", ".join(OBA_KINDS) + f"), got {', '.join(kinds) or 'none'}")


def _check_grades(problems: Problems, grades: list[dict[str, Any]]) -> tuple[Grade, ...]:
    _check_unique(problems, grades, "name", "grades")
    return tuple(Grade(g["name"], g["meaning"]) for g in grades)


def _check_self_assessments(problems: Problems, forms: list[dict[str, Any]],
                            lists: dict[str, list[str]], activity_types: list[str],
                            grades: tuple[Grade, ...]) -> tuple[SelfAssessmentForm, ...]:
    """Form codes unique; who is partners or schools; the action source is on its list and the
    timetable type is one of the QA programme's; standard and question ids follow the id rule
    and are unique across every form (they key tblSelfAssessment and tblActions rows)."""
    if forms and not grades:
        problems.add(("grades",), "the self-assessments need a grading scale: give [[grades]]")
    _check_unique(problems, forms, "form", "self_assessments")
    seen: dict[str, KeyPath] = {}
    out = []
    for i, f in enumerate(forms, start=1):
        path: KeyPath = ("self_assessments", i)
        if not ID_PATTERN.match(f["form"]):
            problems.add((*path, "form"), f"expected {ID_RULE}, got {show(f['form'])}")
        _member(problems, (*path, "who"), f["who"], SELF_ASSESSMENT_WHO, "kinds of organisation")
        _member(problems, (*path, "action_source"), f["action_source"], lists["action_source"],
                "action sources of [lists] action_source")
        _member(problems, (*path, "timetable_type"), f["timetable_type"], activity_types,
                "activity types of [[qa_programme]]")
        if not f["standards"]:
            problems.add((*path, "standards"), "expected at least one standard")
        standards = []
        for j, st in enumerate(f["standards"], start=1):
            _check_id(problems, (*path, "standards", j, "id"), st["id"], seen)
            if not st["questions"]:
                problems.add((*path, "standards", j, "questions"),
                             "expected at least one question")
            for k, q in enumerate(st["questions"], start=1):
                _check_id(problems, (*path, "standards", j, "questions", k, "id"), q["id"], seen)
            standards.append(Standard(st["id"], st["name"], tuple(
                Question(q["id"], q["text"], q["evidence"]) for q in st["questions"])))
        out.append(SelfAssessmentForm(f["form"], f["title"], f["who"], f["action_source"],
                                      f["timetable_type"], tuple(standards)))
    return tuple(out)


def build_records(doc: dict[str, Any], problems: Problems, today: dt.date) -> dict[str, Any]:
    """Check what the shape cannot tell, then make the records."""
    lists: dict[str, list[str]] = {**LATER_LIST_DEFAULTS, **doc["lists"]}
    _check_lists(problems, lists)
    settings = _check_settings(problems, doc["settings"], today)

    seen: dict[str, KeyPath] = {}
    for i, p in enumerate(doc["partners"], start=1):
        _check_id(problems, ("partners", i, "partner_id"), p["partner_id"], seen)
        _member(problems, ("partners", i, "sector"), p["sector"], lists["sector"], "sectors")
        email = p.get("email", "").strip()
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problems.add(("partners", i, "email"), f"expected an e-mail address, got "
                         f"{show(email)}")
    partners = tuple(Partner(p["partner_id"], p["name"], p["sector"], p.get("lead", ""),
                             p.get("email", "").strip(), p.get("returns_expected", True))
                     for p in doc["partners"])
    partner_ids = [p.partner_id for p in partners]

    _check_oba(problems, doc["oba_measures"])
    _check_unique(problems, doc["sources"], "label", "sources")
    _check_unique(problems, doc["content_areas"], "content_area", "content_areas")
    _check_steps(problems, doc["steps"])
    for i, c in enumerate(doc["content_areas"], start=1):
        _member(problems, ("content_areas", i, "kind"), c["kind"], lists["content_kind"],
                "content kinds")
        _member(problems, ("content_areas", i, "priority"), c.get("priority", ""),
                lists["priority"], "priorities", blank_ok=True)
    for i, o in enumerate(doc["outcome_statements"], start=1):
        _member(problems, ("outcome_statements", i, "kind"), o["kind"], OUTCOME_KINDS, "kinds")

    activity_types = list(dict.fromkeys(a["activity_type"] for a in doc["qa_programme"]))
    all_lists: dict[str, list[str]] = {
        **lists,
        "content_area": [c["content_area"] for c in doc["content_areas"]],
        "partner_id": partner_ids,
        "activity_type": activity_types,
        "oba_measure": [m["label"] for m in doc["oba_measures"]],
        "source": [s["label"] for s in doc["sources"]],
        "grade": [g["name"] for g in doc.get("grades", [])],
    }

    seen = {}
    for i, a in enumerate(doc["qa_programme"], start=1):
        path = ("qa_programme", i)
        _check_id(problems, (*path, "activity_id"), a["activity_id"], seen)
        _member(problems, (*path, "frequency"), a["frequency"], lists["activity_frequency"],
                "activity frequencies")
        _member(problems, (*path, "reporting_route"), a["reporting_route"],
                lists["reporting_route"], "reporting routes")
        if a.get("expected_cases") is not None and a["expected_cases"] < 1:
            problems.add((*path, "expected_cases"), f"expected a whole number of at least 1, "
                         f"got {a['expected_cases']}")
    activities = tuple(Activity(
        a["activity_id"], a["activity_type"], a["title"], a["purpose"], a["frequency"],
        a["reporting_route"], a["reporting"], a.get("lead", ""), a.get("expected_cases"),
        tuple(a.get("triggers", ()))) for a in doc["qa_programme"])

    seen = {}
    indicators = []
    for i, ind in enumerate(doc["indicators"], start=1):
        _check_id(problems, ("indicators", i, "indicator_id"), ind["indicator_id"], seen)
        reporting = _check_indicator(problems, i, ind, all_lists, partner_ids)
        indicators.append(Indicator(
            ind["indicator_id"], ind["indicator_name"], ind["oba_measure"],
            ind.get("content_area", ""), ind.get("source", ""), ind["unit"],
            ind["aggregation"], ind["polarity"], _float(ind.get("target")),
            _float(ind.get("amber_tolerance")), ind["frequency"], reporting,
            ind.get("definition", ""), ind.get("what_good_looks_like", "")))

    grades = _check_grades(problems, doc.get("grades", []))
    self_assessments = _check_self_assessments(problems, doc.get("self_assessments", []),
                                               lists, activity_types, grades)

    return {
        "grades": grades,
        "self_assessments": self_assessments,
        "names": doc["names"],
        "settings": settings,
        "partners": partners,
        "indicators": tuple(indicators),
        "qa_programme": activities,
        "content_areas": tuple(ContentArea(
            c["content_area"], c["kind"], c["category"], c.get("priority", ""),
            c.get("what_good_looks_like", "")) for c in doc["content_areas"]),
        "steps": tuple(Step(s["number"], s["title"], tuple(s["questions"]),
                            tuple(s["board_roles"])) for s in doc["steps"]),
        "oba_measures": tuple(freeze(m) for m in doc["oba_measures"]),
        "sources": tuple(freeze(s) for s in doc["sources"]),
        "outcome_statements": tuple(OutcomeStatement(o["agency"], o["kind"], o["statement"])
                                    for o in doc["outcome_statements"]),
        "lists": {name: tuple(values) for name, values in all_lists.items()},
        "framework": freeze(doc["framework"]),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
