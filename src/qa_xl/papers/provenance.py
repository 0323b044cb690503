"""Where a figure comes from: the partners, return files and cells behind it.

For one indicator in one period (a quarter, or a half-year or year made of its quarters as
the Board and yearly reports show them) the trail lists every partner figure the roll-up
used, with

* the cell of the master workbook that holds it (``Return_police!C45``; a rate's numerator
  and denominator cells),
* the return file it came from — the accepted import of that partner's return for the
  quarter that carries the period (a half-year's figures come with its second quarter's
  return) in tblImportLog: file name, the first 12 hex digits of its sha256, when it was
  imported — or "no import recorded" when the row was typed into the master,
* who signed the return off and when (the return's ``submitted_by`` and ``submitted_on``),

then the rule that combined them, with its arithmetic ("105 + 98 + … = 1,007"), and the
expected partners that sent no figure. ``qa-xl explain`` prints it; the papers' appendix
"Where the figures come from" holds it for every indicator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import Period, PeriodError, period_or_none
from qa_xl.papers.charts import format_value
from qa_xl.papers.data import _Data, _day, _num, _text, closing_quarter

if TYPE_CHECKING:
    from qa_xl.papers.scorecard import Indicator
    from qa_xl.workbook.store import Store

NO_IMPORT = "no import recorded: typed into the master"
LENGTH = {"Q": 1, "H": 2, "Y": 3}


@dataclass
class Source:
    """One partner's figure, and where it is and came from."""

    partner_id: str
    partner: str
    period: str
    figure: str
    cell: str  # sheet!cell in the master
    file: str  # the return file's name, or NO_IMPORT
    sha256: str  # the first 12 hex digits, "" without an import
    imported: str  # "2 Dec 2026 07:11", "" without an import
    signed_off_by: str
    signed_off_on: str
    counted: bool = True
    note: str = ""  # why a figure was not counted

    def as_context(self) -> dict[str, Any]:
        return {"partner_id": self.partner_id, "partner": self.partner, "period": self.period,
                "figure": self.figure, "cell": self.cell, "file": self.file,
                "sha256": self.sha256, "imported": self.imported,
                "signed_off": ", ".join(t for t in (self.signed_off_by, self.signed_off_on)
                                        if t) or "Not recorded",
                "counted": self.counted, "note": self.note}


@dataclass
class Trail:
    """The trail of one indicator's figure in one period."""

    indicator_id: str
    name: str
    period: str
    figure: str
    aggregation: str
    rule: str
    arithmetic: str
    sources: list[Source] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def as_context(self) -> dict[str, Any]:
        return {"id": self.indicator_id, "name": self.name, "period": self.period,
                "figure": self.figure, "rule": self.rule, "arithmetic": self.arithmetic,
                "sources": [s.as_context() for s in self.sources],
                "missing": ", ".join(self.missing) or "none"}

    def lines(self) -> list[str]:
        """The trail as plain text, for a terminal or a log."""
        out = [f"{self.name} ({self.indicator_id}), {self.period}: {self.figure}",
               f"Rule ({self.aggregation}): {self.rule}", f"  {self.arithmetic}"]
        if not self.sources:
            out.append("No partner sent a figure.")
        for s in self.sources:
            out.append(f"- {s.partner} ({s.partner_id}), {s.period}: {s.figure}"
                       + (f" — not counted: {s.note}" if s.note else ""))
            out.append(f"    cell {s.cell}")
            if s.sha256:
                out.append(f"    from {s.file} (sha256 {s.sha256}…), imported {s.imported}")
            else:
                out.append(f"    {s.file}")
            out.append(f"    signed off by {s.signed_off_by or 'nobody recorded'}"
                       + (f" on {s.signed_off_on}" if s.signed_off_on else ""))
        out.append(f"Expected but sent no figure: {', '.join(self.missing) or 'none'}")
        return out


RULES = {
    "sum": "the partners' figures added up",
    "ratio": "the partners' numerators added up, divided by their denominators added up "
             "(never an average of their percentages)",
    "mean": "the mean of the partners' figures",
    "latest": "the latest figure a partner returned (the one submitted last)",
}


class Imports:
    """The accepted imports of tblImportLog, latest first for each (partner, quarter)."""

    def __init__(self, log: pd.DataFrame) -> None:
        accepted = log[log["result"].fillna("").str.startswith("Accepted")]
        accepted = accepted.sort_values("imported_at", kind="stable", na_position="first")
        self.by_key: dict[tuple[str, str], Any] = {}
        for r in accepted.itertuples():
            quarter = closing_quarter(r.period)
            if quarter:
                self.by_key[(_text(r.partner_id), quarter)] = r  # later ones replace

    def of(self, partner_id: str, period: str) -> Any:
        quarter = closing_quarter(period)
        return self.by_key.get((partner_id, quarter)) if quarter else None


