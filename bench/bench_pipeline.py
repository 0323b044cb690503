#!/usr/bin/env python3
"""Benchmark: ``qa-xl rollup`` + ``qa-xl pack`` against the naive pipeline, as users run them.

    python bench/bench_pipeline.py [--runs 5] [--naive PATH] [--partners 40 200]

For each size it builds ``qa-xl demo --partners N --quarters 12`` in a scratch folder, then
times, run after run on the same file, (a) ``qa-xl rollup MASTER`` followed by ``qa-xl pack
MASTER`` as two subprocesses (wall time including interpreter start-up, as an officer or a
scheduled job sees it), and (b) ``python naive_pipeline.py MASTER OUT``, the roll-up and pack an
analyst would script by hand (``../shared/bench/naive_pipeline.py`` beside the repository, or
``--naive`` / ``$QA_XL_NAIVE_PIPELINE``). It prints the medians, their ratio and the peak
memory: the largest sum of resident memory over the process and its children (chart workers
included), sampled every 5 ms. The naive pipeline takes minutes at 200 partners, so there it
runs only with ``--naive-at-200``.

Goals (issue 5): rollup + pack under 2 s at 40 partners and at least 3 times faster than the
naive pipeline; under 6 s at 200 partners; peak memory under 400 MB. Not a test: timings
depend on the machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_NAIVE = REPO.parent / "shared" / "bench" / "naive_pipeline.py"
GOAL_SECONDS = {40: 2.0, 200: 6.0}
GOAL_RATIO = 3.0
GOAL_MB = 400


def qa_xl() -> list[str]:
    """The installed ``qa-xl`` command beside this interpreter (what users run)."""
    script = Path(sys.executable).with_name("qa-xl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa_xl.cli"]


def run(command: list[str]) -> float:
    """Run a command; return its wall time in seconds."""
    start = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n"
                 f"{process.stderr.decode()}")
    return elapsed


def peak_mb(command: list[str]) -> float:
    """Run a command once more, sampling every 20 ms the resident memory of the process and
    all its children (chart workers included); return the largest sum in MB. Kept apart
    from the timed runs, whose times the sampling would disturb."""
    import psutil

    peak = 0
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(process.pid)
            while not done.is_set():
                with contextlib.suppress(psutil.Error):
                    peak = max(peak, parent.memory_info().rss + sum(
                        child.memory_info().rss for child in parent.children(recursive=True)))
                time.sleep(0.02)
        except psutil.Error:
            return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    done.set()
    sampler.join()
    return peak / 2**20


def byte_compile() -> None:
    """Compile qa_xl's modules once, as the first run on an officer's machine does: an
    editable install ships no .pyc files, and where ``PYTHONDONTWRITEBYTECODE`` is set (as on
    the CI machines) every run would otherwise compile its thirty-odd modules again, a cost
    no installed copy pays. The naive pipeline is one script: nothing to compile ahead."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("qa_xl")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("qa_xl is not installed in this interpreter: pip install -e .")
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def build_demo(folder: Path, partners: int) -> Path:
    subprocess.run([*qa_xl(), "demo", str(folder), "--partners", str(partners),
                    "--quarters", "12"], check=True, capture_output=True)
    return folder / "QA_Master.xlsx"


def measure(master: Path, naive: Path | None, runs: int, scratch: Path) -> dict[str, list]:
    """Alternate ours and theirs run by run, so that both meet the same machine load."""
    results: dict[str, list] = {"rollup": [], "pack": [], "ours": [], "naive": []}
    rollup_command = [*qa_xl(), "rollup", str(master)]
    pack_command = [*qa_xl(), "pack", str(master), "--out", str(scratch / "pack.docx")]
    naive_command = None if naive is None else [sys.executable, str(naive), str(master),
                                                str(scratch / "naive")]
    for i in range(runs):
        rollup, pack = run(rollup_command), run(pack_command)
        results["rollup"].append(rollup)
        results["pack"].append(pack)
        results["ours"].append(rollup + pack)
        if naive_command:
            results["naive"].append(run(naive_command))
        print(f"  run {i + 1}: rollup {rollup:.2f} s + pack {pack:.2f} s = {rollup + pack:.2f} s"
              + (f"; naive {results['naive'][-1]:.2f} s" if naive_command else ""), flush=True)
    results["ours_mb"] = [max(peak_mb(rollup_command), peak_mb(pack_command))]
    results["naive_mb"] = [peak_mb(naive_command)] if naive_command else []
    return results


def report(partners: int, results: dict[str, list]) -> str:
    med = {k: statistics.median(v) for k, v in results.items() if v}
    goal = GOAL_SECONDS.get(partners)
    naive = (f"{med['naive']:.2f} s | **{med['naive'] / med['ours']:.1f}×** (goal ≥ "
             f"{GOAL_RATIO:.0f}×)" if "naive" in med else "not run | –")
    memory = f"{med['ours_mb']:.0f} MB" + (f" (naive {med['naive_mb']:.0f} MB)"
                                           if "naive_mb" in med else "")
    return (f"| {partners} | {med['rollup']:.2f} s | {med['pack']:.2f} s | "
            f"**{med['ours']:.2f} s**" + (f" (goal < {goal:.0f} s)" if goal else "")
            + f" | {naive} | {memory} (goal < {GOAL_MB} MB) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per size (median reported)")
    parser.add_argument("--partners", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--naive", type=Path, default=Path(os.environ.get(
        "QA_XL_NAIVE_PIPELINE", DEFAULT_NAIVE)), help="path of naive_pipeline.py")
    parser.add_argument("--naive-at-200", action="store_true",
                        help="also time the naive pipeline at 200 partners (minutes)")
    args = parser.parse_args()
    if not args.naive.exists():
        sys.exit(f"The naive pipeline is not at {args.naive}: pass --naive PATH.")
    byte_compile()
    table = ["| partners | rollup | pack | rollup + pack | naive pipeline | faster | "
             "peak memory |", "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="qa_xl_bench_") as tmp:
        for partners in args.partners:
            folder = Path(tmp) / f"p{partners}"
            print(f"{partners} partners, 12 quarters: building the demo…", flush=True)
            master = build_demo(folder, partners)
            naive = args.naive if partners < 200 or args.naive_at_200 else None
            table.append(report(partners, measure(master, naive, args.runs, folder)))
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nMedians of {args.runs} runs; {os.cpu_count()} CPUs; Python "
          f"{sys.version.split()[0]}.\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
