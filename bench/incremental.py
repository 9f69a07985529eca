"""Cold, warm and incremental scans, and the pre-commit hook, side by side in one run:
`python bench/incremental.py [TREE] [--runs 5] [--checkov PATH]`.

The tree (the generated 1,000-service monorepo by default) is copied into a git repository of its
own, so that edits and the hook's staged files touch nothing else. Whole processes, median wall time
of `--runs` and the peak resident memory of the child (from wait4):

- cold: no cache (`--no-cache`), with the default jobs and with `--jobs 1`; and an empty cache;
- warm: nothing changed since the last scan (the stored report is printed);
- one manifest changed: a Deployment's memory limit edited before each run;
- hook: that edit staged, `relcheck hook` on it (pre-commit's call);
- the parse floor `bench/floor.py` reports for the tree, and checkov's peak memory when it is
  found (on PATH, or `--checkov`), as the issue's targets compare with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import default_tree

CHECKOV_OPTIONS = ["--framework", "kubernetes", "dockerfile", "--quiet", "--compact"]


def _relcheck() -> list[str]:
    found = shutil.which("relcheck")
    return [found] if found else [sys.executable, "-m", "relcheck"]


def _once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def _measure(
    runs: int, command: list[str], cwd: Path, env: dict[str, str], before: Callable[[int], None] | None = None
) -> tuple[float, float, float]:
    """(median seconds, min seconds, peak MiB) of `runs` runs, `before(run)` ahead of each."""
    samples = []
    for run in range(runs):
        if before is not None:
            before(run)
        samples.append(_once(command, cwd, env))
    times = [t for t, _ in samples]
    return statistics.median(times), min(times), max(m for _, m in samples)


def _git(tree: Path, *args: str) -> None:
    identity = ["-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    subprocess.run(["git", *identity, *args], cwd=tree, check=True, capture_output=True)


def _floor(tree: Path) -> float | None:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "floor.py"), str(tree), "--runs", "2"],
        capture_output=True,
        text=True,
    )
    found = re.search(r"\*\*floor before relcheck's own work\*\* \| \*\*([0-9.]+)\*\*", done.stdout)
    return float(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path, nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkov", help="checkov's executable (default: on PATH)")
    options = parser.parse_args()
    # As an installed relcheck runs: its modules' bytecode compiled (a shell with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise compile every edited module on every run). Forced:
    # compileall takes a module edited within the second it was last compiled in for up to date,
    # which the import, comparing sizes too, does not.
    import compileall

    import relcheck

    compileall.compile_dir(str(Path(relcheck.__file__).parent), quiet=1, force=True)
    source = options.tree or default_tree()
    work = Path(tempfile.mkdtemp(prefix="relcheck-incremental-"))
    tree = work / "repo"
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns(".relcheck_cache", ".git"))
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "bench")
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "user-cache")}
    env.pop("RELCHECK_CACHE_DIR", None)
    env.pop("RELCHECK_NO_CACHE", None)
    relcheck = _relcheck()
    scan = [*relcheck, "scan", ".", "--fail-on", "never"]
    manifests = sorted(tree.glob("services/*/k8s/deployment.yaml"))
    target = manifests[len(manifests) // 2]
    staged = target.relative_to(tree).as_posix()

    def edit(run: int) -> None:
        text = target.read_text()
        limit = re.search(r"memory: (\d+)Gi\}", text)
        assert limit is not None, target
        target.write_text(text.replace(limit.group(0), f"memory: {int(limit.group(1)) % 4 + 1}Gi}}", 1))

    def edit_and_stage(run: int) -> None:
        edit(run)
        _git(tree, "add", staged)

    rows: list[tuple[str, tuple[float, float, float]]] = []
    runs = options.runs
    rows.append(("cold, no cache, default jobs", _measure(runs, [*scan, "--no-cache"], tree, env)))
    rows.append(("cold, no cache, --jobs 1", _measure(runs, [*scan, "--no-cache", "--jobs", "1"], tree, env)))

    def empty_cache(run: int) -> None:
        shutil.rmtree(tree / ".relcheck_cache", ignore_errors=True)

    rows.append(("cold, empty cache", _measure(runs, scan, tree, env, empty_cache)))
    time.sleep(2.1)  # the stored report is kept only once every file is two seconds old
    _once(scan, tree, env)
    rows.append(("warm, nothing changed", _measure(runs, scan, tree, env)))
    rows.append(("warm, one manifest changed", _measure(runs, scan, tree, env, edit)))
    hook = [*relcheck, "hook", staged]
    _once(hook, tree, env)  # the hook's first run scans the whole tree and leaves its snapshot
    rows.append(("hook, that manifest staged", _measure(runs, hook, tree, env, edit_and_stage)))

    floor = _floor(tree)
    checkov = options.checkov or shutil.which("checkov")
    checkov_peak = None
    if checkov:
        checkov_peak = _once([checkov, "-d", str(tree), *CHECKOV_OPTIONS], tree, env)[1]

    skipped = {".git", ".relcheck_cache"}
    files = sum(1 for path in tree.rglob("*") if path.is_file() and not skipped & set(path.parts))
    print(f"tree: {source} ({files:,} files), {runs} runs each; {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} processors ({len(os.sched_getaffinity(0))} usable)")
    print("| scan | median (s) | min (s) | peak (MiB) |")
    print("|---|---|---|---|")
    for name, (median, fastest, peak) in rows:
        print(f"| {name} | {median:.2f} | {fastest:.2f} | {peak:.0f} |")
    if floor is not None:
        cold = rows[0][1][0]
        print(f"\nparse floor (bench/floor.py): {floor:.2f} s; cold with the default jobs is {cold / floor:.2f}× it")
    if checkov_peak is not None:
        plain, filling = rows[0][1][2], rows[2][1][2]
        print(
            f"checkov's peak: {checkov_peak:.0f} MiB; relcheck's cold peak is {100 * plain / checkov_peak:.1f} % "
            f"of it without cache, {100 * filling / checkov_peak:.1f} % filling an empty one"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
