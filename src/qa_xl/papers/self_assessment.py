"""The Section 11 and Section 175/157 self-assessments as a plain part of a paper's context.

The same part feeds the Q&PC pack and the Board report (while a cycle is open or has just
closed), the cycle's own report to the Board (``qa-xl paper s11|s175 --cycle``: the
framework's "rolling programme of reports on action plans") and the yearly report. Grades are
always words; the cell fill only repeats them (light tints, black text above 7:1 contrast).
The analysis itself is :mod:`qa_xl.programme.self_assessment`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qa_xl.core.periods import Cycle
from qa_xl.core.words import plural
from qa_xl.papers.data import (
    FILL_BAD,
    FILL_BLANK,
    FILL_GOOD,
    FILL_NONE,
    FILL_WARN,
    STATUS_FILL,
    _Data,
    _day,
    _long,
    _text,
)

HEAT_LIMIT = 40  # organisations: more (the schools) and the committee papers show counts only
NEWLY_CLOSED_DAYS = 365  # a cycle ended within a year is still reported on
NOT_ANSWERED = "Not answered"
MOVE_WORDS = {"Improved": "up from", "Declined": "down from"}


def grade_fills(grades: list[str], not_applicable: str | None) -> dict[str, str]:
    """Cell fills by grade: the best green, the worst red, those between amber, Not
    applicable grey, not answered white."""
    fills = {g: FILL_WARN for g in grades}
    if grades:
        fills[grades[0]], fills[grades[-1]] = FILL_GOOD, FILL_BAD
    if not_applicable:
        fills[not_applicable] = FILL_NONE
    fills[""] = FILL_BLANK
    return fills


def organisations(data: _Data, who: str) -> dict[str, str]:
    """id -> name of who fills the form in: the partners or the schools, in table order."""
    if who == "schools":
        table, key = data.schools, "school_id"
    else:
        table, key = data.partners, "partner_id"
    return {_text(k): _text(n) or _text(k) for k, n in zip(table[key], table["name"])
            if _text(k)}


def latest_cycle(data: _Data, form: str) -> Cycle | None:
    """The latest cycle with any answer to the form that has begun (a form imported for a
    later cycle does not make the papers skip the one running), or None; where none has
    begun, the first of them."""
    from qa_xl.core.periods import cycle_or_none

    cycles = [c for c in map(cycle_or_none, data.answers_of(form)["cycle"].unique()) if c]
    begun = [c for c in cycles if c.start <= data.today]
    return max(begun) if begun else min(cycles) if cycles else None


def self_assessment_part(data: _Data, form: str, cycle: Cycle | str | None = None
                         ) -> dict[str, Any] | None:
    """One form's cycle for a paper (the latest with answers unless ``cycle`` is given), or
    None when it has no answer at all and no cycle was asked for."""
    from qa_xl.programme import self_assessment as sa_

    cfg = data.config
    sa = cfg.self_assessment(form)
    if cycle is None:
        cycle = latest_cycle(data, form)
        if cycle is None:
            return None
    cycle = cycle if isinstance(cycle, Cycle) else Cycle.parse(cycle)
    # this cycle's answers and the last one's (for movement): every call below filters them
    answers = sa_.form_answers(data.answers_of(form), form, (cycle, cycle.previous))
    grades = cfg.grades
    ranked, na = sa_.ranked(grades), sa_.not_applicable(grades)
    fills = grade_fills(ranked, na)
    orgs = organisations(data, sa.who)
    # the grades of this cycle and the last, made once: every figure below comes from them
    table = sa_.standard_grades(answers, sa, grades, cycle)
    moves = sa_.movement_of(table, sa_.standard_grades(answers, sa, grades, cycle.previous),
                            sa, grades)
    moved = {(r.organisation, r.standard): (r.movement, r.previous) for r in moves.itertuples()}
    missing = sa_.not_returned(answers, orgs, form, cycle)
    state = sa_.cycle_state(answers, orgs, form, cycle, data.today)
    standards = [{"id": s.id, "name": s.name} for s in sa.standards]
    heat = []
    for org, graded in table.to_dict("index").items():
        cells = []
        for s in sa.standards:
            grade = graded[s.id]
            word, previous = moved.get((org, s.id), ("", ""))
            move = f"{MOVE_WORDS[word]} {previous}" if word in MOVE_WORDS else ""
            word_grade = grade or NOT_ANSWERED
            cells.append({"standard": s.id, "grade": word_grade,
                          "fill": fills.get(grade, FILL_BLANK), "move": move,
                          "text": f"{word_grade}, {move}" if move else word_grade})
        heat.append({"id": org, "name": orgs.get(org, org), "cells": cells})
    counts = sa_.counts_of(table, sa, grades)
    names = [_text(getattr(g, "name", g)) for g in grades]
    by_standard = [{"id": r["standard"], "name": r["name"],
                    "grades": [{"grade": n, "count": int(r[n])} for n in names],
                    **{n.lower().replace(" ", "_"): int(r[n]) for n in names},
                    "not_answered": int(r["not_answered"])} for r in counts.to_dict("records")]
    acts = sa_.cycle_actions(data.actions, sa, cycle, data.today)
    from qa_xl.programme.actions import action_status

    status = action_status(acts, data.today, data.number("due_soon_days", 28)) if len(acts) \
        else acts.assign(status_now=[])
    actions = [{"id": _text(r.action_id), "organisation": orgs.get(r.organisation,
                                                                    r.organisation),
                "finding": _text(r.finding), "action": _text(r.action), "owner": _text(r.owner),
                "due": _day(r.due_date) or "Not set", "status": _text(r.status_now),
                "recorded": _text(r.status),
                "status_fill": STATUS_FILL.get(_text(r.status_now), FILL_BLANK)}
               for r in status.itertuples() if not r.done]
    tally = sa_.action_counts(acts)
    partly = sa_.partly_met_of(counts, grades)
    mostly = [{"id": r.standard, "name": r.name, "partly": int(r.partly),
               "graded": int(r.graded), "share": f"{r.share * 100:.0f}%"}
              for r in partly.itertuples()]
    moving = sa_.movement_counts(moves)
    returned = len(orgs) - len(missing)
    who = "partner" if sa.who == "partners" else "school or college"
    whos = "partners" if sa.who == "partners" else "schools and colleges"
    headline = (
        f"{sa.title}, cycle {cycle} ({_long(cycle.start)} to {_long(cycle.end)}): {state.lower()}"
        f"; {returned} of {plural(len(orgs), who, whos)} returned. " + (
            f"Since the last cycle ({cycle.previous}), {moving['Improved']} standard "
            f"{'grade' if moving['Improved'] == 1 else 'grades'} improved, "
            f"{moving['Declined']} declined and {moving['Unchanged']} stayed the same. "
            if moving["Improved"] + moving["Declined"] + moving["Unchanged"] else
            f"There is no earlier cycle ({cycle.previous}) to compare with. ")
        + f"{plural(tally['raised'], 'action')} followed: {tally['outstanding']} outstanding, "
        f"{tally['overdue']} overdue.")
    return {
        "form": form, "title": sa.title, "cycle": str(cycle), "previous_cycle":
        str(cycle.previous), "cycle_dates": f"{_long(cycle.start)} to {_long(cycle.end)}",
        "state": state, "who": whos, "headline": headline,
        "organisations": len(orgs), "returned": returned,
        "not_returned": [orgs.get(o, o) for o in missing],
        "standards": standards, "heat": heat, "show_heat": len(orgs) <= HEAT_LIMIT,
        "by_standard": by_standard, "grades": names,
        "movement": {k.lower().replace(" ", "_"): v for k, v in moving.items()},
        "declined": [{"organisation": orgs.get(r.organisation, r.organisation),
                      "standard": r.standard, "grade": r.grade, "previous": r.previous}
                     for r in moves.itertuples() if r.movement == "Declined"],
        "mostly_partly": mostly, "actions": actions, "action_counts": tally,
        "actions_shown": actions if len(actions) <= HEAT_LIMIT else
        [a for a in actions if a["status"] == "Overdue"],
        "actions_note": "" if len(actions) <= HEAT_LIMIT else
        f"Only the {tally['overdue']} overdue of {len(actions)} outstanding actions are listed "
        f"here; the cycle's report (qa-xl paper {form}) lists them all.",
        "grade_meanings": [{"grade": g.name, "meaning": g.meaning} for g in grades],
    }


def reported_now(part: dict[str, Any], data: _Data) -> bool:
    """A committee paper reports a cycle while it runs (open, or every organisation returned
    before its end) and for a year after it ends, while its action plans are followed up."""
    if part["state"] == "Not started":
        return False
    end = Cycle.parse(part["cycle"]).end
    return data.today - end <= dt.timedelta(days=NEWLY_CLOSED_DAYS)


def committee_parts(data: _Data) -> list[dict[str, Any]]:
    """The self-assessments a committee paper reports on now, in the configuration's order."""
    parts = []
    for sa in data.config.self_assessments:
        part = self_assessment_part(data, sa.form)
        if part is not None and reported_now(part, data):
            parts.append(part)
    return parts
