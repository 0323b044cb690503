"""The demo's data: plausible, internally consistent figures for every table, from a random seed.

Made with numpy, so a 40-partner, 12-quarter workbook takes well under a second: the
benchmarks run on it. The same seed gives the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_xl.core.periods import Period, kind_of_frequency, sequence
from qa_xl.workbook import schema as S

if TYPE_CHECKING:
    from qa_xl.framework import Config, Indicator, Partner

def synthetic_partners(config: Config, count: int) -> Config:
    """``count`` partners spread over the sectors; indicators follow the sectors they had."""
    from qa_xl.framework import Partner

    sector_of = {p.partner_id: p.sector for p in config.partners}
    sectors = list(dict.fromkeys(sector_of.values()))
    partners = []
    for i in range(count):
        sector = sectors[i % len(sectors)]
        code = sector.split()[0].lower().replace("'", "")[:8]
        partners.append(Partner(f"{code}_{i + 1:03d}", f"{sector} agency {i + 1}", sector,
                                f"Lead {i + 1}", f"qa.{code}{i + 1}@example.org", True))
    indicators = []
    for ind in config.indicators:
        text = str(ind.reporting_partners).strip()
        if text.lower() != "all":
            sectors = {sector_of.get(p.strip()) for p in text.split(",")}
            ids = [p.partner_id for p in partners if p.sector in sectors]
            text = ", ".join(ids) if ids else "All"
        indicators.append(replace(ind, reporting_partners=text))
    lists = dict(config.lists)
    lists["partner_id"] = tuple(p.partner_id for p in partners)
    return replace(config, partners=tuple(partners), indicators=tuple(indicators), lists=lists)


def demo_data(config: Config, *, quarters: int, seed: int
              ) -> tuple[dict[str, pd.DataFrame], dt.date]:
    """Every table's rows, and the date the demo is 'run' on (six weeks after the period)."""
    rng = np.random.default_rng(seed)
    current = Period.parse(config.settings["current_period"])
    today = current.end + dt.timedelta(days=42)
    periods = sequence(current, quarters)
    data = {f"tblReturn_{pid}": frame for pid, frame in
            _returns(config, periods, rng, today).items()}
    data[S.TIMETABLE.table] = _timetable(config, rng, today)
    data[S.RISKS.table] = _risks(config, rng, today)
    audits = _audits(config, rng, periods)
    data[S.AUDITS.table] = audits
    data[S.VOICE.table] = _voice(config, rng, periods)
    data[S.ACTIONS.table] = _actions(config, rng, today, audits)
    data[S.CONTENT_AREAS.table] = _content_areas(config, rng)
    return data, today


# -------------------------------------------------------------------------------- returns

def _periods_for(ind: Indicator, quarters: list[Period]) -> list[Period]:
    kind = kind_of_frequency(ind.frequency)
    wanted = []
    for q in quarters:
        p = Period.containing(q.end, kind)
        if p.end == q.end:  # the quarter that closes a half-year or a year
            wanted.append(p)
    return wanted


def _returns(config: Config, quarters: list[Period], rng: np.random.Generator,
             today: dt.date) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[list[Any]]] = {p.partner_id: [] for p in config.partners}
    # A few partners miss a whole quarter's return (never the current one for all of them).
    missed = {(p.partner_id, q.end) for q in quarters for p in config.partners
              if rng.random() < 0.03}
    for ind in config.indicators:
        ids = set(config.partners_for(ind))
        reporters = [p for p in config.partners if p.partner_id in ids]
        if not reporters:
            continue
        periods = _periods_for(ind, quarters)
        shares = rng.dirichlet(np.ones(len(reporters)) * 3)
        trend = rng.normal(0, 0.03)
        for t, period in enumerate(periods):
            for partner, share in zip(reporters, shares):
                if (partner.partner_id, period.end) in missed:
                    continue
                rows[partner.partner_id].append(
                    _return_row(ind, partner, period, t, share, trend, rng, today))
    columns = [c.name for c in S.RETURN_COLUMNS]
    return {pid: pd.DataFrame(r, columns=columns)
            for pid, r in rows.items()}


