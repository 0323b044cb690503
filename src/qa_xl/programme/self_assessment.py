"""The Section 11 and Section 175/157 self-assessments, analysed for the papers.

The framework asks every Board partner to self-evaluate against Section 11 of the Children Act
2004 ("bi-annual audits", with a rolling programme of action-plan reports to the Board over
the two-year cycle) and schools to be audited under Section 175/157 ("areas for development
collated in an action plan monitored via Q&PC"). The answers land one question a row in
tblSelfAssessment; these pure functions turn them into what a committee reads: grades by
standard, movement since the last cycle, who has not returned, the actions that followed and
the standards most organisations only partly meet.

**A standard's grade is the worst grade the organisation gave any of its questions**
(blank and "Not applicable" answers left out). A standard is only as met as its weakest part:
a partner whose safer recruitment is Fully met for checks but Not met for records does not
fully meet safer recruitment. A standard whose answered questions are all "Not applicable" is
Not applicable; one with no answer at all has no grade (blank).

Grades are the configuration's scale (``Config.grades``), best first; a grade whose name says
"not applicable" is outside the ranking. No file I/O here: DataFrames shaped by
:data:`qa_xl.workbook.schema.SELF_ASSESSMENT`, ``ACTIONS`` and ``TIMETABLE`` in, DataFrames out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from qa_xl.core.findings import text as _text
from qa_xl.core.periods import Cycle
from qa_xl.framework.records import SelfAssessmentForm
from qa_xl.programme.actions import DONE_STATUSES
from qa_xl.programme.timetable import as_date

IMPROVED, DECLINED, UNCHANGED, NO_PREVIOUS = "Improved", "Declined", "Unchanged", "No previous"
NOT_APPLICABLE_WORDS = ("not applicable", "n/a")


def _texts(column: pd.Series) -> pd.Series:
    """:func:`qa_xl.core.findings.text` for a whole column at once (blank for missing,
    stripped): the answers table holds a row per question of every organisation, so it is
    one comprehension over the values (about 2.5 times faster than pandas' astype, where
    and str.strip)."""
    if isinstance(column.dtype, pd.StringDtype):  # how the table is read: str or missing
        out = [v.strip() if isinstance(v, str) else "" for v in column.tolist()]
    else:
        out = [str(v).strip() if present else ""
               for v, present in zip(column.tolist(), column.notna().tolist())]
    return pd.Series(out, index=column.index, name=column.name, dtype=object).astype(str)


def ranked(grades: Iterable[Any]) -> list[str]:
    """The grade names that rank, best first: the scale without its 'Not applicable'.

    ``grades`` are :class:`qa_xl.framework.records.Grade` records or plain names."""
    names = [_text(getattr(g, "name", g)) for g in grades]
    return [n for n in names if n and n.lower() not in NOT_APPLICABLE_WORDS]


def not_applicable(grades: Iterable[Any]) -> str | None:
    """The scale's 'Not applicable' grade as the configuration spells it, or None."""
    for g in grades:
        name = _text(getattr(g, "name", g))
        if name.lower() in NOT_APPLICABLE_WORDS:
            return name
    return None


def _of(answers: pd.DataFrame, form: str, cycle: Cycle | str) -> pd.DataFrame:
    """One form's answers for one cycle."""
    mask = (_texts(answers["form"]) == form) & (_texts(answers["cycle"]) == str(cycle))
    return answers[mask]