def _stamp(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    when = pd.Timestamp(value)
    return f"{when.day} {when:%b %Y %H:%M}"


def _plain(number: float | None) -> str:
    if number is None:
        return "–"
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.4g}"


def _covered(own_kind: str, period: Period) -> list[str]:
    """The indicator's own periods that make ``period``'s figure."""
    if LENGTH[own_kind] >= LENGTH[period.kind]:
        return [str(period)]
    first = Period.containing(period.start, own_kind)
    out, p = [], first
    while p.end <= period.end:
        out.append(str(p))
        p = p.shift(1)
    return out


class Sources:
    """What every trail needs, worked out once for a paper: the accepted imports, each
    indicator's expected partners, and each indicator's return rows."""

    def __init__(self, data: _Data) -> None:
        from qa_xl.collect.consolidate import expected_partners

        self.data = data
        self.imports = Imports(data.import_log)
        self.expected = expected_partners(data.indicators, data.partners)
        self.rows: dict[str, list[tuple[int, Any]]] = {}
        returns = data.returns
        for i, r in zip(returns.index, returns.itertuples(index=False)):
            self.rows.setdefault(_text(r.indicator_id), []).append((i, r))


def trail(data: _Data, ind: Indicator, period: Period, sources: Sources | None = None
          ) -> Trail:
    """The trail of ``ind``'s figure for ``period`` (its own kind, or a longer span)."""
    from qa_xl.core.periods import kind_of_frequency

    known = sources or Sources(data)
    own = kind_of_frequency(ind.frequency)
    periods = _covered(own, period)
    expected = known.expected.get(ind.id, [])
    names = data.partner_names
    table = data.returns_table
    wanted = set(periods)
    mine = [(i, r) for i, r in known.rows.get(ind.id, []) if _text(r.period) in wanted]
    chosen = ""
    if ind.aggregation == "latest" and len(periods) > 1:
        with_value = [_text(r.period) for _, r in mine if _num(r.value) is not None]
        if with_value:
            chosen = max(with_value, key=Period.parse)
            mine = [(i, r) for i, r in mine if _text(r.period) == chosen]
    imports = known.imports
    ratio = ind.aggregation == "ratio"
    sources, counted = [], []
    for i, r in mine:
        pid = _text(r.partner_id)
        value, num, den = _num(r.value), _num(r.numerator), _num(r.denominator)
        has = (num is not None and den is not None) if ratio else value is not None
        sheet = table.sheet_of(i)
        cell = (f"{sheet}!{table.cell('numerator', i)} / {table.cell('denominator', i)}"
                if ratio else f"{sheet}!{table.cell('value', i)}")
        figure = (f"{_plain(num)} / {_plain(den)}" + (f" ({format_value(num / den, ind.unit)})"
                                                      if den else "")
                  if ratio and has else ind.fmt(value, "No figure") if not ratio
                  else "No figure")
        log = imports.of(pid, _text(r.period))
        note = "" if pid in expected or not has else ("not one of the indicator's reporting "
                                                      "partners")
        source = Source(
            partner_id=pid, partner=names.get(pid, pid), period=_text(r.period),
            figure=figure, cell=cell,
            file=_text(log.file_name) if log is not None else NO_IMPORT,
            sha256=_text(log.sha256)[:12] if log is not None else "",
            imported=_stamp(log.imported_at) if log is not None else "",
            signed_off_by=_text(r.submitted_by), signed_off_on=_day(r.submitted_on),
            counted=has and pid in expected, note=note)
        sources.append(source)
        if source.counted:
            counted.append((r, value, num, den))
    if ind.aggregation == "latest" and counted:
        pick = max(range(len(counted)), key=lambda k: (
            pd.Timestamp(counted[k][0].submitted_on) if pd.notna(counted[k][0].submitted_on)
            else pd.Timestamp.min, k))
        for k, source in enumerate(s for s in sources if s.counted):
            if k != pick:
                source.counted, source.note = False, "an earlier submission (latest is used)"
        counted = [counted[pick]]
    sources.sort(key=lambda s: (not s.counted, s.partner, s.period))
    reported = {_text(r.partner_id) for r, *_ in counted}
    missing = [names.get(p, p) for p in expected if p not in reported]
    figure = _figure(ind, counted)
    return Trail(ind.id, ind.name, str(period), figure, ind.aggregation,
                 _rule_words(ind.aggregation, periods, chosen),
                 _arithmetic(ind, counted, figure), sources, missing)


