"""``qa-xl demo``: a worked example with plausible, internally consistent data in every table.

The same seed gives the same workbook. It is also what the benchmarks run on, so it must build
a 40-partner, 12-quarter workbook quickly: the data is made with numpy and written in one
XlsxWriter pass by :func:`qa_xl.workbook.build.new`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qa_xl.core.periods import Cycle, Period, sequence

if TYPE_CHECKING:
    from qa_xl.framework import Config

from qa_xl.example.data import demo_data, synthetic_partners
from qa_xl.example.partner import fill_return
from qa_xl.example.self_assessment import demo_schools, self_assessment_round
from qa_xl.workbook import schema as S

WORKBOOK_NAME = "QA_Master.xlsx"


@dataclass
class DemoResult:
    workbook: Path
    partners: int
    periods: list[str]
    findings: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    imported: int = 0
    today: dt.date | None = None  # the date the demo's data is "as at"
    papers: list[Path] = field(default_factory=list)
    forms: int = 0  # self-assessment forms imported (Section 11 and Section 175/157)

    def lines(self) -> list[str]:
        from qa_xl.workbook.checks import summary

        return [f"Wrote {self.workbook} ({self.partners} partners, {self.periods[0]} to "
                f"{self.periods[-1]})",
                *([f"Issued {len(self.files)} partner returns in {self.files[0].parent}; "
                   f"{self.imported} were filled in and imported"] if self.files else []),
                *([f"Imported {self.forms} Section 11 and Section 175/157 self-assessment "
                   "forms"] if self.forms else []),
                f"Validation: {summary(self.findings)}",
                *[f"Wrote {paper}" for paper in self.papers]]


def demo(directory: str | Path = "qa_xl_demo", config: Config | None = None, *,
         partners: int | None = None, quarters: int = 8, seed: int = 1, force: bool = False,
         progress: Callable[[str], None] | None = None) -> DemoResult:
    """Write ``directory/QA_Master.xlsx`` full of demo data, then validate it. An existing
    demo workbook there is replaced only with ``force`` (it may hold an officer's trials)."""
    from qa_xl.collect.consolidate import rollup
    from qa_xl.framework import load_config
    from qa_xl.papers import build_board_report, build_pack
    from qa_xl.validation import validate
    from qa_xl.workbook.build import new

    say = progress or (lambda _text: None)
    config = config or load_config()
    if partners:
        config = synthetic_partners(config, partners)
    directory = Path(directory)
    path = directory / WORKBOOK_NAME
    if path.exists() and not force:
        from qa_xl.core.errors import UnusableInput

        raise UnusableInput("a demo workbook is already there", file=path,
                            action="choose another folder, or add --force to replace it")
    say(f"Making {quarters} quarters of data for {len(config.partners)} partners")
    data, today = demo_data(config, quarters=quarters, seed=seed)
    config = demo_targets(config, data)
    current = Period.parse(config.settings["current_period"])
    data, latest, voice = split_latest(data, current)
    data[S.SCHOOLS.table] = demo_schools(seed=seed)
    say(f"Writing {path}")
    token = hashlib.sha256(f"qa_xl demo {seed}".encode()).hexdigest()
    new(path, config, force=True, data=data, secret=token,
        workbook_id=str(uuid.UUID(token[:32])))
    files, imported = returns_round(path, current, latest, say, voice)
    forms = self_assessments(path, config, data[S.SCHOOLS.table], today, say, seed)
    say("Rolling up")
    rollup(path)
    say("Validating")
    findings = validate(path, today=today, write=True)
    say("Writing the Q&PC pack and the Board report")
    papers = [build_pack(path, today=today), build_board_report(path, today=today)]
    return DemoResult(path, len(config.partners),
                      [str(p) for p in sequence(current, quarters)], findings, files, imported,
                      today, papers, forms)


def self_assessments(path: Path, config: Config, schools: pd.DataFrame, today: dt.date,
                     say: Callable[[str], None], seed: int) -> int:
    """Two closed Section 11 cycles (the two before today's: every partner returned, better
    the second time, so the papers show movement) and an open Section 175/157 cycle
    (today's: most schools returned so far), through the real issue and import jobs."""
    now = Cycle.containing(today)
    partners = [(p.partner_id, "Safeguarding lead") for p in config.partners]
    forms = 0
    for cycle, lift in ((now.previous.previous, 0.0), (now.previous, 0.2)):
        forms += self_assessment_round(path, config, "s11", str(cycle), partners, 1.0,
                              lambda i, lift=lift: 0.3 + lift + 0.3 * ((i * 37) % 10) / 10,
                              cycle.start + dt.timedelta(days=75), say, seed + cycle.start_year,
                              batches=2)
    pupils = [(r.school_id, str(r.dsl)) for r in schools.itertuples()]
    forms += self_assessment_round(path, config, "s175", str(now), pupils, 0.85,
                          lambda i: 0.5 + 0.45 * ((i * 53) % 10) / 10,
                          now.start + dt.timedelta(days=60), say, seed + 1, batches=1)
    progress_actions(path, config, today)
    return forms


def progress_actions(path: Path, config: Config, today: dt.date) -> None:
    """The officers' side: most actions of the closed Section 11 cycles are done (with
    evidence of impact), some in progress; the open cycle's are under way."""
    from qa_xl.workbook.filestore import opened
    from qa_xl.workbook.store import read_table

    with opened(path, "Demo", write=True) as store:
        df = read_table(store, S.ACTIONS).df.copy()
        for n, i in enumerate(df.index):
            key = str(df.at[i, "action_id"])
            if key.startswith("S11-") and not key.startswith(f"S11-{Cycle.containing(today)}"):
                done = n % 5 != 0
                df.at[i, "status"] = "Completed" if done else "In progress"
                if done:
                    df.at[i, "evidence_of_impact"] = ("Re-checked at the partner's own audit: "
                                                      "the gap is closed")
            elif key.startswith("S175-") and n % 3 == 0:
                df.at[i, "status"] = "In progress"
        store.write({S.ACTIONS.table: df})


def demo_targets(config: Config, data: dict[str, pd.DataFrame]) -> Config:
    """Targets for the demo's counts, as a service plan would set them: a little better than
    the average so far, so that the scorecard shows Green, Amber and Red. The built-in
    configuration leaves them blank: targets are local."""
    returns = pd.concat([f for n, f in data.items() if n.startswith("tblReturn_")])
    totals = returns.groupby(["indicator_id", "period"])["value"].sum().groupby(
        "indicator_id").mean()
    indicators = []
    for ind in config.indicators:
        sign = {"Higher is better": 1, "Lower is better": -1}.get(ind.polarity, 0)
        if ind.target is None and ind.aggregation == "sum" and sign and ind.indicator_id in totals:
            level = float(totals[ind.indicator_id])
            ind = replace(ind, target=round(level * (1 + 0.03 * sign)),
                          amber_tolerance=round(level * 0.05, 1))
        indicators.append(ind)
    return replace(config, indicators=tuple(indicators))


def split_latest(data: dict[str, pd.DataFrame], current: Period
                 ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], pd.DataFrame]:
    """Take the current quarter's returns out of the master data: they arrive as files, the
    figures (by partner) and the voice answers (the third value) in each partner's return.
    The earlier quarters' voice rows stay on the Voice sheet as an officer typed them."""
    from qa_xl.collect.master import periods_due

    due = {str(p) for p in periods_due(current).values()}
    kept, latest = dict(data), {}
    for name, frame in data.items():
        if name.startswith("tblReturn_"):
            is_latest = frame["period"].isin(due)
            kept[name], latest[name.removeprefix("tblReturn_")] = (frame[~is_latest],
                                                                    frame[is_latest])
    voice = data.get(S.VOICE.table, pd.DataFrame(columns=S.VOICE.names))
    now = voice["period"] == str(current)
    kept[S.VOICE.table] = voice[~now]
    return kept, latest, voice[now]