def _return_row(ind: Indicator, partner: Partner, period: Period, t: int, share: float,
                trend: float, rng: np.random.Generator, today: dt.date) -> list[Any]:
    late = rng.random() < 0.1  # most returns arrive within the 30 days allowed
    days = int(rng.integers(31, 50) if late else rng.integers(5, 29))
    submitted = min(period.end + dt.timedelta(days=days), today)
    value = num = den = None
    commentary = ""
    if rng.random() < 0.02:
        commentary = "Figure not available this period: recording system upgrade."
    elif ind.aggregation == "ratio":
        target = ind.target if ind.target is not None else 0.7
        den = max(1, int(rng.poisson(max(5.0, 400 * share))))
        rate = float(np.clip(target + trend * t + rng.normal(0, 0.06), 0.02, 0.99))
        num = int(rng.binomial(den, rate))
        value = round(num / den, 4)
    else:
        level = ind.target or DEMO_LEVELS.get(ind.indicator_id) or {
            "Count": 900.0, "Days": 20.0}.get(ind.unit, 50.0)
        mean = level * (share if ind.aggregation == "sum" else 1.0) * (1 + trend * t)
        value = max(0.0, round(float(rng.normal(mean, abs(mean) * 0.08 + 0.5)),
                               0 if ind.unit == "Count" else 1))
    if value is not None and ind.aggregation != "sum" and ind.target is not None:
        from qa_xl.core.rag import RED, rag

        if rag(value, ind.target, ind.polarity, ind.amber_tolerance) == RED:
            commentary = rng.choice(_RED_COMMENTS)
    elif value is not None and rng.random() < 0.15:
        commentary = rng.choice(_OTHER_COMMENTS)
    return [str(period), ind.indicator_id, value, num, den, str(commentary) or None,
            partner.lead or partner.name, submitted]


# Plausible partnership-wide levels a quarter for the built-in indicators whose size is far
# from the default (a few reviews, not hundreds).
DEMO_LEVELS = {"scr_initiated": 2.0, "cp_plans_started": 90.0, "lac_count": 650.0,
               "missing_children": 120.0, "assaults_location": 80.0, "yos_one_to_one": 150.0,
               "ae_safeguarding": 90.0, "mh_referrals_schools": 60.0, "parent_complaints": 25.0,
               "da_referrals": 300.0, "training_days": 20.0}

_RED_COMMENTS = (
    "Below target: two vacancies in the team this quarter; recovery plan agreed with the lead.",
    "Below target because of a rise in demand; a deep dive is planned for the next quarter.",
    "Data quality issue found in the recording system; figures are being re-checked.",
)
_OTHER_COMMENTS = (
    "Seasonal rise in line with previous years.",
    "New recording practice introduced mid-quarter.",
    "Figures validated by the performance team.",
)


# ------------------------------------------------------------------------ the QA programme

def _timetable(config: Config, rng: np.random.Generator, today: dt.date) -> pd.DataFrame:
    months = {"Quarterly": 3, "Half-yearly": 6, "Annual": 12, "Every two years": 24}
    rows = []
    for i, a in enumerate(config.qa_programme):
        interval = months.get(a.frequency)
        if interval is None:
            last = today - dt.timedelta(days=int(rng.integers(20, 200)))
        elif i % 4 == 1:  # about a quarter of the programme has slipped
            last = today - dt.timedelta(days=int(interval * 30.5 + rng.integers(30, 90)))
        else:
            last = today - dt.timedelta(days=int(rng.integers(10, max(11, interval * 30 - 20))))
        overdue = interval is not None and (today - last).days > interval * 30.5
        status = "Slipped" if overdue else ("Completed" if i % 3 == 0 else "In progress")
        findings = _FINDINGS[i % len(_FINDINGS)] if status == "Completed" else ""
        rows.append([a.activity_id, a.activity_type, a.title, a.lead or "QA officer",
                     a.frequency, last, None, a.reporting_route, status, findings, None])
    return pd.DataFrame(rows, columns=S.TIMETABLE.names)


