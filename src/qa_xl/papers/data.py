"""What the papers read: constants, small formatting helpers and the workbook's tables,
each read once when first needed."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qa_xl.core.errors import DataError, UnusableInput
from qa_xl.core.files import shipped_folder
from qa_xl.core.periods import Period, PeriodError, period_or_none, sequence
from qa_xl.workbook import schema as S

if TYPE_CHECKING:
    from qa_xl.workbook.store import Store

PACK_TEMPLATE = "qpc_pack.docx"
BOARD_TEMPLATE = "board_report.docx"
YEARLY_TEMPLATE = "yearly_report.docx"
REVIEW_TEMPLATE = "programme_review.docx"
SELF_ASSESSMENT_TEMPLATE = "self_assessment_report.docx"


# report_templates/ of the repository (officers' restyled copies are used where they are) or
# the copy installed with the package (qa_xl/data/report_templates, see pyproject.toml).
TEMPLATE_DIR = shipped_folder("report_templates", PACK_TEMPLATE)
SPC_MIN_POINTS = 12
LIST_LIMIT = 6  # bullets per summary list; the sections hold the rest

# Cell fills: light tints so that black text keeps a contrast above 7:1. The word is always
# printed too: colour never carries the meaning alone.
FILL_GOOD, FILL_WARN, FILL_BAD, FILL_NONE, FILL_BLANK = "BFE3D0", "FBE2A8", "F5BFAE", "E4E4E4", \
    "FFFFFF"
RAG_FILL = {"Green": FILL_GOOD, "Amber": FILL_WARN, "Red": FILL_BAD, "No target": FILL_NONE,
            "No data": FILL_BLANK}
STATUS_FILL = {
    "Overdue": FILL_BAD, "Missing": FILL_BAD, "Refused": FILL_BAD, "Due soon": FILL_WARN,
    "Late": FILL_WARN,
    "On track": FILL_GOOD, "On time": FILL_GOOD, "Completed": FILL_GOOD, "Closed": FILL_GOOD,
    "Not scheduled": FILL_NONE, "No due date": FILL_NONE, "Not yet due": FILL_NONE,
}
OBA_DESCRIPTIONS = (  # by position in the oba_measure list: the framework fixes their order
    "Quantitative information: what, and how much, we do.",
    "Qualitative information: how well we do it, the quality of what was done.",
    "Outcome information: what difference we have made to the lives of children and "
    "families.",
)
IMPROVEMENT = {"higher": "increase", "lower": "decrease"}
VARIATION_WORDS = {"special cause improvement": "Special cause: improvement",
                   "special cause concern": "Special cause: concern",
                   "special cause neither": "Special cause: unusual",
                   "common cause": "Common cause"}
ASSURANCE_WORDS = {"consistently passes target": "Consistently passes",
                   "consistently fails target": "Consistently fails",
                   "hit and miss": "Hit and miss", "no target": "No target"}
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DICT_NAMES = frozenset(dir(dict))


# ------------------------------------------------------------------------------- little bits

def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):  # most values, and pd.isna costs more than the test
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value).strip()


def _num(value: Any) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _int(value: Any) -> int:
    number = _num(value)
    return 0 if number is None else int(number)


def _date(value: Any) -> dt.date | None:
    """A date from a date, Timestamp, an Excel serial number or ISO text (tblConfig holds
    any of them, depending on who typed it)."""
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return (dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))).date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _day(value: Any) -> str:
    """7 Sep 2026: short enough for a table column, unambiguous everywhere."""
    day = _date(value)
    return "" if day is None else f"{day.day} {day:%b %Y}"


def _long(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def _meeting(day: dt.date | None) -> str:
    return "Date to be confirmed" if day is None else f"{day:%A} {day.day} {day:%B %Y}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"




def _capped(items: list[str], more: str) -> list[str]:
    """At most LIST_LIMIT bullets; the last says how many more the section holds."""
    if len(items) <= LIST_LIMIT:
        return items
    rest = len(items) - LIST_LIMIT + 1
    return [*items[:LIST_LIMIT - 1], f"And {rest} more {more}."]


def _arrow(value: float | None, previous: float | None) -> str:
    """Which way the figure moved (the word beside it says whether that is better)."""
    if value is None or previous is None:
        return "–"
    if abs(value - previous) <= 1e-9 * max(1.0, abs(previous)):
        return "→"
    return "↑" if value > previous else "↓"


# ---------------------------------------------------------------------------------- reading

class _Data:
    """Everything the papers need, each table read from the open workbook the first time it
    is used. The context is built charts first, so the chart workers can start on the
    indicators while the other tables are still being read."""

    def __init__(self, store: Store, *, folder: Path | None, settings: dict[str, Any],
                 quarter: Period, today: dt.date) -> None:
        self.store, self.label, self.folder = store, store.label, folder
        self.settings, self.quarter, self.today = settings, quarter, today
        self.tables: dict[str, S.Table] = {}

    def _table(self, schema: Any) -> pd.DataFrame:
        from qa_xl.workbook.store import read_table

        self.tables[schema.table] = read_table(self.store, schema)
        return self.tables[schema.table].df

    def refuse_errors(self) -> None:
        """A paper is built only on tables that pass their checks: a figure typed as text, a
        duplicate indicator id, a negative count or a row outside its table would change what
        the committee reads without anyone knowing (qa-xl validate lists them all)."""
        from qa_xl.collect.consolidate import rules_findings
        from qa_xl.workbook.checks import refuse_errors

        for name in ("indicators", "partners", "timetable", "risks", "audits", "voice",
                     "actions", "content_areas"):
            getattr(self, name)
        ind, partners = self.tables[S.INDICATORS.table], self.tables[S.PARTNERS.table]
        refuse_errors(self.store, [self.config_table, self.returns_table,
                                   *self.tables.values()], "the paper",
                      rules_findings(ind, partners, self.returns_table))

    @cached_property
    def indicators(self) -> pd.DataFrame:
        return self._table(S.INDICATORS)

    @cached_property
    def partners(self) -> pd.DataFrame:
        return self._table(S.PARTNERS)

    @cached_property
    def returns_table(self) -> S.Table:
        """Every partner's return as one table that still knows each row's sheet and cell."""
        from qa_xl.workbook.store import read_returns

        return read_returns(self.store)

    @cached_property
    def returns(self) -> pd.DataFrame:
        return self.returns_table.df

    @cached_property
    def import_log(self) -> pd.DataFrame:
        return self._table(S.IMPORT_LOG)

    @cached_property
    def config_table(self) -> S.Table:
        from qa_xl.workbook.store import read_table

        return read_table(self.store, S.CONFIG)

    @cached_property
    def timetable(self) -> pd.DataFrame:
        """tblTimetable with its Section 11 and Section 175/157 rows brought up to the
        self-assessment cycles (programme.self_assessment.follow_timetable)."""
        from qa_xl.programme.self_assessment import follow_timetable

        df = self._table(S.TIMETABLE)
        for sa in self.config.self_assessments:
            table, key = ((self.schools, "school_id") if sa.who == "schools"
                          else (self.partners, "partner_id"))
            df = follow_timetable(df, self.answers_of(sa.form), sa, table[key])
        return df

    @cached_property
    def risks(self) -> pd.DataFrame:
        return self._table(S.RISKS)

    @cached_property
    def audits(self) -> pd.DataFrame:
        return self._table(S.AUDITS)

    @cached_property
    def voice(self) -> pd.DataFrame:
        return self._table(S.VOICE)

    @cached_property
    def actions(self) -> pd.DataFrame:
        return self._table(S.ACTIONS)

    @cached_property
    def content_areas(self) -> pd.DataFrame:
        return self._table(S.CONTENT_AREAS)

    @cached_property
    def self_assessments(self) -> pd.DataFrame:
        return self._table(S.SELF_ASSESSMENT)

    @cached_property
    def _answers_by_form(self) -> dict[str, pd.DataFrame]:
        from qa_xl.programme.self_assessment import by_form

        return by_form(self.self_assessments)

    def answers_of(self, form: str) -> pd.DataFrame:
        """tblSelfAssessment's rows of one form (s11, s175), split once for the paper."""
        return self._answers_by_form.get(form, self.self_assessments.iloc[:0])

    @cached_property
    def schools(self) -> pd.DataFrame:
        return self._table(S.SCHOOLS)

    @cached_property
    def config(self) -> Any:
        """The configuration's records (the self-assessments' standards and grades), as the
        s11 and s175 jobs load it."""
        from qa_xl.framework.load import load_config

        return load_config(today=self.today)

    @cached_property
    def oba_order(self) -> list[str]:
        """The three OBA questions in the framework's order (the Lists sheet keeps it)."""
        from qa_xl.workbook.store import read_lists

        return [o for o in read_lists(self.store).get("oba_measure", []) if o]

    @cached_property
    def rollup(self) -> pd.DataFrame:
        """tblRollup up to the report's quarter, by the roll-up's own code."""
        from qa_xl.collect.consolidate import consolidate

        return consolidate(self.returns, self.indicators, self.partners, self.quarter)

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """Return compliance over the last four quarters, by the roll-up's own code. A
        quarter's return also carries the half-year and year it closes, so its figures are
        counted with it, as the import log counts them."""
        from qa_xl.collect.consolidate import compliance

        return compliance(returns_by_file(self.returns), self.indicators, self.partners,
                          sequence(self.quarter, 4), self.number("return_deadline_days", 30),
                          today=self.today, tracker=self._table(S.RETURNS_TRACKER))

    def setting(self, key: str, default: Any = "") -> Any:
        value = self.settings.get(key)
        return default if _missing(value) or value == "" else value

    def number(self, key: str, default: int) -> int:
        value = _num(self.settings.get(key))
        return default if value is None else int(value)

    @cached_property
    def partner_names(self) -> dict[str, str]:
        return {_text(p): _text(n) or _text(p) for p, n in
                zip(self.partners["partner_id"], self.partners["name"])}


