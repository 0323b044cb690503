"""The papers' sections: each builds a plain part of the template context from the
workbook's tables (the look belongs to the template)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import charts
from ..charts import Chart, HeatSpec, SpcSpec, TrendSpec, format_value
from ..periods import Period
from .data import (
    ASSURANCE_WORDS,
    FILL_BLANK,
    IMPROVEMENT,
    OBA_DESCRIPTIONS,
    RAG_FILL,
    SPC_MIN_POINTS,
    STATUS_FILL,
    VARIATION_WORDS,
    _arrow,
    _capped,
    _Data,
    _date,
    _day,
    _long,
    _meeting,
    _num,
    _opened,
    _plural,
    _report_quarter,
    _share,
    _text,
    board_half,
    check_reportable,
)

if TYPE_CHECKING:
    from ..store import Store

# -------------------------------------------------------------------------------- the charts

@dataclass(frozen=True)
class _Slot:
    """Where a chart goes in the context until it is drawn: what the document needs to place
    it (alt text, title, size) is known before the picture is."""

    index: int
    alt: str
    title: str
    width_mm: float
    height_mm: float


class _Charts:
    """Collects chart specs while the context is built, leaving a :class:`_Slot` in the
    context for each; the charts are then drawn all at once (in the warmed-up workers)."""

    def __init__(self) -> None:
        self.specs: list[charts.Spec] = []

    def add(self, spec: charts.Spec, alt: str) -> _Slot:
        self.specs.append(spec)
        width, height = charts.size_of(spec)
        return _Slot(len(self.specs) - 1, alt, charts.title_of(spec), width, height)

    @staticmethod
    def fill(context: Any, drawn: list[Chart]) -> Any:
        """The context with each slot replaced by its drawn chart."""
        if isinstance(context, _Slot):
            return drawn[context.index]
        if isinstance(context, dict):
            return {k: _Charts.fill(v, drawn) for k, v in context.items()}
        if isinstance(context, list):
            return [_Charts.fill(v, drawn) for v in context]
        return context


# ------------------------------------------------------------------------------ scorecard

@dataclass
class _Indicator:
    """One indicator's figures for the papers."""

    id: str
    name: str
    question: str
    unit: str
    polarity: str
    labels: list[str]
    values: list[float | None]
    row: dict[str, Any]  # its latest tblRollup row
    previous: float | None

    @property
    def value(self) -> float | None:
        return _num(self.row["value"])

    @property
    def target(self) -> float | None:
        return _num(self.row["target"])

    @property
    def improvement(self) -> str:
        return IMPROVEMENT.get(self.polarity.split(" ")[0].lower(), "neutral")

    def fmt(self, value: float | None, missing: str = "No data") -> str:
        return format_value(value, self.unit, missing=missing)

    @property
    def points(self) -> int:
        return sum(v is not None for v in self.values)


def _indicators(data: _Data) -> list[_Indicator]:
    """Every indicator with its series up to the report's quarter, in OBA then table order."""
    info = data.indicators.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    info = info.set_index("indicator_id")
    out = []
    for ind_id, rows in data.rollup.groupby("indicator_id", sort=False):
        if ind_id not in info.index or rows.empty:
            continue
        meta = info.loc[ind_id]
        values = [_num(v) for v in rows["value"]]
        out.append(_Indicator(
            id=str(ind_id), name=_text(meta["indicator_name"]) or str(ind_id),
            question=_text(meta["oba_measure"]), unit=_text(meta["unit"]),
            polarity=_text(meta["polarity"]), labels=[str(p) for p in rows["period"]],
            values=values, row=rows.iloc[-1].to_dict(),
            previous=values[-2] if len(values) > 1 else None))
    order = {q: i for i, q in enumerate(data.oba_order)}
    return sorted(out, key=lambda i: order.get(i.question, len(order)))


def _comments(data: _Data) -> dict[tuple[str, str], str]:
    """(indicator, period) -> the partners' commentary, one line each, named by partner."""
    names = data.partner_names
    told = data.returns[data.returns["commentary"].map(_text) != ""]
    out: dict[tuple[str, str], list[str]] = {}
    for ind, period, partner, text in zip(told["indicator_id"], told["period"],
                                          told["partner_id"], told["commentary"]):
        key = (_text(ind), _text(period))
        out.setdefault(key, []).append(f"{names.get(_text(partner), _text(partner))}: "
                                       f"{_text(text)}")
    return {k: "\n".join(v) for k, v in out.items()}


