#!/usr/bin/env python3
"""Benchmark: each paper as an officer runs it, a fresh ``qa-xl`` process per run.

    python bench/bench_papers.py [--runs 7] [--partners 40]

It builds ``qa-xl demo --partners N --quarters 12`` in a scratch folder, byte-compiles qa_xl
(as the first run on an officer's machine does), then times, run after run on the same file,
``qa-xl pack``, ``qa-xl paper board``, ``qa-xl paper yearly`` and ``qa-xl paper
programme-review`` (wall time including interpreter start-up), alternating the papers so
that all meet the same machine load, and prints the medians.

Goals (issue 13): the pack and the yearly report each at most 1.5 s at 40 partners. Not a
test: timings depend on the machine; run it on a quiet one. ``--pdf`` adds the tagged PDF
(LibreOffice, about 2-3 s more; not part of the goal).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_pipeline import build_demo, byte_compile, qa_xl, run

GOALS = {"pack": 1.5, "yearly": 1.5}
PAPERS = {"pack": ["pack"], "board": ["paper", "board"], "yearly": ["paper", "yearly"],
          "programme-review": ["paper", "programme-review"]}


def measure(master: Path, runs: int, scratch: Path, pdf: bool) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in PAPERS}
    for i in range(runs):
        line = []
        for name, verb in PAPERS.items():
            command = [*qa_xl(), *verb, str(master), "--out", str(scratch / f"{name}.docx"),
                       *(["--pdf"] if pdf else [])]
            times[name].append(run(command))
            line.append(f"{name} {times[name][-1]:.2f} s")
        print(f"  run {i + 1}: " + ", ".join(line), flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per paper (median reported)")
    parser.add_argument("--partners", type=int, nargs="+", default=[40])
    parser.add_argument("--pdf", action="store_true", help="also write each PDF")
    args = parser.parse_args()
    byte_compile()
    rows = []
    for partners in args.partners:
        with tempfile.TemporaryDirectory(prefix="qa_xl_bench_papers_") as tmp:
            scratch = Path(tmp)
            print(f"{partners} partners: building the demo workbook", flush=True)
            master = build_demo(scratch / "demo", partners)
            times = measure(master, args.runs, scratch, args.pdf)
        for name, values in times.items():
            median = statistics.median(values)
            goal = GOALS.get(name)
            verdict = "" if goal is None or args.pdf else (
                f" (goal ≤ {goal} s: {'met' if median <= goal else 'NOT met'})")
            rows.append(f"| {partners} | {name} | {median:.2f} s | {min(values):.2f}–"
                        f"{max(values):.2f} s |{verdict}")
    print("\n| partners | paper | median | range |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    missed = [r for r in rows if "NOT met" in r]
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
