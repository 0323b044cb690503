"""The yearly report: what the partnership did in a financial year, and what difference it
made, written so that a family can read it.

Working Together 2023 asks safeguarding partners for a yearly report, transparent and easy
to find for families and professionals, on their priorities, what they learned, the impact
and the evidence of it, and what they will improve; the framework's annual report "will rely
on a detailed analysis of the effectiveness of child safeguarding ... highlight good practice
and identify where (and how) improvements are to be made". Its sections, each from the
workbook:

* the year at a glance;
* priorities and progress by content area (the framework's five steps);
* impact: the "Is anyone better off?" measures year on year, each with a chart explained in
  its words;
* learning from reviews and audits, and the evidence of impact the actions record;
* the voice of children and families, and what changed because of it;
* where there was little or no progress, said plainly;
* the QA programme delivered against plan;
* Section 11 and Section 175/157 self-assessments (``self_assessment``: until a cycle has
  been run, it says so);
* the priorities for the next year.

Figures for the year are worked out from the partners' quarterly figures by
:mod:`qa_xl.papers.spans`. Plain words, short sentences; no RAG colours without words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from qa_xl.core.periods import Period
from qa_xl.core.words import plural
from qa_xl.papers.charts import BarSpec, ChartSlots, bars_alt
from qa_xl.papers.data import _Data, _day, _share, _text
from qa_xl.papers.scorecard import Indicator, indicator_series
from qa_xl.papers.summary import is_are

OUTCOMES = 2  # position of "Is anyone better off?" in the oba_measure list
STEP_WORDS = ("choose it as a priority", "say what good looks like",
              "find out what we already know", "find out what else we need to know",
              "plan how we will check on it")


def report_year(period: str | None, settings: dict[str, Any], today: dt.date, label: str,
                *, complete: bool = True) -> Period:
    """The financial year a yearly paper covers: the one asked for (a quarter or half-year
    means its year), else the latest year complete by Config's current_period (``complete``)
    or the year current_period is in."""
    from qa_xl.core.errors import UnusableInput
    from qa_xl.core.periods import PeriodError
    from qa_xl.papers.data import _parse_period

    text = period or _text(settings.get("current_period"))
    if period:
        try:
            asked = Period.typed(period)
        except PeriodError as exc:
            raise UnusableInput(str(exc), action="give --year as a financial year such as "
                                "2025-26") from exc
        return asked if asked.kind == "Y" else Period.containing(asked.end, "Y")
    quarter = (_parse_period(text, label, asked=False) if text
               else Period.containing(today, "Q").previous())
    year = Period.containing(quarter.end, "Y")
    if complete and year.end > quarter.end:
        year = year.previous()
    return year


def year_words(year: Period, last: Period) -> tuple[str, bool]:
    """'April 2025 to March 2026', or for a year not over 'April to September 2026, the year
    so far'; and whether the year is complete."""
    if last.end >= year.end:
        return f"{year.start:%B %Y} to {year.end:%B %Y}", True
    return (f"{year.start:%B %Y} to {last.end:%B %Y}, the year so far", False)


def _latest_quarter(data: _Data, year: Period) -> Period:
    from qa_xl.papers.board import latest_quarter

    return latest_quarter(data, year)


def _change_words(ind: Indicator) -> str:
    """'better than the year before', 'worse than...', 'about the same as...'."""
    if ind.value is None or ind.previous is None:
        return "there is no figure for the year before to compare with"
    if ind.fmt(ind.value) == ind.fmt(ind.previous):
        return "about the same as the year before"
    if ind.improvement == "neutral" or not ind.polarity_clear:
        return f"{'higher' if ind.value > ind.previous else 'lower'} than the year before"
    better = (ind.value > ind.previous) == (ind.improvement == "increase")
    return f"{'better' if better else 'worse'} than the year before"