def _direction_word(ind: _Indicator) -> str:
    word = _text(ind.row["direction"])
    if ind.value is None or ind.previous is None:
        return "No comparison"
    if word in ("Improving", "Worsening", "No change"):
        return word
    return {"↑": "Higher", "↓": "Lower"}.get(_arrow(ind.value, ind.previous), "No change")


def _scorecard_row(ind: _Indicator, comments: dict[tuple[str, str], str],
                   drawing: _Charts) -> dict[str, Any]:
    period = _text(ind.row["period"])
    spec = TrendSpec(ind.name, tuple(ind.labels), tuple(ind.values), ind.unit, ind.target)
    rag = _text(ind.row["rag"]) or "No data"
    return {
        "id": ind.id, "name": ind.name, "period": period, "unit": ind.unit,
        "value": ind.fmt(ind.value), "target": ind.fmt(ind.target, "None"),
        "rag": rag, "rag_fill": RAG_FILL.get(rag, FILL_BLANK),
        "arrow": _arrow(ind.value, ind.previous), "direction": _direction_word(ind),
        "previous": ind.fmt(ind.previous, "None"),
        "partners": f"{_int(ind.row['partners_reported'])} of "
                    f"{_int(ind.row['partners_expected'])}",
        "commentary": comments.get((ind.id, period), ""),
        "trend": drawing.add(spec, alt := charts.trend_alt(spec)), "trend_alt": alt,
    }


def _int(value: Any) -> int:
    number = _num(value)
    return 0 if number is None else int(number)


def _rag_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    words = [r["rag"] for r in rows]
    return {"green": words.count("Green"), "amber": words.count("Amber"),
            "red": words.count("Red"), "no_target": words.count("No target"),
            "no_data": words.count("No data"), "total": len(words)}


def _scorecard(data: _Data, inds: list[_Indicator], drawing: _Charts) -> list[dict[str, Any]]:
    comments = _comments(data)
    groups: dict[str, list[dict[str, Any]]] = {}
    for ind in inds:
        groups.setdefault(ind.question, []).append(_scorecard_row(ind, comments, drawing))
    order = {q: i for i, q in enumerate(data.oba_order)}
    out = []
    for question, rows in groups.items():
        position = order.get(question)
        out.append({
            "question": question or "Other measures",
            "description": OBA_DESCRIPTIONS[position] if position is not None
            and position < len(OBA_DESCRIPTIONS) else "",
            "rows": rows, "counts": _rag_counts(rows)})
    return out


def _spc(inds: list[_Indicator], drawing: _Charts) -> list[dict[str, Any]]:
    """SPC charts for indicators with at least 12 figures (fewer give unreliable limits)."""
    from ..spc import xmr

    out = []
    for ind in inds:
        if ind.points < SPC_MIN_POINTS:
            continue
        spec = SpcSpec(ind.name, tuple(ind.labels), tuple(ind.values), ind.unit,
                       ind.improvement, ind.target)
        result = xmr(ind.values, improvement=ind.improvement, target=ind.target)
        seg = result.segments[-1]
        special = [c for c in ("improvement", "concern", "neither") if result.count(c)]
        out.append({
            "id": ind.id, "name": ind.name, "question": ind.question,
            "points": _period_count(ind.labels, ind.points),
            "latest": ind.fmt(ind.value), "mean": ind.fmt(seg.mean),
            "limits": f"{ind.fmt(seg.lpl)} to {ind.fmt(seg.upl)}",
            "target": ind.fmt(ind.target, "None"),
            "variation": VARIATION_WORDS.get(result.variation, result.variation),
            "variation_text": result.variation_text,
            "assurance": ASSURANCE_WORDS.get(result.assurance, result.assurance),
            "assurance_text": result.assurance_text,
            "special": ", ".join(f"{result.count(c)} {c if c != 'neither' else 'unusual'}"
                                 for c in special) or "None",
            "chart": drawing.add(spec, alt := charts.spc_alt(spec, result)), "chart_alt": alt,
        })
    return out


def _period_count(labels: list[str], count: int) -> str:
    """'12 quarters': how many figures, in the series' own periods."""
    kind = labels[-1].rsplit(" ", 1)[-1][:1] if labels and " " in labels[-1] else "Y"
    one, many = charts.PERIOD_WORDS.get(kind, ("period", "periods"))
    return f"{count} {one if count == 1 else many}"


# ------------------------------------------------------------------------------ programme