_RISKS = (  # {names} are the configuration's, so a renamed partnership's demo says its own
    ("Partner agencies do not provide returns on time, so the {board} lacks assurance",
     "{board} business manager"),
    ("Learning from reviews is not embedded in front-line practice", "Chair of "
     "{committee_short}"),
    ("Reduced capacity in health safeguarding teams", "Designated nurse"),
    ("Increase in contacts to the MASH exceeds capacity", "Head of MASH"),
    ("Children missing education are not identified quickly", "Head of inclusion"),
    ("Voice of the child is not captured consistently", "Principal social worker"),
    ("Section 11 action plans are not completed", "{board} business manager"),
    ("Exploitation risks are not recognised early", "Detective chief inspector"),
)


def _risks(config: Config, rng: np.random.Generator, today: dt.date) -> pd.DataFrame:
    rows = []
    for i, (title, owner) in enumerate(_RISKS):
        title, owner = title.format(**config.names), owner.format(**config.names)
        likelihood, impact = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        previous = int(np.clip(likelihood + rng.choice([-1, 0, 1]), 1, 5)) * impact
        if i == 3:  # one risk is clearly worsening
            likelihood, impact, previous = 4, 5, 12
        status = "Closed" if i == 6 else "Open"
        rows.append([f"R{i + 1:02d}", title, owner, likelihood, impact, likelihood * impact,
                     previous, (likelihood - 1) * (impact - 1),
                     f"Monitoring through the {config.names['committee_short']} dataset.",
                     "Deep dive and partner challenge session.",
                     today + dt.timedelta(days=int(rng.integers(40, 150))), status, None])
    return pd.DataFrame(rows, columns=S.RISKS.names)


_STRENGTHS = ("Timely information sharing between agencies.",
              "Child seen alone and their wishes recorded.",
              "Clear and specific plan with measurable outcomes.")
_DEVELOPMENT = ("Management oversight not recorded on file.",
                "Voice of the child not recorded in the plan.",
                "Delay in holding the strategy discussion.",
                "Management oversight not evident at review.")


def _audits(config: Config, rng: np.random.Generator, quarters: list[Period]) -> pd.DataFrame:
    grades = list(config.lists["audit_grade"])
    stages = list(config.lists["audit_stage"])
    partner_ids = [p.partner_id for p in config.partners]
    rows = []
    for qi, q in enumerate(quarters[-4:]):
        audit_id = f"MACFA{q.year % 100:02d}Q{q.part}"
        date = q.end - dt.timedelta(days=int(rng.integers(5, 30)))
        for case in range(1, 5):  # about four cases a quarter, as the framework says
            agencies = rng.choice(partner_ids, size=min(3, len(partner_ids)), replace=False)
            for pid in agencies:
                for stage in stages:
                    grade = grades[int(rng.choice(4, p=[0.1, 0.5, 0.3, 0.1]))]
                    weak = grade in grades[2:]
                    rows.append([audit_id, date, "Neglect" if qi % 2 else "Domestic abuse",
                                 f"C{case}", str(pid), stage, grade,
                                 rng.choice(_STRENGTHS),
                                 rng.choice(_DEVELOPMENT) if weak else None,
                                 (f"{audit_id}: strengthen {stage.lower()} practice"
                                  if weak and stage == stages[-1] else None)])
    if rows:
        rows[0][6] = grades[-1]  # at least one Inadequate grade
        rows[0][8] = _DEVELOPMENT[0]
    return pd.DataFrame(rows, columns=S.AUDITS.names)


