"""Benchmark `relcheck scan` on generated monorepos: `python bench/run.py [--sizes 10 100 1000] [--runs 3]`.

Whole processes, as CI runs them: wall time (median of the runs), files per second, and the peak
resident memory of the child (from wait4). When checkov is installed it runs on the same tree with
`--framework kubernetes dockerfile`, and the ratio is shown.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate


def _relcheck() -> list[str]:
    found = shutil.which("relcheck")
    return [found] if found else [sys.executable, "-m", "relcheck"]


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, peak RSS MiB) of `command` run `runs` times."""
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - started)
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "relcheck-bench")
    options = parser.parse_args()
    checkov = shutil.which("checkov")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| services | files | jobs | relcheck wall (s) | files/s | peak RSS (MiB) | checkov (s) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for size in options.sizes:
        tree = options.workdir / f"mono{size}"
        if not (tree / "services").is_dir() or len(list((tree / "services").iterdir())) != size:
            generate(size, tree)
        files = size * 9 + 2
        checkov_time = None
        if checkov:
            checkov_time, _ = measure([checkov, "-d", str(tree), "--framework", "kubernetes", "dockerfile",
                                       "--quiet", "--compact"], 1)
        for jobs in options.jobs:
            wall, peak = measure([*_relcheck(), "scan", str(tree), "--fail-on", "never", "--jobs", str(jobs)],
                                 options.runs)
            ratio = f"{checkov_time / wall:.1f}×" if checkov_time else "–"
            shown = f"{checkov_time:.2f}" if checkov_time else "not installed"
            print(f"| {size} | {files} | {jobs} | {wall:.2f} | {files / wall:.0f} | {peak:.0f} | {shown} | {ratio} |")


if __name__ == "__main__":
    main()