def _meetings(data: _Data) -> dict[str, dt.date]:
    """The coming meetings from Config, labelled so that timetable.forward_plan can tell the
    bodies apart ('Q&PC 1', 'Q&PC 2', 'Board')."""
    short = _text(data.setting("committee_short", "Q&PC"))
    board = _text(data.setting("board", "Board"))
    wanted = {f"{short} 1": "next_qpc_meeting", f"{short} 2": "following_qpc_meeting",
              board: "next_board_meeting"}
    return {label: day for label, key in wanted.items()
            if (day := _date(data.settings.get(key))) is not None}


def _programme(data: _Data) -> dict[str, Any]:
    from ..content_areas import priority_without_indicators, progress
    from ..timetable import (
        COMPLETED,
        DUE_SOON,
        NOT_SCHEDULED,
        ON_TRACK,
        OVERDUE,
        forward_plan,
        meeting_body,
        quarterly_gaps,
        timetable_status,
    )

    soon = data.number("due_soon_days", 28)
    status = timetable_status(data.timetable, data.today, soon)
    rank = {s: i for i, s in enumerate((OVERDUE, DUE_SOON, ON_TRACK, COMPLETED, NOT_SCHEDULED))}
    status = status.assign(_rank=status["status_now"].map(rank).fillna(len(rank)))
    status = status.sort_values(["_rank", "next_due"], kind="stable", na_position="last")
    words = list(status["status_now"].astype(str))
    counts = {key: words.count(word) for key, word in (
        ("overdue", OVERDUE), ("due_soon", DUE_SOON), ("on_track", ON_TRACK),
        ("completed", COMPLETED), ("not_scheduled", NOT_SCHEDULED))}
    activities = [{
        "id": _text(r.activity_id), "type": _text(r.activity_type), "title": _text(r.title),
        "lead": _text(r.lead), "frequency": _text(r.frequency), "last_done": _day(r.last_done),
        "next_due": _day(r.next_due) or "Not set", "route": _text(r.reporting_route),
        "status": _text(r.status_now), "status_fill": STATUS_FILL.get(_text(r.status_now),
                                                                       FILL_BLANK),
        "findings": _text(r.findings)} for r in status.itertuples()]
    meetings = _meetings(data)
    plan = forward_plan(data.timetable, meetings, data.today)
    forward = []
    for label, day in sorted(meetings.items(), key=lambda kv: kv[1]):
        if day < data.today:
            continue
        rows = plan[plan["meeting"] == label]
        forward.append({"meeting": meeting_body(label), "date": _meeting(day), "activities": [{
            "title": _text(r.title), "type": _text(r.activity_type), "lead": _text(r.lead),
            "due": _day(r.next_due), "status": _text(r.status_now),
            "status_fill": STATUS_FILL.get(_text(r.status_now), FILL_BLANK)}
            for r in rows.itertuples()]})
    areas = progress(data.content_areas)
    content = [{"area": _text(r.content_area), "kind": _text(r.kind),
                "priority": _text(r.priority) or "Not set", "steps": f"{r.steps_done} of 5",
                "next_step": _text(r.next_step), "good": "Yes" if r.good_written else "No"}
               for r in areas.itertuples()]
    gaps = quarterly_gaps(data.timetable, data.today)
    start = data.quarter.start
    reported = [{"title": _text(r.title), "date": _day(r.last_done),
                 "findings": _text(r.findings)} for r in status.itertuples()
                if _text(r.findings) and (d := _date(r.last_done)) and start <= d <= data.today]
    total = len(activities)
    summary = (f"Of {_plural(total, 'activity', 'activities')} in the QA timetable, "
               f"{counts['overdue']} {'is' if counts['overdue'] == 1 else 'are'} overdue, "
               f"{counts['due_soon']} due within {soon} days, {counts['on_track']} on track, "
               f"{counts['completed']} completed and {counts['not_scheduled']} not scheduled "
               f"(as at {_long(data.today)}).")
    return {
        "summary": summary, "counts": {**counts, "total": total}, "due_soon_days": soon,
        "activities": activities,
        "overdue": [a for a in activities if a["status"] == OVERDUE],
        "forward_plan": forward, "content_areas": content, "reported": reported,
        "priority_gaps": priority_without_indicators(data.content_areas, data.indicators),
        "quarterly_gaps": [_text(t) for t in gaps["title"]],
    }


# ----------------------------------------------------------------------------------- risks