def returns_round(path: Path, current: Period, latest: dict[str, pd.DataFrame],
                  say: Callable[[str], None], voice: pd.DataFrame | None = None
                  ) -> tuple[list[Path], int]:
    """Issue the current quarter's returns, fill them in as partners would (the figures and
    the voice answers, ``voice`` in tblVoice's columns), import them. A partner with nothing
    to send (a missed return) is left out of the import."""
    from qa_xl.collect.importing import import_returns
    from qa_xl.collect.issue import issue_returns

    say(f"Issuing returns for {current}")
    issued = issue_returns(path, str(current), now=dt.datetime.combine(
        current.end + dt.timedelta(days=1), dt.time(9, 0)))
    filled = []
    voice = pd.DataFrame(columns=S.VOICE.names) if voice is None else voice
    for file in issued:
        pid = file.name.removesuffix(f"_{current.file_part}.xlsx")
        frame = latest.get(pid)
        if frame is None or frame.empty:
            continue
        figures = {(r.period, r.indicator_id): {
            "value": _cell(r.value), "numerator": _cell(r.numerator),
            "denominator": _cell(r.denominator), "commentary": _cell(r.commentary)}
            for r in frame.itertuples()}
        answers = {r.question: {"respondents": r.respondents, "yes": r.yes,
                                "partly": r.partly, "no": r.no, "story": _cell(r.story)}
                   for r in voice[voice["partner_id"] == pid].itertuples()}
        first = frame.iloc[0]
        fill_return(file, figures, first["submitted_by"], first["submitted_on"], answers)
        filled.append(file)
    say(f"Importing {len(filled)} completed returns")
    report = import_returns(path, filled)
    refused = [r for r in report.results if not r.accepted]
    if refused:  # the demo's own data must always import: this is a bug if it happens
        raise RuntimeError("demo returns were refused: " + "; ".join(refused[0].problems[:3]))
    _arrived_when_completed(path, {r.partner_id: r.signed_off for r in report.results})
    return issued, len(filled)


def _arrived_when_completed(path: Path, signed: dict[str, dt.date | None]) -> None:
    """The demo imports every return at once; in its story each arrived on the afternoon it
    was completed, so the tracker (and the papers' compliance) shows on time and late."""
    from qa_xl.collect import tracker as T
    from qa_xl.workbook import schema as S
    from qa_xl.workbook.filestore import opened
    from qa_xl.workbook.store import read_settings, read_table

    with opened(path, "Demo", write=True) as store:
        settings = read_settings(store)
        df = read_table(store, S.RETURNS_TRACKER).df.copy()
        for i, r in df.iterrows():
            day = signed.get(r["partner_id"])
            if day is not None and not pd.isna(r["first_received_on"]):
                df.at[i, "first_received_on"] = pd.Timestamp(dt.datetime.combine(
                    day, dt.time(16, 0)))
        today = max([d for d in signed.values() if d] or [dt.date.today()])
        store.write({S.RETURNS_TRACKER.table: T.refreshed(df, settings, today)})


def _cell(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value
