"""A paper's context: the sections put together for the Q&PC pack or the Board report, with
the charts started while the rest is built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import Period
from qa_xl.papers import charts
from qa_xl.papers.charts import (
    Chart,
    ChartSlots,
)
from qa_xl.papers.data import (
    SPC_MIN_POINTS,
    _Data,
    _date,
    _long,
    _meeting,
    _opened,
    _report_quarter,
    _text,
    board_half,
    check_reportable,
)

if TYPE_CHECKING:
    from qa_xl.workbook.store import Store
from qa_xl.papers.drawing import shut_down, start as start_drawing
from qa_xl.papers.provenance import appendix
from qa_xl.papers.scorecard import indicator_series, scorecard_section, spc_section
from qa_xl.papers.sections import (
    actions_section,
    audits_section,
    compliance_section,
    definitions_section,
    programme_section,
    risks_section,
    since_closed_section,
    voice_section,
)
from qa_xl.papers.self_assessment import committee_parts
from qa_xl.papers.summary import board_summary, summary_section

# --------------------------------------------------------------------------------- contexts

def _common(data: _Data, period: Period, meeting_key: str, what: str) -> dict[str, Any]:
    committee = _text(data.setting("committee", "Quality & Performance Committee"))
    short = _text(data.setting("committee_short", "Q&PC"))
    board = _text(data.setting("board", "Board"))
    partnership = _text(data.setting("partnership", data.label))
    return {
        "title": f"{what}: {period}",
        "partnership": partnership,
        "partnership_short": _text(data.setting("partnership_short", partnership)),
        "committee": committee, "committee_short": short, "board": board,
        "period": str(period), "period_dates": f"{_long(period.start)} to {_long(period.end)}",
        "meeting_date": _meeting(_date(data.settings.get(meeting_key))),
        "version": _text(data.setting("pack_version", "1.0")),
        "protective_marking": _text(data.setting("protective_marking", "OFFICIAL")),
        "language": _text(data.setting("language", "en-GB")),
        "generated_on": _long(dt.date.today()), "as_at": _long(data.today),
        "workbook": data.label,
        "provenance_scope": "",  # every indicator's trail, unless a paper says whose
    }


Starter = Callable[[list[charts.Spec]], Callable[[], list[Chart]]]
_NO_PICTURE = Chart(b"", "", "", 0, 0)


def _no_drawing(specs: list[charts.Spec]) -> Callable[[], list[Chart]]:
    """For checking a template: every chart an empty placeholder, nothing drawn."""
    return lambda: [_NO_PICTURE] * len(specs)


def _pack_parts(data: _Data, drawing: ChartSlots, start: Starter
                ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The pack's context with chart references; the chart parts are worked out first so
    that the charts are drawn while the rest is."""
    inds = indicator_series(data)
    groups = scorecard_section(data, inds, drawing)
    spc, spc_short = spc_section(data, inds, drawing)
    risks = risks_section(data, drawing)
    pending = start(drawing.specs)
    committee = _text(data.setting("committee", "Quality & Performance Committee"))
    context = _common(data, data.quarter, "next_qpc_meeting", f"{committee} pack")
    context["subject"] = f"{context['committee_short']} pack, {data.quarter}"
    programme, audits, voice = programme_section(data), audits_section(data), voice_section(data)
    actions, compliance = actions_section(data), compliance_section(data)
    context.update({
        "summary": summary_section(data, inds, groups, programme, risks, audits, voice,
                                   actions, compliance),
        "scorecard": groups, "spc": spc, "spc_short": spc_short,
        "spc_min_points": SPC_MIN_POINTS,
        "programme": programme, "risks": risks, "audits": audits, "voice": voice,
        "actions": actions, "compliance": compliance, "definitions": definitions_section(data),
        "provenance": appendix(data, inds), "since_closed": since_closed_section(data),
        "self_assessment": committee_parts(data),
    })
    return context, pending


