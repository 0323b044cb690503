"""Reporting periods of English local government: financial years, April to March.

A quarter is written ``2026-27 Q1`` (April-June 2026), a half-year ``2026-27 H1`` and a year
``2026-27``. File names use ``_`` for the space. Everything that compares, sorts or steps through
periods goes through :class:`Period` so that the text form is parsed in one place only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_PATTERN = re.compile(r"^\s*(\d{4})-(\d{2})(?:[ _]([QH])([1-4]))?\s*$")

FREQUENCY_OF = {"Q": "Quarterly", "H": "Half-yearly", "Y": "Annual"}
PARTS_IN_YEAR = {"Q": 4, "H": 2, "Y": 1}


class PeriodError(ValueError):
    """A period written in a form this module does not understand."""


@dataclass(frozen=True, order=True)
class Period:
    """One financial-year period; orders by start date, then by length."""

    year: int  # the calendar year in which the financial year starts (2026 for 2026-27)
    kind: str  # "Q", "H" or "Y"
    part: int = 1

    @classmethod
    def parse(cls, text: object) -> Period:
        """Read ``2026-27 Q1``, ``2026-27_H2`` or ``2026-27``; raise PeriodError otherwise."""
        match = _PATTERN.match(str(text)) if text is not None else None
        if not match:
            raise PeriodError(
                f"{text!r} is not a period: write a quarter as 2026-27 Q1, a half-year as "
                "2026-27 H1 or a year as 2026-27"
            )
        start, end, kind, part = match.groups()
        year = int(start)
        if (year + 1) % 100 != int(end):
            raise PeriodError(f"{text!r}: the two years must follow each other, as in 2026-27")
        kind = kind or "Y"
        number = int(part) if part else 1
        if number > PARTS_IN_YEAR[kind]:
            raise PeriodError(f"{text!r}: a year has only {PARTS_IN_YEAR[kind]} {kind} periods")
        return cls(year, kind, number)

    @classmethod
    def typed(cls, text: object) -> Period:
        """Read a period as an officer types it on the command line: also ``2026/27 Q2``,
        ``2026-2027 q2`` or ``2026-27  Q2``. The workbook's cells are read strictly
        (:meth:`parse`), so that every stored period has one spelling."""
        tidy = " ".join(str(text).split()).upper() if text is not None else ""
        tidy = re.sub(r"^(\d{4})\s*[-/–]\s*(?:\d{2})?(\d{2})(?!\d)", r"\1-\2", tidy)
        tidy = re.sub(r"\s*([QH])\s*([1-4])$", r" \1\2", tidy)
        try:
            return cls.parse(tidy)
        except PeriodError:
            return cls.parse(text)  # the message quotes what was typed

    @classmethod
    def containing(cls, day: dt.date, kind: str = "Q") -> Period:
        """The period of the given kind that contains ``day``."""
        year = day.year if day.month >= 4 else day.year - 1
        month_index = (day.month - 4) % 12  # 0 = April
        months = 12 // PARTS_IN_YEAR[kind]
        return cls(year, kind, month_index // months + 1)

    def __str__(self) -> str:
        fy = f"{self.year}-{(self.year + 1) % 100:02d}"
        return fy if self.kind == "Y" else f"{fy} {self.kind}{self.part}"

    @property
    def file_part(self) -> str:
        """The period as used in file names: ``2026-27_Q1``."""
        return str(self).replace(" ", "_")

    @property
    def frequency(self) -> str:
        return FREQUENCY_OF[self.kind]

    @property
    def start(self) -> dt.date:
        months = 12 // PARTS_IN_YEAR[self.kind]
        month0 = 3 + (self.part - 1) * months  # 0-based month index from January
        return dt.date(self.year + month0 // 12, month0 % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        return (self.shift(1).start) - dt.timedelta(days=1)

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (earlier when negative) of the same kind."""
        per_year = PARTS_IN_YEAR[self.kind]
        index = self.year * per_year + (self.part - 1) + n
        return Period(index // per_year, self.kind, index % per_year + 1)

    def previous(self) -> Period:
        return self.shift(-1)

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


def kind_of_frequency(frequency: str) -> str:
    """Map an indicator frequency (Quarterly / Half-yearly / Annual) to a period kind."""
    for kind, name in FREQUENCY_OF.items():
        if name.lower() == str(frequency).strip().lower():
            return kind
    raise PeriodError(
        f"{frequency!r} is not a reporting frequency (Quarterly, Half-yearly, Annual)"
    )


def sequence(last: Period, count: int) -> list[Period]:
    """The ``count`` periods ending with ``last``, oldest first."""
    return [last.shift(i - count + 1) for i in range(count)]


def period_or_none(text: object) -> Period | None:
    try:
        return Period.parse(text)
    except PeriodError:
        return None


def frequency_kind_or_none(frequency: object) -> str | None:
    try:
        return kind_of_frequency(str(frequency))
    except PeriodError:
        return None


def period_kinds(periods: Any) -> Any:
    """A pandas Series of period texts as their kinds ("Q", "H", "Y"; None where the text is
    not a period), each distinct text parsed once."""
    return periods.map({p: getattr(period_or_none(p), "kind", None)
                        for p in periods.dropna().unique()})


def frequency_kinds(frequencies: Any) -> Any:
    """A pandas Series of indicator frequencies as period kinds (None where unknown)."""
    return frequencies.map({f: frequency_kind_or_none(f) for f in frequencies.dropna().unique()})


_CYCLE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Cycle:
    """A self-assessment cycle: two financial years, written ``2026-28`` (1 April 2026 to
    31 March 2028). The framework runs Section 11 and Section 175/157 audits bi-annually, so a
    cycle is the unit their answers, actions and carry-forward are kept by."""

    start_year: int

    @classmethod
    def parse(cls, text: object) -> Cycle:
        """Read ``2026-28``; anything else (``2026-27``, ``2026/28``, ``2026-2028``) is refused
        with a plain message, so that every stored cycle has one spelling."""
        match = _CYCLE.match(str(text).strip()) if text is not None else None
        if not match:
            raise PeriodError(
                f"{text!r} is not a cycle: write the two financial years it covers as 2026-28 "
                "(1 April 2026 to 31 March 2028)")
        year = int(match[1])
        if (year + 2) % 100 != int(match[2]):
            raise PeriodError(
                f"{text!r}: a cycle covers two financial years, so the second number is the "
                f"first plus two, as in {year}-{(year + 2) % 100:02d}")
        return cls(year)

    @classmethod
    def containing(cls, day: dt.date) -> Cycle:
        """The cycle a day falls in, cycles starting on 1 April of even years (2026-28) — the
        default where none is given (the Excel buttons)."""
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year - year % 2)

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 2) % 100:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the cycle (31 March, two years on)."""
        return dt.date(self.start_year + 2, 3, 31)

    @property
    def previous(self) -> Cycle:
        return Cycle(self.start_year - 2)

    @property
    def file_label(self) -> str:
        """The cycle as used in file names (``2026-28``)."""
        return str(self)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def cycle_or_none(text: object) -> Cycle | None:
    try:
        return Cycle.parse(text)
    except PeriodError:
        return None