def risk_bands(setting: Any) -> tuple[tuple[str, int, int], ...]:
    """Config's risk_bands ("Low 1-4; Medium 5-9; ...") as (name, low, high) tuples; the
    register's default bands when the setting is blank or unreadable."""
    from ..risks import DEFAULT_BANDS

    found = re.findall(r"\s*([^;\d]+?)\s+(\d+)\s*-\s*(\d+)\s*(?:;|$)", _text(setting))
    return tuple((n.strip(), int(a), int(b)) for n, a, b in found) or DEFAULT_BANDS


def _risks(data: _Data, drawing: _Charts) -> dict[str, Any]:
    from ..risks import IMPROVING, WORSENING, risk_summary

    bands = risk_bands(data.settings.get("risk_bands"))
    summary = risk_summary(data.risks, data.today, bands)
    live = summary[summary["is_open"]].sort_values(["score", "likelihood"], ascending=False,
                                                   kind="stable", na_position="last")
    high = {name for name, _, _ in sorted(bands, key=lambda b: b[1])[-2:]}  # two top bands
    rows = []
    for r in live.itertuples():
        score, previous = _num(r.score), _num(r.previous_score)
        band = _text(r.band)
        rows.append({
            "id": _text(r.risk_id), "title": _text(r.title), "owner": _text(r.owner),
            "likelihood": _int(r.likelihood), "impact": _int(r.impact), "score": _int(score),
            "band": band, "band_fill": charts.band_colour(band, bands).lstrip("#"),
            "change": _text(r.change), "arrow": _arrow(score, previous),
            "previous": "None" if previous is None else str(int(previous)),
            "target": "None" if _num(r.target_score) is None else str(_int(r.target_score)),
            "next_review": _day(r.next_review) + (" (overdue)" if r.review_overdue else ""),
            "controls": _text(r.controls), "actions": _text(r.actions),
            "significant": band in high or _text(r.change) == WORSENING})
    heat = HeatSpec(tuple((r["id"], r["likelihood"], r["impact"], r["band"]) for r in rows
                          if 1 <= r["likelihood"] <= 5 and 1 <= r["impact"] <= 5), bands)
    changes = [r["change"] for r in rows]
    by_band = [{"band": name, "range": f"{low}-{high_}", "count": sum(
        r["band"] == name for r in rows), "fill": charts.band_colour(name, bands).lstrip("#")}
        for name, low, high_ in sorted(bands, key=lambda b: -b[1])]
    summary_text = (f"{_plural(len(rows), 'open risk')} on the register "
                    f"({len(summary) - len(rows)} closed): "
                    + ", ".join(f"{b['count']} {b['band']}" for b in by_band)
                    + f"; {changes.count(WORSENING)} worsening and {changes.count(IMPROVING)} "
                    "improving since the last review.")
    return {
        "summary": summary_text, "open": rows, "significant": [r for r in rows
                                                              if r["significant"]],
        "by_band": by_band, "counts": {
            "open": len(rows), "closed": len(summary) - len(rows),
            "worsening": changes.count(WORSENING), "improving": changes.count(IMPROVING),
            "reviews_overdue": int(live["review_overdue"].sum())},
        "heat_map": drawing.add(heat, alt := charts.heat_alt(heat)), "heat_map_alt": alt,
    }


# ---------------------------------------------------------------------------------- audits

def _audit_scope(data: _Data) -> tuple[pd.DataFrame, str]:
    """The audits that met in the quarter, else the latest one before its end."""
    audits = data.audits
    dates = pd.to_datetime(audits["audit_date"])
    start, end = pd.Timestamp(data.quarter.start), pd.Timestamp(data.quarter.end)
    inside = audits[(dates >= start) & (dates <= end)]
    if len(inside):
        return inside, f"the audits that met in {data.quarter}"
    before = audits[dates <= end]
    if before.empty:
        return before, ""
    latest = before.loc[pd.to_datetime(before["audit_date"]).idxmax(), "audit_id"]
    return before[before["audit_id"] == latest], (
        f"the latest audit, {latest} (none met in {data.quarter})")