def _voice(config: Config, rng: np.random.Generator, quarters: list[Period]) -> pd.DataFrame:
    questions = list(config.lists["voice_question"])
    askers = [p for p in config.partners if p.sector != "Police"][:12] or list(config.partners)
    rows = []
    for q in quarters[-4:]:
        for p in askers:
            for question in questions:
                n = int(rng.integers(3, 40))
                yes = int(rng.binomial(n, 0.7))
                partly = int(rng.binomial(n - yes, 0.6))
                story = str(rng.choice(_STORIES)) if rng.random() < 0.1 else None
                rows.append([str(q), p.partner_id, question, n, yes, partly, n - yes - partly,
                             story])
    return pd.DataFrame(rows, columns=S.VOICE.names)


_STORIES = (
    "A young person said their worker 'actually listened and came back when they said they "
    "would'.",
    "A parent said the plan was explained in plain words and they knew who to call.",
    "A child said they felt safer at home since the family support sessions started.",
    "A carer said meetings kept changing and they had to tell their story several times.",
    "A young person said they were asked what they wanted before the meeting, not after.",
)


# What a year's actions look like ({names} are the configuration's, so a renamed
# partnership's demo says its own): the action, its owner, and what a re-audit found.
_ACTIONS = (
    ("Brief front-line staff on the learning and re-audit practice in three months.",
     "{board} business manager", "Re-audit of 20 cases: the learning applied in 17."),
    ("Add the child's own words to the assessment template and check 20 records.",
     "Principal social worker", "The child's words recorded in 17 of 20 records (was 9)."),
    ("Publish the escalation procedure and run a multi-agency workshop on it.",
     "Training coordinator", "Escalations resolved within 10 days rose from 60% to 85%."),
    ("Update the strategy discussion checklist and audit ten strategy meetings.",
     "Head of MASH", "All ten strategy meetings audited included health and education."),
    ("Record management oversight in supervision and audit it each quarter.",
     "Head of children's social care", "Management oversight recorded in 14 of 15 cases."),
    ("Refresh exploitation screening training for front-door staff.",
     "Detective inspector, public protection", "92% of front-door staff trained; screening "
     "tool used in every contact audited."),
    ("Agree with schools and health visitors how information is shared before a meeting.",
     "Designated nurse", "Reports shared before 9 of 10 conferences audited (was 4)."),
)

# What the QA activities found (completed ones), in turn.
_FINDINGS = (
    "Good multi-agency information sharing; gaps in recording of the child's voice.",
    "Thresholds applied consistently at the front door; step-down plans often vague.",
    "Strategy discussions timely; health rarely invited.",
    "Safer recruitment checks complete in all files sampled.",
    "Plans focus on adults' needs; children's lived experience not always described.",
    "Escalation used well by schools; feedback to referrers inconsistent.",
)


def _actions(config: Config, rng: np.random.Generator, today: dt.date,
             audits: pd.DataFrame) -> pd.DataFrame:
    sources = list(config.lists["action_source"])
    areas = list(config.lists["learning_area"])
    recs = audits["recommendation"].dropna().unique().tolist()
    rows = []
    for i in range(20):
        source = sources[i % len(sources)]
        finding = recs[i] if i < len(recs) else f"Learning from {source.lower()}."
        due = today + dt.timedelta(days=int(rng.integers(-90, 180)))
        status = "Completed" if i % 5 == 0 else ("In progress" if i % 2 else "Not started")
        action, owner, impact = _ACTIONS[i % len(_ACTIONS)]
        rows.append([f"A{i + 1:03d}", source, finding, action, areas[i % len(areas)],
                     owner.format(**config.names), due, status,
                     impact if status == "Completed" else None, None])
    return pd.DataFrame(rows, columns=S.ACTIONS.names)


def _content_areas(config: Config, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i, c in enumerate(config.content_areas):
        done = int(rng.integers(0, 6)) if i else 5
        steps = ["Done"] * done + (["In progress"] if done < 5 else [])
        steps = (steps + ["Not started"] * 5)[:5]
        good = c.what_good_looks_like or (
            "Children and families say services made them safer." if done >= 2 else "")
        rows.append([c.content_area, c.kind, c.category, c.priority, *steps, good])
    return pd.DataFrame(rows, columns=S.CONTENT_AREAS.names)