def closing_quarter(text: Any) -> str | None:
    """The quarter whose return carries a figure of this period: a quarter's own, a
    half-year's or a year's last quarter (2026-27 H1 comes with 2026-27 Q2)."""
    period = period_or_none(text)
    return None if period is None else str(Period.containing(period.end, "Q"))


def returns_by_file(returns: pd.DataFrame) -> pd.DataFrame:
    """The returns with each row's period replaced by the quarter of the return file that
    brought it (see :func:`closing_quarter`)."""
    quarters = {p: closing_quarter(p) for p in returns["period"].dropna().unique()}
    return returns.assign(period=returns["period"].map(quarters))


def _parse_period(text: Any, label: str, *, asked: bool) -> Period:
    """``asked``: typed by the user (``--period``), read leniently and a mistake is unusable
    input (exit 2); otherwise Config's current_period, a data error (exit 1)."""
    try:
        return Period.typed(text) if asked else Period.parse(text)
    except PeriodError as exc:
        if asked:
            raise UnusableInput(str(exc), action="give --period as a quarter such as 2026-27 "
                                "Q2 (the Board report takes a half-year such as 2026-27 H1)"
                                ) from exc
        raise DataError(str(exc), file=label, action="correct current_period on the Config "
                        "sheet") from exc


def _report_quarter(period: str | None, settings: dict[str, Any], today: dt.date,
                    label: str) -> Period:
    """The quarter a pack reports on: the one asked for, else Config's current_period, else
    the latest quarter ended before today."""
    text = period or _text(settings.get("current_period"))
    if not text:
        return Period.containing(today, "Q").previous()
    quarter = _parse_period(text, label, asked=bool(period))
    if quarter.kind != "Q":
        error = UnusableInput if period else DataError
        raise error(f"the Q&PC pack reports on a quarter, not {quarter}", file=label,
                    action="give a quarter such as 2026-27 Q2 (the Board report takes a "
                    "half-year)")
    return quarter


