"""Counting every call the Excel entry points make into the xlwings engine, reads included.

xlwings' public objects (``xw.Book``, ``xw.Sheet``, ``xw.Range``, ``xw.Table`` …) each hold an
``impl`` object of the engine in use; on desktop Excel each of the engine's methods and
properties is at least one COM (Windows) or AppleScript (macOS) round trip. The remote engine the
tests use has the same implementation classes (``xlwings.pro._xlremote``: Book, Sheets, Sheet,
Range, Tables, Table, Names, …): :func:`counting` wraps every method and property of every one of
them and counts the calls that come from outside the engine (a call the engine makes to itself
is part of the same round trip).
"""

from __future__ import annotations

import inspect
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

_DUNDERS = {"__call__", "__len__", "__iter__", "__getitem__", "__contains__"}


def impl_classes() -> list[type]:
    """The remote engine's implementation classes: every class of ``xlwings.pro._xlremote``
    that implements one of xlwings' base classes (Engine only names the engine)."""
    from xlwings import base_classes
    from xlwings.pro import _xlremote

    bases = tuple(c for _, c in inspect.getmembers(base_classes, inspect.isclass))
    return [c for _, c in inspect.getmembers(_xlremote, inspect.isclass)
            if c.__module__ == _xlremote.__name__ and issubclass(c, bases)]


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Within the block, ``Class.member`` -> how many times the entry points called it."""
    calls: Counter[str] = Counter()
    local = threading.local()

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(local, "depth", 0)
            if depth == 0:
                calls[name] += 1
            local.depth = depth + 1
            try:
                return fn(*args, **kwargs)
            finally:
                local.depth = depth
        return wrapper

    saved: list[tuple[type, str, Any]] = []
    for cls in impl_classes():
        for attr, member in list(vars(cls).items()):
            if attr.startswith("__") and attr not in _DUNDERS:
                continue
            name = f"{cls.__name__}.{attr}"
            if isinstance(member, property):
                new: Any = property(
                    counted(name, member.fget) if member.fget else None,
                    counted(name + "=", member.fset) if member.fset else None,
                    member.fdel, member.__doc__)
            elif isinstance(member, staticmethod | classmethod):
                new = type(member)(counted(name, member.__func__))
            elif inspect.isfunction(member):
                new = counted(name, member)
            else:
                continue
            saved.append((cls, attr, member))
            setattr(cls, attr, new)
    try:
        yield calls
    finally:
        for cls, attr, member in saved:
            setattr(cls, attr, member)
