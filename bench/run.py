"""Benchmark `relcheck scan` on generated monorepos: `python bench/run.py [--sizes 10 100 1000] [--runs 3]
[--format sarif]`.

Whole processes, as CI runs them, without the cache (cold scans): wall time (median of the runs),
files per second, and the peak resident memory of the child (from wait4). When checkov is on PATH it
runs on the same tree with `--framework kubernetes dockerfile` (`--checkov-runs` times, between
relcheck's runs), and the table shows how many times faster relcheck was and its peak memory as a
share of checkov's.

`--against DIR` also times another checkout of relcheck (say `git worktree add /tmp/before HEAD~5`)
on the same trees, its runs interleaved with this one's, and shows the ratio: on a shared machine,
whose speed drifts from minute to minute, that comparison is fairer than two separate tables.
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

# What the reference figures in the performance issue ran: checkov's Kubernetes and Dockerfile checks only.
CHECKOV_OPTIONS = ["--framework", "kubernetes", "dockerfile", "--quiet", "--compact"]


def _relcheck() -> list[str]:
    found = shutil.which("relcheck")
    return [found] if found else [sys.executable, "-m", "relcheck"]


def _once(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    started = time.perf_counter()
    # A neutral working directory: `python -m` puts the current one first on sys.path.
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def _summary(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """(median wall seconds, peak RSS MiB) of (seconds, MiB) samples."""
    return statistics.median(t for t, _ in samples), max(p for _, p in samples)


def measure_pair(command: list[str], against: Path, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """`command` with this checkout and with `against`, run alternately: ((median s, peak MiB), (...))."""
    other_env = {**os.environ, "PYTHONPATH": str(against)}
    other = [sys.executable, "-m", "relcheck", *command[len(_relcheck()) :]]
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_once(command))
        theirs.append(_once(other, other_env))
    return _summary(ours), _summary(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "relcheck-bench")
    parser.add_argument("--against", type=Path, help="another checkout of relcheck to time alongside this one")
    parser.add_argument(
        "--format", default="text", help="the report relcheck writes (to /dev/null): text, json, sarif..."
    )
    parser.add_argument("--checkov-runs", type=int, default=1, help="checkov runs per size, when it is installed")
    options = parser.parse_args()
    if options.against is not None:
        compare(options)
        return
    checkov = shutil.which("checkov")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; --format {options.format}")
    print(
        "| services | files | jobs | relcheck wall (s) | files/s | peak RSS (MiB) "
        "| checkov (s) | checkov peak (MiB) | faster | memory |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in options.sizes:
        tree = _tree(options.workdir, size)
        files = size * 9 + 2
        # checkov's runs come between relcheck's, so that both see the same minutes of a drifting machine.
        samples: dict[int, list[tuple[float, float]]] = {jobs: [] for jobs in options.jobs}
        checkov_samples: list[tuple[float, float]] = []
        for run in range(options.runs):
            for jobs in options.jobs:
                samples[jobs].append(_once(_scan_command(tree, jobs, options.format)))
            if checkov and run < options.checkov_runs:
                checkov_samples.append(_once([checkov, "-d", str(tree), *CHECKOV_OPTIONS]))
        for jobs in options.jobs:
            wall, peak = _summary(samples[jobs])
            if checkov_samples:
                checkov_wall, checkov_peak = _summary(checkov_samples)
                share = 100 * peak / checkov_peak
                theirs = f"{checkov_wall:.2f} | {checkov_peak:.0f} | {checkov_wall / wall:.1f}× | {share:.0f} %"
            else:
                theirs = "not installed | – | – | –"
            print(f"| {size} | {files} | {jobs} | {wall:.2f} | {files / wall:.0f} | {peak:.0f} | {theirs} |")


def compare(options: argparse.Namespace) -> None:
    against = options.against.resolve()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; --format {options.format}; runs interleaved"
    )
    print(
        f"| services | files | jobs | {against.name} (s) | this checkout (s) | speed-up | peak RSS before → now (MiB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in options.sizes:
        tree = _tree(options.workdir, size)
        for jobs in options.jobs:
            command = _scan_command(tree, jobs, options.format)
            (now, now_peak), (before, before_peak) = measure_pair(command, against, options.runs)
            print(
                f"| {size} | {size * 9 + 2} | {jobs} | {before:.2f} | {now:.2f} | {before / now:.2f}× "
                f"| {before_peak:.0f} → {now_peak:.0f} |"
            )


def _scan_command(tree: Path, jobs: int, report_format: str) -> list[str]:
    # Cold scans: with the cache (on by default) every run after the first would print the stored
    # report. bench/incremental.py times scans with the cache.
    return [
        *_relcheck(),
        "scan",
        str(tree),
        "--no-cache",
        "--fail-on",
        "never",
        "--jobs",
        str(jobs),
        "--format",
        report_format,
    ]


def _tree(workdir: Path, size: int) -> Path:
    tree = workdir / f"mono{size}"
    if not (tree / "services").is_dir() or len(list((tree / "services").iterdir())) != size:
        generate(size, tree)
    return tree


if __name__ == "__main__":
    main()