def _audits(data: _Data) -> dict[str, Any]:
    from ..audits import (
        GOOD_OR_BETTER,
        GRADES,
        good_or_better,
        grade_distribution,
        recurring_themes,
        unactioned_recommendations,
    )

    scope, scope_text = _audit_scope(data)
    keys = ("outstanding", "good", "requires_improvement", "inadequate")
    stages = []
    if len(scope):
        dist = grade_distribution(scope)
        for stage, r in dist.iterrows():
            good = int(r["Outstanding"] + r["Good"])
            stages.append({"stage": str(stage), **{k: int(r[g]) for k, g in zip(keys, GRADES)},
                           "total": int(r["Total"]),
                           "good_share": _share(good / r["Total"] if r["Total"] else None)})
        totals = dist.sum()
        stages.append({"stage": "All stages", **{k: int(totals[g]) for k, g in
                                                 zip(keys, GRADES)},
                       "total": int(totals["Total"]),
                       "good_share": _share((totals["Outstanding"] + totals["Good"])
                                            / totals["Total"] if totals["Total"] else None)})
    end = pd.Timestamp(data.quarter.end)
    upto = data.audits[pd.to_datetime(data.audits["audit_date"]) <= end]
    per_audit = good_or_better(upto) if len(upto) else None
    history = [] if per_audit is None else [
        {"id": str(r.Index), "date": _day(r.audit_date), "theme": _text(r.theme),
         "cases": int(r.cases), "gradings": int(r.gradings), "good_share": _share(_num(r.share))}
        for r in per_audit.itertuples()]
    themes = recurring_themes(upto) if len(upto) else pd.DataFrame(columns=["theme"])
    strengths = scope[scope["grade"].isin(GOOD_OR_BETTER)]["strengths"].map(_text)
    common = strengths[strengths != ""].value_counts().head(3)
    missing = unactioned_recommendations(upto, data.actions) if len(upto) else pd.DataFrame()
    return {
        "scope": scope_text or "no audit has met yet",
        "cases": int(scope["case_ref"].nunique()) if len(scope) else 0,
        "stages": stages, "history": history,
        "themes": [{"theme": _text(r.theme), "audits": int(r.audits),
                    "audit_ids": _text(r.audit_ids), "example": _text(r.example)}
                   for r in themes.head(5).itertuples()],
        "strengths": [{"strength": str(text), "gradings": int(n)} for text, n in
                      common.items()],
        "unactioned": [{"audit": _text(r.audit_id), "recommendation": _text(r.recommendation)}
                       for r in missing.itertuples()],
    }


# ------------------------------------------------------------------------------------ voice

def _voice(data: _Data) -> dict[str, Any]:
    from ..voice import all_partners, stories, suppression_note

    least = data.number("voice_min_respondents", 5)
    table = all_partners(data.voice, least)
    now, before = str(data.quarter), str(data.quarter.previous())
    previous = {_text(r.question): _num(r.share_yes) for r in
                table[table["period"] == before].itertuples()}
    note = suppression_note(least)

    def pct(value: Any) -> str:
        return note if _num(value) is None else _share(_num(value))

    rows = [{"question": _text(r.question),
             "respondents": note if r.suppressed else str(_int(r.respondents)),
             "yes": pct(r.share_yes), "partly": pct(r.share_partly), "no": pct(r.share_no),
             "yes_previous": pct(previous.get(_text(r.question)))
             if _text(r.question) in previous else "No figure"}
            for r in table[table["period"] == now].itertuples()]
    names = data.partner_names
    told = stories(data.voice)
    told = told[told["period"] == now]
    return {
        "period": now, "previous_period": before, "min_respondents": least,
        "suppression_note": note, "questions": rows,
        "stories": [{"partner": names.get(_text(r.partner_id), _text(r.partner_id)),
                     "question": _text(r.question), "story": _text(r.story)}
                    for r in told.itertuples()],
    }


# ---------------------------------------------------------------------------------- actions

