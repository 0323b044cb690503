#!/usr/bin/env python3
"""Benchmark: importing partner returns and rolling up, as an officer's button click would.

Builds ``qa-xl demo --partners N --quarters 12`` in a temporary folder, then times, over
several runs, each command as a fresh process (wall time including start-up, as the officer
waits for it), and reports the median and the peak memory of the process.

    python bench/bench_returns.py [--partners 40] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import byte_compile  # the script's folder is on sys.path


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=40)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    byte_compile()
    qa_xl = [sys.executable, "-m", "qa_xl.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run([*qa_xl, "demo", str(demo), "--partners", str(opts.partners),
                        "--quarters", str(opts.quarters)], check=True, capture_output=True)
        master = demo / "QA_Master.xlsx"
        pristine = Path(tmp) / "pristine.xlsx"
        shutil.copyfile(master, pristine)
        files = sorted(str(p) for p in (demo / "returns").rglob("*.xlsx"))
        results: dict[str, list[tuple[float, float]]] = {"import": [], "rollup": []}
        for _ in range(opts.runs):
            shutil.copyfile(pristine, master)
            shutil.rmtree(demo / "backups", ignore_errors=True)
            results["import"].append(run([*qa_xl, "returns", "import", str(master), *files]))
            results["rollup"].append(run([*qa_xl, "rollup", str(master)]))
    print(f"{opts.partners} partners x {opts.quarters} quarters, {len(files)} returns, "
          f"median of {opts.runs} runs (wall time incl. start-up; peak RSS)")
    for name, samples in results.items():
        seconds = statistics.median(s for s, _ in samples)
        memory = max(m for _, m in samples)
        label = f"import {len(files)} returns" if name == "import" else "rollup"
        print(f"  {label:<22} {seconds:6.2f} s   {memory:6.0f} MB")


if __name__ == "__main__":
    main()