def _rule_words(aggregation: str, periods: list[str], chosen: str = "") -> str:
    words = RULES.get(aggregation, aggregation)
    if len(periods) > 1:
        if aggregation == "latest":
            return (f"a snapshot, so the figure of {chosen}, the last period with one"
                    if chosen else "a snapshot, so the figure of the last period with one")
        return f"{words}, over {' and '.join([', '.join(periods[:-1]), periods[-1]])}"
    return words


def _figure(ind: Indicator, counted: list[tuple]) -> str:
    if not counted:
        return "No data"
    values = [v for _, v, _, _ in counted]
    if ind.aggregation == "ratio":
        num = sum(n for _, _, n, _ in counted)
        den = sum(d for _, _, _, d in counted)
        return ind.fmt(num / den if den else None)
    if ind.aggregation == "mean":
        return ind.fmt(sum(values) / len(values))
    if ind.aggregation == "latest":
        return ind.fmt(values[0])
    return ind.fmt(sum(values))


def _arithmetic(ind: Indicator, counted: list[tuple], figure: str) -> str:
    if not counted:
        return "No partner sent a figure."
    if ind.aggregation == "ratio":
        nums = [n for _, _, n, _ in counted]
        dens = [d for _, _, _, d in counted]
        return (f"({' + '.join(map(_plain, nums))}) / ({' + '.join(map(_plain, dens))}) = "
                f"{_plain(sum(nums))} / {_plain(sum(dens))} = {figure}")
    values = [v for _, v, _, _ in counted]
    shown = " + ".join(ind.fmt(v) for v in values)
    if len(values) == 1 and ind.aggregation != "latest":
        return f"{figure}, the only partner figure"
    if ind.aggregation == "mean":
        return f"({shown}) / {len(values)} = {figure}"
    if ind.aggregation == "latest":
        row = counted[0][0]
        return (f"{figure}, submitted on {_day(row.submitted_on) or 'an unrecorded date'} "
                f"by {_text(row.submitted_by) or _text(row.partner_id)}")
    return f"{shown} = {figure}"


def appendix(data: _Data, inds: list[Indicator]) -> list[dict[str, Any]]:
    """The papers' appendix: every indicator's trail for the period its figure is for."""
    known = Sources(data)
    out = []
    for ind in inds:
        period = period_or_none(ind.row["period"])
        if period is not None:
            out.append(trail(data, ind, period, known).as_context())
    return out


# ------------------------------------------------------------------------------ explain

def explain(workbook: str | Path | Store, indicator: str, *, period: str | None = None,
            today: dt.date | None = None) -> Trail:
    """Where a figure comes from: ``indicator`` (its id, or its name) in ``period`` (a
    quarter, half-year or year; default the latest period of its frequency up to
    current_period). Reads the workbook, writes nothing."""
    from qa_xl.papers.data import _opened, _report_quarter
    from qa_xl.papers.scorecard import indicator_series

    today = today or dt.date.today()
    asked: Period | None = None
    if period:
        try:
            asked = Period.typed(period)
        except PeriodError as exc:
            raise UnusableInput(str(exc), action="give --period as 2026-27 Q2, 2026-27 H1 or "
                                "2026-27") from exc

    def quarter_of(settings: dict[str, Any]) -> Period:
        if asked is not None:
            return Period.containing(asked.end, "Q")
        return _report_quarter(None, settings, today, _label(workbook))

    with _opened(workbook, quarter_of, today) as data:
        ind = _find(data, indicator_series(data), indicator)
        from qa_xl.core.periods import kind_of_frequency

        own = kind_of_frequency(ind.frequency)
        if asked is None:
            asked = period_or_none(ind.row["period"]) or data.quarter
        elif LENGTH[asked.kind] < LENGTH[own]:
            raise UnusableInput(
                f"{ind.name} is reported {ind.frequency.lower()}, so it has no figure for "
                f"{asked}", file=data.label, action=f"give --period as a {_kind_word(own)} "
                f"such as {Period.containing(asked.end, own)}")
        return trail(data, ind, asked)


def _kind_word(kind: str) -> str:
    return {"Q": "quarter", "H": "half-year", "Y": "year"}[kind]


def _label(workbook: Any) -> str:
    return Path(workbook).name if isinstance(workbook, str | Path) else getattr(
        workbook, "label", "the workbook")


def _find(data: _Data, inds: list[Indicator], wanted: str) -> Indicator:
    key = " ".join(str(wanted).lower().split())
    for ind in inds:
        if key in (ind.id.lower(), " ".join(ind.name.lower().split())):
            return ind
    import difflib

    ids = [i.id for i in inds]
    close = difflib.get_close_matches(str(wanted), ids + [i.name for i in inds], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UnusableInput(f"there is no indicator {wanted!r} on the Indicators sheet{hint}",
                        file=data.label, sheet="Indicators",
                        action="give an indicator_id from the Indicators sheet, e.g. "
                        f"{ids[0] if ids else 'mash_contacts'}")
