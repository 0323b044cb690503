"""The configuration of a Board: the seed's framework as data, checked when it is loaded.

The built-in configuration (``defaults.toml`` beside this module) reproduces the Wolverhampton
Safeguarding Children Board's Quality Assurance Framework. ``--config FILE`` gives a TOML file
that is merged over it (tables merge key by key, recursively; arrays replace), or, with a
top-level ``mode = "replace"``, stands alone and must then be complete.

Every name of the partnership lives in ``[names]``; every other string refers to the names as
``{placeholders}``, filled in after merging, so renaming the Board or the review types is a
change to ``[names]`` alone. ``{{`` and ``}}`` write literal braces.

Every mistake in a file raises :class:`ConfigError`, whose message names the file, the key path
(array items counted from 1, as a person counts the ``[[partners]]`` tables in the file), what
was expected and what was found. This module runs on every command: it uses tomllib and
dataclasses only (no pandas).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import UnusableInput
from .ids import ID_PATTERN, ID_RULE
from .periods import Period, PeriodError

__all__ = [
    "Activity", "Config", "ConfigError", "ContentArea", "Indicator", "OutcomeStatement",
    "Partner", "Step", "default_config_path", "load_config",
]


BUILT_IN = "built-in"
STEP_COUNT = 5  # the five steps of the systemic approach: schema.STEP_COLUMNS
OBA_KINDS = ("quantitative", "qualitative", "outcome")
OUTCOME_KINDS = ("Outcome statement", "Impact measure")
MODES = ("extend", "replace")
ALL_PARTNERS = "All"
# Lists made from tables of the configuration, not written in [lists] (the period list is
# made by the workbook builder).
DERIVED_LISTS = {
    "content_area": "[[content_areas]]",
    "partner_id": "[[partners]]",
    "activity_type": "[[qa_programme]]",
    "oba_measure": "[[oba_measures]]",
    "source": "[[sources]]",
}
LIST_NAMES = (
    "sector", "yes_no", "unit", "aggregation", "polarity", "frequency", "activity_frequency",
    "reporting_route", "activity_status", "risk_status", "audit_stage", "audit_grade",
    "voice_question", "action_source", "learning_area", "action_status", "content_kind",
    "priority", "step_status",
)
# How derived meeting dates are worked out (see defaults.toml).
MEETING_WEEKDAY = 1  # Tuesday
MEETING_NOTICE_DAYS = 14  # at least this long from today, and after the returns are analysed
ANALYSIS_DAYS = 14
MEETING_CYCLE_DAYS = 91  # quarterly, same weekday
BOARD_AFTER_COMMITTEE_DAYS = 28


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


# --------------------------------------------------------------------------- file shape

TEXT, INT, NUMBER, BOOL, DATE, TEXTS, TABLE, TABLES = (
    "text", "int", "number", "bool", "date", "texts", "table", "tables",
)
_EXPECTED = {
    TEXT: "text (in quotes)",
    INT: "a whole number",
    NUMBER: "a number",
    BOOL: "true or false",
    DATE: 'a date such as 2026-05-12 (or "" to work it out)',
    TEXTS: 'an array of texts such as ["a", "b"]',
    TABLE: "a table",
    TABLES: "an array of tables ([[...]])",
}


@dataclass(frozen=True)
class _Field:
    kind: str
    required: bool = True
    fields: Mapping[str, _Field] | None = None  # for TABLE and TABLES


def _req(kind: str) -> _Field:
    return _Field(kind)


def _opt(kind: str) -> _Field:
    return _Field(kind, required=False)


_PARTNER = {
    "partner_id": _req(TEXT), "name": _req(TEXT), "sector": _req(TEXT), "lead": _opt(TEXT),
    "email": _opt(TEXT), "returns_expected": _opt(BOOL),
}
_INDICATOR = {
    "indicator_id": _req(TEXT), "indicator_name": _req(TEXT), "oba_measure": _req(TEXT),
    "content_area": _opt(TEXT), "source": _opt(TEXT), "unit": _req(TEXT),
    "aggregation": _req(TEXT), "polarity": _req(TEXT), "target": _opt(NUMBER),
    "amber_tolerance": _opt(NUMBER), "frequency": _req(TEXT), "reporting_partners": _req(TEXT),
    "definition": _opt(TEXT), "what_good_looks_like": _opt(TEXT),
}
_ACTIVITY = {
    "activity_id": _req(TEXT), "activity_type": _req(TEXT), "title": _req(TEXT),
    "purpose": _req(TEXT), "frequency": _req(TEXT), "reporting_route": _req(TEXT),
    "reporting": _req(TEXT), "lead": _opt(TEXT), "expected_cases": _opt(INT),
    "triggers": _opt(TEXTS),
}
_CONTENT_AREA = {
    "content_area": _req(TEXT), "kind": _req(TEXT), "category": _req(TEXT),
    "priority": _opt(TEXT), "what_good_looks_like": _opt(TEXT),
}
_STEP = {
    "number": _req(INT), "title": _req(TEXT), "questions": _req(TEXTS),
    "board_roles": _req(TEXTS),
}
_OBA = {
    "label": _req(TEXT), "kind": _req(TEXT), "description": _req(TEXT),
    "information": _opt(TEXT), "approach": _opt(TEXT), "examples": _opt(TEXTS),
    "questions": _opt(TEXTS), "evidence": _opt(TEXTS), "targets_or_indicators": _opt(TEXTS),
}
_SOURCE = {
    "label": _req(TEXT), "description": _req(TEXT), "methods": _opt(TEXTS),
    "reporting_forms": _opt(TEXTS),
}
_OUTCOME = {"agency": _req(TEXT), "kind": _req(TEXT), "statement": _req(TEXT)}
_BAND = {"name": _req(TEXT), "min": _req(INT), "max": _req(INT)}
_SETTINGS = {
    "current_period": _req(TEXT), "next_qpc_meeting": _req(DATE),
    "following_qpc_meeting": _req(DATE), "next_board_meeting": _req(DATE),
    "protective_marking": _req(TEXT), "pack_version": _req(TEXT), "language": _req(TEXT),
    "voice_min_respondents": _req(INT), "due_soon_days": _req(INT),
    "return_deadline_days": _req(INT), "returns_folder": _req(TEXT),
    "risk_bands": _Field(TABLES, fields=_BAND),
}
_DATE_SETTINGS = ("next_qpc_meeting", "following_qpc_meeting", "next_board_meeting")


def _spec_of(value: Any) -> _Field:
    """The shape of a built-in value, every key required (for [names] and [framework])."""
    if isinstance(value, dict):
        return _Field(TABLE, fields={k: _spec_of(v) for k, v in value.items()})
    return _req(TEXTS if isinstance(value, list) else TEXT)


def _top_spec(builtin: dict[str, Any]) -> dict[str, _Field]:
    return {
        "mode": _opt(TEXT),
        "names": _spec_of(builtin["names"]),
        "settings": _Field(TABLE, fields=_SETTINGS),
        "partners": _Field(TABLES, fields=_PARTNER),
        "oba_measures": _Field(TABLES, fields=_OBA),
        "sources": _Field(TABLES, fields=_SOURCE),
        "steps": _Field(TABLES, fields=_STEP),
        "content_areas": _Field(TABLES, fields=_CONTENT_AREA),
        "qa_programme": _Field(TABLES, fields=_ACTIVITY),
        "indicators": _Field(TABLES, fields=_INDICATOR),
        "outcome_statements": _Field(TABLES, fields=_OUTCOME),
        "lists": _Field(TABLE, fields={name: _req(TEXTS) for name in LIST_NAMES}),
        "framework": _spec_of(builtin["framework"]),
    }


KeyPath = tuple[str | int, ...]


def _path_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value[:60]}…"' if len(value) > 60 else f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


def _close(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""


_ID_KEYS = ("partner_id", "indicator_id", "activity_id", "content_area", "label", "name")


class _Problems:
    """Collects problems, each with the file it came from and its key path."""

    def __init__(self, builtin_label: str, user_label: str | None,
                 user: dict[str, Any] | None, replace: bool,
                 builtin: dict[str, Any] | None = None) -> None:
        self.builtin_label = builtin_label
        self.builtin = builtin
        self.user_label = user_label
        self.user = user
        self.replace = replace
        self.found: list[tuple[str, KeyPath, str]] = []

    def origin(self, path: KeyPath) -> str:
        """The file a value at this path came from after merging."""
        if self.user is None or self.user_label is None:
            return self.builtin_label
        if self.replace:
            return self.user_label
        node: Any = self.user
        for part in path:
            if isinstance(node, list):
                return self.user_label  # an array is the user's as a whole
            if not isinstance(node, dict) or part not in node:
                return self.builtin_label
            node = node[part]
        return self.user_label

    def add(self, path: KeyPath, message: str, file: str | None = None) -> None:
        if file is None:
            file = self.origin(path)
            if file == self.builtin_label and self.user_label is not None and path:
                # A built-in value that the user's file broke (it removed a partner, a list
                # value...): the fix is in the user's file, so that is the file named.
                file = self.user_label
                message += f" ({self._builtin_hint(path)})"
        self.found.append((file, path, message))

    def _builtin_hint(self, path: KeyPath) -> str:
        section = path[0]
        node = self.builtin.get(section) if self.builtin else None
        if isinstance(node, list) and len(path) > 1 and isinstance(path[1], int):
            item = node[path[1] - 1] if path[1] <= len(node) else {}
            label = next((item[k] for k in _ID_KEYS if k in item), "")
            what = f'the built-in {section}[{path[1]}]' + (f' "{label}"' if label else "")
            return (f"{what} refers to it: give your own [[{section}]] in this file, or keep "
                    "what it refers to")
        return (f"the built-in {_path_text(path)} refers to it: set it in this file, or keep "
                "what it refers to")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        lines = [f"{f}: {_path_text(p)}: {m}" if p else f"{f}: {m}" for f, p, m in self.found]
        files = {f for f, _, _ in self.found}
        first_file, first_path, first_message = self.found[0]
        if len(self.found) == 1:
            message = f"{_path_text(first_path)}: {first_message}" if first_path else first_message
            raise ConfigError(message, file=first_file, key=_path_text(first_path),
                              problems=lines)
        if len(files) == 1:
            body = [f"{_path_text(p)}: {m}" if p else m for _, p, m in self.found]
            raise ConfigError(f"{len(lines)} problems:\n  - " + "\n  - ".join(body),
                              file=first_file, key=_path_text(first_path), problems=lines)
        raise ConfigError(f"{len(lines)} problems:\n  - " + "\n  - ".join(lines),
                          key=_path_text(first_path), problems=lines)


def _check_shape(problems: _Problems, file: str, table: dict[str, Any],
                 fields: Mapping[str, _Field], path: KeyPath, complete: bool) -> None:
    """Unknown keys, missing keys (when ``complete``) and the type of every value."""
    for key, value in table.items():
        where = (*path, key)
        if key not in fields:
            if path == ("lists",) and key in DERIVED_LISTS:
                problems.add(where, f"this list is made from {DERIVED_LISTS[key]}: "
                             "edit those instead", file)
            else:
                problems.add(where, "unknown key" + _close(key, fields)
                             + f" (expected one of: {', '.join(fields)})", file)
            continue
        _check_value(problems, file, value, fields[key], where, complete)
    if complete:
        for key, spec in fields.items():
            if spec.required and key not in table:
                problems.add((*path, key), f"missing: expected {_EXPECTED[spec.kind]}", file)


def _check_value(problems: _Problems, file: str, value: Any, spec: _Field, path: KeyPath,
                 complete: bool) -> None:
    kind = spec.kind
    ok = {
        TEXT: isinstance(value, str),
        INT: isinstance(value, int) and not isinstance(value, bool),
        NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        BOOL: isinstance(value, bool),
        DATE: _is_date(value),
        TEXTS: isinstance(value, list),
        TABLE: isinstance(value, dict),
        TABLES: isinstance(value, list) and all(isinstance(v, dict) for v in value),
    }[kind]
    if not ok:
        problems.add(path, f"expected {_EXPECTED[kind]}, got {_show(value)}", file)
    elif kind == TEXTS:
        for i, item in enumerate(value, start=1):
            if not isinstance(item, str):
                problems.add((*path, i), f"expected {_EXPECTED[TEXT]}, got {_show(item)}", file)
    elif kind == TABLE and spec.fields is not None:
        _check_shape(problems, file, value, spec.fields, path, complete)
    elif kind == TABLES and spec.fields is not None:
        for i, item in enumerate(value, start=1):  # an array replaces: each item is complete
            _check_shape(problems, file, item, spec.fields, (*path, i), True)


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date) or value == "":
        return True
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError:
            return False
        return True
    return False


# ---------------------------------------------------------------------------- reading

def default_config_path() -> Path:
    """The shipped defaults.toml."""
    return Path(str(resources.files(__package__).joinpath("defaults.toml")))


@lru_cache(maxsize=1)
def _builtin_document() -> dict[str, Any]:
    """The parsed built-in configuration (never mutated: merging and filling in copy)."""
    text = resources.files(__package__).joinpath("defaults.toml").read_text("utf-8")
    return _parse(text, str(default_config_path()))


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        where = f"line {found[1]}, column {found[2]}" if found else "at the end of the file"
        raise ConfigError(f"{where}: not valid TOML ({reason})", file=label,
                          key=None) from None


def _read_user_file(path: Path) -> dict[str, Any]:
    label = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("the configuration file does not exist", file=label,
                          action="check the path given to --config") from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a configuration file", file=label) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror or exc})", file=label) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"is not UTF-8 text (byte {exc.start}): save it as UTF-8",
                          file=label) from None
    return _parse(text, label)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key, recursively; anything else (arrays too) is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# ------------------------------------------------------------------------- placeholders

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _fill(text: str, lookup: Callable[[str], str | None], problems: _Problems,
          path: KeyPath, known: Iterable[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token in ("{{", "}}"):
            return token[0]
        name = match[1].strip()
        value = lookup(name)
        if value is None:
            problems.add(path, f"unknown placeholder {token}" + _close(name, known)
                         + " (the names are in [names]; write {{ and }} for a literal brace)")
            return token
        return value

    return _PLACEHOLDER.sub(replace, text)


def _resolve_names(names: dict[str, str], problems: _Problems) -> dict[str, str]:
    """Fill in names that use other names ({serious_review} Committee), refusing loops."""
    resolved: dict[str, str] = {}
    visiting: list[str] = []

    def get(name: str) -> str | None:
        if name in resolved:
            return resolved[name]
        if name not in names:
            return None
        if name in visiting:
            loop = " -> ".join([*visiting[visiting.index(name):], name])
            problems.add(("names", name), f"the names refer to each other in a loop ({loop})")
            return names[name]
        visiting.append(name)
        value = _fill(names[name], get, problems, ("names", name), names)
        visiting.pop()
        resolved[name] = value
        return value

    for name in names:
        get(name)
    return resolved


def _fill_all(value: Any, names: dict[str, str], problems: _Problems, path: KeyPath) -> Any:
    if isinstance(value, str):
        return _fill(value, names.get, problems, path, names)
    if isinstance(value, dict):
        return {k: _fill_all(v, names, problems, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_all(v, names, problems, (*path, i)) for i, v in enumerate(value, 1)]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# ---------------------------------------------------------------------------- checking

def _member(problems: _Problems, path: KeyPath, value: str, allowed: Iterable[str], what: str,
            blank_ok: bool = False) -> None:
    if blank_ok and not value.strip():
        return
    allowed = list(allowed)
    if value not in allowed:
        listed = ", ".join(f'"{a}"' for a in allowed[:12]) + (", …" if len(allowed) > 12 else "")
        problems.add(path, f"expected one of the {what} ({listed}), got {_show(value)}"
                     + _close(value, allowed))


def _check_id(problems: _Problems, path: KeyPath, value: str, seen: dict[str, KeyPath]) -> None:
    """An id names a sheet, a table and a file: Excel ignores case, so the check does too."""
    key = value.lower()
    if not ID_PATTERN.match(value):
        problems.add(path, f"expected {ID_RULE}, got {_show(value)}")
    elif key in seen:
        problems.add(path, f'"{value}" is used twice (also at {_path_text(seen[key])}'
                     + ("" if key == value else "; Excel does not tell capitals apart") + ")")
    else:
        seen[key] = path


def _check_unique(problems: _Problems, items: list[dict], key: str, section: str) -> None:
    seen: dict[str, KeyPath] = {}
    for i, item in enumerate(items, start=1):
        value, path = item[key], (section, i, key)
        if not value.strip():
            problems.add(path, "must not be empty")
        elif value in seen:
            problems.add(path, f'"{value}" is used twice (also at {_path_text(seen[value])})')
        else:
            seen[value] = path


def _check_lists(problems: _Problems, lists: dict[str, list[str]]) -> None:
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


def _check_settings(problems: _Problems, settings: dict[str, Any], today: dt.date
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
                         f"quarter), 2025-26 H1 or 2025-26, or \"\", got {_show(text)}")
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
    dates = {k: _as_date(settings[k]) for k in _DATE_SETTINGS}
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


def _check_risk_bands(problems: _Problems, bands: list[dict[str, Any]]) -> tuple[dict, ...]:
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


def _reporting_partners(problems: _Problems, path: KeyPath, text: str,
                        partner_ids: list[str]) -> str:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) == 1 and parts[0].lower() == ALL_PARTNERS.lower():
        return ALL_PARTNERS
    if not parts:
        problems.add(path, 'expected "All" or partner_ids separated by commas, got ""')
    for part in parts:
        if part not in partner_ids:
            problems.add(path, f'"{part}" is not a partner_id of [[partners]]'
                         + _close(part, partner_ids) + ' (write "All" or partner_ids separated '
                         "by commas)")
    return ", ".join(parts)


def _check_indicator(problems: _Problems, i: int, ind: dict[str, Any], lists: dict[str, list],
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
                     f"{_show(ind['aggregation'])}")
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


def _check_steps(problems: _Problems, steps: list[dict[str, Any]]) -> None:
    numbers = [s["number"] for s in steps]
    if numbers != list(range(1, STEP_COUNT + 1)):
        problems.add(("steps",), f"expected the {STEP_COUNT} steps numbered 1 to {STEP_COUNT} in "
                     f"order, got numbers {numbers}")


def _check_oba(problems: _Problems, measures: list[dict[str, Any]]) -> None:
    _check_unique(problems, measures, "label", "oba_measures")
    for i, m in enumerate(measures, start=1):
        _member(problems, ("oba_measures", i, "kind"), m["kind"], OBA_KINDS, "OBA kinds")
    kinds = sorted(m["kind"] for m in measures)
    if kinds != sorted(OBA_KINDS) and all(m["kind"] in OBA_KINDS for m in measures):
        problems.add(("oba_measures",), "expected one measure of each kind ("
                     + ", ".join(OBA_KINDS) + f"), got {', '.join(kinds) or 'none'}")


# ------------------------------------------------------------------------------ loading

def load_config(path: str | Path | None = None, *, today: dt.date | None = None) -> Config:
    """The built-in configuration, or a user's file merged over it (or replacing it).

    ``today`` fixes the day from which an empty current_period and meeting dates are derived.
    Raises ConfigError for anything wrong in the file.
    """
    today = today or dt.date.today()
    builtin_label = f"{default_config_path()} ({BUILT_IN})"
    builtin = _builtin_document()
    spec = _top_spec(builtin)
    user: dict[str, Any] | None = None
    user_label: str | None = None
    replace = False
    if path is not None:
        user_label = str(path)
        user = _read_user_file(Path(path))
        mode = user.get("mode", "extend")
        if mode not in MODES:
            problems = _Problems(builtin_label, user_label, user, False)
            problems.add(("mode",), f'expected "extend" or "replace", got {_show(mode)}'
                         + (_close(mode, MODES) if isinstance(mode, str) else ""))
            problems.raise_if_any()
        replace = mode == "replace"
    problems = _Problems(builtin_label, user_label, user, replace, builtin)
    if not replace:
        _check_shape(problems, builtin_label, builtin, spec, (), complete=True)
    if user is not None and user_label is not None:
        _check_shape(problems, user_label, user, spec, (), complete=replace)
    problems.raise_if_any()

    merged = dict(user) if replace and user is not None else _merge(builtin, user or {})
    merged.pop("mode", None)
    names = _resolve_names(merged["names"], problems)
    doc = {key: (names if key == "names" else _fill_all(value, names, problems, (key,)))
           for key, value in merged.items()}
    problems.raise_if_any()

    config = _build(doc, problems, today)
    problems.raise_if_any()
    source = BUILT_IN if user_label is None else (
        user_label if replace else f"{BUILT_IN} + {user_label}")
    return Config(source=source, **config)


def _build(doc: dict[str, Any], problems: _Problems, today: dt.date) -> dict[str, Any]:
    """Check what the shape cannot tell, then make the records."""
    lists: dict[str, list[str]] = dict(doc["lists"])
    _check_lists(problems, lists)
    settings = _check_settings(problems, doc["settings"], today)

    seen: dict[str, KeyPath] = {}
    for i, p in enumerate(doc["partners"], start=1):
        _check_id(problems, ("partners", i, "partner_id"), p["partner_id"], seen)
        _member(problems, ("partners", i, "sector"), p["sector"], lists["sector"], "sectors")
        email = p.get("email", "").strip()
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problems.add(("partners", i, "email"), f"expected an e-mail address, got "
                         f"{_show(email)}")
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

    return {
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
        "oba_measures": tuple(_freeze(m) for m in doc["oba_measures"]),
        "sources": tuple(_freeze(s) for s in doc["sources"]),
        "outcome_statements": tuple(OutcomeStatement(o["agency"], o["kind"], o["statement"])
                                    for o in doc["outcome_statements"]),
        "lists": {name: tuple(values) for name, values in all_lists.items()},
        "framework": _freeze(doc["framework"]),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
