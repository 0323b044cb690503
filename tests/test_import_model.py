"""The master's returns against a model small enough to be obviously right.

Hypothesis plays officers and partners in any order: returns issued, filled in (with any
figures, signed off on any day), imported, imported again, imported by a process killed with
``SIGKILL`` at any point of its save. After every step the master's return rows are exactly
the model's — for each partner, the figures of the fill the rules say it holds:

- the same file again changes nothing;
- a file that was imported and has since been superseded is refused;
- a fill signed off before the one held is refused;
- otherwise the fill is accepted and replaces the partner's figures (never adds to them);
- a killed import changes nothing if it died before the workbook was replaced, and is a
  whole accepted import if it died after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.faults import SAVE_POINTS
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns
from test_faults import BEFORE_REPLACE, leftovers, qa
from test_integrity import filled
from test_returns import PERIOD, figures_for

PARTNERS = ("police", "probation")


@dataclass
class Fill:
    partner: str
    seed: int
    day: dt.date
    path: Path
    sha: str = ""
    expected: dict[tuple[str, str], float] = field(default_factory=dict)


def _figures(path: Path, seed: int) -> dict[tuple[str, str], float]:
    """What the master should hold for a fill: each row's figure (a ratio's numerator)."""
    return {key: f.get("value", f.get("numerator")) for key, f in figures_for(path, seed).items()}


class Imports(RuleBasedStateMachine):
    template: Path  # an empty master, set by the test
    base: Path

    fills = Bundle("fills")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(dir=self.base))
        self.master = self.dir / "QA_Master.xlsx"
        shutil.copyfile(self.template, self.master)
        issued = issue_returns(self.master, PERIOD, self.dir / "issued", list(PARTNERS))
        self.blank = {p: next(f for f in issued if f.name.startswith(f"{p}_"))
                      for p in PARTNERS}
        self.n = 0
        self.held: dict[str, Fill] = {}  # the model: the fill each partner's rows come from
        self.imported: dict[str, set[str]] = {p: set() for p in PARTNERS}  # shas ever landed

    def teardown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- what the rules say

    def _expect(self, fill: Fill) -> str:
        held = self.held.get(fill.partner)
        if held is not None and held.sha == fill.sha:
            return "unchanged"
        if fill.sha in self.imported[fill.partner]:
            return "superseded"
        if held is not None and fill.day < held.day:
            return "older"
        return "accepted"

    def _land(self, fill: Fill) -> None:
        self.held[fill.partner] = fill
        self.imported[fill.partner].add(fill.sha)

    # --- the steps

    @rule(target=fills, partner=st.sampled_from(PARTNERS), seed=st.integers(1, 4),
          day=st.integers(10, 25))
    def fill(self, partner: str, seed: int, day: int) -> Fill:
        self.n += 1
        path = self.dir / f"{partner}_fill{self.n}.xlsx"
        shutil.copyfile(self.blank[partner], path)
        filled(path, seed, dt.date(2026, 7, day))
        return Fill(partner, seed, dt.date(2026, 7, day), path,
                    hashlib.sha256(path.read_bytes()).hexdigest(), _figures(path, seed))

    @rule(fill=fills)
    def import_it(self, fill: Fill) -> None:
        expected = self._expect(fill)
        result = import_returns(self.master, [fill.path]).results[0]
        assert result.accepted == (expected == "accepted"), (expected, result.result)
        assert result.unchanged == (expected == "unchanged"), (expected, result.result)
        if expected == "accepted":
            self._land(fill)
            # Killed runs leave their temporary files; the next whole save removes them all.
            assert leftovers(self.master) == []

    @rule(fill=fills, point=st.sampled_from(SAVE_POINTS))
    def import_killed(self, fill: Fill, point: str) -> None:
        expected = self._expect(fill)
        before = self.master.read_bytes()
        code, text = qa("returns", "import", self.master, fill.path, QA_XL_FAULT=point)
        if expected != "accepted":  # nothing to save: the process never reaches the point
            assert code != -signal.SIGKILL, text
            assert self.master.read_bytes() == before
            return
        assert code == -signal.SIGKILL, text
        if point in BEFORE_REPLACE:
            assert self.master.read_bytes() == before
        else:
            self._land(fill)

    # --- what must always hold

    @invariant()
    def rows_are_the_models(self) -> None:
        df = read_returns(FileStore(self.master)).df
        assert not df.duplicated(["partner_id", "period", "indicator_id"]).any()
        for partner in PARTNERS:
            rows = df[df["partner_id"] == partner]
            held = self.held.get(partner)
            if held is None:
                assert rows.empty, partner
                continue
            got = {(r.period, r.indicator_id): r.value if pd.isna(r.numerator) else r.numerator
                   for r in rows.itertuples()}
            assert got == pytest.approx(held.expected), partner



@pytest.mark.slow
def test_the_master_always_holds_what_the_model_says(_master_template, tmp_path):
    Imports.template, Imports.base = _master_template, tmp_path
    run_state_machine_as_test(Imports, settings=settings(
        max_examples=4, stateful_step_count=6, deadline=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # a failure prints its steps; no long shrink
        suppress_health_check=list(HealthCheck)))
