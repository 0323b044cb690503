#!/usr/bin/env python3
"""Benchmark: issuing and importing the Section 175/157 audit for an area's schools.

Builds a master with N schools (``qa-xl new`` with a generated tblSchools), then times, over
several runs, ``qa-xl s175 issue`` and ``qa-xl s175 import`` of every form (filled once,
through openpyxl, before the runs) as fresh processes — wall time including start-up, as the
officer waits for it — and reports the median and the peak memory of the process.

    python bench/bench_self_assessment.py [--schools 150] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_pipeline import byte_compile  # the script's folder is on sys.path
from bench_returns import run

PHASES = ("Primary", "Primary", "Primary", "Secondary", "Special", "Further education")
TYPES = ("Maintained", "Academy", "Academy", "Independent", "FE")


def build(folder: Path, schools: int) -> Path:
    import pandas as pd

    from qa_xl.workbook import schema as S
    from qa_xl.workbook.build import new

    rows = [(f"school_{i:03d}", f"School number {i}", PHASES[i % len(PHASES)],
             TYPES[i % len(TYPES)], "Designated safeguarding lead", "")
            for i in range(schools)]
    return new(folder / "QA_Master.xlsx", data={
        S.SCHOOLS.table: pd.DataFrame(rows, columns=S.SCHOOLS.names)})


def fill(folder: Path) -> None:
    from qa_xl.example import fill_self_assessment
    from qa_xl.framework import load_config

    questions = [q.id for _, q in load_config().self_assessment("s175").questions()]
    due = dt.datetime.combine(dt.date.today() + dt.timedelta(days=180), dt.time())
    for n, path in enumerate(sorted(folder.glob("*.xlsx"))):
        answers = {}
        for i, q in enumerate(questions):
            if (i + n) % 6 == 0:
                answers[q] = {"grade": "Partly met", "evidence": "Draft policy.",
                              "action": "Finish it.", "owner": "DSL", "due": due}
            else:
                answers[q] = {"grade": "Fully met", "evidence": "Policy reviewed."}
        fill_self_assessment(path, answers, "DSL", dt.date.today())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    byte_compile()
    qa_xl = [sys.executable, "-m", "qa_xl.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        master = build(base, opts.schools)
        pristine = base / "pristine.xlsx"
        shutil.copyfile(master, pristine)
        forms = base / "forms"
        results: dict[str, list[tuple[float, float]]] = {"issue": [], "import": []}
        for _ in range(opts.runs):
            shutil.copyfile(pristine, master)
            shutil.rmtree(forms, ignore_errors=True)
            results["issue"].append(run([*qa_xl, "s175", "issue", str(master), "--cycle",
                                         "2026-28", "--out", str(forms)]))
        filled = base / "filled"
        shutil.copytree(forms, filled)
        fill(filled)
        for _ in range(opts.runs):
            shutil.copyfile(pristine, master)
            shutil.rmtree(base / "backups", ignore_errors=True)
            for pending in base.glob("*.jsonl"):
                pending.unlink()
            results["import"].append(run([*qa_xl, "s175", "import", str(master),
                                          str(filled)]))
    print(f"{opts.schools} schools, Section 175/157 audit (16 questions), median of "
          f"{opts.runs} runs (wall time incl. start-up; peak RSS)")
    for name, samples in results.items():
        seconds = statistics.median(s for s, _ in samples)
        memory = max(m for _, m in samples)
        print(f"  {name} {opts.schools} forms{'':<8} {seconds:6.2f} s   {memory:6.0f} MB")


if __name__ == "__main__":
    main()