def board_half(period: str | None, settings: dict[str, Any], today: dt.date,
               label: str = "") -> Period:
    """The half-year a Board report covers: the one asked for (a quarter means its
    half-year), else the latest half-year complete by the end of the current quarter."""
    text = period or _text(settings.get("current_period"))
    if period:
        asked = _parse_period(text, label, asked=True)
        if asked.kind == "H":
            return asked
        if asked.kind == "Y":
            return Period(asked.year, "H", 2)
        return Period.containing(asked.start, "H")
    quarter = (_parse_period(text, label, asked=False) if text
               else Period.containing(today, "Q").previous())
    half = Period.containing(quarter.end, "H")
    return half if half.end <= quarter.end else half.previous()


@contextmanager
def _opened(workbook: str | Path | Store, quarter_of: Callable[[dict[str, Any]], Period],
            today: dt.date) -> Iterator[_Data]:
    """The workbook open for reading (closed afterwards if opened here), as :class:`_Data`."""
    from qa_xl.workbook.filestore import FileStore
    from qa_xl.workbook.store import read_settings

    own = isinstance(workbook, str | Path)
    if own:
        from qa_xl.workbook.xlsxparts import check_not_locked

        check_not_locked(Path(workbook))  # Excel may hold edits not yet saved: say so
    store = FileStore(workbook) if own else workbook
    try:
        settings = read_settings(store)
        where = Path(workbook) if own else getattr(store, "path", None)
        data = _Data(store, folder=Path(where).resolve().parent if where else None,
                     settings=settings, quarter=quarter_of(settings), today=today)
        data.refuse_errors()
        yield data
    finally:
        if own:
            store.close()


def check_reportable(data: _Data, covered: Period, *, asked: bool,
                     option: str = "--period") -> None:
    """Refuse a period the workbook has nothing to say about, rather than write a paper that
    calls every partner's return missing: one that starts after both the latest return and
    Config's current_period, or ends before the first return. A workbook without any return
    yet is let through (its paper says so)."""
    periods = [p for p in map(period_or_none, data.returns["period"].dropna().unique()) if p]
    if not periods:
        return
    first = min(periods, key=lambda p: p.start)
    last_return = max(periods, key=lambda p: p.end)
    current = period_or_none(data.settings.get("current_period"))
    latest = max(last_return, current or last_return, key=lambda p: p.end)
    error = UnusableInput if asked else DataError
    where = option if asked else "current_period on the Config sheet"
    if covered.start > latest.end:
        raise error(f"there is nothing to report for {covered} yet: the latest returns are "
                    f"for {last_return} and the current period is "
                    f"{current or 'not set'}", file=data.label,
                    action=f"give {where} {_same_kind(latest.end, covered)} or earlier")
    if covered.end < first.start:
        raise error(f"there is nothing to report for {covered}: the first returns are for "
                    f"{first}", file=data.label,
                    action=f"give {where} {_same_kind(first.start, covered)} or later")


def _same_kind(day: Any, covered: Period) -> Period:
    """The period of the kind asked for (a year for --year) that holds ``day``: the answer
    to a bad --year names a year, not a quarter."""
    return Period.containing(day, covered.kind)
