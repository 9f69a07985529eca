"""Files per second for `relcheck scan PATH`, whole process, median of N runs.

    python bench/scan.py ../shared/corpus --runs 5

Reports the files relcheck scanned (from its JSON report), the median wall time and the peak
resident memory of the child process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time


def _relcheck() -> list[str]:
    found = shutil.which("relcheck")
    return [found] if found else [sys.executable, "-m", "relcheck"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    command = [*_relcheck(), "scan", options.path, "--format", "json", "--fail-on", "never"]
    report = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    files = report["summary"]["files"]
    times = []
    for _ in range(options.runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    median = statistics.median(times)
    print(f"path: {options.path}")
    print(f"files scanned: {files}, findings: {report['summary']['total']}")
    print(f"wall time, median of {options.runs}: {median:.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    print(f"files per second: {files / median:.0f}")
    print(f"peak RSS of the child: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
