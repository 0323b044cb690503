"""The annual review of the QA programme: "each year, the Q&PC will review the quality
assurance programme for the following year and prioritise the QA content areas" (the
framework).

For the year reviewed: each activity type's year (how many activities, how many ran, slipped
or have no record, the findings they reported, the learning and improvement actions raised
from that kind of activity); the content areas with no indicator, and those with no QA
activity in the year (no multi-agency audit on the theme, and no timetable activity naming
it); and a proposed programme for the next year, each Timetable row with its next due date
and the dates it falls due in that year, for the committee to agree.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from qa_xl.core.periods import Period
from qa_xl.core.words import plural
from qa_xl.papers.data import _Data, _day, _text

# words that say what kind of activity, not which: left out when matching an action's
# source ("Multi-agency case file audit") to an activity type ("Multi Agency Audits")
GENERIC = frozenset({"audit", "audits", "review", "reviews", "data", "annual", "and", "of",
                     "the", "report", "reports", "reporting"})


def _tokens(text: Any) -> frozenset[str]:
    words = re.sub(r"\(.*?\)", " ", _text(text).lower()).replace("-", " ").split()
    return frozenset(w.rstrip("s") if len(w) > 3 else w for w in words
                     if w not in GENERIC and w.rstrip("s") not in GENERIC)


def source_matches(source: Any, activity_type: Any) -> bool:
    """Whether actions from ``source`` come from activities of ``activity_type``: the
    significant words of one are all in the other ("Serious Case Review (SCR)" and "Serious
    Case Reviews"; "Multi-agency case file audit" and "Multi Agency Audits")."""
    a, b = _tokens(source), _tokens(activity_type)
    return bool(a and b) and (a <= b or b <= a)


def _key(text: Any) -> str:
    return " ".join(_text(text).lower().split())


def _mentions(text: Any, area: str) -> bool:
    return bool(area) and _key(area) in _key(text)


def _dates_in(first: dt.date | None, frequency: str, year: Period,
              today: dt.date) -> list[dt.date]:
    """When a recurring activity falls due within ``year`` if it runs when due from now on:
    from its next due date at its cadence, or, overdue, from today."""
    from qa_xl.programme.timetable import MONTHS_BETWEEN, add_months

    months = MONTHS_BETWEEN.get(" ".join(_text(frequency).replace("-", " ").split()).lower())
    if first is None:
        return []
    if first < today and months is not None:
        first = add_months(today, months)
    if months is None:
        return [first] if year.start <= first <= year.end else []
    out, day = [], first
    while day <= year.end and len(out) < 12:
        if day >= year.start:
            out.append(day)
        day = add_months(day, months)
    return out


def programme_review_parts(data: _Data, year: Period) -> dict[str, Any]:
    """The review's sections (the common cover keys are added by the caller)."""
    from qa_xl.programme.actions import is_done
    from qa_xl.programme.timetable import annual_review, timetable_status

    review = annual_review(data.timetable, year.start, data.today)
    acts = review.activities
    timetable = data.timetable
    findings_of = {_text(r.activity_id): _text(r.findings) for r in timetable.itertuples()}
    actions = data.actions
    done = is_done(actions)
    by_type = []
    for activity_type, group in acts.groupby("activity_type", sort=False):
        ran = group[group["ran"]]
        said = sorted({findings_of.get(_text(a), "") for a in ran["activity_id"]} - {""})
        raised = actions[actions["source"].map(lambda s, t=activity_type: source_matches(s, t))]
        open_ = int((~done[raised.index]).sum()) if len(raised) else 0
        by_type.append({
            "type": _text(activity_type), "activities": len(group), "ran": int(ran.shape[0]),
            "slipped": int(group["slipped"].sum()), "no_record": int(group["no_record"].sum()),
            "findings": "; ".join(said) or "Nothing recorded",
            "actions": len(raised), "actions_open": open_,
            "actions_words": (f"{plural(len(raised), 'action')} ({open_} open)"
                              if len(raised) else "No action")})
    activities = [{"title": _text(r.title), "type": _text(r.activity_type),
                   "frequency": _text(r.frequency), "last_done": _day(r.last_done) or "Never",
                   "outcome": _text(r.outcome), "next_due": _day(r.next_due) or "Not set"}
                  for r in acts.itertuples()]

    areas = data.content_areas
    informed = {_key(a) for a in data.indicators["content_area"]}
    audits = data.audits
    dates = pd.to_datetime(audits["audit_date"])
    themes = audits.loc[(dates >= pd.Timestamp(year.start)) & (dates <= pd.Timestamp(year.end)),
                        "theme"].map(_text).tolist()
    ran_titles = [f"{_text(r.title)} {findings_of.get(_text(r.activity_id), '')}"
                  for r in acts[acts["ran"]].itertuples()]
    no_indicator, no_activity = [], []
    for r in areas.itertuples():
        area = _text(r.content_area)
        if _key(area) not in informed:
            no_indicator.append({"area": area, "priority": _text(r.priority) or "Not set"})
        if not any(_mentions(t, area) or _mentions(area, t) for t in themes if t) and not any(
                _mentions(t, area) for t in ran_titles):
            no_activity.append({"area": area, "priority": _text(r.priority) or "Not set"})

    following = year.shift(1)
    status = timetable_status(timetable, data.today, data.number("due_soon_days", 28))
    proposed = []
    for r in status.sort_values("next_due", kind="stable", na_position="last").itertuples():
        first = None if pd.isna(r.next_due) else pd.Timestamp(r.next_due).date()
        due = _dates_in(first, _text(r.frequency), following, data.today)
        late = first is not None and first < data.today
        proposed.append({
            "id": _text(r.activity_id), "title": _text(r.title), "type": _text(r.activity_type),
            "lead": _text(r.lead), "frequency": _text(r.frequency),
            "route": _text(r.reporting_route), "next_due": _day(first) or "Not set",
            "due_in_year": ", ".join(f"{d:%b %Y}" for d in due) or (
                "As it arises" if _text(r.frequency).lower() in ("as arises", "one-off")
                else "To be scheduled: it has never run" if first is None
                else "Not in the year"),
            "note": "Overdue: schedule it first" if late else ""})
    additions = [f"{g['area']} (High priority): no QA activity in {year}; consider a thematic "
                 "or multi-agency audit of it." for g in no_activity
                 if g["priority"].lower() == "high"]
    others = [g["area"] for g in no_activity if g["priority"].lower() != "high"]
    if others:
        additions.append(f"{plural(len(others), 'other content area')} had no QA activity in "
                         f"{year} ({'; '.join(others)}): consider which to audit.")
    additions += [f"{g['area']} ({g['priority']} priority): no indicator in the performance "
                  "dataset; agree one." for g in no_indicator if g["priority"].lower() == "high"]
    ran = int(acts["ran"].sum())
    slipped = int(acts["slipped"].sum())
    summary = (f"Of {plural(len(acts), 'activity', 'activities')} in the QA programme, {ran} "
               f"ran in {year} and {slipped} slipped"
               + (f" ({int(acts['no_record'].sum())} have no record of ever running)"
                  if int(acts["no_record"].sum()) else "") + ". "
               f"{plural(len(no_activity), 'content area')} had no QA activity and "
               f"{plural(len(no_indicator), 'content area')} no indicator.")
    return {
        "year": str(year), "next_year": str(following), "summary": summary,
        "by_type": by_type, "activities": activities,
        "no_indicator": no_indicator, "no_activity": no_activity,
        "proposed": proposed, "additions": additions,
        "decision": f"The committee is asked to agree the QA programme for {following} "
                    "below, with any additions it decides on, and to confirm the priority of "
                    "each content area.",
    }
