#!/usr/bin/env python3
"""Benchmark: the personal-data scan over free text, as validate runs it over every cell.

Times ``find_personal_data`` (and the case-reference check) on 10 kB and 40 kB of each
worst-case pattern (medians of several runs) and reports the milliseconds and the growth from
10 to 40 kB (linear is about 4x). The tests check the same growth by counting the regex
engine's instructions (tests/test_personal_data.py), which a busy machine cannot disturb;
this script gives the wall-clock figures for the README.

    python bench/bench_personal_data.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from qa_xl.core.personal_data import find_personal_data, looks_like_real_case_ref

UNITS = ["0", "a", "a@", "b.", "1 ", "01 22 ", "0-", "+44 ", "(0", "DOB ", "Mr ", "Mr Aaaa ",
         "WV1 1RL ", "12/03/2015 ", "DOB 12/03/2015 ", "943 476 5919 ", "07700 900123 ", "é1 "]
BUDGET_MS = 500  # for 10 kB of anything; the real cost is a few milliseconds


def seconds(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        find_personal_data(text)
        looks_like_real_case_ref(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    print("| pattern | 10 kB | 40 kB | growth |\n|---|---|---|---|")
    worst = 0.0
    slow = []
    for unit in UNITS:
        small = (unit * (10_000 // len(unit) + 1))[:10_000]
        t_small, t_large = seconds(small, opts.runs), seconds(small * 4, opts.runs)
        growth = t_large / t_small if t_small else 0.0
        worst = max(worst, growth)
        if t_small * 1000 > BUDGET_MS:
            slow.append(unit)
        print(f"| {unit!r} | {t_small * 1000:.1f} ms | {t_large * 1000:.1f} ms | {growth:.1f}x |")
    print(f"\nWorst growth {worst:.1f}x (linear is about 4x); {len(slow)} pattern(s) over "
          f"{BUDGET_MS} ms for 10 kB.")
    return 1 if slow or worst > 8 else 0


if __name__ == "__main__":
    raise SystemExit(main())