def _actions(data: _Data) -> dict[str, Any]:
    from ..actions import DUE_SOON, OVERDUE, by_learning_area, for_papers, is_done

    soon = data.number("due_soon_days", 28)
    open_rows = for_papers(data.actions, data.today)
    rows = [{"id": _text(r.action_id), "source": _text(r.source), "finding": _text(r.finding),
             "action": _text(r.action), "area": _text(r.learning_area) or "Not set",
             "owner": _text(r.owner), "due": _day(r.due_date) or "Not set",
             "status": _text(r.status_now), "recorded": _text(r.status),
             "status_fill": STATUS_FILL.get(_text(r.status_now), FILL_BLANK)}
            for r in open_rows.itertuples()]
    areas = by_learning_area(data.actions, data.today)
    done = data.actions[is_done(data.actions)]
    impact = [{"id": _text(r.action_id), "action": _text(r.action),
               "area": _text(r.learning_area), "evidence": _text(r.evidence_of_impact)}
              for r in done.itertuples() if _text(r.evidence_of_impact)]
    words = [r["status"] for r in rows]
    return {
        "summary": f"{_plural(len(rows), 'open action')}: {words.count(OVERDUE)} overdue, "
                   f"{words.count(DUE_SOON)} due within {soon} days; {len(done)} completed or "
                   f"closed, {len(impact)} with evidence of impact.",
        "counts": {"open": len(rows), "overdue": words.count(OVERDUE),
                   "due_soon": words.count(DUE_SOON), "done": len(done),
                   "with_impact": len(impact)},
        "open": rows, "overdue": [r for r in rows if r["status"] == OVERDUE],
        "by_area": [{"area": str(area), "total": int(r["total"]), "open": int(r["open"]),
                     "overdue": int(r["overdue"]), "due_soon": int(r["due_soon"]),
                     "done": int(r["done"])} for area, r in areas.iterrows()],
        "impact": impact,
    }


# ------------------------------------------------------------------------------- compliance

def _compliance(data: _Data) -> dict[str, Any]:
    from ..consolidate import LATE, MISSING, NOT_DUE, ON_TIME

    names = data.partner_names
    comp = data.compliance
    now = comp[comp["period"] == str(data.quarter)]
    on_time = comp[comp["status"] == ON_TIME].groupby("partner_id").size()
    quarters = comp["period"].nunique()
    rows = [{"partner": _text(r.partner_id), "name": names.get(_text(r.partner_id),
                                                                _text(r.partner_id)),
             "status": _text(r.status), "status_fill": STATUS_FILL.get(_text(r.status),
                                                                       FILL_BLANK),
             "rows": _int(r.rows), "submitted": _day(r.submitted_on) or "Not received",
             "due": _day(r.due),
             "on_time_recent": f"{int(on_time.get(r.partner_id, 0))} of {quarters}"}
            for r in now.itertuples()]
    words = [r["status"] for r in rows]
    due = _day(now["due"].iloc[0]) if len(now) else ""
    if words.count(NOT_DUE):
        summary = (f"The {data.quarter} returns are not due until {due}: "
                   f"{words.count(ON_TIME)} of {_plural(len(rows), 'partner')} have sent "
                   "theirs so far.")
    else:
        summary = (f"{words.count(ON_TIME)} of {_plural(len(rows), 'partner')} sent their "
                   f"{data.quarter} return on time (due {due}); {words.count(LATE)} late and "
                   f"{words.count(MISSING)} missing.")
    return {
        "period": str(data.quarter), "due": due, "quarters": quarters, "summary": summary,
        "counts": {"expected": len(rows), "on_time": words.count(ON_TIME),
                   "late": words.count(LATE), "missing": words.count(MISSING),
                   "not_due": words.count(NOT_DUE)},
        "partners": rows,
        "missing": [r["name"] for r in rows if r["status"] == MISSING],
        "late": [r["name"] for r in rows if r["status"] == LATE],
    }


# ---------------------------------------------------------------------------- definitions

def _definitions(data: _Data) -> list[dict[str, Any]]:
    order = {q: i for i, q in enumerate(data.oba_order)}
    rows = data.indicators.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    out = []
    for r in rows.itertuples():
        unit = _text(r.unit)
        out.append({
            "id": _text(r.indicator_id), "name": _text(r.indicator_name),
            "question": _text(r.oba_measure), "content_area": _text(r.content_area),
            "source": _text(r.source), "unit": unit, "polarity": _text(r.polarity),
            "aggregation": _text(r.aggregation), "frequency": _text(r.frequency),
            "target": format_value(_num(r.target), unit, missing="None"),
            "tolerance": format_value(_num(r.amber_tolerance), unit, missing="None")
            if not unit.lower().startswith("percent") or _num(r.amber_tolerance) is None
            else f"{_num(r.amber_tolerance) * 100:.1f} points",
            "definition": _text(r.definition) or "Not recorded.",
            "good": _text(r.what_good_looks_like)})
    return sorted(out, key=lambda d: order.get(d["question"], len(order)))


# -------------------------------------------------------------------------------- summary

