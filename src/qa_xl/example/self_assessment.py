"""The demo's schools and self-assessments: a closed Section 11 cycle (2024-26, every partner
returned) and an open Section 175/157 cycle (2026-28, most schools returned).

Both go through the real jobs (``s11_issue``/``s11_import``, ``s175_issue``/``s175_import``):
the forms are issued, filled in through openpyxl as an organisation would and imported, each
batch on the day it "arrived", so the papers show real keys, actions and dates. The names are
invented; the same seed gives the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_xl.workbook import schema as S

if TYPE_CHECKING:
    from qa_xl.framework import Config

PLACES = ("Abbey", "Ashfield", "Beech", "Brook", "Castle", "Cedar", "Church", "Elm", "Fern",
          "Forest", "Glebe", "Hazel", "Heath", "Hill", "Holly", "Kings", "Lark", "Lime", "Manor",
          "Meadow", "Mill", "Oak", "Orchard", "Park", "Priory", "Queens", "Ridge", "River",
          "Rowan", "Spring", "Station", "Valley", "Willow", "Wood")
KINDS = (  # (phase, type, name pattern, id suffix, share of the area's schools)
    ("Primary", "Maintained", "{} Primary School", "pri", 40),
    ("Primary", "Academy", "{} Primary Academy", "pa", 25),
    ("Primary", "Maintained", "St {} CE Primary School", "ce", 8),
    ("Secondary", "Academy", "{} Academy", "acad", 14),
    ("Secondary", "Maintained", "{} High School", "high", 5),
    ("Special", "Maintained", "{} Special School", "spec", 6),
    ("Pupil referral unit", "Maintained", "{} Learning Centre", "pru", 2),
    ("All-through", "Independent", "{} School (independent)", "ind", 12),
    ("Nursery", "Maintained", "{} Nursery School", "nur", 4),
    ("Further education", "FE", "{} College", "fe", 4),
)
SAINTS = ("Mary's", "John's", "Peter's", "Anne's", "Paul's", "Luke's", "Michael's", "Mark's")
DSL = {"Primary": "Deputy headteacher", "Secondary": "Assistant headteacher",
       "Special": "Headteacher", "Pupil referral unit": "Head of centre",
       "All-through": "Head of pastoral care", "Nursery": "Headteacher",
       "Further education": "Head of student services"}


def demo_schools(count: int = 120, seed: int = 1) -> pd.DataFrame:
    """tblSchools: ``count`` invented schools and colleges, phases and types mixed roughly as
    in an English local authority (most primaries, some secondaries, a few special, independent
    and FE)."""
    rng = np.random.default_rng(seed)
    shares = np.array([k[4] for k in KINDS], dtype=float)
    kinds = rng.choice(len(KINDS), size=count, p=shares / shares.sum())
    rows, used = [], set()
    for i, k in enumerate(sorted(kinds)):
        phase, kind, pattern, suffix, _share = KINDS[k]
        names = SAINTS if pattern.startswith("St ") else PLACES
        for n in range(len(names) * 3):
            place = names[(i * 7 + n) % len(names)]
            name = pattern.format(place)
            if n >= len(names):  # a second school of that name: the district says which
                name = f"{name}, {('North', 'South', 'East')[n // len(names) - 1]}"
            if name not in used:
                break
        used.add(name)
        school_id = f"{suffix}_{place.split(chr(39))[0].lower()}{len(rows) + 1:03d}"
        domain = place.split("'")[0].lower()
        rows.append((school_id, name, phase, kind, DSL[phase],
                     f"office@{domain}{len(rows) + 1}.example.sch.uk"))
    return pd.DataFrame(rows, columns=S.SCHOOLS.names)


def _answers(config: Config, form: str, rng: np.random.Generator, strength: float,
             due: dt.date, owner: str) -> dict[str, dict[str, Any]]:
    """One organisation's answers: mostly Fully met for a strong one, a few Partly met and
    the odd Not met, each of those with a planned action, its owner and due date."""
    sa = config.self_assessment(form)
    grades = [g.name for g in config.grades]
    full, partly, not_met, na = grades[0], grades[1], grades[2], grades[-1]
    out = {}
    for standard, question in sa.questions():
        roll = rng.random()
        grade = (full if roll < strength else partly if roll < strength + (1 - strength) * 0.8
                 else not_met)
        if rng.random() < 0.03:
            grade = na
        cells: dict[str, Any] = {"grade": grade, "evidence": (
            f"{standard.name}: policy reviewed, seen by the safeguarding lead"
            if grade != na else "Not a service we provide")}
        if grade in (partly, not_met):
            cells.update(action=f"Close the gap in {standard.name.lower()} ({question.id})",
                         owner=owner, due=due + dt.timedelta(days=int(rng.integers(0, 300))))
        else:  # a pre-filled action of last cycle cleared, as a tidy partner does
            cells.update(action=None, owner=None, due=None)
        out[question.id] = cells
    return out


def self_assessment_round(path: Path, config: Config, form: str, cycle: str,
                          organisations: list[tuple[str, str]], returned: float,
                          strength: Callable[[int], float], started: dt.date,
                          say: Callable[[str], None], seed: int = 1, batches: int = 4) -> int:
    """Issue the form for the cycle, fill in ``returned`` of them and import them in
    ``batches``, a month apart from ``started`` (the day each batch "arrived"; each import
    writes the master once, so the schools' 120 come in one). Returns how many were
    imported."""
    from qa_xl.collect.self_assessment import (
        form_file_name,
        import_self_assessment,
        issue_self_assessment,
    )
    rng = np.random.default_rng(seed)
    from qa_xl.core.periods import Cycle

    sa = config.self_assessment(form)
    say(f"Issuing the {sa.title} {cycle}")
    issued = issue_self_assessment(path, form, cycle, config=config, today=started)
    by_name = {f.name: f for f in issued}
    files: dict[int, list[tuple[Path, dt.date]]] = {}
    jobs: list[tuple[Path, dict[str, dict[str, Any]], str, dt.date]] = []
    for i, (org, who) in enumerate(organisations):
        if rng.random() >= returned:
            continue
        file = by_name.get(form_file_name(org, sa, Cycle.parse(cycle)))
        if file is None:
            continue
        batch = i % batches
        day = started + dt.timedelta(days=30 * batch + int(rng.integers(0, 20)))
        jobs.append((file, _answers(config, form, rng, strength(i),
                                    day + dt.timedelta(days=60), who), who, day))
        files.setdefault(batch, []).append((file, day))
    _fill_all(jobs)
    total = 0
    for batch in sorted(files):
        group = files[batch]
        last = max(day for _f, day in group)
        report = import_self_assessment(path, form, [f for f, _d in group], cycle=cycle,
                                        config=config, now=dt.datetime.combine(
                                            last, dt.time(16, 0)))
        refused = [r for r in report.results if not r.accepted]
        if refused:  # the demo's own forms must import: a bug if they do not
            raise RuntimeError(f"demo {form} forms were refused: "
                               + "; ".join(refused[0].problems[:3]))
        total += len(group)
    say(f"Imported {total} of {len(organisations)} forms")
    return total


def _fill(job: tuple[Path, dict[str, dict[str, Any]], str, dt.date]) -> int:
    from qa_xl.example.partner import fill_self_assessment

    file, answers, who, day = job
    return fill_self_assessment(file, answers, submitted_by=who, submitted_on=day)


def _fill_all(jobs: list[tuple[Path, dict[str, dict[str, Any]], str, dt.date]]) -> None:
    """Fill the forms as the organisations would, through openpyxl: over the machine's
    cores where processes can be forked (a hundred schools' forms take seconds each way),
    one after another elsewhere. The answers were drawn beforehand, so the result is the
    same either way."""
    import multiprocessing
    import os

    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods() or len(jobs) < 20:
        for job in jobs:
            _fill(job)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_fill, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
