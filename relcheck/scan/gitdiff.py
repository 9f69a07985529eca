"""`scan --diff-base REF`: the files changed since REF (committed, staged, in the working tree, or
new and not ignored), as paths relative to the scan root, from git.

git runs with the repository's own hooks into it turned off: no fsmonitor command, no external
diff or text conversion, no pager, no prompt, no optional locks, and none of the caller's GIT_*
variables (an inherited GIT_DIR would point at another repository).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "--no-pager")
TIMEOUT_SECONDS = 60


class DiffBaseError(Exception):
    """Why the changed files could not be had: one line for the user."""


def _git(root: Path, *args: str) -> str:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", *_SAFE, *args],
            cwd=root,
            env=environment,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise DiffBaseError("--diff-base needs git on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiffBaseError(f"--diff-base: git failed ({exc})") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffBaseError(f"--diff-base: {message[-1] if message else 'git failed'}")
    return done.stdout.decode("utf-8", "surrogateescape")


def changed_since(root: Path, ref: str) -> set[str]:
    """Paths (relative to `root`, '/'-separated) of the files that differ from REF or are new."""
    if not ref or ref.startswith("-") or "\0" in ref:
        raise DiffBaseError(f"--diff-base: {ref!r} is not a git revision")
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except DiffBaseError:
        raise DiffBaseError(f"--diff-base: {ref!r} is not a commit of the repository at {root}") from None
    names = _git(top, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", ref, "--")
    names += _git(top, "ls-files", "-z", "--others", "--exclude-standard")
    scan_root = root.resolve()
    changed = set()
    for name in filter(None, names.split("\0")):
        path = (top / name).resolve(strict=False) if ".." in name else top / name
        try:
            changed.add(path.relative_to(scan_root).as_posix())
        except ValueError:
            continue  # outside the scan
    return changed