def _summary(data: _Data, groups: list[dict[str, Any]], programme: dict[str, Any],
             risks: dict[str, Any], audits: dict[str, Any], voice: dict[str, Any],
             actions: dict[str, Any], compliance: dict[str, Any]) -> dict[str, Any]:
    """The standing agenda item: key findings, good practice, significant risks and
    improvements, each a short list of sentences drawn from the sections that follow."""
    rows = [r for g in groups for r in g["rows"]]
    counts = _rag_counts(rows)
    rated = counts["green"] + counts["amber"] + counts["red"]
    quarter = str(data.quarter)
    findings = [
        f"Of {_plural(rated, 'indicator')} with a target, {counts['green']} "
        f"{'is' if counts['green'] == 1 else 'are'} Green, {counts['amber']} Amber and "
        f"{counts['red']} Red in {quarter}." if rated else
        f"No indicator had both a target and a figure in {quarter}."]
    red = [r for r in rows if r["rag"] == "Red"]
    if red:
        findings.append("Red: " + "; ".join(f"{r['name']} ({r['value']} against a target of "
                                            f"{r['target']})" for r in red[:4])
                        + (f"; and {len(red) - 4} more." if len(red) > 4 else "."))
    moved = [r["direction"] for r in rows]
    findings.append(f"Since the previous period {moved.count('Improving')} indicators improved "
                    f"and {moved.count('Worsening')} worsened.")
    findings.append(compliance["summary"] + (
        f" Missing: {', '.join(compliance['missing'])}." if compliance["missing"] else ""))
    if audits["history"]:
        latest = audits["history"][-1]
        earlier = f" (previous audit {audits['history'][-2]['good_share']})" if len(
            audits["history"]) > 1 else ""
        findings.append(f"Case-file audit {latest['id']} ({latest['theme']}, {latest['date']}):"
                        f" {latest['good_share']} of {latest['gradings']} gradings were Good "
                        f"or better{earlier}.")
    for theme in audits["themes"][:1]:
        findings.append(f"Recurring area for development in audits: {theme['theme']} "
                        f"({theme['audits']} audits).")
    shown = [q for q in voice["questions"] if q["yes"].endswith("%")]
    if shown:
        findings.append("Voice of children and families, all partners: " + "; ".join(
            f"{q['yes']} yes to “{q['question']}”" for q in shown) + ".")
    findings.append(programme["summary"])
    reported = [f"{a['title']} ({a['date']}): {a['findings']}" for a in programme["reported"]]
    findings += reported[:3]
    if len(reported) > 3:
        findings.append(f"{_plural(len(reported) - 3, 'more activity', 'more activities')} "
                        "reported findings: see the QA programme section.")

    good = [f"{r['name']} is Green and improving ({r['value']}; target {r['target']})."
            for r in rows if r["rag"] == "Green" and r["direction"] == "Improving"]
    good += [f"Case-file audit strength: {s['strength']} ({_plural(s['gradings'], 'grading')} "
             "Good or better)." for s in audits["strengths"]]
    good += [f"“{s['story']}” ({s['partner']})" for s in voice["stories"][:2]]

    significant = [f"{r['id']} {r['title']}: score {r['score']} ({r['band']}), "
                   f"{r['change'].lower()}" + (f" from {r['previous']}"
                                               if r["previous"] != "None" else "")
                   + (f"; owner {r['owner']}." if r["owner"] else ".")
                   for r in risks["significant"]]
    significant += [f"{r['name']} is Red and worsening ({r['value']} against {r['target']})."
                    for r in rows if r["rag"] == "Red" and r["direction"] == "Worsening"]
    if actions["counts"]["overdue"]:
        overdue = _plural(actions["counts"]["overdue"], "learning and improvement action")
        significant.append(f"{overdue} overdue.")
    if programme["counts"]["overdue"]:
        significant.append("Overdue QA activities: " + "; ".join(
            a["title"] for a in programme["overdue"]) + ".")
    if audits["unactioned"]:
        significant.append(f"{_plural(len(audits['unactioned']), 'audit recommendation')} "
                           "without an action.")

    better = [f"{r['name']} improved from {r['previous']} to {r['value']}."
              for r in rows if r["direction"] == "Improving"]
    better += [f"{r['id']} {r['title']}: risk score down from {r['previous']} to {r['score']}."
               for r in risks["open"] if r["change"] == "Improving"]
    better += [f"{a['id']} ({a['area']}): {a['evidence']}" for a in actions["impact"]]
    return {
        "key_findings": findings,
        "good_practice": _capped(good, "in the sections below"),
        "significant_risks": _capped(significant, "in the risk and action sections"),
        "improvements": _capped(better, "in the scorecard and action sections"),
        "rag_counts": [{"question": g["question"], **g["counts"]} for g in groups],
        "totals": counts,
    }


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
    }


