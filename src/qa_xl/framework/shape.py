"""The shape a configuration file may have: its keys, the kind of each value, and how
every problem is collected with the file and key path it came from.

A user's file is checked against this shape before anything is merged, so that a misspelt key
or a number in quotes is reported as what it is ("unknown key; did you mean …"), with the
file named.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qa_xl.framework.records import DERIVED_LISTS, LATER_LISTS, LIST_NAMES, ConfigError

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
_GRADE = {"name": _req(TEXT), "meaning": _req(TEXT)}
_QUESTION = {"id": _req(TEXT), "text": _req(TEXT), "evidence": _req(TEXT)}
_STANDARD = {"id": _req(TEXT), "name": _req(TEXT),
             "questions": _Field(TABLES, fields=_QUESTION)}
_SELF_ASSESSMENT = {
    "form": _req(TEXT), "title": _req(TEXT), "who": _req(TEXT), "action_source": _req(TEXT),
    "timetable_type": _req(TEXT), "standards": _Field(TABLES, fields=_STANDARD),
}
_BAND = {"name": _req(TEXT), "min": _req(INT), "max": _req(INT)}
_SETTINGS = {
    "current_period": _req(TEXT), "next_qpc_meeting": _req(DATE),
    "following_qpc_meeting": _req(DATE), "next_board_meeting": _req(DATE),
    "protective_marking": _req(TEXT), "pack_version": _req(TEXT), "language": _req(TEXT),
    "voice_min_respondents": _req(INT), "due_soon_days": _req(INT),
    "return_deadline_days": _req(INT), "returns_folder": _req(TEXT), "files_folder": _opt(TEXT),
    "mail_from": _opt(TEXT), "reply_to": _opt(TEXT), "smtp_host": _opt(TEXT),
    "smtp_port": _opt(INT), "smtp_starttls": _opt(BOOL), "smtp_user": _opt(TEXT),
    "risk_bands": _Field(TABLES, fields=_BAND),
}
DATE_SETTINGS = ("next_qpc_meeting", "following_qpc_meeting", "next_board_meeting")


def _spec_of(value: Any) -> _Field:
    """The shape of a built-in value, every key required (for [names] and [framework])."""
    if isinstance(value, dict):
        return _Field(TABLE, fields={k: _spec_of(v) for k, v in value.items()})
    return _req(TEXTS if isinstance(value, list) else TEXT)


def top_spec(builtin: dict[str, Any]) -> dict[str, _Field]:
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
        # optional: a configuration written before the self-assessments still loads
        "grades": _Field(TABLES, required=False, fields=_GRADE),
        "self_assessments": _Field(TABLES, required=False, fields=_SELF_ASSESSMENT),
        "lists": _Field(TABLE, fields={**{name: _req(TEXTS) for name in LIST_NAMES},
                                       **{name: _opt(TEXTS) for name in LATER_LISTS}}),
        "framework": _spec_of(builtin["framework"]),
    }


KeyPath = tuple[str | int, ...]


def path_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def show(value: Any) -> str:
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


def close_match(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""


_ID_KEYS = ("partner_id", "indicator_id", "activity_id", "content_area", "label", "name")


class Problems:
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
        return (f"the built-in {path_text(path)} refers to it: set it in this file, or keep "
                "what it refers to")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        lines = [f"{f}: {path_text(p)}: {m}" if p else f"{f}: {m}" for f, p, m in self.found]
        files = {f for f, _, _ in self.found}
        first_file, first_path, first_message = self.found[0]
        if len(self.found) == 1:
            message = f"{path_text(first_path)}: {first_message}" if first_path else first_message
            raise ConfigError(message, file=first_file, key=path_text(first_path),
                              problems=lines)
        if len(files) == 1:
            body = [f"{path_text(p)}: {m}" if p else m for _, p, m in self.found]
            raise ConfigError(f"{len(lines)} problems:\n  - " + "\n  - ".join(body),
                              file=first_file, key=path_text(first_path), problems=lines)
        raise ConfigError(f"{len(lines)} problems:\n  - " + "\n  - ".join(lines),
                          key=path_text(first_path), problems=lines)


def check_shape(problems: Problems, file: str, table: dict[str, Any],
                 fields: Mapping[str, _Field], path: KeyPath, complete: bool) -> None:
    """Unknown keys, missing keys (when ``complete``) and the type of every value."""
    for key, value in table.items():
        where = (*path, key)
        if key not in fields:
            if path == ("lists",) and key in DERIVED_LISTS:
                problems.add(where, f"this list is made from {DERIVED_LISTS[key]}: "
                             "edit those instead", file)
            else:
                problems.add(where, "unknown key" + close_match(key, fields)
                             + f" (expected one of: {', '.join(fields)})", file)
            continue
        _check_value(problems, file, value, fields[key], where, complete)
    if complete:
        for key, spec in fields.items():
            if spec.required and key not in table:
                problems.add((*path, key), f"missing: expected {_EXPECTED[spec.kind]}", file)


def _check_value(problems: Problems, file: str, value: Any, spec: _Field, path: KeyPath,
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
        problems.add(path, f"expected {_EXPECTED[kind]}, got {show(value)}", file)
    elif kind == TEXTS:
        for i, item in enumerate(value, start=1):
            if not isinstance(item, str):
                problems.add((*path, i), f"expected {_EXPECTED[TEXT]}, got {show(item)}", file)
    elif kind == TABLE and spec.fields is not None:
        check_shape(problems, file, value, spec.fields, path, complete)
    elif kind == TABLES and spec.fields is not None:
        for i, item in enumerate(value, start=1):  # an array replaces: each item is complete
            check_shape(problems, file, item, spec.fields, (*path, i), True)


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