def by_form(answers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The answers split by form (s11, s175), each in table order: a paper asks about each
    form several times, and the table holds a row per question of every organisation."""
    forms = _texts(answers["form"])
    return {form: answers[forms == form] for form in dict.fromkeys(forms.tolist())}


def form_answers(answers: pd.DataFrame, form: str, cycles: Iterable[Cycle | str]
                 ) -> pd.DataFrame:
    """One form's answers for the cycles named: a paper about a cycle reads it and the one
    before, so it picks them out once and every function here works on the few rows left."""
    wanted = {str(c) for c in cycles}
    return answers[(_texts(answers["form"]) == form) & _texts(answers["cycle"]).isin(wanted)]


def worst(values: Iterable[Any], grades: Sequence[Any]) -> str:
    """A standard's grade from its questions' grades: the worst ranked one; Not applicable
    when every answered question is; blank when none is answered."""
    order = ranked(grades)
    given = [_text(v) for v in values if _text(v)]
    scored = [g for g in given if g in order]
    if scored:
        return max(scored, key=order.index)
    return (not_applicable(grades) or "") if given else ""


def standard_grades(answers: pd.DataFrame, sa: SelfAssessmentForm, grades: Sequence[Any],
                    cycle: Cycle | str) -> pd.DataFrame:
    """Each organisation's grade for each standard in the cycle: one row per organisation
    that returned, one column per standard id (in the form's order), the grade's name or
    blank. Index: organisation, sorted."""
    rows = _of(answers, sa.form, cycle)
    ids = [s.id for s in sa.standards]
    if rows.empty:
        table = pd.DataFrame(columns=ids, dtype=object)
        table.index.name = "organisation"
        return table.sort_index().astype(object)
    order = ranked(grades)
    rank = {name: i for i, name in enumerate(order)}
    # worst() for every (organisation, standard) in one pass over the rows: the highest rank
    # among the ranked grades given (>= 0); -1 when something was given but nothing ranks
    # (Not applicable); -2 when nothing was given (blank)
    best: dict[str, dict[str, int]] = {}
    for org, std, grade in zip(_texts(rows["organisation"]).tolist(),
                               _texts(rows["standard"]).tolist(), _texts(rows["grade"]).tolist()):
        cells = best.setdefault(org, {})
        cells[std] = max(cells.get(std, -2), rank.get(grade, -1) if grade else -2)
    words = {-1: not_applicable(grades) or "", -2: ""}
    table = pd.DataFrame.from_dict(
        {org: [order[r] if r >= 0 else words[r] for r in (best[org].get(i, -2) for i in ids)]
         for org in sorted(best)}, orient="index", columns=ids)
    table.index.name = "organisation"
    return table.astype(object)


def grades_by_standard(answers: pd.DataFrame, sa: SelfAssessmentForm, grades: Sequence[Any],
                       cycle: Cycle | str) -> pd.DataFrame:
    """How many organisations gave each standard each grade (a standard's grade as
    :func:`standard_grades` makes it): one row per standard in the form's order, a column
    per grade of the scale, ``not_answered`` and ``organisations`` (that returned)."""
    return counts_of(standard_grades(answers, sa, grades, cycle), sa, grades)


def counts_of(table: pd.DataFrame, sa: SelfAssessmentForm, grades: Sequence[Any]
              ) -> pd.DataFrame:
    """:func:`grades_by_standard` from a cycle's :func:`standard_grades` already made (a
    paper works several figures out of the same table)."""
    names = [_text(getattr(g, "name", g)) for g in grades]
    rows = []
    for std in sa.standards:
        column = list(table[std.id]) if std.id in table else []
        counts = {n: column.count(n) for n in names}
        rows.append({"standard": std.id, "name": std.name, **counts,
                     "not_answered": column.count(""), "organisations": len(table)})
    return pd.DataFrame(rows, columns=["standard", "name", *names, "not_answered",
                                       "organisations"])


def movement(answers: pd.DataFrame, sa: SelfAssessmentForm, grades: Sequence[Any],
             cycle: Cycle | str) -> pd.DataFrame:
    """Each organisation against its previous cycle, standard by standard: ``grade`` now,
    ``previous`` (the cycle before), and ``movement``: Improved or Declined when both grades
    rank and differ, Unchanged when they are the same, No previous when either is blank or
    Not applicable (nothing to compare). Only organisations that returned this cycle."""
    cycle = Cycle.parse(cycle) if not isinstance(cycle, Cycle) else cycle
    return movement_of(standard_grades(answers, sa, grades, cycle),
                       standard_grades(answers, sa, grades, cycle.previous), sa, grades)


def movement_of(now: pd.DataFrame, before: pd.DataFrame, sa: SelfAssessmentForm,
                grades: Sequence[Any]) -> pd.DataFrame:
    """:func:`movement` from the two cycles' :func:`standard_grades` already made."""
    order = ranked(grades)
    position: dict[str, int] = {}
    for i, g in enumerate(order):
        position.setdefault(g, i)  # as order.index: the first place a name holds
    ids = [std.id for std in sa.standards]
    earlier = before.to_dict("index")
    rows = []
    for org, grades_now in now.to_dict("index").items():
        was = earlier.get(org, {})
        for std in ids:
            grade = grades_now[std]
            prev = was.get(std, "")
            if grade in position and prev in position:
                change = position[prev] - position[grade]
                word = IMPROVED if change > 0 else DECLINED if change < 0 else UNCHANGED
            elif grade and grade == prev:
                word = UNCHANGED
            else:
                word = NO_PREVIOUS
            rows.append({"organisation": org, "standard": std, "grade": grade,
                         "previous": prev, "movement": word})
    return pd.DataFrame(rows, columns=["organisation", "standard", "grade", "previous",
                                       "movement"])


def movement_counts(moves: pd.DataFrame) -> dict[str, int]:
    """How many organisation-standards improved, declined, stayed and had nothing to compare."""
    words = list(moves["movement"]) if len(moves) else []
    return {w: words.count(w) for w in (IMPROVED, DECLINED, UNCHANGED, NO_PREVIOUS)}


def not_returned(answers: pd.DataFrame, organisations: Iterable[Any], form: str,
                 cycle: Cycle | str) -> list[str]:
    """The organisations (partner_ids or school_ids, in the order given) with no answer in
    the cycle: a form not imported yet, whether or not it was issued."""
    rows = _of(answers, form, cycle)
    returned = set(_texts(rows["organisation"]).tolist())
    return [o for o in map(_text, organisations) if o and o not in returned]


def cycle_actions(actions: pd.DataFrame, sa: SelfAssessmentForm, cycle: Cycle | str | None,
                  today: dt.date) -> pd.DataFrame:
    """The actions that followed the self-assessment (tblActions rows whose source is the
    form's ``action_source``; with ``cycle``, only those keyed to that cycle,
    S11-2026-28-…), each with ``done`` (Completed or Closed), ``overdue`` (open and its due
    date passed) and ``organisation`` read from the key (blank for a row typed by hand)."""
    mine = actions[_texts(actions["source"]) == sa.action_source].copy()
    prefix = f"{sa.form.upper()}-"
    if cycle is not None:
        prefix = f"{prefix}{cycle}-"
        mine = mine[_texts(mine["action_id"]).str.startswith(prefix)]
    today = as_date(today)
    done = mine["status"].map(lambda s: _text(s).lower() in DONE_STATUSES).astype(bool)
    due = mine["due_date"].map(as_date)
    mine["done"] = done
    mine["overdue"] = [not d and day is not None and day < today for d, day in zip(done, due)]
    mine["overdue"] = mine["overdue"].astype(bool)
    mine["organisation"] = [_organisation(_text(a), sa.form) for a in mine["action_id"]]
    return mine


def _organisation(action_id: str, form: str) -> str:
    """S11-2026-28-police-S11_3a -> police; blank for an id not made from a form's key."""
    parts = action_id.split("-")
    if len(parts) < 5 or parts[0].upper() != form.upper():
        return ""
    return "-".join(parts[3:-1])


def action_counts(acts: pd.DataFrame) -> dict[str, int]:
    """Raised, outstanding (open) and overdue actions, from :func:`cycle_actions`."""
    return {"raised": len(acts), "outstanding": int((~acts["done"]).sum()),
            "overdue": int(acts["overdue"].sum())}


def mostly_partly_met(answers: pd.DataFrame, sa: SelfAssessmentForm, grades: Sequence[Any],
                      cycle: Cycle | str, partly: str | None = None) -> pd.DataFrame:
    """Standards where more than half of the organisations that graded them (blank and Not
    applicable left out) only partly meet them. ``partly`` is the scale's 'Partly met' (by
    default the second ranked grade). Columns standard, name, partly, graded, share."""
    return partly_met_of(grades_by_standard(answers, sa, grades, cycle), grades, partly)


def partly_met_of(counts: pd.DataFrame, grades: Sequence[Any], partly: str | None = None
                  ) -> pd.DataFrame:
    """:func:`mostly_partly_met` from the cycle's :func:`grades_by_standard` already made."""
    order = ranked(grades)
    partly = partly or (order[1] if len(order) > 1 else "")
    rows = []
    for row in counts.to_dict("records"):
        graded = sum(int(row[g]) for g in order)
        if graded and row.get(partly, 0) * 2 > graded:
            rows.append({"standard": row["standard"], "name": row["name"],
                         "partly": int(row[partly]), "graded": graded,
                         "share": row[partly] / graded})
    return pd.DataFrame(rows, columns=["standard", "name", "partly", "graded", "share"])


def cycle_state(answers: pd.DataFrame, organisations: Iterable[Any], form: str,
                cycle: Cycle | str, today: dt.date) -> str:
    """'Open' while the cycle runs and someone has not returned, 'Closed' once every
    organisation has returned or the cycle has ended, 'Not started' before it begins."""
    cycle = Cycle.parse(cycle) if not isinstance(cycle, Cycle) else cycle
    today = as_date(today)
    if today < cycle.start:
        return "Not started"
    missing = not_returned(answers, organisations, form, cycle)
    return "Closed" if not missing or today > cycle.end else "Open"


def completed_on(answers: pd.DataFrame, organisations: Iterable[Any], form: str,
                 cycle: Cycle | str) -> dt.date | None:
    """The day the cycle's last organisation returned (the audit done), or None while any
    organisation has not."""
    orgs = [o for o in map(_text, organisations) if o]
    if not orgs or not_returned(answers, orgs, form, cycle):
        return None
    rows = _of(answers, form, cycle)
    rows = rows[_texts(rows["organisation"]).isin(orgs)]
    last = rows["submitted_on"].max()
    return as_date(last) if not pd.isna(last) else None


def follow_timetable(timetable: pd.DataFrame, answers: pd.DataFrame, sa: SelfAssessmentForm,
                     organisations: Iterable[Any]) -> pd.DataFrame:
    """The timetable with its rows of the form's ``timetable_type`` brought up to the
    cycles: ``last_done`` is the day the latest complete cycle's last organisation returned
    (later than what is typed, never earlier), so timetable.timetable_status works their
    next due date out from it as for every activity. Other rows are unchanged."""
    orgs = [o for o in map(_text, organisations) if o]
    cycles = sorted({c for c in _texts(answers.loc[_texts(answers["form"]) == sa.form, "cycle"])
                     if c}, reverse=True)
    done = None
    for cycle in cycles:
        done = completed_on(answers, orgs, sa.form, cycle)
        if done is not None:
            break
    out = timetable.copy()
    if done is None:
        return out
    mine = _texts(out["activity_type"]) == sa.timetable_type
    for i in out.index[mine]:
        typed = as_date(out.at[i, "last_done"])
        if typed is None or typed < done:
            out.at[i, "last_done"] = pd.Timestamp(done)
    return out