def _part_years(data: _Data, ind: Indicator) -> set[str]:
    """The years for which the workbook holds figures of only some of the indicator's
    periods (the first year of the returns, say): their figures cover part of the year."""
    from qa_xl.core.periods import kind_of_frequency, period_or_none

    own = kind_of_frequency(ind.frequency)
    if own == "Y":
        return set()
    rows = data.returns[(data.returns["indicator_id"] == ind.id)
                        & (data.returns["value"].notna() | data.returns["numerator"].notna())]
    seen: dict[str, set[str]] = {}
    for text in rows["period"].unique():
        period = period_or_none(text)
        if period is not None and period.kind == own:
            seen.setdefault(str(Period.containing(period.end, "Y")), set()).add(str(period))
    parts = {"Q": 4, "H": 2}[own]
    return {year for year, periods in seen.items() if len(periods) < parts}


def _impact(data: _Data, inds: list[Indicator], drawing: ChartSlots,
            year: Period) -> list[dict[str, Any]]:
    """The "Is anyone better off?" measures, each year by year (the last four years), with a
    chart and the words that say what it shows. A year the workbook has only some periods of
    is marked "(part)"."""
    out = []
    for ind in inds:
        part = _part_years(data, ind)
        labels = [f"{p} (part)" if p in part else p for p in ind.labels[-4:]]
        values = ind.values[-4:]
        spec = BarSpec(ind.name, tuple(labels), tuple(values), ind.unit, ind.target)
        met = {"Green": "met", "Amber": "nearly met"}.get(ind.rag, "not met")
        target = (f" The target is {ind.fmt(ind.target)}, and this year it was {met}."
                  if ind.target is not None and ind.value is not None else "")
        said = (f"In {year} the figure was {ind.fmt(ind.value)}. That is "
                f"{_change_words(ind)}"
                + (f" ({ind.fmt(ind.previous)})." if ind.previous is not None else ".")
                + target if ind.value is not None else
                f"No figure was reported for {year}.")
        earlier = sorted(p for p in part if p != str(year) and p in ind.labels[-4:])
        if str(year) in part:
            said += " The figure covers only part of the year."
        if earlier:
            said += (f" The figure for {' and '.join(earlier)} covers only part of "
                     f"{'that year' if len(earlier) == 1 else 'those years'}.")
        out.append({"id": ind.id, "name": ind.name, "value": ind.fmt(ind.value),
                    "previous": ind.fmt(ind.previous, "No figure"),
                    "target": ind.fmt(ind.target, "No target"), "rag": ind.rag,
                    "change": _change_words(ind), "text": said,
                    "chart": drawing.add(spec, alt := bars_alt(spec)), "chart_alt": alt})
    return out


def _priorities(data: _Data) -> list[dict[str, Any]]:
    from qa_xl.programme.content_areas import progress, steps_done

    areas = progress(data.content_areas)
    rank = {"high": 0, "medium": 1, "low": 2}
    rows = sorted(areas.itertuples(), key=lambda r: (rank.get(_text(r.priority).lower(), 3),
                                                     r.Index))
    measures = data.indicators.groupby(data.indicators["content_area"].map(
        lambda a: " ".join(_text(a).lower().split())))["indicator_name"].apply(list)
    out = []
    for r in rows:
        done = steps_done(r)
        count = int(r.steps_done)
        nxt = next((w for w, ok in zip(STEP_WORDS, done) if not ok), "")
        key = " ".join(_text(r.content_area).lower().split())
        names = measures.get(key, [])
        progress_words = ("We have taken all five steps." if count == 5 else
                          f"We have taken {count} of the five steps. Next we will {nxt}."
                          if count else f"We have not started yet. First we will {nxt}.")
        out.append({"area": _text(r.content_area), "kind": _text(r.kind),
                    "priority": _text(r.priority) or "Not set", "steps": f"{count} of 5",
                    "progress": progress_words, "next": nxt if count < 5 else "",
                    "measures": "; ".join(map(str, names)) or "No measure yet",
                    "good": _text(r.what_good_looks_like) or "Not written yet."})
    return out


