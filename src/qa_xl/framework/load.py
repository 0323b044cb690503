"""Loading a Board's configuration: the framework as data, checked when it is loaded.

The built-in configuration (``defaults.toml`` beside this module) reproduces the Wolverhampton
Safeguarding Children Board's Quality Assurance Framework (2015). ``--config FILE`` gives a TOML
file that is merged over it (tables merge key by key, recursively; arrays replace), or, with a
top-level ``mode = "replace"``, stands alone and must then be complete.

Every name of the partnership lives in ``[names]``; every other string refers to the names as
``{placeholders}``, filled in after merging, so renaming the Board or the review types is a
change to ``[names]`` alone. ``{{`` and ``}}`` write literal braces.

Every mistake in a file raises :class:`ConfigError`, whose message names the file, the key path
(array items counted from 1, as a person counts the ``[[partners]]`` tables in the file), what
was expected and what was found. This module runs on every command: it uses tomllib and
dataclasses only (no pandas). The file's shape is in :mod:`qa_xl.framework.shape`, the rules
its values keep in :mod:`qa_xl.framework.rules`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from qa_xl.framework.records import BUILT_IN, MODES, Config, ConfigError
from qa_xl.framework.rules import build_records
from qa_xl.framework.shape import KeyPath, Problems, check_shape, close_match, show, top_spec

__all__ = ["default_config_path", "load_config"]


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


def _fill(text: str, lookup: Callable[[str], str | None], problems: Problems,
          path: KeyPath, known: Iterable[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token in ("{{", "}}"):
            return token[0]
        name = match[1].strip()
        value = lookup(name)
        if value is None:
            problems.add(path, f"unknown placeholder {token}" + close_match(name, known)
                         + " (the names are in [names]; write {{ and }} for a literal brace)")
            return token
        return value

    return _PLACEHOLDER.sub(replace, text)


def _resolve_names(names: dict[str, str], problems: Problems) -> dict[str, str]:
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


def _fill_all(value: Any, names: dict[str, str], problems: Problems, path: KeyPath) -> Any:
    if isinstance(value, str):
        return _fill(value, names.get, problems, path, names)
    if isinstance(value, dict):
        return {k: _fill_all(v, names, problems, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_all(v, names, problems, (*path, i)) for i, v in enumerate(value, 1)]
    return value


# ------------------------------------------------------------------------------ loading

def load_config(path: str | Path | None = None, *, today: dt.date | None = None) -> Config:
    """The built-in configuration, or a user's file merged over it (or replacing it).

    ``today`` fixes the day from which an empty current_period and meeting dates are derived.
    Raises ConfigError for anything wrong in the file.
    """
    today = today or dt.date.today()
    builtin_label = f"{default_config_path()} ({BUILT_IN})"
    builtin = _builtin_document()
    spec = top_spec(builtin)
    user: dict[str, Any] | None = None
    user_label: str | None = None
    replace = False
    if path is not None:
        user_label = str(path)
        user = _read_user_file(Path(path))
        mode = user.get("mode", "extend")
        if mode not in MODES:
            problems = Problems(builtin_label, user_label, user, False)
            problems.add(("mode",), f'expected "extend" or "replace", got {show(mode)}'
                         + (close_match(mode, MODES) if isinstance(mode, str) else ""))
            problems.raise_if_any()
        replace = mode == "replace"
    problems = Problems(builtin_label, user_label, user, replace, builtin)
    if not replace:
        check_shape(problems, builtin_label, builtin, spec, (), complete=True)
    if user is not None and user_label is not None:
        check_shape(problems, user_label, user, spec, (), complete=replace)
    problems.raise_if_any()

    merged = dict(user) if replace and user is not None else _merge(builtin, user or {})
    merged.pop("mode", None)
    names = _resolve_names(merged["names"], problems)
    doc = {key: (names if key == "names" else _fill_all(value, names, problems, (key,)))
           for key, value in merged.items()}
    problems.raise_if_any()

    config = build_records(doc, problems, today)
    problems.raise_if_any()
    source = BUILT_IN if user_label is None else (
        user_label if replace else f"{BUILT_IN} + {user_label}")
    return Config(source=source, **config)