Starter = Callable[[list[charts.Spec]], Callable[[], list[Chart]]]
_NO_PICTURE = Chart(b"", "", "", 0, 0)


def _no_drawing(specs: list[charts.Spec]) -> Callable[[], list[Chart]]:
    """For checking a template: every chart an empty placeholder, nothing drawn."""
    return lambda: [_NO_PICTURE] * len(specs)


def _pack_parts(data: _Data, drawing: _Charts, start: Starter
                ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The pack's context with chart references; the chart parts are worked out first so
    that the charts are drawn while the rest is."""
    inds = _indicators(data)
    groups = _scorecard(data, inds, drawing)
    spc = _spc(inds, drawing)
    risks = _risks(data, drawing)
    pending = start(drawing.specs)
    committee = _text(data.setting("committee", "Quality & Performance Committee"))
    context = _common(data, data.quarter, "next_qpc_meeting", f"{committee} pack")
    programme, audits, voice = _programme(data), _audits(data), _voice(data)
    actions, compliance = _actions(data), _compliance(data)
    context.update({
        "summary": _summary(data, groups, programme, risks, audits, voice, actions,
                            compliance),
        "scorecard": groups, "spc": spc, "spc_min_points": SPC_MIN_POINTS,
        "programme": programme, "risks": risks, "audits": audits, "voice": voice,
        "actions": actions, "compliance": compliance, "definitions": _definitions(data),
    })
    return context, pending


def _board_parts(data: _Data, half: Period, drawing: _Charts, start: Starter
                 ) -> tuple[dict[str, Any], Callable[[], list[Chart]]]:
    """The Board report's context: the same sections, shorter, for the half-year."""
    inds = _indicators(data)
    groups = _scorecard(data, inds, drawing)
    risks = _risks(data, drawing)
    pending = start(drawing.specs)
    board = _text(data.setting("board", "Board"))
    context = _common(data, half, "next_board_meeting", f"{board} performance report")
    programme, audits, voice = _programme(data), _audits(data), _voice(data)
    actions, compliance = _actions(data), _compliance(data)
    board_plan = [m for m in programme["forward_plan"] if m["meeting"] == board]
    context.update({
        "quarter": str(data.quarter),
        "summary": _summary(data, groups, programme, risks, audits, voice, actions,
                            compliance),
        "scorecard": groups, "risks": risks,
        "programme": {**programme, "board_plan": board_plan},
        "actions": actions, "voice": voice, "compliance": compliance,
    })
    return context, pending


def _paper(workbook: str | Path | Store, kind: str, period: str | None,
           today: dt.date | None, start: Starter
           ) -> tuple[_Data, dict[str, Any], Period, Callable[[], list[Chart]]]:
    """Read the workbook and build a paper's context, its charts started by ``start``:
    (data, context with chart slots, period covered, wait for the charts)."""
    if kind not in ("pack", "board"):
        raise ValueError(f"kind must be 'pack' or 'board', not {kind!r}")
    today = today or dt.date.today()
    label = _label(workbook)
    covered: dict[str, Period] = {}

    def quarter_of(settings: dict[str, Any]) -> Period:
        if kind == "pack":
            covered["period"] = _report_quarter(period, settings, today, label)
            return covered["period"]
        covered["period"] = board_half(period, settings, today, label)
        return Period.containing(covered["period"].end, "Q")

    with _opened(workbook, quarter_of, today) as data:
        check_reportable(data, covered["period"], asked=period is not None)
        drawing = _Charts()
        context, pending = (_pack_parts(data, drawing, start) if kind == "pack" else
                            _board_parts(data, covered["period"], drawing, start))
    return data, context, covered["period"], pending


def paper_context(workbook: str | Path | Store, kind: str = "pack", *,
                  period: str | None = None, today: dt.date | None = None,
                  draw: bool = True) -> dict[str, Any]:
    """A paper's template context ("pack" or "board"): plain words, numbers and lists of
    dicts, with :class:`qa_xl.charts.Chart` values for the pictures (empty placeholders when
    ``draw`` is false). report_templates/README.md documents every key."""
    try:
        _data, context, _covered, pending = _paper(workbook, kind, period, today,
                                                   charts.start if draw else _no_drawing)
        return _Charts.fill(context, pending())
    finally:
        charts.shut_down()


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


