"""Fingerprints of every report of a scan: `python bench/reports.py TREE... > before.txt`, change
the code, run it again and diff. A refactoring must leave every line the same.

For each tree: the exit code and a SHA-256 of the text, JSON, SARIF, JUnit, GitHub, GitLab and
Markdown reports and of the checklist (JSON), each from a fresh process."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

FORMATS = ["text", "json", "sarif", "junit", "github", "gitlab", "markdown"]


def _digest(command: list[str], cwd: Path) -> str:
    env = {"NO_COLOR": "1", "PATH": ""}
    if "PYTHONPATH" in os.environ:  # another checkout's relcheck: PYTHONPATH=../old python bench/reports.py ...
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, env=env)
    return f"exit {done.returncode} {hashlib.sha256(done.stdout).hexdigest()[:16]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", type=Path, nargs="+")
    options = parser.parse_args()
    relcheck = [sys.executable, "-m", "relcheck"]
    for tree in options.trees:
        tree = tree.resolve()
        for report_format in FORMATS:
            digest = _digest([*relcheck, "scan", ".", "--format", report_format], tree)
            print(f"{tree.name} scan --format {report_format}: {digest}")
        checklist = _digest([*relcheck, "checklist", ".", "--format", "json"], tree)
        print(f"{tree.name} checklist --format json: {checklist}")


if __name__ == "__main__":
    main()