def _board_parts(data: _Data, half: Period, drawing: ChartSlots, start: Starter
                 ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The Board report's context: the half-year's figures, a headline scorecard of the
    indicators that matter (the rest in an appendix), its own summary, risks, the QA
    programme and learning."""
    from qa_xl.papers.board import figures_note, headlines, latest_quarter
    from qa_xl.papers.spans import span_rollup

    last = latest_quarter(data, half)
    figures = span_rollup(data.returns, data.indicators, data.partners, half, last)
    inds = indicator_series(data, figures)
    why = headlines(data, inds)
    groups = scorecard_section(data, [i for i in inds if i.id in why], drawing,
                               span="half-year", why=why)
    rest = scorecard_section(data, [i for i in inds if i.id not in why], drawing,
                             span="half-year")
    risks = risks_section(data, drawing)
    pending = start(drawing.specs)
    board = _text(data.setting("board", "Board"))
    context = _common(data, half, "next_board_meeting", f"{board} performance report")
    context["subject"] = f"{board} performance report, {half}"
    programme, actions = programme_section(data), actions_section(data)
    board_plan = [m for m in programme["forward_plan"] if m["meeting"] == board]
    context.update({
        "quarter": str(data.quarter), "figures_note": figures_note(half, last),
        "summary": board_summary(data, str(half), inds, _merged(data.oba_order, groups, rest),
                                 programme, risks, actions),
        "scorecard": groups, "other_indicators": rest, "risks": risks,
        "programme": {**programme, "board_plan": board_plan}, "actions": actions,
        # the trail of the headline figures only: a Board member asking where another
        # figure comes from has the Q&PC pack's appendix or qa-xl explain (the whole trail
        # for every indicator made the report twice as long as its content)
        "provenance": appendix(data, [i for i in inds if i.id in why]),
        "provenance_scope": "the headline scorecard's", "self_assessment": committee_parts(data),
    })
    return context, pending


def _merged(order: list[str], *parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scorecard groups of the same OBA question put together (for the counts), in the
    framework's order."""
    from qa_xl.papers.scorecard import rag_counts

    merged: dict[str, dict[str, Any]] = {}
    for groups in parts:
        for g in groups:
            entry = merged.setdefault(g["question"], {**g, "rows": []})
            entry["rows"] = entry["rows"] + g["rows"]
    for entry in merged.values():
        entry["counts"] = rag_counts(entry["rows"])
    rank = {q: i for i, q in enumerate(order)}
    return sorted(merged.values(), key=lambda g: rank.get(g["question"], len(rank)))


def _yearly_parts(data: _Data, year: Period, drawing: ChartSlots, start: Starter
                  ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The yearly report's context: what the partnership did in the year and the difference
    it made, for families and professionals."""
    from qa_xl.papers.yearly import yearly_parts

    parts = yearly_parts(data, year, drawing)
    pending = start(drawing.specs)
    partnership = _text(data.setting("partnership", data.label))
    context = _common(data, year, "next_board_meeting", f"{partnership} yearly report")
    context["subject"] = f"Yearly report, {year}"
    # a report to publish: Config's public_marking (OFFICIAL unless the officer says)
    context["protective_marking"] = _text(data.setting("public_marking", "OFFICIAL"))
    context.update(parts)
    return context, pending


def _review_parts(data: _Data, year: Period, drawing: ChartSlots, start: Starter
                  ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The annual review of the QA programme, with the next year's programme proposed."""
    from qa_xl.papers.programme_review import programme_review_parts

    parts = programme_review_parts(data, year)
    pending = start(drawing.specs)
    committee = _text(data.setting("committee", "Quality & Performance Committee"))
    context = _common(data, year, "next_qpc_meeting", "Review of the QA programme")
    context["subject"] = f"{committee}: review of the QA programme, {year}"
    context.update(parts)
    return context, pending


def _cycle_parts(data: _Data, form: str, cycle: Any
                 ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """A self-assessment cycle's report to the Board (the framework's rolling programme of
    reports on action plans): the cycle's part, under the common cover."""
    from qa_xl.papers.self_assessment import self_assessment_part

    part = self_assessment_part(data, form, cycle)
    board = _text(data.setting("board", "Board"))
    context = _common(data, data.quarter, "next_board_meeting",
                      f"{part['title']} {part['cycle']}")
    context.update({"title": f"{part['title']} {part['cycle']}: report to the {board}",
                    "subject": f"{part['title']}, {part['cycle']}", "period": part["cycle"],
                    "period_dates": part["cycle_dates"], "cycle": part["cycle"],
                    "form": form, "self_assessment": [part]})
    return context, lambda: []


KINDS = ("pack", "board", "yearly", "programme_review", "s11", "s175")
CYCLE_KINDS = ("s11", "s175")


def paper(workbook: str | Path | Store, kind: str, period: str | None,
           today: dt.date | None, start: Starter
           ) -> tuple[_Data, dict[str, Any], Period, Callable[[], list[Chart]]]:
    """Read the workbook and build a paper's context, its charts started by ``start``:
    (data, context with chart slots, period covered, wait for the charts)."""
    from qa_xl.papers.yearly import report_year

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    today = today or dt.date.today()
    label = _label(workbook)
    covered: dict[str, Period] = {}

    def quarter_of(settings: dict[str, Any]) -> Period:
        if kind in CYCLE_KINDS:  # the cycle asked for, else the latest with answers
            return _report_quarter(None, settings, today, label)
        if kind == "pack":
            covered["period"] = _report_quarter(period, settings, today, label)
            return covered["period"]
        if kind == "board":
            covered["period"] = board_half(period, settings, today, label)
        else:  # the yearly report: the last complete year; the review: the current year
            covered["period"] = report_year(period, settings, today, label,
                                            complete=kind == "yearly")
        return Period.containing(covered["period"].end, "Q")

    builders = {"pack": lambda d, p, dr, st: _pack_parts(d, dr, st), "board": _board_parts,
                "yearly": _yearly_parts, "programme_review": _review_parts}
    if kind in CYCLE_KINDS:
        from qa_xl.core.periods import Cycle, PeriodError

        try:
            cycle = Cycle.parse(period) if period else None
        except PeriodError as exc:
            raise UnusableInput(str(exc), action="give --cycle as 2026-28") from exc
        with _opened(workbook, quarter_of, today) as data:
            from qa_xl.papers.self_assessment import latest_cycle

            latest, title = latest_cycle(data, kind), data.config.self_assessment(kind).title
            if latest is None:
                raise UnusableInput(f"no {title} has been imported yet", file=label,
                                    action=f"import the forms first (qa-xl {kind} import)")
            answers = data.self_assessments
            if cycle is not None and not ((answers["form"] == kind)
                                          & (answers["cycle"] == str(cycle))).any():
                raise UnusableInput(f"no {title} has been imported for {cycle}", file=label,
                                    action=f"give --cycle as one that has answers (the "
                                    f"latest is {latest}), or import its forms first")
            cycle = cycle or latest
            context, pending = _cycle_parts(data, kind, cycle)
        return data, context, cycle, pending
    with _opened(workbook, quarter_of, today) as data:
        check_reportable(data, covered["period"], asked=period is not None,
                         option="--year" if kind in ("yearly", "programme_review")
                         else "--period")
        drawing = ChartSlots()
        context, pending = builders[kind](data, covered["period"], drawing, start)
    return data, context, covered["period"], pending


def paper_context(workbook: str | Path | Store, kind: str = "pack", *,
                  period: str | None = None, today: dt.date | None = None,
                  draw: bool = True) -> dict[str, Any]:
    """A paper's template context ("pack", "board", "yearly" or "programme_review"): plain
    words, numbers and lists of dicts, with :class:`qa_xl.papers.charts.Chart` values for the
    pictures (empty placeholders when ``draw`` is false). report_templates/README.md
    documents every key."""
    try:
        _data, context, _covered, pending = paper(workbook, kind, period, today,
                                                   start_drawing if draw else _no_drawing)
        return ChartSlots.fill(context, pending())
    finally:
        shut_down()


def pack_context(workbook: str | Path | Store, *, period: str | None = None,
                 today: dt.date | None = None) -> dict[str, Any]:
    """The Q&PC pack's context for the quarter ``period`` (default Config's current one)."""
    return paper_context(workbook, "pack", period=period, today=today)


def board_context(workbook: str | Path | Store, *, period: str | None = None,
                  today: dt.date | None = None) -> dict[str, Any]:
    """The half-yearly Board report's context (figures as at the half-year's last quarter)."""
    return paper_context(workbook, "board", period=period, today=today)


def _label(workbook: Any) -> str:
    return Path(workbook).name if isinstance(workbook, str | Path) else getattr(
        workbook, "label", "the workbook")


