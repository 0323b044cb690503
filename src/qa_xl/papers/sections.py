"""The papers' other sections — QA programme, risks, audits, voice, actions, return
compliance and definitions — each a plain part of the template context built from the
workbook's tables (the look belongs to the template)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from qa_xl.core.words import plural
from qa_xl.papers import charts
from qa_xl.papers.charts import (
    ChartSlots,
    HeatSpec,
    format_value,
)
from qa_xl.papers.data import (
    FILL_BLANK,
    STATUS_FILL,
    _arrow,
    _Data,
    _date,
    _day,
    _int,
    _long,
    _meeting,
    _num,
    _share,
    _text,
)

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


def programme_section(data: _Data) -> dict[str, Any]:
    from qa_xl.programme.content_areas import priority_without_indicators, progress
    from qa_xl.programme.timetable import (
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
    summary = (f"Of {plural(total, 'activity', 'activities')} in the QA timetable, "
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
    from qa_xl.programme.risks import DEFAULT_BANDS

    found = re.findall(r"\s*([^;\d]+?)\s+(\d+)\s*-\s*(\d+)\s*(?:;|$)", _text(setting))
    return tuple((n.strip(), int(a), int(b)) for n, a, b in found) or DEFAULT_BANDS


def risks_section(data: _Data, drawing: ChartSlots) -> dict[str, Any]:
    from qa_xl.programme.risks import IMPROVING, WORSENING, risk_summary

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
            "band": band, "band_fill": charts.band_colour(band, bands, tint=True).lstrip("#"),
            "change": _text(r.change), "arrow": _arrow(score, previous),
            "previous": "Not scored" if previous is None else str(int(previous)),
            "target": "Not set" if _num(r.target_score) is None else str(_int(r.target_score)),
            "next_review": _day(r.next_review) + (" (overdue)" if r.review_overdue else ""),
            "controls": _text(r.controls), "actions": _text(r.actions),
            "significant": band in high or _text(r.change) == WORSENING})
    heat = HeatSpec(tuple((r["id"], r["likelihood"], r["impact"], r["band"]) for r in rows
                          if 1 <= r["likelihood"] <= 5 and 1 <= r["impact"] <= 5), bands)
    changes = [r["change"] for r in rows]
    by_band = [{"band": name, "range": f"{low}-{high_}", "count": sum(
        r["band"] == name for r in rows),
        "fill": charts.band_colour(name, bands, tint=True).lstrip("#")}
        for name, low, high_ in sorted(bands, key=lambda b: -b[1])]
    summary_text = (f"{plural(len(rows), 'open risk')} on the register "
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


def audits_section(data: _Data) -> dict[str, Any]:
    from qa_xl.programme.audits import (
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

def voice_section(data: _Data) -> dict[str, Any]:
    from qa_xl.programme.voice import all_partners, stories, suppression_note

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

def actions_section(data: _Data) -> dict[str, Any]:
    from qa_xl.programme.actions import DUE_SOON, OVERDUE, by_learning_area, for_papers, is_done

    soon = data.number("due_soon_days", 28)
    open_rows = for_papers(data.actions, data.today)
    # The self-assessments' action plans (one action per partly or not met question of every
    # organisation: hundreds) are followed in their own sections and each cycle's report;
    # listed here they would bury the learning and improvement log the committee runs.
    plans = {sa.action_source: sa for sa in data.config.self_assessments}
    sources = open_rows["source"].map(_text)
    from_plans = sources.isin(set(plans))
    rows = [{"id": _text(r.action_id), "source": _text(r.source), "finding": _text(r.finding),
             "action": _text(r.action), "area": _text(r.learning_area) or "Not set",
             "owner": _text(r.owner), "due": _day(r.due_date) or "Not set",
             "status": _text(r.status_now), "recorded": _text(r.status),
             "status_fill": STATUS_FILL.get(_text(r.status_now), FILL_BLANK)}
            for r in open_rows[~from_plans].itertuples()]
    overdue = open_rows["status_now"].map(_text) == OVERDUE
    forms = [{"source": source, "form": plans[source].form, "title": plans[source].title,
              "open": int((sources == source).sum()),
              "overdue": int(((sources == source) & overdue).sum())}
             for source in plans]
    forms = [f for f in forms if f["open"]]
    areas = by_learning_area(data.actions, data.today)
    done = data.actions[is_done(data.actions)]
    impact = [{"id": _text(r.action_id), "action": _text(r.action),
               "area": _text(r.learning_area), "evidence": _text(r.evidence_of_impact)}
              for r in done.itertuples() if _text(r.evidence_of_impact)]
    words = [r["status"] for r in rows]
    plans_open, plans_overdue = sum(f["open"] for f in forms), sum(f["overdue"] for f in forms)
    forms_note = "" if not forms else (
        f"The action plans of {' and '.join(f['title'] + 's' for f in forms)} hold a further "
        f"{plural(plans_open, 'open action')}, {plans_overdue} of them overdue; they are "
        "followed in the self-assessment sections and each cycle's own report ("
        + ", ".join(f"qa-xl paper {f['form']}" for f in forms) + ").")
    return {
        "summary": f"{plural(len(rows), 'open action')}: {words.count(OVERDUE)} overdue, "
                   f"{words.count(DUE_SOON)} due within {soon} days; {len(done)} completed or "
                   f"closed, {len(impact)} with evidence of impact."
                   + (f" {forms_note}" if forms_note else ""),
        "counts": {"open": len(rows), "overdue": words.count(OVERDUE),
                   "due_soon": words.count(DUE_SOON), "done": len(done),
                   "with_impact": len(impact), "plans_open": plans_open,
                   "plans_overdue": plans_overdue},
        "open": rows, "overdue": [r for r in rows if r["status"] == OVERDUE],
        "forms": forms, "forms_note": forms_note,
        "by_area": [{"area": str(area), "total": int(r["total"]), "open": int(r["open"]),
                     "overdue": int(r["overdue"]), "due_soon": int(r["due_soon"]),
                     "done": int(r["done"])} for area, r in areas.iterrows()],
        "impact": impact,
    }


# ------------------------------------------------------------------------------- compliance

def compliance_section(data: _Data) -> dict[str, Any]:
    from qa_xl.collect.consolidate import LATE, MISSING, NOT_DUE, ON_TIME

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
                   f"{words.count(ON_TIME)} of {plural(len(rows), 'partner')} have sent "
                   "theirs so far.")
    else:
        refused = words.count("Refused")
        summary = (f"{words.count(ON_TIME)} of {plural(len(rows), 'partner')} sent their "
                   f"{data.quarter} return on time (due {due}); {words.count(LATE)} late"
                   + (f", {refused} refused and not yet sent again" if refused else "")
                   + f" and {words.count(MISSING)} missing.")
    return {
        "period": str(data.quarter), "due": due, "quarters": quarters, "summary": summary,
        "counts": {"expected": len(rows), "on_time": words.count(ON_TIME),
                   "late": words.count(LATE), "missing": words.count(MISSING),
                   "not_due": words.count(NOT_DUE), "refused": words.count("Refused")},
        "partners": rows,
        "missing": [r["name"] for r in rows if r["status"] == MISSING],
        "late": [r["name"] for r in rows if r["status"] == LATE],
        "refused": [r["name"] for r in rows if r["status"] == "Refused"],
    }


# ---------------------------------------------------------------------------- definitions

def since_closed_section(data: _Data) -> dict[str, Any]:
    """For a quarter that was closed (qa-xl period close) and reported: which figures have
    changed since, and the reasons officers gave for reopening it."""
    from qa_xl.collect.closing import changes_since_closing
    from qa_xl.workbook import schema as S

    empty: dict[str, Any] = {"closed": False, "summary": "", "changed": [], "reasons": []}
    closed = data._table(S.CLOSED_PERIODS)
    found = changes_since_closing(closed, data.rollup, data.import_log, str(data.quarter))
    if found is None:
        return empty
    units = dict(zip(data.indicators["indicator_id"], data.indicators["unit"]))
    changed = [{"name": c["name"] or c["indicator_id"],
                "before": format_value(c["before"], units.get(c["indicator_id"], "")),
                "after": format_value(c["after"], units.get(c["indicator_id"], ""))}
               for c in found["changed"]]
    reasons = [f"{r['partner_id']} ({r['file']}): {r['reason']}" for r in found["reasons"]]
    count = len(changed)
    summary = (f"{found['closure']}. Since then {count} figure{'s' * (count != 1)} "
               f"{'has' if count == 1 else 'have'} changed." if count else
               f"{found['closure']}. No figure has changed since.")
    return {"closed": True, "summary": summary, "changed": changed, "reasons": reasons}


def definitions_section(data: _Data) -> list[dict[str, Any]]:
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
            "target": format_value(_num(r.target), unit, missing="No target"),
            "tolerance": format_value(_num(r.amber_tolerance), unit, missing="No tolerance")
            if not unit.lower().startswith("percent") or _num(r.amber_tolerance) is None
            else f"{_num(r.amber_tolerance) * 100:.1f} points",
            "definition": _text(r.definition) or "Not recorded.",
            "good": _text(r.what_good_looks_like)})
    return sorted(out, key=lambda d: order.get(d["question"], len(order)))

