#!/usr/bin/env python3
"""Benchmark: what the integrity work adds to an import (goal: under 30 ms in all).

On the demo master (``qa-xl demo --partners N --quarters 12``), medians of several runs of each
piece qa_xl does now that it did not before:

* the writer's lock: taking and releasing ``<workbook>.qa_xl-lock`` (no one else holding it);
* the fingerprint: SHA-256 of the workbook's bytes when read, and the check before replacing;
* the backup: written under a temporary name, read back whole (every CRC) before the rename,
  and pruning that opens each kept backup's directory;
* the package checks by content types and relationships, per return file;
* the signature over every row, per return file.

Then the whole ``qa-xl returns import`` of every return as a fresh process, for the README.

    python bench/bench_integrity.py [--partners 40] [--runs 7]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_returns import run  # the script's folder is on sys.path


def median_ms(job: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=40)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()

    from qa_xl.collect.master import rows_digest
    from qa_xl.collect.package import check_package
    from qa_xl.workbook import xlsxparts
    from qa_xl.workbook.lock import master_lock
    from qa_xl.workbook.xlsxparts import Fingerprint

    with tempfile.TemporaryDirectory(prefix="qa_xl_bench_") as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "qa_xl.cli", "demo", str(demo), "--partners",
                        str(opts.partners), "--quarters", str(opts.quarters)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        master = demo / "QA_Master.xlsx"
        files = sorted((demo / "returns").rglob("*.xlsx"))
        data = master.read_bytes()

        def lock() -> None:
            with master_lock(master, "bench", say=None):
                pass

        def fingerprint() -> None:
            Fingerprint.of(master, data).matches(master)

        backups = demo / "backups"
        for i in range(10):  # a full rotation to prune
            shutil.copyfile(master, backups / f"QA_Master.backup-20260101-0000{i:02d}.xlsx")

        def backup() -> None:
            saved = xlsxparts._backup(master, data)
            xlsxparts._prune(master, 10)
            saved.unlink(missing_ok=True)

        def package() -> None:
            for f in files:
                check_package(f, f.read_bytes())

        def digest() -> None:
            for _ in files:
                rows_digest([["2026-27 Q2", "mash_contacts", "Contacts", "How much", "Count",
                              "Definition text " * 5, 812.0]] * 8)

        pieces = {"lock (take and release)": median_ms(lock, opts.runs),
                  "fingerprint (read and check)": median_ms(fingerprint, opts.runs),
                  "backup (write, read back, prune)": median_ms(backup, opts.runs)}
        per_file = {"package checks": median_ms(package, opts.runs) / max(len(files), 1),
                    "row signature": median_ms(digest, opts.runs) / max(len(files), 1)}
        fixed = sum(pieces.values())
        print(f"{opts.partners} partners, master {len(data) / 1e6:.1f} MB "
              f"(sha256 {hashlib.sha256(data).hexdigest()[:12]}), {len(files)} returns\n")
        print("| piece | median |\n|---|---|")
        for name, ms in pieces.items():
            print(f"| {name} | {ms:.1f} ms |")
        for name, ms in per_file.items():
            print(f"| {name}, per return | {ms:.2f} ms |")
        print(f"\nAdded per import: {fixed:.1f} ms once (goal < 30 ms), plus "
              f"{sum(per_file.values()):.2f} ms a return.")
        from qa_xl.workbook import schema as S
        from qa_xl.workbook.filestore import FileStore

        base = Path(tmp) / "base.xlsx"  # the master as before the import: log emptied
        shutil.copyfile(master, base)
        FileStore(base).write({S.IMPORT_LOG.table: S.empty_frame(S.IMPORT_LOG)})
        copy = Path(tmp) / "copy.xlsx"
        imports = []
        for _ in range(max(3, opts.runs // 2)):
            shutil.copyfile(base, copy)
            seconds, _mb = run([sys.executable, "-m", "qa_xl.cli", "returns", "import",
                                str(copy), *map(str, files)])
            imports.append(seconds)
        print(f"qa-xl returns import of {len(files)} returns: median "
              f"{statistics.median(imports):.2f} s (fresh process)")


if __name__ == "__main__":
    main()
