"""Wall time of short commands, median of N runs: `python bench/startup.py [--runs 5]`.

Measures whole processes (interpreter start included), the way a user or CI sees them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _relcheck() -> list[str]:
    found = shutil.which("relcheck")
    return [found] if found else [sys.executable, "-m", "relcheck"]


COMMANDS = {
    "relcheck --version": ["--version"],
    "relcheck rules": ["rules"],
    "relcheck scan examples/legacy-service": ["scan", str(ROOT / "examples" / "legacy-service")],
    "relcheck scan examples/enterprise-service": ["scan", str(ROOT / "examples" / "enterprise-service")],
}


def measure(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):  # the first run warms the file cache and is dropped
        start = time.perf_counter()
        subprocess.run([*_relcheck(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print(f"| command | median of {options.runs} (s) | min (s) | max (s) |")
    print("|---|---|---|---|")
    for label, args in COMMANDS.items():
        times = measure(args, options.runs)
        print(f"| `{label}` | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")


if __name__ == "__main__":
    main()