def _learning(data: _Data, year: Period) -> dict[str, Any]:
    from qa_xl.programme.actions import is_done
    from qa_xl.programme.audits import good_or_better, recurring_themes

    audits = data.audits
    dates = pd.to_datetime(audits["audit_date"])
    inside = audits[(dates >= pd.Timestamp(year.start)) & (dates <= pd.Timestamp(year.end))]
    before = audits[(dates >= pd.Timestamp(year.previous().start))
                    & (dates < pd.Timestamp(year.start))]
    history = good_or_better(inside) if len(inside) else None
    rows = [] if history is None else [
        {"id": str(r.Index), "date": _day(r.audit_date), "theme": _text(r.theme),
         "cases": int(r.cases), "good_share": _share(_num_or_none(r.share))}
        for r in history.itertuples()]
    share = _overall(inside)
    earlier = _overall(before)
    summary = (f"We looked in detail at {plural(int(inside['case_ref'].nunique()), 'case')} in "
               f"{plural(len(rows), 'multi-agency audit')}. In {_share(share)} of the "
               "gradings, the work was good or outstanding"
               + (f" (the year before: {_share(earlier)})." if earlier is not None else ".")
               if rows else f"No multi-agency case audit met in {year}.")
    themes = recurring_themes(inside) if len(inside) else pd.DataFrame(columns=["theme"])
    done = data.actions[is_done(data.actions)]
    impact = [{"id": _text(r.action_id), "source": _text(r.source), "action": _text(r.action),
               "evidence": _text(r.evidence_of_impact)} for r in done.itertuples()
              if _text(r.evidence_of_impact) and _in_year(r.due_date, year)]
    reviews = [{"title": _text(r.title), "date": _day(r.last_done), "findings": _text(
        r.findings)} for r in data.timetable.itertuples()
        if _text(r.findings) and _in_year(r.last_done, year)]
    return {"summary": summary, "audits": rows,
            "themes": [f"{_text(r.example).rstrip('.')} (found in "
                       f"{plural(int(r.audits), 'audit')})"
                       for r in themes.head(5).itertuples()],
            "reviews": _dedupe_findings(reviews), "impact": impact}


def _dedupe_findings(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per wording: activities that found the same are named together."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for r in reviews:
        by_text.setdefault(r["findings"], []).append(r)
    return [{"title": "; ".join(r["title"] for r in group), "date": group[-1]["date"],
             "findings": text} for text, group in by_text.items()]


def _num_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _overall(audits: pd.DataFrame) -> float | None:
    from qa_xl.programme.audits import overall_good_or_better

    return overall_good_or_better(audits) if len(audits) else None


def _in_year(value: Any, year: Period) -> bool:
    if value is None or pd.isna(value):
        return False
    day = pd.Timestamp(value).date()
    return year.start <= day <= year.end


def _voice(data: _Data, year: Period) -> dict[str, Any]:
    from qa_xl.core.periods import period_or_none
    from qa_xl.programme.voice import all_partners, stories

    least = data.number("voice_min_respondents", 5)
    voice = data.voice

    def of(span: Period) -> pd.DataFrame:
        inside = voice["period"].map(lambda p: (q := period_or_none(p)) is not None
                                     and span.contains(q))
        return voice[inside.astype(bool)].assign(period=str(span))

    now = all_partners(of(year), least)
    before = {_text(r.question): r.share_yes for r in all_partners(of(year.previous()),
                                                                    least).itertuples()}
    rows = [{"question": _text(r.question),
             "answered": ("fewer than " + str(least)) if r.suppressed else str(int(
                 r.respondents)),
             "yes": _share(_num_or_none(r.share_yes)) or f"fewer than {least} answers",
             "yes_before": _share(_num_or_none(before.get(_text(r.question))))
             or "No figure"} for r in now.itertuples()]
    told = stories(of(year)).drop_duplicates("story")
    names = data.partner_names
    from qa_xl.programme.actions import is_done

    acted = data.actions[data.actions["source"].map(_text).str.lower().str.contains(
        "voice", regex=False)]
    done = is_done(acted)
    changed = [{"id": _text(r.action_id), "action": _text(r.action),
                "status": "Done" if done[r.Index] else _text(r.status) or "Open",
                "evidence": _text(r.evidence_of_impact) or "Not recorded yet"}
               for r in acted.itertuples()]
    answered = sum(int(r.respondents) for r in now.itertuples()
                   if not r.suppressed and pd.notna(r.respondents))
    summary = (f"Children and families answered our three questions {answered:,} times in "
               f"{year}." if answered else f"No answers to our three questions were recorded "
               f"for {year}.")
    return {"summary": summary, "questions": rows,
            "stories": [{"partner": names.get(_text(r.partner_id), _text(r.partner_id)),
                         "story": _text(r.story)} for r in told.head(4).itertuples()],
            "changed": changed}


def _little_progress(inds: list[Indicator], priorities: list[dict[str, Any]],
                     actions: dict[str, Any], programme: dict[str, Any]) -> list[str]:
    out = []
    for ind in inds:
        if ind.rag == "Red" and ind.direction != "Improving":
            out.append(f"{ind.name}: {ind.fmt(ind.value)} against a target of "
                       f"{ind.fmt(ind.target)}, and not getting better.")
    for p in priorities:
        if p["priority"].lower() == "high" and p["steps"] in ("0 of 5", "1 of 5"):
            out.append(f"{p['area']} is a high priority, but we have taken only "
                       f"{p['steps'].split(' ')[0]} of the five steps.")
    if actions["overdue"]:
        out.append(f"{is_are(actions['overdue'], 'improvement action')} overdue.")
    if programme["slipped"]:
        out.append(f"{is_are(programme['slipped'], 'planned check', 'planned checks')} late "
                   "or did not happen.")
    return out


def _programme(data: _Data, year: Period) -> dict[str, Any]:
    from qa_xl.programme.timetable import annual_review

    review = annual_review(data.timetable, year.start, data.today)
    by_type = [{"type": str(t), "activities": int(r["activities"]), "ran": int(r["ran"]),
                "slipped": int(r["slipped"]), "no_record": int(r["no_record"])}
               for t, r in review.by_type.iterrows()]
    total = len(review.activities)
    ran, slipped = int(review.activities["ran"].sum()), int(review.activities["slipped"].sum())
    summary = (f"Our plan for {year} had {plural(total, 'check')} (reviews, audits and "
               f"reports). {ran} of them last took place in {year} and {slipped} "
               f"{'was' if slipped == 1 else 'were'} late or did not happen. We keep only the "
               "date each check last took place, so a check that took place again after "
               f"{year} is not counted as taking place in it.")
    return {"summary": summary, "by_type": by_type, "ran": ran, "slipped": slipped,
            "total": total}


def _next_priorities(inds: list[Indicator], priorities: list[dict[str, Any]],
                     learning: dict[str, Any], year: Period) -> list[str]:
    """What the partnership will work on next, from where it stands: the high-priority
    content areas not yet through the five steps, the measures that missed their target,
    and what audits keep finding."""
    out = []
    for p in priorities:
        if p["priority"].lower() == "high" and p["next"]:
            out.append(f"{p['area']}: we will {p['next']}.")
    out += [f"{ind.name}: we will work to reach the target of {ind.fmt(ind.target)} (it was "
            f"{ind.fmt(ind.value)} in {year})." for ind in inds if ind.rag == "Red"]
    out += [f"We will act on what our audits keep finding: {t.split(' (found in')[0].lower()}."
            for t in learning["themes"][:3]]
    return out


SELF_ASSESSMENT_NONE = (
    "No Section 11 or Section 175/157 self-assessment cycle has been run yet. Section 11 of "
    "the Children Act 2004 asks each partner to check how well it keeps children safe; "
    "Sections 175 and 157 of the Education Act 2002 ask the same of schools and colleges. "
    "When the first cycle has been run, its results will be reported here.")


def self_assessment_section(data: _Data, year: Period) -> dict[str, Any]:
    """Section 11 and Section 175/157 results in plain words: for each form, the cycle the
    year falls in (or the latest before it) with how many organisations took part, how many
    standards they fully met and what they are doing about the rest. Until a cycle has
    been run it says so plainly."""
    from qa_xl.core.periods import Cycle
    from qa_xl.papers.self_assessment import latest_cycle, self_assessment_part

    cycles = []
    for sa in data.config.self_assessments:
        latest = latest_cycle(data, sa.form)
        if latest is None:
            continue
        cycle = min(latest, Cycle.containing(year.end))
        part = self_assessment_part(data, sa.form, cycle)
        if part is None or not part["returned"]:
            continue
        best = part["grades"][0] if part["grades"] else ""
        graded = sum(c["grade"] != "Not answered" for r in part["heat"] for c in r["cells"])
        fully = sum(c["grade"] == best for r in part["heat"] for c in r["cells"])
        text = (f"{part['title']} ({part['cycle']}): {part['returned']} of "
                f"{part['organisations']} {part['who']} checked themselves against "
                f"{plural(len(part['standards']), 'standard')}. Of the {graded} standards they "
                f"graded, {fully} were fully met; "
                f"{plural(part['action_counts']['raised'], 'action')} followed, "
                f"{part['action_counts']['outstanding']} still being worked on.")
        cycles.append({"form": sa.form, "title": part["title"], "cycle": part["cycle"],
                       "returned": part["returned"], "organisations": part["organisations"],
                       "fully_met": fully, "answered": graded, "summary": text,
                       "actions": part["action_counts"]})
    summary = " ".join(c["summary"] for c in cycles) or SELF_ASSESSMENT_NONE
    return {"cycles": cycles, "summary": summary}


def glossary(names: dict[str, str]) -> list[dict[str, str]]:
    """The few words a family may not know."""
    return [
        {"word": "Partners", "meaning": "the police, health services, the council's "
         "children's services, schools and the other organisations that keep children safe "
         "together"},
        {"word": "Target", "meaning": "the figure we are aiming for"},
        {"word": "Audit", "meaning": "a careful look at a few children's records, to see how "
         "well we worked together"},
        {"word": "Content area", "meaning": "a part of our work we check on, such as "
         "domestic abuse or early help"},
        {"word": "Green, Amber, Red", "meaning": "Green means the target was met, Amber that "
         "it was nearly met, Red that it was not"},
        {"word": names["serious_review"], "meaning": "a review of what happened when a child "
         "was seriously harmed, so that everyone can learn from it"},
    ]


def yearly_parts(data: _Data, year: Period, drawing: ChartSlots) -> dict[str, Any]:
    """The yearly report's sections (the common cover keys are added by the caller)."""
    from qa_xl.papers.sections import actions_section
    from qa_xl.papers.spans import span_rollup

    last = _latest_quarter(data, year)
    figures = span_rollup(data.returns, data.indicators, data.partners, year, last)
    inds = indicator_series(data, figures)
    outcome_question = data.oba_order[OUTCOMES] if len(data.oba_order) > OUTCOMES else ""
    outcomes = [i for i in inds if i.question == outcome_question]
    coverage, complete = year_words(year, last)
    priorities = _priorities(data)
    learning = _learning(data, year)
    programme = _programme(data, year)
    actions = actions_section(data)
    # for families, every overdue improvement action: the log's and the partners' action plans'
    overdue = actions["counts"]["overdue"] + actions["counts"]["plans_overdue"]
    impact = _impact(data, outcomes, drawing, year)
    voice = _voice(data, year)
    met = sum(i.rag == "Green" for i in inds)
    rated = sum(i.rag in ("Green", "Amber", "Red") for i in inds)
    glance = [
        f"This report covers {coverage}." + ("" if complete else
                                              " The year is not over yet."),
        f"We checked {plural(len(inds), 'measure')} of our work. {met} of the {rated} that "
        "have a target met it.",
        learning["summary"],
        voice["summary"],
        programme["summary"],
        f"{is_are(overdue, 'improvement action')} overdue.",
    ]
    return {
        "year": str(year), "previous_year": str(year.previous()),
        "next_year": str(year.shift(1)), "coverage": coverage, "complete": complete,
        "glance": glance, "priorities": priorities, "impact": impact,
        "impact_summary": _impact_summary(impact, year),
        "learning": learning, "voice": voice,
        "little_progress": _little_progress(inds, priorities, {"overdue": overdue},
                                            programme),
        "programme": programme, "self_assessment": self_assessment_section(data, year),
        "next_priorities": _next_priorities(inds, priorities, learning, year),
        "glossary": glossary({"serious_review": _text(data.setting(
            "serious_review", "Serious Case Review"))}),
    }


def _impact_summary(impact: list[dict[str, Any]], year: Period) -> str:
    better = sum(i["change"].startswith("better") for i in impact)
    worse = sum(i["change"].startswith("worse") for i in impact)
    if not impact:
        return f"We have no measure yet of whether children and families are better off in {year}."
    return (f"We measure whether children and families are better off in "
            f"{plural(len(impact), 'way')}. Compared with the year before, "
            f"{better} got better and {worse} got worse.")
